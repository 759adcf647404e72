/**
 * Shared test helpers: paths of the real MCP servers installed from npm, temp dirs, and a runner
 * for the built `toolcode` CLI.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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
