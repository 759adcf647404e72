/**
 * The state store: a small key/value store with TTLs that outlives one process, for the state a
 * run needs after a restart or on another replica (pending approvals with their journals and
 * the PII vault entries they reference). Values are opaque strings (callers encrypt them).
 *
 * Implementations: a directory of files (`state.dir`, the default), Redis (`state.redis`), and
 * memory (the fallback when the directory cannot be written; tests). Every operation is atomic
 * across the processes sharing the store: of N concurrent {@link StateStore.take}s of one key,
 * exactly one gets the value.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";

/** The operations callers need; each is atomic across every process sharing the store. */
export interface StateStore {
  /** `file`, `redis` or `memory`. */
  readonly kind: "file" | "redis" | "memory";
  /** Stores `value` under `key` for `ttlMs` (replacing any value). */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores `value` only when `key` holds no live value; true when it was stored. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The live value of `key`, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Gets and deletes `key` in one step: of concurrent takers exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** Deletes `key`; true when it held a live value. */
  delete(key: string): Promise<boolean>;
  /**
   * Compare-and-set: stores `value` only when `key` holds exactly `expected` now (`undefined`:
   * no live value); true when it was stored. Only the shared stores (Redis, memory) have it: the
   * shared workspace needs it and is used only with `state.redis`.
   */
  replace?(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean>;
  /** Sets the TTL of the live keys among `keys` (at most 1,000) to `ttlMs`. Same stores as {@link replace}. */
  expire?(keys: readonly string[], ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Longest key (characters of `[A-Za-z0-9:_.-]`). */
export const MAX_STATE_KEY_CHARS = 200;
/** Largest value a store accepts (UTF-16 code units; values are ASCII: base64 ciphertext). */
export const MAX_STATE_VALUE_CHARS = 16 * 1024 * 1024;
/** Longest TTL a store accepts (30 days). */
export const MAX_STATE_TTL_MS = 30 * 24 * 3600 * 1000;

const KEY = /^[A-Za-z0-9:_.-]+$/;

/**
 * Checks a key, a value and a TTL before any store touches them.
 *
 * @throws ToolcodeError `INVALID_ARGUMENTS` for a malformed key or TTL, `STATE_TOO_LARGE` for a value over {@link MAX_STATE_VALUE_CHARS}.
 */
export function checkEntry(key: string, value?: string, ttlMs?: number): void {
  if (key.length === 0 || key.length > MAX_STATE_KEY_CHARS || !KEY.test(key)) {
    throw new ToolcodeError("INVALID_ARGUMENTS", `State key "${key.slice(0, 80)}" is invalid: use 1–${MAX_STATE_KEY_CHARS} characters of A-Z a-z 0-9 : _ . -.`, { key: key.slice(0, 80) });
  }
  if (value !== undefined && value.length > MAX_STATE_VALUE_CHARS) {
    throw new ToolcodeError("STATE_TOO_LARGE", `State value of ${value.length} characters is over the store's limit of ${MAX_STATE_VALUE_CHARS}; it was not stored.`, { chars: value.length, max: MAX_STATE_VALUE_CHARS });
  }
  if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs < 1 || ttlMs > MAX_STATE_TTL_MS)) {
    throw new ToolcodeError("INVALID_ARGUMENTS", `State TTL ${ttlMs} ms is out of range: use 1 ms to ${MAX_STATE_TTL_MS} ms (30 days).`, { ttlMs });
  }
}

/** Most keys one {@link StateStore.expire} call takes. */
export const MAX_EXPIRE_KEYS = 1000;

/** Checks the keys and TTL of {@link StateStore.expire}. */
export function checkKeys(keys: readonly string[], ttlMs: number): void {
  if (keys.length > MAX_EXPIRE_KEYS) throw new ToolcodeError("INVALID_ARGUMENTS", `expire takes at most ${MAX_EXPIRE_KEYS} keys (got ${keys.length}); split the call.`, { keys: keys.length, max: MAX_EXPIRE_KEYS });
  for (const key of keys) checkEntry(key, undefined, ttlMs);
}

/** A store in this process's memory: what the others fall back to; lost with the process. */
export class MemoryStateStore implements StateStore {
  readonly kind = "memory" as const;
  readonly #entries = new Map<string, { value: string; expiresAtMs: number }>();
  /** At most this many entries; the ones closest to expiry go first. */
  readonly #maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    checkEntry(key, value, ttlMs);
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    this.#bound();
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkEntry(key, value, ttlMs);
    if (this.#live(key) !== undefined) return false;
    this.#entries.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    this.#bound();
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    checkEntry(key);
    return this.#live(key);
  }

  async take(key: string): Promise<string | undefined> {
    checkEntry(key);
    const value = this.#live(key);
    this.#entries.delete(key);
    return value;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.take(key)) !== undefined;
  }

  async replace(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    checkEntry(key, value, ttlMs);
    if (this.#live(key) !== expected) return false;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    this.#bound();
    return true;
  }

  async expire(keys: readonly string[], ttlMs: number): Promise<void> {
    checkKeys(keys, ttlMs);
    for (const key of keys) {
      const value = this.#live(key);
      if (value !== undefined) this.#entries.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    }
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #live(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #bound(): void {
    if (this.#entries.size <= this.#maxEntries) return;
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAtMs <= now) this.#entries.delete(key);
    // Still over: drop the oldest insertions (Map order).
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }
}

/** The error of a store that cannot be reached or written, saying what to do. */
export function stateStoreUnavailable(what: string, fix: string, cause?: unknown): ToolcodeError {
  const reason = cause instanceof Error ? cause.message : cause !== undefined ? String(cause) : "";
  return new ToolcodeError("STATE_STORE_UNAVAILABLE", `The state store is unavailable: ${what}${reason ? ` (${reason})` : ""}. ${fix}`, { what }, { cause });
}
