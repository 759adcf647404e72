/**
 * Session sandboxes (`sandbox.reuse: "session"`): which sandbox worker belongs to which session,
 * and the bounds on how many there are. The pooled engine (./pooled-engine.ts) owns the workers;
 * this book only says which one a session may use, so a worker is never handed to a run of
 * another session or another user.
 *
 * A session is keyed by its user and its id together: the same session id of two users is two
 * sessions (the session store already refuses that, this is defence in depth).
 *
 * @module
 */

/** Bounds of the session sandboxes (`sandbox.sessionSandboxes`). */
export interface SessionSandboxLimits {
  /** Session sandboxes kept at once, all users together. */
  max: number;
  /** Session sandboxes one user holds at once (sessions without a user count only against `max`). */
  maxPerUser: number;
  /** Executions one session sandbox runs before it is replaced by a fresh one. */
  maxRuns: number;
  /** A session sandbox idle this long is stopped (the session's next execution gets a fresh one). */
  idleMs: number;
}

/** The defaults of `sandbox.sessionSandboxes`. */
export const DEFAULT_SESSION_SANDBOXES: SessionSandboxLimits = { max: 16, maxPerUser: 4, maxRuns: 100, idleMs: 300_000 };

/** Who runs an execution, as the engine sees it. */
export interface SessionRef {
  id: string;
  user: string | null;
}

/** The key of a session (user and id). */
export function sessionKey(session: SessionRef): string {
  return JSON.stringify([session.user, session.id]);
}

/** Session → its sandbox, with the bounds checked and the claim taken in one synchronous step. */
export class SessionSandboxes<Slot> {
  readonly limits: SessionSandboxLimits;
  readonly #byKey = new Map<string, { slot: Slot; user: string | null }>();
  readonly #perUser = new Map<string, number>();

  constructor(limits: Partial<SessionSandboxLimits> = {}) {
    const merged = { ...DEFAULT_SESSION_SANDBOXES, ...limits };
    this.limits = {
      max: Math.max(1, Math.floor(merged.max)),
      maxPerUser: Math.max(1, Math.floor(merged.maxPerUser)),
      maxRuns: Math.max(1, Math.floor(merged.maxRuns)),
      idleMs: Math.max(1, Math.floor(merged.idleMs)),
    };
  }

  /** The sandbox of a session, if it has one. */
  get(key: string): Slot | undefined {
    return this.#byKey.get(key)?.slot;
  }

  /** Session sandboxes held now. */
  get size(): number {
    return this.#byKey.size;
  }

  /**
   * Gives `slot` to the session `key` of `user`, unless a bound is reached (then false, and the
   * run gets a fresh per-execution sandbox instead).
   */
  claim(key: string, user: string | null, slot: Slot): boolean {
    if (this.#byKey.has(key) || this.#byKey.size >= this.limits.max) return false;
    if (user !== null && (this.#perUser.get(user) ?? 0) >= this.limits.maxPerUser) return false;
    this.#byKey.set(key, { slot, user });
    if (user !== null) this.#perUser.set(user, (this.#perUser.get(user) ?? 0) + 1);
    return true;
  }

  /** Forgets the session's sandbox if it is `slot` (a stale release is a no-op). */
  release(key: string, slot: Slot): void {
    const entry = this.#byKey.get(key);
    if (entry === undefined || entry.slot !== slot) return;
    this.#byKey.delete(key);
    if (entry.user === null) return;
    const n = (this.#perUser.get(entry.user) ?? 1) - 1;
    if (n <= 0) this.#perUser.delete(entry.user);
    else this.#perUser.set(entry.user, n);
  }
}
