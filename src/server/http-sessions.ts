/**
 * The MCP sessions of `serve --http`: who owns each, the caps on how many one user and all users
 * may hold (`sessions.maxPerUser`, `sessions.max`), and idle expiry (`workspace.idleMinutes`).
 *
 * A slot is taken synchronously when an `initialize` request is accepted, before anything is
 * awaited, so concurrent initializes can never overrun a cap. A session with a request in
 * flight (a running `execute`) is never expired; an expired session is closed, which ends its
 * execute session (workspace, PII vault, approvals).
 *
 * @module
 */
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** One MCP session. */
export interface HttpSession {
  readonly id: string;
  readonly user: string | undefined;
  transport: StreamableHTTPServerTransport | undefined;
  lastSeen: number;
  /** POST requests being handled now. */
  inFlight: number;
}

/** Limits of {@link HttpSessions}. */
export interface HttpSessionLimits {
  max: number;
  maxPerUser: number;
  idleMs: number;
}

/** Why {@link HttpSessions.reserve} refused. */
export interface SessionRefusal {
  limit: "sessions.max" | "sessions.maxPerUser";
  message: string;
}

/** The registry. */
export class HttpSessions {
  readonly #sessions = new Map<string, HttpSession>();
  readonly #perUser = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly limits: HttpSessionLimits) {
    this.#timer = setInterval(() => void this.sweep(), Math.min(60_000, Math.max(250, limits.idleMs / 4)));
    this.#timer.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** True while a session `id` is open here (whoever owns it). */
  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /** The session `id` if `user` owns it (another user's session is reported as unknown). */
  get(id: string | undefined, user: string | undefined): HttpSession | undefined {
    const session = id === undefined ? undefined : this.#sessions.get(id);
    return session && session.user === user ? session : undefined;
  }

  /** Takes a slot for a new session of `user`, or says which cap refuses it. */
  reserve(id: string, user: string | undefined): HttpSession | SessionRefusal {
    if (this.#sessions.size >= this.limits.max) {
      return {
        limit: "sessions.max",
        message: `LIMIT_EXCEEDED: the server has ${this.#sessions.size} open sessions, its limit (sessions.max). Retry later; idle sessions expire after workspace.idleMinutes.`,
      };
    }
    const owned = user === undefined ? 0 : (this.#perUser.get(user) ?? 0);
    if (user !== undefined && owned >= this.limits.maxPerUser) {
      return {
        limit: "sessions.maxPerUser",
        message: `LIMIT_EXCEEDED: user ${user} has ${owned} open sessions, the limit per user (sessions.maxPerUser). Close sessions you no longer use (HTTP DELETE with their mcp-session-id) or reuse one; idle ones expire after workspace.idleMinutes.`,
      };
    }
    const session: HttpSession = { id, user, transport: undefined, lastSeen: Date.now(), inFlight: 0 };
    this.#sessions.set(id, session);
    if (user !== undefined) this.#perUser.set(user, owned + 1);
    return session;
  }

  /** Forgets a session (its transport closed). */
  remove(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    if (session.user !== undefined) {
      const n = (this.#perUser.get(session.user) ?? 1) - 1;
      if (n <= 0) this.#perUser.delete(session.user);
      else this.#perUser.set(session.user, n);
    }
  }

  /** Marks a request of the session as started; call the returned function when it ends. */
  /** Requests being answered now, over all sessions. */
  get inFlight(): number {
    let total = 0;
    for (const session of this.#sessions.values()) total += session.inFlight;
    return total;
  }

  begin(session: HttpSession): () => void {
    session.inFlight += 1;
    session.lastSeen = Date.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      session.inFlight -= 1;
      session.lastSeen = Date.now();
    };
  }

  /** Closes sessions idle past `idleMs` with no request in flight; returns their ids. */
  async sweep(now = Date.now()): Promise<string[]> {
    const expired = [...this.#sessions.values()].filter((s) => s.inFlight === 0 && now - s.lastSeen > this.limits.idleMs);
    for (const session of expired) this.remove(session.id);
    await Promise.allSettled(expired.map((s) => s.transport?.close()));
    return expired.map((s) => s.id);
  }

  /** Closes every session and stops the expiry timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    this.#perUser.clear();
    await Promise.allSettled(all.map((s) => s.transport?.close()));
  }
}
