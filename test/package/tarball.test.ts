/**
 * The package as a user gets it (issue 13, item 5): `npm pack` on a fresh copy of the sources
 * (no dist/: `prepack` builds it), installed from the tarball into a new project, with no compiler
 * step (isolated-vm is an optional peer dependency, not installed), then used through the
 * installed bin and as a library, and type-checked without @types/node. The install time is
 * printed, never asserted (bench/ and the report hold figures).
 *
 * npm installs from its cache (`--prefer-offline`), so this runs without the network once the
 * repository's own `npm install` has filled the cache.
 */
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, tempDir } from "../helpers.js";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
let project: string;
let bin: string;
let installSeconds = 0;

/** Runs npm with a bounded time, failing with its output. */
async function npm(args: string[], cwd: string, timeoutMs = 300_000): Promise<string> {
  const result = await run(NPM, args, { cwd, timeoutMs, env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" } });
  expect(result.code, `npm ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  // A fresh clone's files (no dist/), with this checkout's node_modules for the build.
  const clone = tempDir("toolcode-clone-");
  for (const entry of ["package.json", "package-lock.json", "README.md", "LICENSE", "tsconfig.json", "tsconfig.build.json", "src", "console"]) {
    cpSync(path.join(ROOT, entry), path.join(clone, entry), { recursive: true });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
  const packed = tempDir("toolcode-tarball-");
  await npm(["pack", "--pack-destination", packed], clone);
  const tarball = path.join(packed, readdirSync(packed).find((name) => name.endsWith(".tgz")) ?? "missing.tgz");

  project = tempDir("toolcode-user-");
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
  const started = performance.now();
  await npm(["install", "--prefer-offline", tarball, "typescript@5.9.3"], project);
  installSeconds = (performance.now() - started) / 1000;
  console.info(`npm install of the tarball (and typescript) took ${installSeconds.toFixed(1)} s; load average ${os.loadavg().map((n) => n.toFixed(2)).join(" ")}`);
  bin = path.join(project, "node_modules", ".bin", "toolcode");
}, 900_000);

describe("the packed tarball", () => {
  it("holds the built package, LICENSE and README, and no sources, tests or stale files", async () => {
    const files = readdirSync(path.join(project, "node_modules", "toolcode"));
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist"]));
    expect(files).not.toContain("src");
    const dist = readdirSync(path.join(project, "node_modules", "toolcode", "dist"), { recursive: true }).map(String);
    expect(dist).toContain(path.join("cli", "main.js"));
    // The web console's bundle ships built (no CDN, no build step for users).
    expect(dist).toEqual(expect.arrayContaining([path.join("console", "web", "index.html"), path.join("console", "web", "app.js"), path.join("console", "web", "app.css")]));
    expect(dist.filter((file) => file.includes(".test."))).toEqual([]);
  });

  it("installs without compiling: isolated-vm is not installed, and choosing it names the install command", async () => {
    expect(readdirSync(path.join(project, "node_modules"))).not.toContain("isolated-vm");
    writeFileSync(path.join(project, "isolate.json"), JSON.stringify({ mcpServers: {}, sandbox: { engine: "isolate" } }));
    const result = await run(bin, ["exec", "--config", "isolate.json", "-"], { cwd: project, input: "return 1" });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("npm install isolated-vm@5.0.4");
  }, 120_000);

  it("npx toolcode --help works from the install", async () => {
    const result = await run(NPM, ["exec", "--offline", "--", "toolcode", "--help"], { cwd: project });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Usage: toolcode/);
    for (const command of ["serve", "exec", "search", "types"]) expect(result.stdout).toContain(command);
  });

  it("runs a script through the installed bin against the embedded default", async () => {
    const result = await run(bin, ["exec", "-"], { cwd: project, input: "const dirs = await filesystem.list_allowed_directories();\nreturn { sum: 6 * 7, dirs: dirs.content }" });
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { sum: number; dirs: string };
    expect(printed.sum).toBe(42);
    expect(printed.dirs).toContain(project);
  });

  it("imports the library", async () => {
    writeFileSync(
      path.join(project, "use.mjs"),
      `import { createToolcode } from "toolcode";
const tc = await createToolcode();
const run = await tc.execute("return (await memory.read_graph({})).entities.length + 1");
console.log(JSON.stringify({ result: run.result, error: run.error, servers: tc.catalog.serverIds() }));
await tc.close();`,
    );
    const result = await run(process.execPath, ["use.mjs"], { cwd: project });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ result: 1, error: null, servers: ["filesystem", "memory"] });
  });

  it("its .d.ts compile without @types/node (only typescript installed)", async () => {
    expect(readdirSync(path.join(project, "node_modules", "@types")).filter((name) => name === "node")).toEqual([]);
    writeFileSync(
      path.join(project, "typed.ts"),
      `import { createToolcode, type Toolcode, type ExecuteResult, createAgent, loadConfig } from "toolcode";
const tc: Toolcode = await createToolcode();
const run: ExecuteResult = await tc.execute("return 1");
console.log(run.result, typeof createAgent, loadConfig().path);
await tc.close();
`,
    );
    const options = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [] as string[] };
    mkdirSync(path.join(project, "checks"), { recursive: true });
    // As most projects compile (skipLibCheck): no error at all.
    writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...options, skipLibCheck: true }, files: ["typed.ts"] }));
    const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
    const skipping = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
    expect(skipping.stdout + skipping.stderr).toBe("");
    expect(skipping.code).toBe(0);
    // Checking every declaration file: none of toolcode's own needs Node's types.
    writeFileSync(path.join(project, "tsconfig.strict.json"), JSON.stringify({ compilerOptions: { ...options, skipLibCheck: false }, files: ["typed.ts"] }));
    const strict = await run(process.execPath, [tsc, "-p", "tsconfig.strict.json"], { cwd: project });
    const ours = (strict.stdout + strict.stderr).split("\n").filter((line) => line.startsWith("node_modules/toolcode/") || line.startsWith("typed.ts"));
    expect(ours).toEqual([]);
  }, 600_000);
});
