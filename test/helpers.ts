/**
 * Shared test helpers: paths of the real MCP servers installed from npm, temp dirs, and a runner
 * for the built `toolcode` CLI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "dist", "cli", "main.js");
const bin = (name: string): string => path.join(ROOT, "node_modules", ".bin", name);

/** Real MCP servers from npm, as stdio config entries. */
export const servers = {
  everything: () => ({ command: process.execPath, args: [bin("mcp-server-everything")] }),
  filesystem: (root: string) => ({ command: process.execPath, args: [bin("mcp-server-filesystem"), root] }),
  memory: (file: string) => ({ command: process.execPath, args: [bin("mcp-server-memory")], env: { MEMORY_FILE_PATH: file } }),
};

/** A fresh temp directory. */
export function tempDir(prefix = "toolcode-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes a config file into `dir` and returns its path. */
export function writeConfig(dir: string, config: unknown, name = "toolcode.config.json"): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Result of a finished process. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`). */
export function run(command: string, args: string[], options: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Runs the built CLI. */
export function toolcode(args: string[], options: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return run(process.execPath, [CLI, ...args], options);
}

/**
 * The done-when script of the engine and host issues: two everything tools and one filesystem
 * tool (`files`, rooted at a {@link notesDir}), filtered in code, printing {@link TWO_SERVER_LINE}.
 */
export function twoServerScript(data: string): string {
  return [
    "const weather = await everything.get_structured_content({ location: \"Chicago\" });",
    "const sum: string = await everything.get_sum({ a: weather.temperature, b: 6 });",
    `const { content: listing } = await files.list_directory({ path: ${JSON.stringify(data)} });`,
    "const notes = listing.split(\"\\n\").filter((line) => line.startsWith(\"[FILE]\") && line.endsWith(\".md\"));",
    "console.log(`${notes.length} notes; ${sum}`);",
  ].join("\n");
}

/** What {@link twoServerScript} prints over a {@link notesDir}. */
export const TWO_SERVER_LINE = "3 notes; The sum of 36 and 6 is 42.";

/** `<dir>/data` with three Markdown notes, a text file, a JSON file and a subdirectory; returns its path. */
export function notesDir(dir: string): string {
  const data = path.join(dir, "data");
  mkdirSync(path.join(data, "sub"), { recursive: true });
  for (const name of ["a.md", "b.md", "c.md", "notes.txt", "todo.json"]) writeFileSync(path.join(data, name), `# ${name}\n`);
  return data;
}

/** The MCP URL `toolcode serve --http` prints on stderr once it listens; rejects with its stderr if it exits first. */
export function servedUrl(child: ChildProcess, pattern = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = pattern.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}
