/**
 * Sessions: what survives between `execute` calls of one client (an MCP session, or an explicit
 * session id in the library) — its workspace, PII vault and pending approvals. A session belongs
 * to the user who opened it. Idle sessions are removed, with everything they hold.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { ToolcodeError } from "../errors.js";
import { ApprovalBook } from "../guard/approvals.js";
import type { GuardSessionState } from "../guard/guard.js";
import { RetryBook } from "../guard/idempotency.js";
import { PiiVault } from "../guard/pii-vault.js";
import { type SessionWorkspace, Workspace } from "./workspace.js";

/** One session's state. */
export interface Session {
  readonly id: string;
  /** The user who opened it (null: no user, e.g. the library's default). */
  readonly user: string | null;
  readonly workspace: SessionWorkspace;
  /** PII vault and pending approvals, held in host memory only. */
  readonly guard: GuardSessionState;
  lastUsed: number;
  /** Executions running in it now (an active session is never expired). */
  active: number;
  /** Counter for spill file names. */
  spills: number;
  /** The guest's `state` object as JSON text, kept between executions. */
  readonly state: { json: string };
}

/** Options for {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Directory under which each session gets `<id>/`. */
  root: string;
  maxBytes: number;
  /** Files per workspace (default unlimited). */
  maxFiles?: number;
  /** Sessions open at once (default unlimited). */
  maxSessions?: number;
  /** Sessions one user may have open at once (default unlimited; sessions without a user count only against `maxSessions`). */
  maxSessionsPerUser?: number;
  /** Sessions idle longer than this are removed. */
  idleMs: number;
  /** Keep workspaces on {@link SessionStore.close} (an operator-chosen `workspace.dir`). */
  keepOnClose?: boolean;
  /** Creates a new session's guard state (default: an empty vault that tokenizes nothing, no approvals). */
  newGuardState?: () => GuardSessionState;
  /**
   * Opens a session's workspace somewhere else than `<root>/<id>` (the shared one in the state
   * store, with `state.redis`). A shared workspace outlives this process's session: idle expiry
   * here only closes it (its records expire by TTL), an explicit end deletes it.
   */
  openWorkspace?: (id: string, user: string | null) => Promise<SessionWorkspace>;
  /** Called when a session ends (ended, expired or closed): what else it holds goes too (its sandbox). */
  onEnd?: (id: string, user: string | null) => void;
}

const SESSION_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Creates, finds and expires sessions. Creation is atomic: two concurrent `get`s of a new id
 * create one session, and the caps are checked and the slot taken in the same synchronous step.
 * A session being ended is gone for new callers at once; a `get` of its id waits until its
 * workspace is removed, then starts a fresh session.
 */
export class SessionStore {
  readonly #sessions = new Map<string, { user: string | null; session: Promise<Session> }>();
  /** Ends in progress, by id: a new session of the same id waits for them. */
  readonly #ending = new Map<string, Promise<void>>();
  readonly #timer: NodeJS.Timeout;
  #closing = false;

  constructor(private readonly options: SessionStoreOptions) {
    this.#timer = setInterval(() => void this.sweep(), Math.min(60_000, Math.max(1000, options.idleMs / 4)));
    this.#timer.unref();
  }

  /** A new random session id. */
  static newId(): string {
    return randomUUID();
  }

  /** True while session `id` is open in this process. */
  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /** Sessions open now (all users, or one user's). */
  count(user?: string | null): number {
    if (user === undefined) return this.#sessions.size;
    let n = 0;
    for (const entry of this.#sessions.values()) if (entry.user === user) n += 1;
    return n;
  }

  /**
   * Returns the session, creating it (and its workspace directory) on first use for `user`.
   * A session of another user is `SESSION_NOT_FOUND`, as if it did not exist. Creating one past
   * `maxSessions` or `maxSessionsPerUser` is `LIMIT_EXCEEDED`.
   */
  async get(id: string, user: string | null = null): Promise<Session> {
    if (!SESSION_ID.test(id)) {
      throw new ToolcodeError("INVALID_ARGUMENTS", `Invalid session id "${id.slice(0, 40)}": use 1–128 letters, digits, "_", "-" or ".".`, { sessionId: id });
    }
    for (let ending = this.#ending.get(id); ending && !this.#sessions.has(id); ending = this.#ending.get(id)) await ending;
    let entry = this.#sessions.get(id);
    if (!entry) {
      this.#checkCaps(user);
      const opened: Promise<SessionWorkspace> = this.options.openWorkspace
        ? this.options.openWorkspace(id, user)
        : Workspace.open(path.join(this.options.root, id), { maxBytes: this.options.maxBytes, ...(this.options.maxFiles !== undefined ? { maxFiles: this.options.maxFiles } : {}) });
      const session = opened.then((workspace): Session => ({
        id,
        user,
        workspace,
        guard: this.options.newGuardState?.() ?? { vault: new PiiVault({ kinds: [], fields: [] }), approvals: new ApprovalBook(), retries: new RetryBook() },
        lastUsed: Date.now(),
        active: 0,
        spills: 0,
        state: { json: "{}" },
      }));
      const created = { user, session };
      entry = created;
      this.#sessions.set(id, created);
      session.catch(() => {
        if (this.#sessions.get(id) === created) this.#sessions.delete(id);
      });
    }
    if (entry.user !== user) {
      throw new ToolcodeError("SESSION_NOT_FOUND", `No session "${id}" for this user. Omit the session id to start a new session.`, { sessionId: id });
    }
    const session = await entry.session;
    session.lastUsed = Date.now();
    await session.workspace.touch?.();
    return session;
  }

  /**
   * {@link get}, and marks the session busy until `release` is called: a busy session is not
   * expired by {@link sweep}.
   */
  async acquire(id: string, user: string | null = null): Promise<{ session: Session; release: () => void }> {
    const session = await this.get(id, user);
    session.active += 1;
    let released = false;
    return {
      session,
      release: () => {
        if (released) return;
        released = true;
        session.active -= 1;
        session.lastUsed = Date.now();
      },
    };
  }

  #checkCaps(user: string | null): void {
    const max = this.options.maxSessions ?? Number.POSITIVE_INFINITY;
    if (this.#sessions.size >= max) {
      throw new ToolcodeError(
        "LIMIT_EXCEEDED",
        `The server has ${this.#sessions.size} sessions open, its limit (sessions.max = ${max}). Reuse an existing session, or retry after idle sessions expire (workspace.idleMinutes); operator: raise sessions.max.`,
        { limit: "sessions.max", max },
      );
    }
    const perUser = this.options.maxSessionsPerUser ?? Number.POSITIVE_INFINITY;
    if (user !== null && this.count(user) >= perUser) {
      throw new ToolcodeError(
        "LIMIT_EXCEEDED",
        `User ${user} has ${perUser} sessions open, the limit per user (sessions.maxPerUser). Close sessions you no longer use, or reuse one; idle ones expire after workspace.idleMinutes. Operator: raise sessions.maxPerUser.`,
        { limit: "sessions.maxPerUser", max: perUser, user },
      );
    }
  }

  /**
   * Ends a session now and removes its workspace. Executions still running in it keep running,
   * but their workspace calls fail with `SESSION_NOT_FOUND`.
   *
   * A shared workspace (`openWorkspace`, state.redis) is removed only by `how: "end"` (the client
   * ended the session): "local" (this process lets go of it: its MCP transport closed, idle expiry
   * here) and the store's close only close it, other replicas may still use it. `user` lets an
   * "end" remove the shared workspace of a session not open in this process.
   */
  async end(id: string, how: "end" | "local" = "end", user?: string | null): Promise<void> {
    const entry = this.#sessions.get(id);
    if (!entry) {
      await this.#ending.get(id);
      if (how === "end" && user !== undefined && this.options.openWorkspace && !this.#sessions.has(id)) {
        await (await this.options.openWorkspace(id, user)).destroy();
      }
      return;
    }
    this.#sessions.delete(id);
    this.options.onEnd?.(id, entry.user);
    const ending = entry.session.then(
      (session) => {
        const keep = session.workspace.shared ? how === "local" || this.#closing : this.options.keepOnClose === true && this.#closing;
        return keep ? session.workspace.close() : session.workspace.destroy();
      },
      () => undefined,
    );
    const tracked = ending.finally(() => {
      if (this.#ending.get(id) === tracked) this.#ending.delete(id);
    });
    this.#ending.set(id, tracked);
    await tracked;
  }

  /** Removes sessions idle for longer than `idleMs` (never one with an execution running). */
  async sweep(now = Date.now()): Promise<string[]> {
    const expired: string[] = [];
    const ends: Promise<void>[] = [];
    for (const [id, entry] of [...this.#sessions]) {
      const session = await entry.session.catch(() => undefined);
      // Checked and ended in one synchronous step: an execution that started meanwhile keeps it.
      if (session && session.active === 0 && now - session.lastUsed > this.options.idleMs && this.#sessions.get(id) === entry) {
        expired.push(id);
        ends.push(this.end(id, "local"));
      }
    }
    await Promise.all(ends);
    return expired;
  }

  /** Ends every session (removing workspaces unless `keepOnClose`). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closing = true;
    await Promise.all([...this.#sessions.keys()].map((id) => this.end(id)));
  }
}
