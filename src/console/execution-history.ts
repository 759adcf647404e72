/**
 * The console's memory of what ran: per session, its recent executions and, nested under each,
 * its tool calls with the arguments and results as the guest saw them (PII tokens, not values).
 * Fed by an {@link ExecutionObserver}; bounded whatever a script does: previews are capped, each
 * session holds at most `maxExecutions` executions and `maxSessionChars` characters (the oldest
 * executions go first; calls past the budget are counted, not kept), and at most
 * `maxSessionsPerUser` / `maxSessions` sessions are remembered (least recently active go first).
 *
 * @module
 */
import type { ErrorInfo } from "../errors.js";
import type { ExecuteResult, TokenAccounting } from "../execute/execute-result.js";
import type { ExecutionObserver, ExecutionStart, ExecutionWatch, ToolCallEnd, ToolCallStart } from "../execute/execution-observer.js";

/** Bounds of an {@link ExecutionHistory}. */
export interface HistoryLimits {
  /** Executions kept per session (oldest evicted). */
  maxExecutions: number;
  /** Characters kept per session across code, previews and output (oldest executions evicted). */
  maxSessionChars: number;
  /** Characters of one preview (arguments, a result, the code, the model's text). */
  previewChars: number;
  /** Tool calls kept per execution (later ones are counted in `droppedCalls`). */
  maxCallsPerExecution: number;
  /** Sessions remembered per user and in all. */
  maxSessionsPerUser: number;
  maxSessions: number;
  /** Characters kept per user and in all (the user's, then the largest user's, least recently active sessions go first). */
  maxUserChars: number;
  maxTotalChars: number;
}

/** The defaults (README "Console" states them). */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxExecutions: 50,
  maxSessionChars: 512 * 1024,
  previewChars: 2000,
  maxCallsPerExecution: 200,
  maxSessionsPerUser: 20,
  maxSessions: 500,
  maxUserChars: 4 * 1024 * 1024,
  maxTotalChars: 64 * 1024 * 1024,
};

/** One tool call as the guest made it. */
export interface ToolCallRecord {
  seq: number;
  tool: string;
  /** Policy decision (`allow`, `approve`, `deny`) and the tool's kind (`read`, `write`, `destructive`). */
  decision: string;
  kind: string;
  /** JSON preview of the guest's arguments (capped). */
  arguments: string;
  startedAt: number;
  durationMs?: number;
  /** JSON preview of what the guest got back (capped). */
  result?: string;
  error?: ErrorInfo;
  /** Answered from the approval journal, not the source. */
  replayed?: boolean;
}

/** One execution. */
export interface ExecutionRecord {
  id: string;
  sessionId: string;
  startedAt: number;
  running: boolean;
  code: string;
  /** The approval id this run resumed. */
  approve?: string;
  calls: ToolCallRecord[];
  /** Calls not kept (past `maxCallsPerExecution` or the session's budget). */
  droppedCalls: number;
  durationMs?: number;
  /** The text the model got (capped). */
  text?: string;
  error?: ErrorInfo | null;
  tokens?: TokenAccounting;
  toolCalls?: number;
  truncated?: boolean;
  /** The approval the run stopped for. */
  approval?: { id: string; tool: string; reason: string };
}

/** A session as the console lists it. */
export interface SessionSummary {
  id: string;
  executions: number;
  running: number;
  lastActive: number;
  /** Cumulative tokens of the kept executions. */
  tokens: { output: number; toolResults: number; saved: number };
}

/** What listeners hear: something changed in a user's session. */
export interface HistoryEvent {
  type: "execution" | "call" | "session";
  sessionId: string;
  user: string | null;
  executionId?: string;
}

interface SessionHistory {
  id: string;
  user: string | null;
  executions: ExecutionRecord[];
  chars: number;
  lastActive: number;
}

/** Minimum gap between two `call` events of one execution (a loop of calls stays one trickle). */
const CALL_EVENT_GAP_MS = 200;

/** Bounded per-session history of executions (see the module doc). */
export class ExecutionHistory implements ExecutionObserver {
  readonly limits: HistoryLimits;
  readonly #sessions = new Map<string, SessionHistory>();
  readonly #listeners = new Set<(event: HistoryEvent) => void>();
  /** Characters held per user, and in all. */
  readonly #userChars = new Map<string | null, number>();
  #totalChars = 0;
  #seq = 0;

  constructor(limits: Partial<HistoryLimits> = {}) {
    this.limits = { ...DEFAULT_HISTORY_LIMITS, ...limits };
  }

  /** Remembers a session opened by `user` (the console's own sessions, before their first run). */
  open(sessionId: string, user: string | null): void {
    this.#session(sessionId, user);
    this.#emit({ type: "session", sessionId, user });
  }

  /** The owner of a remembered session; undefined when unknown. */
  owner(sessionId: string): string | null | undefined {
    return this.#sessions.get(sessionId)?.user;
  }

  /** True when `user` may see the session (it is remembered and theirs). */
  owns(sessionId: string, user: string | null): boolean {
    const session = this.#sessions.get(sessionId);
    return session !== undefined && session.user === user;
  }

  /** The user's sessions, most recently active first. */
  sessions(user: string | null): SessionSummary[] {
    const mine = [...this.#sessions.values()].filter((s) => s.user === user);
    return mine.reverse().map((s) => {
      const tokens = { output: 0, toolResults: 0, saved: 0 };
      for (const e of s.executions) {
        tokens.output += e.tokens?.output ?? 0;
        tokens.toolResults += e.tokens?.toolResults ?? 0;
        tokens.saved += e.tokens?.saved ?? 0;
      }
      return { id: s.id, executions: s.executions.length, running: s.executions.filter((e) => e.running).length, lastActive: s.lastActive, tokens };
    });
  }

  /** A session's executions, oldest first; undefined unless the session is the user's. */
  executions(sessionId: string, user: string | null): ExecutionRecord[] | undefined {
    const session = this.#sessions.get(sessionId);
    return session && session.user === user ? session.executions : undefined;
  }

  /** Forgets a session. */
  forget(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (!session) return;
    this.#adjust(session, -session.chars);
    this.#sessions.delete(sessionId);
  }

  /** Characters held for a user, or in all. */
  totalChars(user?: string | null): number {
    return user === undefined ? this.#totalChars : (this.#userChars.get(user) ?? 0);
  }

  /** Characters held for a session (for tests and the bounds). */
  chars(sessionId: string): number {
    return this.#sessions.get(sessionId)?.chars ?? 0;
  }

  /** Sessions remembered in all. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (event: HistoryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  begin(start: ExecutionStart): ExecutionWatch {
    const user = start.user ?? null;
    const session = this.#session(start.sessionId, user);
    const record: ExecutionRecord = {
      id: `ex_${++this.#seq}`,
      sessionId: start.sessionId,
      startedAt: Date.now(),
      running: true,
      code: this.#cap(start.code),
      ...(start.approve !== undefined ? { approve: start.approve } : {}),
      calls: [],
      droppedCalls: 0,
    };
    session.executions.push(record);
    this.#charge(session, record.code.length + 200);
    this.#trim(session, record);
    const emit = (type: HistoryEvent["type"]): void => this.#emit({ type, sessionId: session.id, user, executionId: record.id });
    emit("execution");
    let seq = 0;
    let lastCallEvent = 0;
    return {
      toolCall: (call: ToolCallStart) => {
        seq += 1;
        const kept = this.#keepCall(session, record);
        const entry: ToolCallRecord | undefined = kept
          ? { seq, tool: call.tool.slice(0, 200), decision: call.decision, kind: call.kind, arguments: this.#preview(call.arguments), startedAt: Date.now() }
          : undefined;
        if (entry) {
          record.calls.push(entry);
          this.#charge(session, entry.arguments.length + entry.tool.length + 100);
        } else record.droppedCalls += 1;
        return {
          end: (outcome: ToolCallEnd) => {
            if (!entry || !session.executions.includes(record)) return;
            entry.durationMs = Date.now() - entry.startedAt;
            if (outcome.ok) {
              entry.result = this.#preview(outcome.value);
              entry.replayed = outcome.replayed;
              this.#charge(session, entry.result.length);
            } else {
              entry.error = { code: outcome.error.code, message: this.#cap(outcome.error.message) };
              this.#charge(session, entry.error.message.length + 40);
            }
            this.#trim(session, record);
            const now = Date.now();
            if (now - lastCallEvent >= CALL_EVENT_GAP_MS) {
              lastCallEvent = now;
              emit("call");
            }
          },
        };
      },
      finish: (result: ExecuteResult) => {
        record.running = false;
        record.durationMs = result.metadata.durationMs;
        record.text = this.#cap(result.text);
        record.error = result.error ? { code: result.error.code, message: this.#cap(result.error.message) } : null;
        record.tokens = result.metadata.tokens;
        record.toolCalls = result.metadata.toolCalls;
        record.truncated = result.metadata.truncated;
        if (result.approval) record.approval = { id: result.approval.id, tool: result.approval.tool, reason: result.approval.reason };
        if (!session.executions.includes(record)) return;
        this.#charge(session, record.text.length + (record.error?.message.length ?? 0) + 200);
        this.#trim(session, record);
        emit("execution");
      },
    };
  }

  #session(id: string, user: string | null): SessionHistory {
    let session = this.#sessions.get(id);
    // A session id is one user's: another user's run under it (refused by the session store) is not kept.
    if (session && session.user !== user) return { id, user, executions: [], chars: 0, lastActive: 0 };
    if (session) {
      // Most recently active last (Map order), so eviction takes the front.
      this.#sessions.delete(id);
    } else {
      session = { id, user, executions: [], chars: 0, lastActive: 0 };
      this.#evictFor(user);
    }
    session.lastActive = Date.now();
    this.#sessions.set(id, session);
    return session;
  }

  /** Makes room for one more session of `user`: that user's oldest first, then the oldest of all. */
  #evictFor(user: string | null): void {
    const mine = [...this.#sessions.values()].filter((s) => s.user === user);
    for (let i = 0; i <= mine.length - this.limits.maxSessionsPerUser; i += 1) this.forget(mine[i]!.id);
    while (this.#sessions.size >= this.limits.maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
  }

  /** Past the per-user or total budget: forgets least recently active sessions, never `keep`. */
  #fit(keep: SessionHistory): void {
    const oldestOf = (user: string | null): SessionHistory | undefined => {
      for (const s of this.#sessions.values()) if (s.user === user && s !== keep) return s;
      return undefined;
    };
    while ((this.#userChars.get(keep.user) ?? 0) > this.limits.maxUserChars) {
      const gone = oldestOf(keep.user);
      if (!gone) break;
      this.forget(gone.id);
    }
    while (this.#totalChars > this.limits.maxTotalChars) {
      // The user holding the most gives first, so one tenant's bulk costs that tenant.
      let largest: string | null = keep.user;
      let most = -1;
      for (const [user, chars] of this.#userChars) {
        const candidate = oldestOf(user);
        if (candidate && chars > most) {
          most = chars;
          largest = user;
        }
      }
      const gone = most >= 0 ? oldestOf(largest) : undefined;
      if (!gone) break;
      this.forget(gone.id);
    }
  }

  /** Adds `delta` characters to a session (and, when it is remembered, to its user's and the total). */
  #adjust(session: SessionHistory, delta: number): void {
    session.chars += delta;
    if (this.#sessions.get(session.id) !== session) return;
    this.#totalChars += delta;
    const next = (this.#userChars.get(session.user) ?? 0) + delta;
    if (next <= 0) this.#userChars.delete(session.user);
    else this.#userChars.set(session.user, next);
  }

  #keepCall(session: SessionHistory, record: ExecutionRecord): boolean {
    if (record.calls.length >= this.limits.maxCallsPerExecution) return false;
    // A call (arguments + result) needs room for two previews within the session's budget.
    return session.chars + 2 * this.limits.previewChars + 300 <= this.limits.maxSessionChars || this.#evictOldest(session, record);
  }

  /** Drops the session's oldest other execution; false when there is none left to drop. */
  #evictOldest(session: SessionHistory, keep: ExecutionRecord): boolean {
    const index = session.executions.findIndex((e) => e !== keep);
    if (index < 0) return false;
    const [gone] = session.executions.splice(index, 1);
    this.#adjust(session, -recordChars(gone!));
    return session.chars + 2 * this.limits.previewChars + 300 <= this.limits.maxSessionChars || this.#evictOldest(session, keep);
  }

  /** Evicts the oldest executions (never `current`) past the count or the character budget. */
  #trim(session: SessionHistory, current: ExecutionRecord): void {
    while (session.executions.length > this.limits.maxExecutions || session.chars > this.limits.maxSessionChars) {
      const index = session.executions.findIndex((e) => e !== current);
      if (index < 0) break;
      const [gone] = session.executions.splice(index, 1);
      this.#adjust(session, -recordChars(gone!));
    }
    this.#fit(session);
  }

  #charge(session: SessionHistory, chars: number): void {
    this.#adjust(session, chars);
    session.lastActive = Date.now();
  }

  #cap(text: string): string {
    const max = this.limits.previewChars;
    return text.length > max ? `${text.slice(0, max)}… (${text.length} chars in all)` : text;
  }

  #preview(value: unknown): string {
    let text: string;
    try {
      text = typeof value === "string" ? JSON.stringify(value.length > this.limits.previewChars ? value.slice(0, this.limits.previewChars) : value) : (JSON.stringify(value) ?? "undefined");
    } catch {
      text = "(not JSON)";
    }
    return this.#cap(text);
  }

  #emit(event: HistoryEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener (a closed stream) must not break the run.
      }
    }
  }
}

/** The characters an execution was charged (the same sums as `begin` / `toolCall` / `finish`). */
function recordChars(record: ExecutionRecord): number {
  let chars = record.code.length + 200;
  for (const call of record.calls) chars += call.arguments.length + call.tool.length + 100 + (call.result?.length ?? 0) + (call.error ? call.error.message.length + 40 : 0);
  if (!record.running) chars += (record.text?.length ?? 0) + (record.error?.message.length ?? 0) + 200;
  return chars;
}
