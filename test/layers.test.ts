/**
 * The documented flow, enforced: AGENTS.md lists the layers of src/ top to bottom ("a module
 * imports only from above it"); every import of every module under src/ must point to its own
 * layer or one above. Inside src/sandbox/, the worker and guest sides never import the host side
 * or a particular engine, and the generic host side imports no particular engine.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

const SRC = path.join(ROOT, "src");

/** Upward imports AGENTS.md names as allowed, with why. */
const ALLOWED_UPWARD = new Set([
  // A leaf module (no imports): sandbox workers may read only src/sandbox/, so the scan lives there.
  "json-depth.ts -> sandbox/json-limits.ts",
]);

/** Layer names in the order of AGENTS.md's "Where things live" block (`src/errors.ts` → `errors`). */
function documentedLayers(): string[] {
  const agents = readFileSync(path.join(ROOT, "AGENTS.md"), "utf8");
  const block = /## Where things live[^\n]*\n+```\n([\s\S]*?)```/.exec(agents)?.[1] ?? "";
  return [...block.matchAll(/^src\/([\w-]+)(?:\.ts|\/)/gm)].map((m) => m[1] ?? "");
}

/** Every non-test module under src/. */
function modules(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return modules(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

/** Relative imports, re-exports and dynamic imports of a module, resolved to files under src/. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles.map((i) => i.fileName).filter((name) => name.startsWith(".")).map((name) => path.resolve(path.dirname(file), name.replace(/\.js$/, ".ts")));
}

/** `errors` for src/errors.ts, `sandbox` for src/sandbox/…; undefined for src/index.ts (the public API re-exports every layer). */
function layerOf(file: string): string | undefined {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  if (rest.length === 0) return first === "index.ts" ? undefined : first?.replace(/\.ts$/, "");
  return first;
}

const rel = (file: string): string => path.relative(SRC, file).split(path.sep).join("/");

describe("module layers (AGENTS.md)", () => {
  const layers = documentedLayers();
  const files = modules();

  it("AGENTS.md lists every folder and top-level module of src/", () => {
    expect(layers.length).toBeGreaterThan(10);
    const present = new Set(files.map(layerOf).filter((layer): layer is string => layer !== undefined));
    expect([...present].filter((layer) => !layers.includes(layer)), "add these to the block in AGENTS.md").toEqual([]);
  });

  it("no module imports from a layer below its own", () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      if (from === undefined) continue;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (ALLOWED_UPWARD.has(`${rel(file)} -> ${rel(target)}`)) {
          expect(importsOf(target), `${rel(target)} must stay a leaf`).toEqual([]);
          continue;
        }
        if (to !== undefined && layers.indexOf(to) > layers.indexOf(from)) upward.push(`${rel(file)} imports ${rel(target)} (${from} is above ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("sandbox: worker and guest sides never import the host side or an engine; the host side imports no engine", () => {
    const wrong: string[] = [];
    for (const file of files.filter((f) => rel(f).startsWith("sandbox/"))) {
      const side = rel(file).split("/")[1];
      for (const target of importsOf(file).map(rel)) {
        const engineSpecific = target.startsWith("sandbox/engines/") && target !== "sandbox/engines/engine-spec.ts";
        if ((side === "worker" || side === "guest") && (target.startsWith("sandbox/host/") || engineSpecific)) wrong.push(`${rel(file)} imports ${target}`);
        if (side === "host" && engineSpecific) wrong.push(`${rel(file)} imports ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
