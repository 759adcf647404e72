/**
 * A session's workspace: a directory the guest can read and write through the bridge
 * (`workspace.read/write/list/remove`), kept across `execute` calls of one session.
 *
 * Confinement is enforced here, in the host: relative paths only, no `..`, no symlinks (a path
 * whose real location leaves the root is refused), and a byte quota on the whole directory.
 *
 * @module
 */
import { lstat, mkdir, readFile, readdir, realpath, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { ToolcodeError } from "../errors.js";
import { SessionGate } from "./session-gate.js";

/** File names a WORKSPACE_NOT_FOUND message lists at most. */
const MAX_LISTED = 50;

/** One entry of {@link Workspace.list}. */
export interface WorkspaceEntry {
  path: string;
  bytes: number;
  modified: string;
}

/** Limits of a workspace. */
export interface WorkspaceOptions {
  /** Quota on the total size of the directory, in bytes. */
  maxBytes: number;
  /** Quota on the number of files (default unlimited). */
  maxFiles?: number;
}

/**
 * What a session's workspace offers: {@link Workspace} (a local directory, the default) or the
 * shared one in the state store (`stored-workspace.ts`, with `state.redis`).
 */
export interface SessionWorkspace {
  /** True when the files live in the shared state store (other replicas see them). */
  readonly shared: boolean;
  read(file: string): Promise<unknown>;
  write(file: string, data: unknown): Promise<{ path: string; bytes: number }>;
  list(dir?: string): Promise<WorkspaceEntry[]>;
  remove(file: string): Promise<boolean>;
  usage(): Promise<number>;
  totals(): Promise<{ bytes: number; files: number }>;
  /** The guest `state` JSON kept beside a shared workspace (undefined: none yet). */
  loadState?(): Promise<string | undefined>;
  /** Keeps the guest `state` JSON beside a shared workspace (last save wins, as in one process). */
  saveState?(json: string): Promise<void>;
  /** Keeps a shared workspace alive while the session is used. */
  touch?(): Promise<void>;
  /** Deletes the files; later calls fail with `SESSION_NOT_FOUND`. */
  destroy(): Promise<void>;
  /** Later calls fail with `SESSION_NOT_FOUND`; the files stay. */
  close(): Promise<void>;
}

/** Bytes and files stored. */
interface Usage {
  bytes: number;
  files: number;
}

/**
 * A confined directory. Create with {@link Workspace.open}.
 *
 * Quotas are enforced atomically: writes and removals of one workspace run one at a time (a
 * queue), against a running total of bytes and files, so concurrent writes of one session
 * (`Promise.all` of many `workspace.write`) can never overrun `maxBytes` or `maxFiles`.
 */
export class Workspace implements SessionWorkspace {
  readonly shared = false;
  /** Running totals, computed by one walk on the first change, then kept up to date. */
  #usage: Usage | undefined;
  /** Tail of the queue of changes. */
  readonly #gate = new SessionGate();

  private constructor(
    /** Absolute, real path of the root. */
    readonly root: string,
    private readonly options: WorkspaceOptions,
  ) {}

  /** Creates (if needed) and opens the directory. */
  static async open(root: string, options: WorkspaceOptions): Promise<Workspace> {
    await mkdir(root, { recursive: true });
    return new Workspace(await realpath(root), options);
  }

  async #totals(): Promise<Usage> {
    this.#usage ??= await this.#measure(this.root);
    return this.#usage;
  }

  /** Bytes and files under `dir` (a walk of the directory). */
  async #measure(dir: string): Promise<Usage> {
    const usage: Usage = { bytes: 0, files: 0 };
    const walk = async (current: string): Promise<void> => {
      const children = await readdir(current, { withFileTypes: true }).catch(() => []);
      for (const child of children) {
        const full = path.join(current, child.name);
        if (child.isDirectory()) await walk(full);
        else if (child.isFile()) {
          usage.bytes += await stat(full).then((s) => s.size, () => 0);
          usage.files += 1;
        }
      }
    };
    await walk(dir);
    return usage;
  }

  /** Reads a file: parsed JSON for `*.json`, text otherwise. */
  async read(file: string): Promise<unknown> {
    this.#gate.assertOpen();
    const target = await this.resolve(file, "read");
    let text: string;
    try {
      text = await readFile(target, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        const listing = (await this.list()).map((e) => e.path);
        const shown = listing.slice(0, MAX_LISTED);
        const more = listing.length > shown.length ? ` and ${listing.length - shown.length} more (workspace.list() shows all)` : "";
        throw new ToolcodeError("WORKSPACE_NOT_FOUND", `No file "${file}" in the workspace. Files: ${shown.join(", ") || "(none)"}${more}.`, { path: file, files: shown });
      }
      if ((error as NodeJS.ErrnoException).code === "EISDIR") throw new ToolcodeError("WORKSPACE_PATH", `"${file}" is a directory; use workspace.list("${file}").`, { path: file });
      throw fsError("read", file, error);
    }
    if (!file.endsWith(".json")) return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  /**
   * Writes a file (strings as text, anything else as JSON), creating directories. Fails with
   * `WORKSPACE_QUOTA` (nothing written) when the workspace would exceed `maxBytes` or `maxFiles`.
   */
  async write(file: string, data: unknown): Promise<{ path: string; bytes: number }> {
    this.#gate.assertOpen();
    const target = await this.resolve(file, "write");
    const text = typeof data === "string" ? data : JSON.stringify(data, null, file.endsWith(".json") ? 2 : undefined);
    if (text === undefined) throw new ToolcodeError("INVALID_ARGUMENTS", "workspace.write(path, data): data must be a string or a JSON-serializable value.", { path: file });
    const bytes = Buffer.byteLength(text);
    return this.#gate.serial(async () => {
      const usage = await this.#totals();
      const existing = await lstat(target).catch(() => undefined);
      if (existing?.isDirectory()) throw new ToolcodeError("WORKSPACE_PATH", `"${file}" is a directory; write to a file inside it, e.g. "${file}/data.json".`, { path: file });
      const existingBytes = existing?.isFile() ? existing.size : 0;
      const files = usage.files + (existing ? 0 : 1);
      const used = usage.bytes - existingBytes + bytes;
      if (used > this.options.maxBytes) {
        throw new ToolcodeError(
          "WORKSPACE_QUOTA",
          `Writing ${bytes.toLocaleString("en-US")} bytes to "${file}" would exceed the workspace quota of ${this.options.maxBytes.toLocaleString("en-US")} bytes (${usage.bytes.toLocaleString("en-US")} used). Remove files with workspace.remove(path), or write less (operator: workspace.maxBytes).`,
          { path: file, bytes, used: usage.bytes, quota: this.options.maxBytes },
        );
      }
      const maxFiles = this.options.maxFiles ?? Number.POSITIVE_INFINITY;
      if (files > maxFiles) {
        throw new ToolcodeError(
          "WORKSPACE_QUOTA",
          `Writing "${file}" would exceed the workspace limit of ${maxFiles.toLocaleString("en-US")} files. Remove files with workspace.remove(path), or put the data in fewer, larger files (operator: workspace.maxFiles).`,
          { path: file, files: usage.files, maxFiles },
        );
      }
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text);
      } catch (error) {
        this.#usage = undefined; // re-measure on the next change: the write may have been partial
        throw fsError("write", file, error);
      }
      usage.bytes = used;
      usage.files = files;
      return { path: this.relative(target), bytes };
    });
  }

  /** Lists files (recursively) under a directory of the workspace. */
  async list(dir = "."): Promise<WorkspaceEntry[]> {
    this.#gate.assertOpen();
    const start = await this.resolve(dir, "list");
    const entries: WorkspaceEntry[] = [];
    const walk = async (current: string): Promise<void> => {
      const children = await readdir(current, { withFileTypes: true }).catch(() => []);
      for (const child of children.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(current, child.name);
        if (child.isDirectory()) await walk(full);
        else if (child.isFile()) {
          const info = await stat(full);
          entries.push({ path: this.relative(full), bytes: info.size, modified: info.mtime.toISOString() });
        }
      }
    };
    await walk(start);
    return entries;
  }

  /** Removes a file or directory; returns whether something was removed. */
  async remove(file: string): Promise<boolean> {
    this.#gate.assertOpen();
    const target = await this.resolve(file, "remove");
    if (target === this.root) throw new ToolcodeError("WORKSPACE_PATH", "Refusing to remove the workspace root; remove files one by one.", { path: file });
    return this.#gate.serial(async () => {
      const usage = await this.#totals();
      const info = await lstat(target).catch(() => undefined);
      if (!info) return false;
      const removed = info.isDirectory() ? await this.#measure(target) : { bytes: info.isFile() ? info.size : 0, files: info.isFile() ? 1 : 0 };
      try {
        await rm(target, { recursive: true, force: true });
      } catch (error) {
        this.#usage = undefined;
        throw error;
      }
      usage.bytes -= removed.bytes;
      usage.files -= removed.files;
      return true;
    });
  }

  /** Total bytes stored (after every pending change). */
  async usage(): Promise<number> {
    return this.#gate.serial(async () => (await this.#totals()).bytes);
  }

  /** Bytes and files stored (after every pending change). */
  async totals(): Promise<{ bytes: number; files: number }> {
    return this.#gate.serial(async () => ({ ...(await this.#totals()) }));
  }

  /**
   * Deletes the whole directory once pending changes are done; later calls fail with
   * `SESSION_NOT_FOUND` (the session ended).
   */
  async destroy(): Promise<void> {
    await this.close();
    await rm(this.root, { recursive: true, force: true });
  }

  /** Refuses further calls once pending changes are done (the files stay). */
  async close(): Promise<void> {
    await this.#gate.close();
  }

  private relative(target: string): string {
    return path.relative(this.root, target).split(path.sep).join("/") || ".";
  }

  /** Maps a guest path to an absolute path inside the root, refusing escapes. */
  private async resolve(file: unknown, op: string): Promise<string> {
    if (typeof file !== "string" || file.length === 0) {
      throw new ToolcodeError("INVALID_ARGUMENTS", `workspace.${op}(path): path must be a non-empty string such as "data/result.json".`, { op });
    }
    if (path.isAbsolute(file) || file.split(/[\\/]/).includes("..") || file.includes("\0")) {
      throw new ToolcodeError("WORKSPACE_PATH", `Path "${file}" is outside the workspace: use a relative path without "..", e.g. "data/result.json".`, { path: file });
    }
    const target = path.resolve(this.root, file);
    // Refuse symlinks anywhere on the way: walk up to the first existing ancestor and compare real paths.
    let probe = target;
    while (probe !== this.root && probe.startsWith(this.root)) {
      const info = await lstat(probe).catch(() => undefined);
      if (info?.isSymbolicLink()) {
        throw new ToolcodeError("WORKSPACE_PATH", `Path "${file}" goes through a symbolic link; the workspace does not follow links.`, { path: file });
      }
      if (info) {
        const real = await realpath(probe);
        if (real !== this.root && !real.startsWith(this.root + path.sep)) {
          throw new ToolcodeError("WORKSPACE_PATH", `Path "${file}" resolves outside the workspace.`, { path: file });
        }
        break;
      }
      probe = path.dirname(probe);
    }
    return target;
  }
}

/**
 * A file-system failure inside the workspace as `WORKSPACE_PATH`, naming the guest's relative
 * path and the system error code only (Node's own message holds the absolute host path).
 */
function fsError(op: string, file: string, error: unknown): ToolcodeError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === "ENOTDIR" || code === "EEXIST"
      ? "a parent of that path is a file, not a directory"
      : code === "EISDIR"
        ? "that path is a directory"
        : code === "ENOSPC" || code === "EDQUOT"
          ? "the host is out of disk space"
          : `the host file system refused (${code ?? "unknown error"})`;
  return new ToolcodeError("WORKSPACE_PATH", `workspace.${op}("${file}") failed: ${why}. Use another path, e.g. "data/result.json".`, { path: file, ...(code !== undefined ? { errno: code } : {}) });
}
