/**
 * A session's workspace kept in the shared state store (`state.redis`), so a file written
 * through one replica is read through another.
 *
 * Layout: one small **index** record per session (`ws:<user hash>:<session id>`: path → bytes,
 * modified, blob id) and one **blob** record per file version (`wsf:<user hash>:<session id>:<blob
 * id>`), each sealed with the state cipher (AAD = its key) and kept for `workspace.idleMinutes`
 * (refreshed when the session is used). A write stores the new blob under a fresh random id, then
 * changes the index by compare-and-set: the quota check (`workspace.maxBytes`, `maxFiles`) runs on
 * the index it replaces, so two replicas writing at once can never overrun it (the loser re-reads
 * and checks again). The blob the index no longer names is deleted after; a crash in between
 * leaves an orphan that expires with its TTL. The index is rewritten on each change (its size is
 * bounded by `maxFiles`). The guest `state` JSON is one more record (`wss:…`), loaded when an
 * execute starts and saved when it ends (last save wins, as within one process).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { ToolcodeError } from "../errors.js";
import { SessionGate } from "./session-gate.js";
import type { StateHandle } from "../runtime/open-state-store.js";
import { MAX_EXPIRE_KEYS, MAX_STATE_VALUE_CHARS, stateStoreUnavailable } from "../runtime/state-store.js";
import type { SessionWorkspace, WorkspaceEntry, WorkspaceOptions } from "./workspace.js";

/** One file of the index. */
interface IndexEntry {
  bytes: number;
  modified: string;
  blob: string;
}

/** The index record. */
interface Index {
  files: Record<string, IndexEntry>;
}

/** Compare-and-set attempts of one change before giving up (others keep winning). */
const MAX_ATTEMPTS = 50;
/** File names a WORKSPACE_NOT_FOUND message lists at most. */
const MAX_LISTED = 50;
/** Longest path (characters) in a shared workspace: keeps the index small. */
const MAX_PATH_CHARS = 1024;

/** Options of {@link StoredWorkspace.open}. */
export interface StoredWorkspaceOptions extends WorkspaceOptions {
  state: StateHandle;
  sessionId: string;
  user: string | null;
  /** Lifetime of the records without use (the session idle expiry). */
  ttlMs: number;
}

/** See the module comment. */
export class StoredWorkspace implements SessionWorkspace {
  readonly shared = true;
  readonly #key: string;
  readonly #blobPrefix: string;
  readonly #stateKey: string;
  /** Changes of this instance run one at a time (fewer lost compare-and-sets). */
  readonly #gate = new SessionGate();
  #touched = 0;

  private constructor(private readonly options: StoredWorkspaceOptions) {
    const owner = createHash("sha256").update(`toolcode-user:${options.user ?? ""}`).digest("hex").slice(0, 32);
    this.#key = `ws:${owner}:${options.sessionId}`;
    this.#blobPrefix = `wsf:${owner}:${options.sessionId}:`;
    this.#stateKey = `wss:${owner}:${options.sessionId}`;
    this.#touched = Date.now();
  }

  /** Opens (nothing is read until the first call). */
  static open(options: StoredWorkspaceOptions): StoredWorkspace {
    if (!options.state.store.replace || !options.state.store.expire) {
      throw new ToolcodeError("CONFIG_INVALID", `The ${options.state.store.kind} state store cannot hold shared workspaces; set state.redis.`, { path: "state.redis" });
    }
    return new StoredWorkspace(options);
  }

  /** The raw index record and its parsed form. */
  async #index(): Promise<{ raw: string | undefined; index: Index }> {
    const raw = await this.options.state.store.get(this.#key);
    if (raw === undefined) return { raw, index: { files: {} } };
    const cipher = await this.options.state.cipher();
    return { raw, index: cipher.open(raw, this.#key) as Index };
  }

  /**
   * Changes the index by compare-and-set; `change` returns the new index (it may throw to refuse)
   * and the blobs that are no longer referenced.
   */
  async #change<T>(change: (index: Index) => { index: Index; result: T; unused: string[] }): Promise<T> {
    const store = this.options.state.store;
    const cipher = await this.options.state.cipher();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const { raw, index } = await this.#index();
      const next = change(index);
      const sealed = cipher.seal(next.index, this.#key);
      if (sealed.length > MAX_STATE_VALUE_CHARS) {
        throw new ToolcodeError("WORKSPACE_QUOTA", "The shared workspace's index of files is full (too many or too long paths). Remove files with workspace.remove(path), or use fewer, shorter paths (operator: workspace.maxFiles).", { limit: "state.redis index size" });
      }
      if (await store.replace!(this.#key, raw, sealed, this.options.ttlMs)) {
        await Promise.all(next.unused.map((blob) => store.delete(this.#blobPrefix + blob).catch(() => false)));
        return next.result;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 5 * (attempt + 1))));
    }
    throw stateStoreUnavailable("the workspace index kept changing under this write (other replicas writing the same session)", "Retry the write; write fewer files at once.");
  }

  async read(file: string): Promise<unknown> {
    this.#gate.assertOpen();
    const target = normalise(file, "read");
    const cipher = await this.options.state.cipher();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { index } = await this.#index();
      const entry = index.files[target];
      if (!entry) {
        if (Object.keys(index.files).some((p) => p.startsWith(`${target}/`))) throw new ToolcodeError("WORKSPACE_PATH", `"${file}" is a directory; use workspace.list("${file}").`, { path: file });
        const listing = Object.keys(index.files).sort();
        const shown = listing.slice(0, MAX_LISTED);
        const more = listing.length > shown.length ? ` and ${listing.length - shown.length} more (workspace.list() shows all)` : "";
        throw new ToolcodeError("WORKSPACE_NOT_FOUND", `No file "${file}" in the workspace. Files: ${shown.join(", ") || "(none)"}${more}.`, { path: file, files: shown });
      }
      const key = this.#blobPrefix + entry.blob;
      const raw = await this.options.state.store.get(key);
      // Replaced or removed meanwhile: read the index again.
      if (raw === undefined) continue;
      const text = cipher.open(raw, key) as string;
      if (!target.endsWith(".json")) return text;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    }
    throw stateStoreUnavailable(`the file "${file}" kept changing while it was read`, "Retry the read.");
  }

  async write(file: string, data: unknown): Promise<{ path: string; bytes: number }> {
    this.#gate.assertOpen();
    const target = normalise(file, "write");
    const text = typeof data === "string" ? data : JSON.stringify(data, null, target.endsWith(".json") ? 2 : undefined);
    if (text === undefined) throw new ToolcodeError("INVALID_ARGUMENTS", "workspace.write(path, data): data must be a string or a JSON-serializable value.", { path: file });
    const bytes = Buffer.byteLength(text);
    if (bytes > this.options.maxBytes) throw quotaBytes(file, bytes, 0, this.options.maxBytes);
    return this.#gate.serial(async () => {
      const store = this.options.state.store;
      const cipher = await this.options.state.cipher();
      const blob = randomBytes(12).toString("hex");
      const blobKey = this.#blobPrefix + blob;
      const sealedText = cipher.seal(text, blobKey);
      if (sealedText.length > MAX_STATE_VALUE_CHARS) {
        throw new ToolcodeError(
          "WORKSPACE_QUOTA",
          `"${file}" is ${bytes.toLocaleString("en-US")} bytes, over the largest file a shared workspace (state.redis) keeps (about ${Math.floor((MAX_STATE_VALUE_CHARS * 3) / 4 / 1024 / 1024)} MB). Split it into smaller files.`,
          { path: file, bytes, limit: "state.redis file size" },
        );
      }
      await store.put(blobKey, sealedText, this.options.ttlMs);
      try {
        return await this.#change((index) => {
          const files = index.files;
          if (Object.keys(files).some((p) => p.startsWith(`${target}/`))) throw new ToolcodeError("WORKSPACE_PATH", `"${file}" is a directory; write to a file inside it, e.g. "${file}/data.json".`, { path: file });
          const parent = ancestors(target).find((dir) => files[dir] !== undefined);
          if (parent !== undefined) {
            throw new ToolcodeError("WORKSPACE_PATH", `workspace.write("${file}") failed: a parent of that path is a file, not a directory. Use another path, e.g. "data/result.json".`, { path: file });
          }
          const existing = files[target];
          const usedBytes = Object.values(files).reduce((sum, e) => sum + e.bytes, 0);
          const count = Object.keys(files).length + (existing ? 0 : 1);
          const used = usedBytes - (existing?.bytes ?? 0) + bytes;
          if (used > this.options.maxBytes) throw quotaBytes(file, bytes, usedBytes, this.options.maxBytes);
          const maxFiles = this.options.maxFiles ?? Number.POSITIVE_INFINITY;
          if (count > maxFiles) {
            throw new ToolcodeError(
              "WORKSPACE_QUOTA",
              `Writing "${file}" would exceed the workspace limit of ${maxFiles.toLocaleString("en-US")} files. Remove files with workspace.remove(path), or put the data in fewer, larger files (operator: workspace.maxFiles).`,
              { path: file, files: count - 1, maxFiles },
            );
          }
          return { index: { files: { ...files, [target]: { bytes, modified: new Date().toISOString(), blob } } }, result: { path: target, bytes }, unused: existing ? [existing.blob] : [] };
        });
      } catch (error) {
        await store.delete(blobKey).catch(() => false);
        throw error;
      }
    });
  }

  async list(dir = "."): Promise<WorkspaceEntry[]> {
    this.#gate.assertOpen();
    const start = normalise(dir, "list", true);
    const { index } = await this.#index();
    return Object.entries(index.files)
      .filter(([p]) => start === "." || p.startsWith(`${start}/`))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([p, e]) => ({ path: p, bytes: e.bytes, modified: e.modified }));
  }

  async remove(file: string): Promise<boolean> {
    this.#gate.assertOpen();
    const target = normalise(file, "remove", true);
    if (target === ".") throw new ToolcodeError("WORKSPACE_PATH", "Refusing to remove the workspace root; remove files one by one.", { path: file });
    return this.#gate.serial(() =>
      this.#change((index) => {
        const files: Record<string, IndexEntry> = {};
        const unused: string[] = [];
        for (const [p, e] of Object.entries(index.files)) {
          if (p === target || p.startsWith(`${target}/`)) unused.push(e.blob);
          else files[p] = e;
        }
        return { index: { files }, result: unused.length > 0, unused };
      }),
    );
  }

  async usage(): Promise<number> {
    return (await this.totals()).bytes;
  }

  async totals(): Promise<{ bytes: number; files: number }> {
    return this.#gate.serial(async () => {
      const { index } = await this.#index();
      const entries = Object.values(index.files);
      return { bytes: entries.reduce((sum, e) => sum + e.bytes, 0), files: entries.length };
    });
  }

  async loadState(): Promise<string | undefined> {
    const raw = await this.options.state.store.get(this.#stateKey);
    if (raw === undefined) return undefined;
    return (await this.options.state.cipher()).open(raw, this.#stateKey) as string;
  }

  async saveState(json: string): Promise<void> {
    this.#gate.assertOpen();
    const cipher = await this.options.state.cipher();
    await this.options.state.store.put(this.#stateKey, cipher.seal(json, this.#stateKey), this.options.ttlMs);
  }

  /** Keeps the records alive for another TTL (at most once per quarter TTL per instance). */
  async touch(now = Date.now()): Promise<void> {
    if (now - this.#touched < this.options.ttlMs / 4) return;
    this.#touched = now;
    const { index } = await this.#index();
    const keys = [this.#key, this.#stateKey, ...Object.values(index.files).map((e) => this.#blobPrefix + e.blob)];
    for (let i = 0; i < keys.length; i += MAX_EXPIRE_KEYS) await this.options.state.store.expire!(keys.slice(i, i + MAX_EXPIRE_KEYS), this.options.ttlMs);
  }

  /** Deletes the index and every file (the session ended for every replica). */
  async destroy(): Promise<void> {
    await this.close();
    const store = this.options.state.store;
    await store.delete(this.#stateKey).catch(() => false);
    const raw = await store.take(this.#key).catch(() => undefined);
    if (raw === undefined) return;
    const cipher = await this.options.state.cipher();
    const index = cipher.open(raw, this.#key) as Index;
    await Promise.all(Object.values(index.files).map((e) => store.delete(this.#blobPrefix + e.blob).catch(() => false)));
  }

  /** Refuses further calls here; the records stay for the other replicas (and expire by TTL). */
  async close(): Promise<void> {
    await this.#gate.close();
  }
}

function quotaBytes(file: string, bytes: number, used: number, quota: number): ToolcodeError {
  return new ToolcodeError(
    "WORKSPACE_QUOTA",
    `Writing ${bytes.toLocaleString("en-US")} bytes to "${file}" would exceed the workspace quota of ${quota.toLocaleString("en-US")} bytes (${used.toLocaleString("en-US")} used). Remove files with workspace.remove(path), or write less (operator: workspace.maxBytes).`,
    { path: file, bytes, used, quota },
  );
}

/** The directories above `file` ("a/b/c" → "a", "a/b"). */
function ancestors(file: string): string[] {
  const parts = file.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** A guest path as the index key ("./a//b" → "a/b"), refusing escapes like the local workspace. */
function normalise(file: unknown, op: string, rootOk = false): string {
  if (typeof file !== "string" || file.length === 0) {
    throw new ToolcodeError("INVALID_ARGUMENTS", `workspace.${op}(path): path must be a non-empty string such as "data/result.json".`, { op });
  }
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes("..") || file.includes("\0")) {
    throw new ToolcodeError("WORKSPACE_PATH", `Path "${file}" is outside the workspace: use a relative path without "..", e.g. "data/result.json".`, { path: file });
  }
  if (file.length > MAX_PATH_CHARS) throw new ToolcodeError("WORKSPACE_PATH", `Path of ${file.length} characters is over the limit of ${MAX_PATH_CHARS}; use a shorter path, e.g. "data/result.json".`, { path: file.slice(0, 80) });
  const normal = path.posix.normalize(file).replace(/\/+$/, "") || ".";
  if (normal === "." && !rootOk) throw new ToolcodeError("WORKSPACE_PATH", `"${file}" is a directory; use workspace.list("${file}").`, { path: file });
  return normal;
}
