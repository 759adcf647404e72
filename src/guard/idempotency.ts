/**
 * Never write twice: idempotency keys for write calls, the report of what an execution wrote
 * before it failed, and the per-session retry journal that lets a retry replay those writes.
 *
 * Every write or destructive call (by the policy's kind) gets the key
 * `toolcode-<executionId>-<n>`: the execution that first made it and its position among that
 * run's write calls (1-based). OpenAPI sources send it as `Idempotency-Key` on non-GET requests,
 * and the journal records it with the call's outcome. A retry (`retryOf: <executionId>`) keeps
 * the first run's id in its keys, so a write re-sent after an unknown outcome carries the same
 * key and an API that honours it applies it once.
 *
 * A failed execution reports one of:
 * - `EXECUTION_NOT_STARTED`: the script never ran (type-check, limits, a pending plan): nothing
 *   happened, run it again (`retry: "safe"`);
 * - `FAILED_BEFORE_WRITES`: it ran, but no write was attempted (`retry: "safe"`);
 * - `INTERRUPTED_AFTER_WRITES`: writes happened (listed; `uncertain` ones may have): run again
 *   with `retryOf`, and the writes that succeeded are answered from the journal instead of
 *   being repeated (`retry: "replay"`), or `retry: "manual"` when the journal was too large to keep.
 *
 * @module
 */
import type { ErrorCode, ErrorInfo } from "../errors.js";
import { canonicalJson } from "./approvals.js";

/** The idempotency key of the `n`-th write call of the execution chain rooted at `rootId`. */
export function idempotencyKey(rootId: string, n: number): string {
  return `toolcode-${rootId}-${n}`;
}

/** One write call as the journal keeps it. */
export interface WriteRecord {
  /** Position among the run's tool calls (1-based). */
  seq: number;
  /** Position among its write calls (1-based): what a retry matches on. */
  n: number;
  tool: string;
  /** Arguments as the model sees them (PII as tokens). */
  arguments: Record<string, unknown>;
  argsKey: string;
  key: string;
  /** Settled: what the guest got. Absent while in flight or when it ended unknown. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: ErrorInfo };
  /** The write may have happened but its result is unknown (cancelled, timed out, unreachable, 5xx). */
  uncertain?: true;
}

/** A write as a failed execution reports it. */
export interface ReportedWrite {
  seq: number;
  tool: string;
  arguments: Record<string, unknown>;
  key: string;
}

/** The three ways an execution can fail, for a client deciding whether to retry. */
export type ExecutionFailure = Extract<ErrorCode, "EXECUTION_NOT_STARTED" | "FAILED_BEFORE_WRITES" | "INTERRUPTED_AFTER_WRITES">;

/** `error.details.execution` of a failed run. */
export interface ExecutionReport {
  code: ExecutionFailure;
  /** `safe`: nothing was written, run it again; `replay`: run again with `retryOf`; `manual`: check the writes before running again. */
  retry: "safe" | "replay" | "manual";
  /** Writes that succeeded (replayed ones of a retry included). */
  writes: ReportedWrite[];
  /** Writes whose outcome is unknown: they may have happened (a retry re-sends them with the same key). */
  uncertain?: ReportedWrite[];
}

/** Error codes after which a write may still have happened upstream. */
const UNCERTAIN_CODES = new Set<string>(["SOURCE_UNAVAILABLE", "SOURCE_CRASHED", "SANDBOX_TIMEOUT", "SANDBOX_CRASHED", "INTERNAL"]);

/** True when a write that failed with `error` (or was cancelled) may nevertheless have happened. */
export function outcomeUncertain(error: ErrorInfo, aborted: boolean): boolean {
  if (aborted || UNCERTAIN_CODES.has(error.code)) return true;
  const status = error.details?.status;
  if (error.code === "HTTP_ERROR") return typeof status !== "number" || status >= 500;
  return /timed? ?out|timeout|cancel|abort/i.test(error.message) && error.code === "TOOL_ERROR";
}

/** The report of a failed run from its write journal (`started`: the script ran at all). */
export function executionReport(started: boolean, writes: readonly WriteRecord[], kept: boolean): ExecutionReport {
  const done = writes.filter((w) => w.outcome?.ok === true).map(reported);
  const uncertain = writes.filter((w) => w.uncertain === true || w.outcome === undefined).map(reported);
  if (!started) return { code: "EXECUTION_NOT_STARTED", retry: "safe", writes: [] };
  if (done.length === 0 && uncertain.length === 0) return { code: "FAILED_BEFORE_WRITES", retry: "safe", writes: [] };
  return { code: "INTERRUPTED_AFTER_WRITES", retry: kept ? "replay" : "manual", writes: done, ...(uncertain.length > 0 ? { uncertain } : {}) };
}

function reported(write: WriteRecord): ReportedWrite {
  return { seq: write.seq, tool: write.tool, arguments: write.arguments, key: write.key };
}

/** The sentence a failed run's error message gets, saying whether and how to retry. */
export function reportAdvice(report: ExecutionReport, executionId: string): string {
  if (report.code !== "INTERRUPTED_AFTER_WRITES") return "";
  const list = [...report.writes.map((w) => `#${w.seq} ${w.tool}`), ...(report.uncertain ?? []).map((w) => `#${w.seq} ${w.tool} (outcome unknown)`)];
  const shown = list.length > 10 ? `${list.slice(0, 10).join(", ")}, … (${list.length - 10} more)` : list.join(", ");
  return report.retry === "replay"
    ? ` Writes done before it stopped: ${shown}. Do not rerun blindly: to finish, run the fixed or same code with retryOf: "${executionId}"; recorded writes are replayed, not repeated.`
    : ` Writes done before it stopped: ${shown}. They were too large to keep for a replay: check their effect before running anything again.`;
}

/** What a retry of an execution needs: its writes and where its keys come from. */
export interface RetryRecord {
  executionId: string;
  /** The execution whose id the keys carry (the first of a chain of retries). */
  rootId: string;
  sessionId: string;
  /** Every write call of the run, in order (settled, uncertain or in flight at the end). */
  writes: WriteRecord[];
  /** Opaque grant the retry inherits when it runs the same code (the approved plan). */
  grant?: { code: string; value: unknown };
  expiresAtMs: number;
  bytes: number;
  /** Also kept in the state store (a retry takes it from there, so one retry wins across replicas). */
  kept?: boolean;
}

/** Limits of a session's retry journal. */
export interface RetryLimits {
  /** Records kept per session (the oldest goes first). */
  maxRecords: number;
  /** Bytes of all records of a session (arguments and results as JSON); a larger record is not kept. */
  maxBytes: number;
  ttlMs: number;
}

/** Default {@link RetryLimits}. */
export const DEFAULT_RETRY_LIMITS: RetryLimits = { maxRecords: 16, maxBytes: 4 * 1024 * 1024, ttlMs: 900_000 };

/** Approximate size of a record (what it holds as JSON). */
export function recordBytes(writes: readonly WriteRecord[]): number {
  let bytes = 0;
  for (const write of writes) bytes += 64 + write.tool.length + write.key.length + 2 * write.argsKey.length + (write.outcome ? canonicalJson(write.outcome).length : 0);
  return bytes;
}

/**
 * One session's interrupted executions, for `retryOf`. Bounded in count and bytes (oldest
 * dropped), expiring; a record is single-use: a retry claims it (atomically, like an approval),
 * and consumes it when it runs, so two retries of one execution cannot both replay it.
 */
export class RetryBook {
  readonly #records = new Map<string, RetryRecord>();
  readonly #claimed = new Set<string>();
  #bytes = 0;

  constructor(readonly limits: RetryLimits = DEFAULT_RETRY_LIMITS) {}

  /** Keeps `record`; false when it alone is over `maxBytes`. */
  add(record: RetryRecord, now = Date.now()): boolean {
    this.#sweep(now);
    if (record.bytes > this.limits.maxBytes) return false;
    while (this.#records.size > 0 && (this.#records.size >= this.limits.maxRecords || this.#bytes + record.bytes > this.limits.maxBytes)) {
      const oldest = [...this.#records.keys()].find((id) => !this.#claimed.has(id)) ?? this.#records.keys().next().value;
      if (oldest === undefined) break;
      this.#drop(oldest);
    }
    this.#records.set(record.executionId, record);
    this.#bytes += record.bytes;
    return true;
  }

  /** Claims the record of `executionId` for one retry. */
  claim(executionId: string, now = Date.now()): { ok: true; record: RetryRecord } | { ok: false; reason: "unknown" | "expired" | "in-use" } {
    const record = this.#records.get(executionId);
    if (!record) return { ok: false, reason: "unknown" };
    if (record.expiresAtMs <= now) {
      this.#drop(executionId);
      return { ok: false, reason: "expired" };
    }
    if (this.#claimed.has(executionId)) return { ok: false, reason: "in-use" };
    this.#claimed.add(executionId);
    return { ok: true, record };
  }

  /** Gives a claimed record back (its retry never started). */
  release(executionId: string): void {
    this.#claimed.delete(executionId);
  }

  /** Drops a record once its retry ran (the retry's own record, if it fails, replaces it). */
  consume(executionId: string): void {
    this.#drop(executionId);
  }

  /** Records kept now. */
  get size(): number {
    return this.#records.size;
  }

  #drop(id: string): void {
    const record = this.#records.get(id);
    if (!record) return;
    this.#records.delete(id);
    this.#claimed.delete(id);
    this.#bytes -= record.bytes;
  }

  #sweep(now: number): void {
    for (const [id, record] of this.#records) if (record.expiresAtMs <= now && !this.#claimed.has(id)) this.#drop(id);
  }
}
