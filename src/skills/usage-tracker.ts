/**
 * Usage tracking per skill, persisted in the store's `usage.json`, so unused skills can be found
 * and pruned (`toolcode skills list --unused 30`).
 *
 * Counts are kept in memory per process and merged into the file by one writer queue: each flush
 * takes everything recorded so far, and under the store's usage lock reads the file, adds the
 * counts, and replaces the file atomically. Concurrent executions in one process therefore never
 * lose an update, and neither do several processes sharing the directory (the lock serializes
 * their read-modify-write; the rename keeps readers from seeing a torn file).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { withFileLock, writeFileAtomic } from "../runtime/file-lock.js";

/** How one skill has been used. */
export interface SkillUsage {
  /** Executions that loaded the skill (an `import` or a `skills.<name>` access). */
  imports: number;
  /** Calls of its exported functions from outside the skill. */
  calls: number;
  /** Calls that threw or rejected. */
  failures: number;
  /** Executions that loaded the skill and finished without an error: executions it helped. */
  executions: number;
  /** When an execution last loaded it (ISO), or null if never. */
  lastUsed: string | null;
}

/** What one execution adds to a skill's usage. */
export type UsageDelta = Omit<SkillUsage, "lastUsed"> & { lastUsed?: string };

interface UsageFile {
  version: 1;
  skills: Record<string, SkillUsage>;
}

/** An all-zero usage record. */
export function emptyUsage(): SkillUsage {
  return { imports: 0, calls: 0, failures: 0, executions: 0, lastUsed: null };
}

/** Usage of every skill of one store. */
export class UsageTracker {
  #pending = new Map<string, UsageDelta>();
  #forgotten = new Set<string>();
  #chain: Promise<void> = Promise.resolve();

  /**
   * @param file the store's `usage.json`
   * @param lockFile the lock guarding it (shared by every process using the store)
   */
  constructor(
    readonly file: string,
    private readonly lockFile: string = `${file}.lock`,
  ) {}

  /** Adds one execution's counts for `name` (kept in memory until {@link flush}). */
  record(name: string, delta: UsageDelta): void {
    this.#forgotten.delete(name);
    const current = this.#pending.get(name);
    if (current === undefined) {
      this.#pending.set(name, { ...delta });
      return;
    }
    current.imports += delta.imports;
    current.calls += delta.calls;
    current.failures += delta.failures;
    current.executions += delta.executions;
    if (delta.lastUsed !== undefined && (current.lastUsed === undefined || delta.lastUsed > current.lastUsed)) current.lastUsed = delta.lastUsed;
  }

  /** Drops `name`'s usage (the skill was removed); takes effect with the next {@link flush}. */
  forget(name: string): void {
    this.#pending.delete(name);
    this.#forgotten.add(name);
  }

  /**
   * Writes everything recorded so far. Resolves once it is on disk; never rejects (on an I/O
   * error the counts stay pending for the next flush, and the error is returned).
   */
  flush(): Promise<Error | undefined> {
    const result = this.#chain.then(() => this.#write());
    this.#chain = result.then(() => undefined);
    return result;
  }

  /** Usage of every skill with a record, after flushing this process's pending counts. */
  async read(): Promise<Record<string, SkillUsage>> {
    await this.flush();
    return (await readUsageFile(this.file)).skills;
  }

  async #write(): Promise<Error | undefined> {
    if (this.#pending.size === 0 && this.#forgotten.size === 0) return undefined;
    const pending = this.#pending;
    const forgotten = this.#forgotten;
    this.#pending = new Map();
    this.#forgotten = new Set();
    try {
      await withFileLock(this.lockFile, async () => {
        const data = await readUsageFile(this.file);
        for (const name of forgotten) delete data.skills[name];
        for (const [name, delta] of pending) data.skills[name] = addUsage(data.skills[name] ?? emptyUsage(), delta);
        await writeFileAtomic(this.file, `${JSON.stringify(sortKeys(data), null, 2)}\n`);
      });
      return undefined;
    } catch (error) {
      // Put the counts back so the next flush retries them.
      for (const [name, delta] of pending) this.record(name, delta);
      for (const name of forgotten) if (!this.#pending.has(name)) this.#forgotten.add(name);
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}

/** `usage` plus `delta`. */
export function addUsage(usage: SkillUsage, delta: UsageDelta): SkillUsage {
  return {
    imports: usage.imports + delta.imports,
    calls: usage.calls + delta.calls,
    failures: usage.failures + delta.failures,
    executions: usage.executions + delta.executions,
    lastUsed: delta.lastUsed !== undefined && (usage.lastUsed === null || delta.lastUsed > usage.lastUsed) ? delta.lastUsed : usage.lastUsed,
  };
}

/** Reads a usage file; a missing or unreadable file is an empty one (counts are advisory). */
async function readUsageFile(file: string): Promise<UsageFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { version: 1, skills: {} };
  }
  try {
    const parsed = JSON.parse(text) as { skills?: unknown };
    const skills: Record<string, SkillUsage> = {};
    if (typeof parsed.skills === "object" && parsed.skills !== null) {
      for (const [name, raw] of Object.entries(parsed.skills as Record<string, unknown>)) skills[name] = sanitizeUsage(raw);
    }
    return { version: 1, skills };
  } catch {
    return { version: 1, skills: {} };
  }
}

function sanitizeUsage(raw: unknown): SkillUsage {
  const r = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
  return {
    imports: count(r.imports),
    calls: count(r.calls),
    failures: count(r.failures),
    executions: count(r.executions),
    lastUsed: typeof r.lastUsed === "string" ? r.lastUsed : null,
  };
}

function sortKeys(data: UsageFile): UsageFile {
  return { version: 1, skills: Object.fromEntries(Object.entries(data.skills).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}
