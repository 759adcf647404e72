/**
 * Where the sandbox worker's code is, and what it must be allowed to read.
 *
 * From built output the worker is `dist/sandbox/worker/entry.js` and the engine's runner
 * `dist/sandbox/<runner>.js`. From TypeScript sources (tests, tsx) the module graph of both
 * (everything under src/sandbox they import) is stripped of types with sucrase into
 * `node_modules/.cache/toolcode-sandbox/<hash>/`, so the worker runs plain
 * JavaScript under the same flags as in production: no TypeScript loader (tsx's needs worker
 * threads, which the permission model denies) and no read access to anything else.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "sucrase";
import type { EngineSpec } from "../engines/engine-spec.js";

/** A worker entry file and the paths its process must be allowed to read. */
export interface WorkerFiles {
  /** Absolute path of the entry module. */
  file: string;
  /** Files and directories the worker reads: its own code, the engine packages, package.json files. */
  readPaths: string[];
}

/** `src/sandbox/` (or `dist/sandbox/`): everything the worker may load is below it. */
const SANDBOX_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = path.join("worker", "entry");
const cached = new Map<string, WorkerFiles>();

/**
 * The worker entry for an engine, and what its process reads (the engine's packages too). Throws
 * when the entry cannot be found or prepared (host misconfiguration).
 */
export function workerFiles(engine: EngineSpec): WorkerFiles {
  const hit = cached.get(engine.name);
  if (hit !== undefined) return hit;
  const readPaths: string[] = [];
  for (const name of engine.packages) {
    try {
      readPaths.push(packageDir(name));
    } catch {
      // Not installed (the worker reports that when it starts), or nested inside another listed package.
    }
  }
  let file: string;
  const built = path.join(SANDBOX_ROOT, `${ENTRY}.js`);
  if (existsSync(built)) {
    file = built;
    readPaths.push(SANDBOX_ROOT);
  } else {
    const dir = compileSources([ENTRY, engine.runner].map((module) => path.join(SANDBOX_ROOT, `${module}.ts`)));
    file = path.join(dir, `${ENTRY}.js`);
    readPaths.push(dir);
  }
  // Node reads the nearest package.json of every module it loads (for "type").
  for (const manifest of nearestManifests(file)) readPaths.push(manifest);
  const entry = { file, readPaths: [...new Set(readPaths)] };
  cached.set(engine.name, entry);
  return entry;
}

/** The directory of an installed package (found from its main file; `exports` may hide package.json). */
export function packageDir(name: string): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
        if (typeof parsed === "object" && parsed !== null && "name" in parsed && parsed.name === name) return dir;
      } catch {
        // keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the directory of package ${name}`);
    dir = parent;
  }
}

/** package.json files from the entry's directory up to the filesystem root that exist. */
function nearestManifests(file: string): string[] {
  const found: string[] = [];
  let dir = path.dirname(file);
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) found.push(manifest);
    const parent = path.dirname(dir);
    if (parent === dir) return found;
    dir = parent;
  }
}

/** Static imports and re-exports (group 1 is "type " for type-only ones, erased at runtime) and dynamic imports. */
const IMPORT_PATTERN = /(?:^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)\.js"/gm;

/** Strips types from the entries' module graph (relative imports under src/sandbox) into a cache directory. */
function compileSources(entries: string[]): string {
  const root = SANDBOX_ROOT;
  const sources = new Map<string, string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop();
    if (file === undefined || sources.has(file)) continue;
    const text = readFileSync(file, "utf8");
    sources.set(file, text);
    for (const match of text.matchAll(IMPORT_PATTERN)) {
      if (match[1] !== undefined) continue;
      const target = path.resolve(path.dirname(file), `${match[2] ?? ""}.ts`);
      if (!target.startsWith(root + path.sep)) {
        throw new Error(`the sandbox worker must only import from src/sandbox (found ${path.relative(root, target)} in ${path.relative(root, file)})`);
      }
      pending.push(target);
    }
  }
  const hash = createHash("sha256");
  for (const file of [...sources.keys()].sort()) hash.update(file).update("\0").update(sources.get(file) ?? "").update("\0");
  const nodeModules = path.resolve(packageDir("quickjs-emscripten-core"), "..");
  const dir = path.join(nodeModules, ".cache", "toolcode-sandbox", hash.digest("hex").slice(0, 16));
  if (existsSync(path.join(dir, "package.json"))) return dir;
  const staging = `${dir}.${process.pid}.${Date.now().toString(36)}`;
  for (const [file, text] of sources) {
    const out = path.join(staging, path.relative(root, file)).replace(/\.ts$/, ".js");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, transform(text, { transforms: ["typescript"], disableESTransforms: true, filePath: file }).code);
  }
  writeFileSync(path.join(staging, "package.json"), '{ "type": "module" }\n');
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process compiled the same sources first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(path.join(dir, "package.json"))) throw error;
  }
  return dir;
}
