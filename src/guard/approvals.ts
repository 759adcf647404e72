/**
 * Approvals and the call journal.
 *
 * When a call needs an approval and nobody can give it now, the execution stops before the call
 * and a {@link PendingApproval} is kept in the session: the exact call (tool + arguments as the
 * model sees them + its position in the run) and the journal of every call before it (with the
 * results the guest got). A later `execute` with the approval id re-runs the script: calls
 * before the approved one are answered from the journal (never repeated), the approved call
 * runs if it is the same call at the same position, and any difference stops the run with
 * `REPLAY_DIVERGED`. Approvals are single-use and expire.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { ErrorInfo } from "../errors.js";
import type { RetryRecord } from "./idempotency.js";

/** One call as recorded: position, tool, arguments (canonical JSON) and what the guest got. */
export interface JournalEntry {
  /** 1-based position among the run's tool calls. */
  seq: number;
  tool: string;
  argsKey: string;
  /** The idempotency key of a write call. */
  key?: string;
  outcome: { ok: true; value: unknown } | { ok: false; error: ErrorInfo };
}

/** What the model and the approver see of an approval request. */
export interface ApprovalInfo {
  /** Pass it back as `approve` to run the call. */
  id: string;
  /** `server.tool`. */
  tool: string;
  /** The arguments as the model sees them (PII as tokens). */
  arguments: unknown;
  /** Why it needs an approval (`destructive tool (policy.approveDestructive)` or the `policy.approve` pattern). */
  reason: string;
  /** ISO time after which the id is no longer accepted. */
  expiresAt: string;
  /** `plan`: the script's write calls, asked once before it runs (`arguments` lists them); absent: one call. */
  kind?: "plan";
  /** Why there is no plan (calls are asked one by one), when that is the case. */
  note?: string;
}

/** An approved plan: the calls that run without asking again in this run (and its resumes and retries). */
export interface PlanGrant {
  approvalId: string;
  calls: { tool: string; argsKey?: string; repeats: boolean; used: boolean }[];
}

/** A call waiting for approval, with everything needed to resume the script. */
export interface PendingApproval extends ApprovalInfo {
  sessionId: string;
  seq: number;
  argsKey: string;
  /** The script that asked (so the library can re-run it). */
  code: string;
  expiresAtMs: number;
  /** Calls 1 … seq-1 of the run that asked. */
  journal: JournalEntry[];
  /** The plan granted to the run that asked (its resume keeps it). */
  plan?: PlanGrant;
  /** The retried execution's record, when the run that asked was a retry (its resume goes on replaying). */
  retry?: RetryRecord;
}

/** JSON with object keys sorted, so equal arguments give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "undefined";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** A fresh approval id (`ap_` + 16 random bytes, URL-safe). */
export function newApprovalId(): string {
  return `ap_${randomBytes(16).toString("base64url")}`;
}

/**
 * The pending approvals of one session. Using one is a claim, taken atomically (one
 * synchronous step): of N concurrent executions that pass the same id, exactly one holds it;
 * the others are told it is in use. The holder either consumes it (the approved call ran) or
 * releases it (its run ended before reaching that call, e.g. `REPLAY_DIVERGED`), after which
 * the same script can use it again.
 */
export class ApprovalBook {
  readonly #pending = new Map<string, PendingApproval>();
  /** Ids claimed by a running execution. */
  readonly #claimed = new Set<string>();

  add(approval: PendingApproval): void {
    this.#pending.set(approval.id, approval);
  }

  /** The approval, or why it cannot be used (`unknown` covers other sessions' ids and used ones). */
  find(id: string, now = Date.now()): { ok: true; approval: PendingApproval } | { ok: false; reason: "unknown" | "expired"; approval?: PendingApproval } {
    const approval = this.#pending.get(id);
    if (!approval) return { ok: false, reason: "unknown" };
    if (approval.expiresAtMs <= now) {
      this.#pending.delete(id);
      this.#claimed.delete(id);
      return { ok: false, reason: "expired", approval };
    }
    return { ok: true, approval };
  }

  /**
   * Claims the approval for one execution: `in-use` while another execution holds it. Check and
   * claim are one synchronous step, so concurrent claims of one id cannot both succeed.
   */
  claim(id: string, now = Date.now()): { ok: true; approval: PendingApproval } | { ok: false; reason: "unknown" | "expired" | "in-use"; approval?: PendingApproval } {
    const found = this.find(id, now);
    if (!found.ok) return found;
    if (this.#claimed.has(id)) return { ok: false, reason: "in-use", approval: found.approval };
    this.#claimed.add(id);
    return found;
  }

  /** Gives a claimed approval back unused (its run never reached the approved call). */
  release(id: string): void {
    this.#claimed.delete(id);
  }

  /** Marks an approval used. */
  consume(id: string): void {
    this.#pending.delete(id);
    this.#claimed.delete(id);
  }

  /**
   * Rejects a pending approval: it is dropped and its id no longer accepted. False when the id is
   * unknown (or used) or a running execution holds it right now.
   */
  discard(id: string): boolean {
    if (!this.#pending.has(id) || this.#claimed.has(id)) return false;
    this.#pending.delete(id);
    return true;
  }

  /** Pending approvals that have not expired (expired ones are dropped). */
  list(now = Date.now()): PendingApproval[] {
    for (const [id, approval] of this.#pending) {
      if (approval.expiresAtMs <= now) {
        this.#pending.delete(id);
        this.#claimed.delete(id);
      }
    }
    return [...this.#pending.values()];
  }
}

/** The public view of a pending approval. */
export function approvalInfo(approval: PendingApproval): ApprovalInfo {
  return {
    id: approval.id,
    tool: approval.tool,
    arguments: approval.arguments,
    reason: approval.reason,
    expiresAt: approval.expiresAt,
    ...(approval.kind !== undefined ? { kind: approval.kind } : {}),
    ...(approval.note !== undefined ? { note: approval.note } : {}),
  };
}
