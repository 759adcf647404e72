/**
 * The file state store (`state.dir`, the default): one file per key, named by the key's SHA-256,
 * in a directory of mode 0700 (files 0600). Atomic across processes on one file system:
 * a put writes a temporary file and renames it over the entry; a take renames the entry to a
 * claimed name first (rename is atomic, so exactly one of N takers succeeds), then reads it;
 * put-if-absent links the temporary file to the entry name (fails when it exists).
 *
 * An entry's modification time is its expiry, so the sweep (every minute, bounded) removes
 * expired entries by `stat` alone. When the directory cannot be created or written, the store
 * says so once on stderr and keeps entries in memory instead (lost with the process).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, link, mkdir, open, readFile, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { MemoryStateStore, type StateStore, checkEntry, stateStoreUnavailable } from "./state-store.js";

/** Options of {@link FileStateStore}. */
export interface FileStateStoreOptions {
  dir: string;
  /** Entries kept at most; puts beyond it fail with `STATE_TOO_LARGE` until the sweep frees room (default 100,000). */
  maxEntries?: number;
  /** How often expired entries are swept (default 60 s). */
  sweepMs?: number;
  /** Where the one-time fallback notice goes (default stderr). */
  notice?: (text: string) => void;
}

interface Stored {
  key: string;
  expiresAtMs: number;
  value: string;
}

const ENTRY = ".e";
/** Temporary and claimed files older than this are debris of a killed process. */
const DEBRIS_MS = 10 * 60_000;

/** See the module comment. */
export class FileStateStore implements StateStore {
  readonly #dir: string;
  readonly #maxEntries: number;
  readonly #notice: (text: string) => void;
  readonly #timer: NodeJS.Timeout;
  #ready: Promise<void> | undefined;
  #fallback: MemoryStateStore | undefined;
  #full = false;
  #sweeping: Promise<void> | undefined;

  constructor(options: FileStateStoreOptions) {
    this.#dir = path.resolve(options.dir);
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#notice = options.notice ?? ((text) => process.stderr.write(`${text}\n`));
    this.#timer = setInterval(() => void this.sweep(), options.sweepMs ?? 60_000);
    this.#timer.unref();
  }

  /** `file`, or `memory` after falling back. */
  get kind(): "file" | "memory" {
    return this.#fallback ? "memory" : "file";
  }

  /** The directory entries live in. */
  get dir(): string {
    return this.#dir;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    checkEntry(key, value, ttlMs);
    if (!(await this.#usable())) return this.#fallback?.put(key, value, ttlMs);
    this.#checkRoom();
    const temp = await this.#writeTemp(key, value, ttlMs);
    try {
      await rename(temp, this.#file(key));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw this.#failure("cannot write an entry", error);
    }
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkEntry(key, value, ttlMs);
    if (!(await this.#usable())) return this.#fallback?.putIfAbsent(key, value, ttlMs) ?? false;
    this.#checkRoom();
    const temp = await this.#writeTemp(key, value, ttlMs);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await link(temp, this.#file(key));
          return true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw this.#failure("cannot write an entry", error);
          // An expired entry does not count: remove it (atomically, as a take) and try once more.
          if (attempt === 1 || (await this.get(key)) !== undefined) return false;
          await this.#claim(key);
        }
      }
      return false;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<string | undefined> {
    checkEntry(key);
    if (!(await this.#usable())) return this.#fallback?.get(key);
    let text: string;
    try {
      text = await readFile(this.#file(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw this.#failure("cannot read an entry", error);
    }
    const stored = parse(text, key);
    return stored && stored.expiresAtMs > Date.now() ? stored.value : undefined;
  }

  async take(key: string): Promise<string | undefined> {
    checkEntry(key);
    if (!(await this.#usable())) return this.#fallback?.take(key);
    return this.#claim(key);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.take(key)) !== undefined;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping;
    await this.#fallback?.close();
  }

  /**
   * Removes expired entries and debris of killed processes (at most `maxEntries` × 2 files
   * looked at per sweep), and counts the live ones for the entry cap.
   */
  async sweep(): Promise<void> {
    if (this.#sweeping || this.#fallback || this.#ready === undefined) return this.#sweeping;
    this.#sweeping = (async () => {
      let names: string[];
      try {
        names = await readdir(this.#dir);
      } catch {
        return;
      }
      const now = Date.now();
      let live = 0;
      for (const name of names.slice(0, this.#maxEntries * 2)) {
        const file = path.join(this.#dir, name);
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) continue;
        if (name.endsWith(ENTRY)) {
          if (info.mtimeMs > now) {
            live++;
            continue;
          }
          // Claim before removing, so a concurrent put of a fresh value is never deleted.
          const claimed = `${file}.${randomBytes(6).toString("hex")}.c`;
          if (await rename(file, claimed).then(() => true, () => false)) {
            const again = await readFile(claimed, "utf8").then((t) => parse(t), () => undefined);
            if (again && again.expiresAtMs > now) await rename(claimed, file).catch(() => undefined);
            else await unlink(claimed).catch(() => undefined);
          }
        } else if (name.endsWith(".tmp") || name.endsWith(".c")) {
          if (now - info.ctimeMs > DEBRIS_MS) await unlink(file).catch(() => undefined);
        }
      }
      this.#full = live >= this.#maxEntries;
    })().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  /** Renames the entry to a claimed name (atomic: one winner), reads it, removes it. */
  async #claim(key: string): Promise<string | undefined> {
    const file = this.#file(key);
    const claimed = `${file}.${randomBytes(6).toString("hex")}.c`;
    try {
      await rename(file, claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw this.#failure("cannot claim an entry", error);
    }
    try {
      const stored = parse(await readFile(claimed, "utf8"), key);
      return stored && stored.expiresAtMs > Date.now() ? stored.value : undefined;
    } finally {
      await unlink(claimed).catch(() => undefined);
    }
  }

  /** Writes a temporary file (mode 0600) whose modification time is the entry's expiry. */
  async #writeTemp(key: string, value: string, ttlMs: number): Promise<string> {
    const expiresAtMs = Date.now() + ttlMs;
    const temp = path.join(this.#dir, `${randomBytes(8).toString("hex")}.tmp`);
    try {
      const handle = await open(temp, "wx", 0o600);
      try {
        await handle.writeFile(JSON.stringify({ key, expiresAtMs, value } satisfies Stored));
        await handle.utimes(new Date(), new Date(expiresAtMs));
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw this.#failure("cannot write an entry", error);
    }
    return temp;
  }

  /** Creates the directory on first use; false (after one notice) when the store fell back to memory. */
  async #usable(): Promise<boolean> {
    if (this.#fallback) return false;
    this.#ready ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await access(this.#dir, constants.W_OK);
      void this.sweep();
    })();
    try {
      await this.#ready;
      return true;
    } catch (error) {
      this.useMemory((error as Error).message);
      return false;
    }
  }

  /** Keeps entries in memory from now on (the directory, or the key in it, cannot be written), saying so once on stderr. */
  useMemory(reason: string): void {
    if (this.#fallback) return;
    this.#fallback = new MemoryStateStore({ maxEntries: this.#maxEntries });
    this.#notice(
      `toolcode: the state directory ${this.#dir} cannot be written (${reason}); pending approvals and MCP sessions are kept in memory only and do not survive a restart. Set state.dir to a writable directory (or state.redis) to keep them.`,
    );
  }

  #checkRoom(): void {
    if (this.#full) throw stateStoreUnavailable(`${this.#dir} holds ${this.#maxEntries} entries, its limit`, "Wait for entries to expire (pending approvals expire after policy.approvalTtlSeconds), or resolve pending approvals.");
  }

  #file(key: string): string {
    return path.join(this.#dir, `${createHash("sha256").update(key).digest("hex")}${ENTRY}`);
  }

  #failure(what: string, error: unknown) {
    return stateStoreUnavailable(`${what} in ${this.#dir}`, "Check that the directory (state.dir) is writable and not full, or set state.redis.", error);
  }
}

/** The stored entry, or undefined when it is damaged or (with `key`) belongs to another key. */
function parse(text: string, key?: string): Stored | undefined {
  try {
    const value = JSON.parse(text) as Partial<Stored>;
    if (typeof value.key !== "string" || typeof value.expiresAtMs !== "number" || typeof value.value !== "string") return undefined;
    if (key !== undefined && value.key !== key) return undefined;
    return value as Stored;
  } catch {
    return undefined;
  }
}
