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
}

/** A confined directory. Create with {@link Workspace.open}. */
export class Workspace {
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

  /** Reads a file: parsed JSON for `*.json`, text otherwise. */
  async read(file: string): Promise<unknown> {
    const target = await this.resolve(file, "read");
    let text: string;
    try {
      text = await readFile(target, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        const listing = (await this.list()).map((e) => e.path);
        throw new ToolcodeError("WORKSPACE_NOT_FOUND", `No file "${file}" in the workspace. Files: ${listing.join(", ") || "(none)"}.`, { path: file, files: listing });
      }
      if ((error as NodeJS.ErrnoException).code === "EISDIR") throw new ToolcodeError("WORKSPACE_PATH", `"${file}" is a directory; use workspace.list("${file}").`, { path: file });
      throw error;
    }
    if (!file.endsWith(".json")) return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  /** Writes a file (strings as text, anything else as JSON), creating directories. */
  async write(file: string, data: unknown): Promise<{ path: string; bytes: number }> {
    const target = await this.resolve(file, "write");
    const text = typeof data === "string" ? data : JSON.stringify(data, null, file.endsWith(".json") ? 2 : undefined);
    if (text === undefined) throw new ToolcodeError("INVALID_ARGUMENTS", "workspace.write(path, data): data must be a string or a JSON-serializable value.", { path: file });
    const bytes = Buffer.byteLength(text);
    const existing = await stat(target).then((s) => s.size, () => 0);
    const used = await this.usage();
    if (used - existing + bytes > this.options.maxBytes) {
      throw new ToolcodeError(
        "WORKSPACE_QUOTA",
        `Writing ${bytes.toLocaleString("en-US")} bytes to "${file}" would exceed the workspace quota of ${this.options.maxBytes.toLocaleString("en-US")} bytes (${used.toLocaleString("en-US")} used). Remove files with workspace.remove(path), or write less (operator: workspace.maxBytes).`,
        { path: file, bytes, used, quota: this.options.maxBytes },
      );
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
    return { path: this.relative(target), bytes };
  }

  /** Lists files (recursively) under a directory of the workspace. */
  async list(dir = "."): Promise<WorkspaceEntry[]> {
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
    const target = await this.resolve(file, "remove");
    if (target === this.root) throw new ToolcodeError("WORKSPACE_PATH", "Refusing to remove the workspace root; remove files one by one.", { path: file });
    const existed = await lstat(target).then(() => true, () => false);
    await rm(target, { recursive: true, force: true });
    return existed;
  }

  /** Total bytes stored. */
  async usage(): Promise<number> {
    return (await this.list()).reduce((sum, e) => sum + e.bytes, 0);
  }

  /** Deletes the whole directory. */
  async destroy(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
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
