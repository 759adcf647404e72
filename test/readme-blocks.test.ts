/**
 * Every fenced code block of README.md runs here, as written (issue 13, item 1). The test iterates
 * over all blocks, so a block added later is covered automatically; a block no runner can take
 * fails the test.
 *
 * - `bash`: each command line runs with the built CLI (`npx toolcode` → `node dist/cli/main.js`)
 *   in a fresh project directory; lines no test can run here as written (they need a model, or
 *   are `npm` scripts) must be listed in {@link COVERED_ELSEWHERE} with the test that covers them.
 * - `ts` importing from `"toolcode"`: library code, run with tsx from a file inside this package
 *   (so `"toolcode"` and its subpaths resolve to the built package) in a fresh project directory.
 *   A block whose first line is `// needs VAR` runs only when that variable is set.
 * - other `ts`: `execute` scripts, run with `toolcode exec --json` against the embedded default in
 *   a fresh project directory; `// a later execute:` starts the next script of the same project.
 * - `python`: the same, with `--lang python` (needs the optional Pyodide, a devDependency here);
 *   `# a later execute:` starts the next script.
 * - `json` / `jsonc`: loaded as configs (a fragment of top-level keys is wrapped in braces;
 *   `${VAR}`s get a value); a client config that starts `toolcode serve` is started and used.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type ParseError, parse as parseJsonc } from "jsonc-parser";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load-config.js";
import { CLI, ROOT, run, servers, tempDir } from "./helpers.js";

interface Block {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The section heading the block is under. */
  section: string;
}

/** The fenced blocks of a markdown text (``` fences at the start of a line). */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
    const open = /^```(\S*)\s*$/.exec(line);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith("```"); i++) body.push(lines[i] as string);
    blocks.push({ lang: open[1] ?? "", code: body.join("\n"), line: start + 1, section });
  }
  return blocks;
}

/** Commands of README bash blocks that cannot run here as written, each with the test that covers it. */
const COVERED_ELSEWHERE: { line: RegExp; reason: string }[] = [
  { line: /^npm install && npm test\b/, reason: "it is this test suite (`.ci/run` runs exactly this line; test/docs.test.ts checks it)" },
  { line: /^OPENAI_API_KEY=… npx toolcode run\b/, reason: "needs an OpenAI key; `toolcode run` is covered with a scripted model by test/agent/run-cli.test.ts, and real models by test/agent/real-llm.test.ts when a key is set" },
  { line: /^npx toolcode run --model ollama:/, reason: "needs Ollama on 127.0.0.1:11434; the same CLI path runs against a scripted OpenAI-compatible server in test/agent/run-cli.test.ts" },
  { line: /^npx toolcode run --model openai-compatible:my-model --base-url http:\/\/127\.0\.0\.1:8080\/v1 "…"/, reason: "the task is a placeholder; test/agent/run-cli.test.ts runs exactly this form against a scripted server on 127.0.0.1" },
];

/** Extra expectations for particular blocks (found by a distinctive piece of their text). */
const EXPECTED_OUTPUT: { contains: string; output: RegExp }[] = [
  // The headline example: the tree is filtered in the sandbox, one line comes back.
  { contains: "directory_tree", output: /^4 files, 3 in markdown: AGENTS\.md, README\.md, SECURITY\.md$/m },
  { contains: 'toolcode search "read file"', output: /filesystem\.read_text_file/ },
  { contains: "toolcode types filesystem", output: /declare namespace filesystem|namespace filesystem/ },
  { contains: "list_allowed_directories()).content' | npx toolcode exec", output: /Allowed directories:/ },
  // Frameworks: the mock models call search, then execute, through the adapters.
  { contains: 'from "toolcode/ai-sdk"', output: /^\[ 'search', 'execute' \]$/m },
  { contains: 'from "toolcode/langchain"', output: /^search → memory\.read_graph[\s\S]*^execute → 0$/m },
  // Python skills: saved by one execute (its import line), used by the next (README, AGENTS, SECURITY).
  { contains: 'skills.save(name="count-md"', output: /^(?:from skills\.count_md import count_md|3)$/ },
];

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const blocks = fencedBlocks(readme);
/** Where library blocks are written: inside this package, so `import "toolcode"` resolves to it. */
const scratch = path.join(ROOT, ".scratch-readme");

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh project directory: package.json and three markdown files (README, AGENTS, SECURITY). */
function project(): string {
  const dir = tempDir("toolcode-readme-");
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "readme-project", private: true }));
  for (const file of ["README.md", "AGENTS.md", "SECURITY.md"]) copyFileSync(path.join(ROOT, file), path.join(dir, file));
  return dir;
}

/** The env of a child: HOME in a temp dir, so nothing lands in the real home. */
function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, HOME: tempDir("toolcode-home-") };
}

function expectOutput(block: Block, output: string): void {
  for (const expected of EXPECTED_OUTPUT) if (block.code.includes(expected.contains)) expect(output, `README line ${block.line}`).toMatch(expected.output);
}

/** The command lines of a bash block (comments and blank lines dropped, trailing comments cut). */
function commands(code: string): string[] {
  return code
    .split("\n")
    .map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

async function runBash(block: Block): Promise<void> {
  const cwd = project();
  for (const line of commands(block.code)) {
    const covered = COVERED_ELSEWHERE.find((entry) => entry.line.test(line));
    if (covered) {
      console.info(`README line ${block.line}: \`${line}\` covered elsewhere: ${covered.reason}`);
      continue;
    }
    if (/^npm install && npm start$/.test(line)) {
      await runNpmStart();
      continue;
    }
    expect(line, `README line ${block.line}: a placeholder (…) in a command that is not in COVERED_ELSEWHERE`).not.toContain("…");
    const shell = line.replace(/\bnpx toolcode\b/g, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`);
    expect(shell, `README line ${block.line}: only toolcode commands run here; add others to COVERED_ELSEWHERE with a reason`).toContain(CLI);
    const result = await run("bash", ["-c", shell], { cwd, env: childEnv(), timeoutMs: 120_000 });
    expect(result.code, `README line ${block.line}: \`${line}\` failed:\n${result.stderr}`).toBe(0);
    expect(result.stdout.trim(), `README line ${block.line}: \`${line}\` printed nothing`).not.toBe("");
    expectOutput({ ...block, code: line }, result.stdout);
  }
}

/**
 * `npm install && npm start`: the install is what this checkout already did and `prestart` is
 * `npm run build` (done before the suite); the `start` script itself runs here, on a free port,
 * and must print the endpoint and a client config snippet with this install's absolute path.
 */
async function runNpmStart(): Promise<void> {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  expect(manifest.scripts.prestart).toBe("npm run build");
  const start = manifest.scripts.start ?? "";
  expect(start).toBe("node dist/cli/main.js serve --http");
  const { spawn } = await import("node:child_process");
  const child = spawn("bash", ["-c", `exec ${start} --port 0`], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no client snippet within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/"url":"http:\/\/127\.0\.0\.1:\d+\/mcp"/.test(stderr) && stderr.includes("or over stdio")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => reject(new Error(`npm start exited (${code}):\n${stderr}`)));
    });
  } finally {
    child.kill("SIGTERM");
  }
  expect(stderr).toMatch(/MCP over streamable HTTP at http:\/\/127\.0\.0\.1:\d+\/mcp/);
  expect(stderr).toContain(JSON.stringify(CLI));
  expect(stderr).toMatch(/policy read-only: \d+ of \d+ tools callable/);
}

/** `// needs VAR` on the first line: the variable the block needs. */
function neededVariable(code: string): string | undefined {
  return /^\/\/ needs ([A-Z_][A-Z0-9_]*)/.exec(code)?.[1];
}

async function runLibrary(block: Block): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  const file = path.join(scratch, `readme-line-${block.line}.mts`);
  writeFileSync(file, block.code);
  const cwd = project();
  // A block that names ./toolcode.config.json gets one: the embedded default's servers, rooted here.
  if (block.code.includes('"toolcode.config.json"')) writeFileSync(path.join(cwd, "toolcode.config.json"), JSON.stringify({ mcpServers: { filesystem: servers.filesystem("."), memory: servers.memory(path.join(cwd, "memory.jsonl")) } }));
  const result = await run(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), file], { cwd, env: childEnv(), timeoutMs: 120_000 });
  expect(result.code, `README line ${block.line} (library code) failed:\n${result.stderr}`).toBe(0);
  expectOutput(block, result.stdout);
}

async function runGuest(block: Block, language: "javascript" | "python" = "javascript"): Promise<void> {
  const cwd = project();
  const scripts = block.code.split(language === "python" ? /^# a later execute:.*$/m : /^\/\/ a later execute:.*$/m);
  for (const script of scripts) {
    const result = await run(process.execPath, [CLI, "exec", "--json", "--lang", language, "-"], { cwd, input: script, env: childEnv(), timeoutMs: 120_000 });
    expect(result.code, `README line ${block.line} (execute script) failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
    const parsed = JSON.parse(result.stdout) as { logs: string[]; error: unknown };
    expect(parsed.error).toBeNull();
    expectOutput(block, parsed.logs.join("\n"));
  }
}

/** Dummy values for every `${VAR}` (long enough for bearer tokens). */
function variablesOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => [m[1] as string, `readme-${m[1] as string}-0123456789abcdef`]));
}

async function runConfig(block: Block): Promise<void> {
  const errors: ParseError[] = [];
  let raw: unknown = parseJsonc(block.code, errors, { allowTrailingComma: true });
  if (errors.length > 0 || raw === null || typeof raw !== "object") {
    // A fragment: top-level keys without the braces.
    errors.length = 0;
    raw = parseJsonc(`{${block.code}}`, errors, { allowTrailingComma: true });
  }
  expect(errors, `README line ${block.line}: not JSONC`).toEqual([]);
  const config = parseConfig(raw, { env: variablesOf(block.code), source: `README line ${block.line}` });
  // Relative files the block names (OpenAPI specs) must exist when they point into this package.
  for (const [name, api] of Object.entries(config.openapi)) {
    if (api.spec.startsWith("./node_modules/")) expect(existsSync(path.join(ROOT, api.spec)), `openapi.${name}.spec`).toBe(true);
  }
  const entry = Object.values(config.mcpServers).find((server) => "args" in server && server.args.some((arg) => arg.endsWith("dist/cli/main.js")));
  if (entry && "command" in entry) await runClientSnippet(block, entry.command, entry.args);
}

/** A client config that starts `toolcode serve`: start it as the client would (from /) and use it. */
async function runClientSnippet(block: Block, command: string, args: string[]): Promise<void> {
  const dir = project();
  const real = args.map((arg) => arg.replace("/path/to/toolcode", ROOT).replace("/path/to/project", dir));
  const client = new Client({ name: "readme-snippet", version: "1" });
  await client.connect(new StdioClientTransport({ command: command === "node" ? process.execPath : command, args: real, cwd: "/", env: childEnv() as Record<string, string>, stderr: "ignore" }));
  try {
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    expect(tools, `README line ${block.line}`).toEqual(expect.arrayContaining(["search", "execute"]));
    const response = (await client.callTool({ name: "execute", arguments: { code: "return (await filesystem.list_allowed_directories()).content" } })) as CallToolResult;
    const text = (response.content as { text: string }[]).map((item) => item.text).join("\n");
    expect(text, `README line ${block.line}: the snippet's --root is exposed`).toContain(dir);
  } finally {
    await client.close();
  }
}

// Each block is a whole CLI or library run (servers started, a sandbox, maybe Pyodide): generous on a busy machine.
describe("every README code block runs as written", { timeout: 240_000 }, () => {
  it("finds the blocks", () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  for (const block of blocks) {
    const needs = block.lang === "ts" ? neededVariable(block.code) : undefined;
    const title = `README line ${block.line} (${block.lang}, ${block.section})`;
    if (needs !== undefined && process.env[needs] === undefined) {
      it.skip(`${title}: needs ${needs}, which is not set`, () => {});
      continue;
    }
    it(title, async () => {
      if (block.lang === "bash") await runBash(block);
      else if (block.lang === "ts" && /from "toolcode(\/[a-z-]+)?"/.test(block.code)) await runLibrary(block);
      else if (block.lang === "ts") await runGuest(block);
      else if (block.lang === "python") await runGuest(block, "python");
      else if (block.lang === "json" || block.lang === "jsonc") await runConfig(block);
      else expect.fail(`README line ${block.line}: no runner for \`\`\`${block.lang} blocks; add one to test/readme-blocks.test.ts`);
    });
  }
});
