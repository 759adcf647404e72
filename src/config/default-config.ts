/**
 * The embedded default config, used when no config file is given or found: the real
 * `@modelcontextprotocol/server-filesystem` and `@modelcontextprotocol/server-memory`, both
 * dependencies of this package, started over stdio with the current Node binary.
 *
 * The filesystem server never exposes `/` or the home directory by accident. Its directories are,
 * in order: the `--root DIR`s; else the working directory when it is a project directory
 * ({@link PROJECT_MARKERS}) other than `/` and the home directory; else none, and it waits for
 * MCP roots from the client (`toolcode serve` passes on the roots its client sends).
 *
 * State (the memory graph, skills) lives in `<project>/.toolcode/`, or `~/.toolcode/` when the
 * working directory is not a project directory.
 *
 * @module
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { ToolcodeError } from "../errors.js";
import type { ConfigInput } from "./schema.js";

const require = createRequire(import.meta.url);

/** Files or directories that make a directory a project directory (its contents may be exposed). */
export const PROJECT_MARKERS = [".git", "package.json", "toolcode.config.json", ".toolcode", "pyproject.toml", "Cargo.toml", "go.mod", "deno.json", ".hg"] as const;

/** How the notice of a default that exposes directories begins (the CLI shows it only for `serve`). */
export const EXPOSES_NOTICE = "embedded default: filesystem exposes /";

/** The name of the state directory (`.toolcode`). */
export const STATE_DIR_NAME = ".toolcode";

/** Absolute path of an installed package's bin script. */
function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: Record<string, string> | string };
  const rel = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[bin];
  if (!rel) throw new Error(`${pkg} has no bin "${bin}"`);
  return path.join(path.dirname(manifestPath), rel);
}

/**
 * True when `dir` is a project directory: it holds one of {@link PROJECT_MARKERS} and is neither
 * the file system root nor the home directory (whose `.git` of dotfiles does not make it one).
 */
export function isProjectDir(dir: string): boolean {
  const resolved = path.resolve(dir);
  if (resolved === path.parse(resolved).root || resolved === path.resolve(os.homedir())) return false;
  return PROJECT_MARKERS.some((marker) => existsSync(path.join(resolved, marker)));
}

/** Options for {@link defaultConfig}. */
export interface DefaultConfigOptions {
  /** The working directory. */
  cwd: string;
  /** Directories to expose (`--root DIR`), resolved against `cwd`; they must exist. */
  roots?: readonly string[];
  /** Where `.toolcode/` goes (default: `cwd` for a project directory, else the home directory). */
  stateBase?: string;
}

/** The embedded default, where its relative paths resolve, and what it exposes (for stderr). */
export interface DefaultConfig {
  input: ConfigInput;
  /** The state directory's parent: the project directory, or the home directory. */
  baseDir: string;
  /** The directories the filesystem server exposes (empty: none until MCP roots arrive). */
  roots: string[];
  /** One line saying what is exposed and how to change it. */
  notices: string[];
}

/** The default config (as written in a file, before validation); creates its state directory. */
export function defaultConfig(options: DefaultConfigOptions): DefaultConfig {
  const cwd = path.resolve(options.cwd);
  const project = isProjectDir(cwd);
  const roots = options.roots !== undefined && options.roots.length > 0 ? options.roots.map((dir) => checkedRoot(cwd, dir)) : project ? [cwd] : [];
  const home = path.resolve(os.homedir());
  // A home directory that is the file system root (some containers) must not get /.toolcode.
  const baseDir = options.stateBase !== undefined ? path.resolve(options.stateBase) : project ? cwd : home === path.parse(home).root ? path.join(os.tmpdir(), `toolcode-${os.userInfo().uid}`) : home;
  const stateDir = ensureStateDir(baseDir);
  const input: ConfigInput = {
    mcpServers: {
      filesystem: {
        command: process.execPath,
        args: [binOf("@modelcontextprotocol/server-filesystem", "mcp-server-filesystem"), ...roots],
      },
      memory: {
        command: process.execPath,
        args: [binOf("@modelcontextprotocol/server-memory", "mcp-server-memory")],
        env: { MEMORY_FILE_PATH: path.join(stateDir, "memory.jsonl") },
      },
    },
    skills: { dir: path.join(stateDir, "skills") },
  };
  const why = options.roots !== undefined && options.roots.length > 0 ? "--root" : "the working directory is a project directory";
  const notice =
    roots.length > 0
      ? `${EXPOSES_NOTICE.slice(0, -1)}${roots.join(", ")} (${why}), read-only; state in ${stateDir}. Pass --root DIR (repeatable) to expose other directories.`
      : `embedded default: filesystem exposes no directory: ${cwd === path.parse(cwd).root ? `${cwd} is the file system root` : cwd === home ? `${cwd} is the home directory` : `${cwd} is not a project directory (it has none of ${PROJECT_MARKERS.join(", ")})`}. Pass --root DIR (repeatable), start toolcode from a project directory, or use a client that sends MCP roots (\`toolcode serve\` passes them on). State in ${stateDir}.`;
  return { input, baseDir, roots, notices: [notice] };
}

/**
 * The default config's servers with the filesystem server rooted at `root` and state in
 * `<root>/.toolcode` (for embedding and tests; the CLI uses {@link defaultConfig}).
 */
export function defaultConfigInput(root: string): ConfigInput {
  return defaultConfig({ cwd: root, roots: [root], stateBase: root }).input;
}

/** A `--root` directory, resolved; it must exist and be a directory. */
function checkedRoot(cwd: string, dir: string): string {
  const resolved = path.resolve(cwd, dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(resolved).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) throw new ToolcodeError("USAGE", `--root ${dir}: ${resolved} is not a directory. Pass an existing directory.`, { root: resolved });
  return resolved;
}

/**
 * Creates `<baseDir>/.toolcode` (the default config's state: memory graph, skills).
 *
 * @throws ToolcodeError `STATE_DIR_UNAVAILABLE` naming the directory and what to do.
 */
export function ensureStateDir(baseDir: string): string {
  const dir = path.join(baseDir, STATE_DIR_NAME);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ToolcodeError(
      "STATE_DIR_UNAVAILABLE",
      `Cannot create the state directory ${dir} (${code}: ${(error as Error).message}). Run toolcode from a directory you can write to, make ${baseDir} writable, or pass --config with a config file (its state goes beside it).`,
      { path: dir, errno: code },
      { cause: error },
    );
  }
  return dir;
}
