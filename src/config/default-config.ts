/**
 * The embedded default config, used when no config file is given or found: the real
 * `@modelcontextprotocol/server-filesystem` rooted at the working directory and
 * `@modelcontextprotocol/server-memory` (its knowledge graph kept in `.toolcode/memory.jsonl`),
 * both dependencies of this package, started over stdio with the current Node binary.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ConfigInput } from "./schema.js";

const require = createRequire(import.meta.url);

/** Absolute path of an installed package's bin script. */
function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: Record<string, string> | string };
  const rel = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[bin];
  if (!rel) throw new Error(`${pkg} has no bin "${bin}"`);
  return path.join(path.dirname(manifestPath), rel);
}

/** The default config for a working directory (as written in a file, before validation). */
export function defaultConfigInput(cwd: string): ConfigInput {
  return {
    mcpServers: {
      filesystem: {
        command: process.execPath,
        args: [binOf("@modelcontextprotocol/server-filesystem", "mcp-server-filesystem"), cwd],
      },
      memory: {
        command: process.execPath,
        args: [binOf("@modelcontextprotocol/server-memory", "mcp-server-memory")],
        env: { MEMORY_FILE_PATH: path.join(cwd, ".toolcode", "memory.jsonl") },
      },
    },
  };
}

/** Creates the directory the default config keeps its state in (`<cwd>/.toolcode`). */
export function ensureDefaultStateDir(cwd: string): void {
  mkdirSync(path.join(cwd, ".toolcode"), { recursive: true });
}
