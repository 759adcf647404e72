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
import { PiiVault } from "../guard/pii-vault.js";
import { Workspace } from "./workspace.js";

/** One session's state. */
export interface Session {
  readonly id: string;
  /** The user who opened it (null: no user, e.g. the library's default). */
  readonly user: string | null;
  readonly workspace: Workspace;
  /** PII vault and pending approvals, held in host memory only. */
  readonly guard: GuardSessionState;
  lastUsed: number;
  /** Counter for spill file names. */
  spills: number;
}

/** Options for {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Directory under which each session gets `<id>/`. */
  root: string;
  maxBytes: number;
  /** Sessions idle longer than this are removed. */
  idleMs: number;
  /** Keep workspaces on {@link SessionStore.close} (an operator-chosen `workspace.dir`). */
  keepOnClose?: boolean;
  /** Creates a new session's guard state (default: an empty vault that tokenizes nothing, no approvals). */
  newGuardState?: () => GuardSessionState;
}

const SESSION_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** Creates, finds and expires sessions. */
export class SessionStore {
  readonly #sessions = new Map<string, Promise<Session>>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly options: SessionStoreOptions) {
    this.#timer = setInterval(() => void this.sweep(), Math.min(60_000, Math.max(1000, options.idleMs / 4)));
    this.#timer.unref();
  }

  /** A new random session id. */
  static newId(): string {
    return randomUUID();
  }

  /**
   * Returns the session, creating it (and its workspace directory) on first use for `user`.
   * A session of another user is `SESSION_NOT_FOUND`, as if it did not exist.
   */
  async get(id: string, user: string | null = null): Promise<Session> {
    if (!SESSION_ID.test(id)) {
      throw new ToolcodeError("INVALID_ARGUMENTS", `Invalid session id "${id.slice(0, 40)}": use 1–128 letters, digits, "_", "-" or ".".`, { sessionId: id });
    }
    let entry = this.#sessions.get(id);
    if (!entry) {
      entry = Workspace.open(path.join(this.options.root, id), { maxBytes: this.options.maxBytes }).then((workspace) => ({
        id,
        user,
        workspace,
        guard: this.options.newGuardState?.() ?? { vault: new PiiVault({ kinds: [], fields: [] }), approvals: new ApprovalBook() },
        lastUsed: Date.now(),
        spills: 0,
      }));
      this.#sessions.set(id, entry);
      entry.catch(() => this.#sessions.delete(id));
    }
    const session = await entry;
    if (session.user !== user) {
      throw new ToolcodeError("SESSION_NOT_FOUND", `No session "${id}" for this user. Omit the session id to start a new session.`, { sessionId: id });
    }
    session.lastUsed = Date.now();
    return session;
  }

  /** Ends a session now and removes its workspace. */
  async end(id: string): Promise<void> {
    const entry = this.#sessions.get(id);
    this.#sessions.delete(id);
    if (entry) await (await entry).workspace.destroy();
  }

  /** Removes sessions idle for longer than `idleMs`. */
  async sweep(now = Date.now()): Promise<string[]> {
    const expired: string[] = [];
    for (const [id, entry] of this.#sessions) {
      const session = await entry.catch(() => undefined);
      if (session && now - session.lastUsed > this.options.idleMs) expired.push(id);
    }
    await Promise.all(expired.map((id) => this.end(id)));
    return expired;
  }

  /** Ends every session (removing workspaces unless `keepOnClose`). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.options.keepOnClose) this.#sessions.clear();
    else await Promise.all([...this.#sessions.keys()].map((id) => this.end(id)));
  }
}
