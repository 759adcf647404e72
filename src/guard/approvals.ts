/**
 * Approvals and the call journal.
 *
 * When a call needs an approval and nobody can give it now, the execution stops before the call
 * and a {@link PendingApproval} is kept in the session: the exact call (tool + arguments as the
 * model sees them + its position in the run) and the journal of every call before it (with the
 * results the guest got). A later `execute` with the approval id re-runs the script: calls
 * before the approved one are answered from the journal (never repeated), the approved call
 * runs if it is the same call at the same position, and any difference stops the run with
 * `REPLAY_DIVERGED`. Approvals are single-use and expire. With a state store (`state`), pending
 * approvals outlive the process: see {@link ApprovalBook}.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { type ErrorInfo, ToolcodeError } from "../errors.js";
import type { DurableApprovals } from "./durable-approvals.js";
import type { RetryRecord } from "./idempotency.js";
import type { PiiVault } from "./pii-vault.js";

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

/** Who claims an approval: the user and session of the execution, and which sessions are open in this process. */
export interface ClaimBy {
  user: string | null;
  sessionId: string;
  /** True for a session open in this process (its approvals are resumed only from it). */
  sessionOpen: (sessionId: string) => boolean;
}

let keepFailureNoticed = false;

/** Why a claim failed. */
export type ClaimFailure = { ok: false; reason: "unknown" | "expired" | "in-use"; approval?: PendingApproval };

/**
 * The pending approvals of one session. Using one is a claim, taken atomically: of N concurrent
 * executions that pass the same id, exactly one holds it; the others are told it is in use.
 * The holder either consumes it (the approved call ran) or releases it (its run ended before
 * reaching that call, e.g. `REPLAY_DIVERGED`), after which the same script can use it again.
 *
 * With a {@link DurableApprovals} store, each approval is also kept there (with the vault
 * entries it references) until it expires, and a claim is an atomic take from the store: an
 * approval asked in another session of the same user whose session is not open in this process
 * (it was asked before a restart, or on another replica) is found there and resumed here; a
 * release puts it back, a reject deletes it. Ids never cross users.
 */
export class ApprovalBook {
  readonly #pending = new Map<string, PendingApproval>();
  /** Ids claimed by a running execution. */
  readonly #claimed = new Set<string>();
  /** Whose approval each id is (for putting it back in the store). */
  readonly #owners = new Map<string, string | null>();
  /** Ids the store could not keep (kept in memory only). */
  readonly #memoryOnly = new Set<string>();
  readonly #durable: DurableApprovals | undefined;
  readonly #vault: PiiVault | undefined;
  readonly #notice: (text: string) => void;

  constructor(options: { durable?: DurableApprovals | undefined; vault?: PiiVault; notice?: (text: string) => void } = {}) {
    this.#durable = options.durable;
    this.#vault = options.vault;
    this.#notice = options.notice ?? ((text) => process.stderr.write(`${text}\n`));
  }

  add(approval: PendingApproval): void {
    this.#pending.set(approval.id, approval);
  }

  /**
   * Keeps an added approval in the store too (with the vault entries it references), until it
   * expires. When the store fails, the approval stays in memory only (one notice on stderr).
   */
  async keep(approval: PendingApproval, user: string | null): Promise<void> {
    this.#owners.set(approval.id, user);
    if (!this.#durable) return;
    try {
      await this.#durable.save({ record: approval, user, vault: this.#vault?.entriesIn(JSON.stringify(approval)) ?? [] });
      this.#memoryOnly.delete(approval.id);
    } catch (error) {
      this.#memoryOnly.add(approval.id);
      // Once per process: a store that is down would otherwise print a line per approval.
      if (!keepFailureNoticed) this.#notice(`toolcode: pending approval ${approval.id} is kept in memory only and will not survive a restart (later ones that fail the same way are not reported): ${(error as Error).message}`);
      keepFailureNoticed = true;
    }
  }

  /** The approval, or why it cannot be used (`unknown` covers other sessions' ids and used ones). */
  find(id: string, now = Date.now()): { ok: true; approval: PendingApproval } | { ok: false; reason: "unknown" | "expired"; approval?: PendingApproval } {
    const approval = this.#pending.get(id);
    if (!approval) return { ok: false, reason: "unknown" };
    if (approval.expiresAtMs <= now) {
      this.#drop(id);
      return { ok: false, reason: "expired", approval };
    }
    return { ok: true, approval };
  }

  /** Like {@link find}, also looking in the store for an approval of `user` asked in another session. */
  async lookup(id: string, user: string | null, now = Date.now()): Promise<{ ok: true; approval: PendingApproval } | { ok: false; reason: "unknown" | "expired"; approval?: PendingApproval }> {
    const found = this.find(id, now);
    if (found.ok || found.reason === "expired" || !this.#durable) return found;
    const kept = await this.#durable.get(id, user).catch(() => undefined);
    if (!kept) return found;
    return kept.record.expiresAtMs <= now ? { ok: false, reason: "expired", approval: kept.record } : { ok: true, approval: kept.record };
  }

  /**
   * Claims the approval for one execution: `in-use` while another execution holds it. The claim
   * is marked before anything is awaited, and with a store it is an atomic take, so concurrent
   * claims of one id (in this process or any other sharing the store) cannot both succeed.
   *
   * @throws ToolcodeError `STATE_STORE_UNAVAILABLE` when the store that keeps the approval cannot be reached (retry once it is back);
   *   `APPROVAL_INVALID` when its PII tokens clash with this session's.
   */
  async claim(id: string, by: ClaimBy, now = Date.now()): Promise<{ ok: true; approval: PendingApproval } | ClaimFailure> {
    const user = by.user;
    const local = this.find(id, now);
    if (!local.ok && local.reason === "expired") {
      void this.#durable?.delete(id, user).catch(() => undefined);
      return local;
    }
    if (this.#claimed.has(id)) return { ok: false, reason: "in-use", ...(local.ok ? { approval: local.approval } : {}) };
    if (!this.#durable || (local.ok && this.#memoryOnly.has(id))) {
      if (!local.ok) return local;
      this.#claimed.add(id);
      return local;
    }
    this.#claimed.add(id);
    let kept: Awaited<ReturnType<DurableApprovals["take"]>>;
    try {
      if (!local.ok) {
        // Asked in another session: only when that session is not open in this process (a restart, another replica).
        const peek = await this.#durable.get(id, user);
        if (!peek || (peek.record.sessionId !== by.sessionId && by.sessionOpen(peek.record.sessionId))) {
          this.#claimed.delete(id);
          return local;
        }
      }
      kept = await this.#durable.take(id, user);
    } catch (error) {
      // The store is down. Not even this session's own copy is used: the record may still be
      // taken by another replica once the store is back, and the call must never run twice.
      this.#claimed.delete(id);
      throw error;
    }
    if (!kept) {
      this.#claimed.delete(id);
      if (!local.ok) return local;
      // Kept here but gone from the store: another session or replica took it (it runs or ran there).
      this.#drop(id);
      return { ok: false, reason: "in-use", approval: local.approval };
    }
    if (kept.record.expiresAtMs <= now) {
      this.#claimed.delete(id);
      this.#drop(id);
      return { ok: false, reason: "expired", approval: kept.record };
    }
    const adopted = this.#vault ? this.#vault.adopt(kept.vault) : { ok: true as const };
    if (!adopted.ok) {
      this.#claimed.delete(id);
      await this.#durable.save(kept).catch(() => undefined);
      throw new ToolcodeError(
        "APPROVAL_INVALID",
        `Approval ${id} was asked in another session whose PII token ${adopted.token} stands for another value in this one; it cannot be resumed here. Resume it from a new session (a new MCP connection), where nothing clashes.`,
        { approve: id, reason: "vault-conflict" },
      );
    }
    this.#pending.set(id, kept.record);
    this.#owners.set(id, user);
    return { ok: true, approval: kept.record };
  }

  /** Gives a claimed approval back unused (its run never reached the approved call): back into the store too. */
  async release(id: string): Promise<void> {
    this.#claimed.delete(id);
    const approval = this.#pending.get(id);
    if (approval && this.#durable && !this.#memoryOnly.has(id)) await this.keep(approval, this.#owners.get(id) ?? null);
  }

  /** Marks an approval used (a claim took it out of the store already). */
  consume(id: string): void {
    this.#drop(id);
  }

  /**
   * Rejects a pending approval: it is dropped (here and in the store) and its id no longer
   * accepted. False when the id is unknown (or used) or a running execution holds it right now.
   */
  async discard(id: string, user: string | null): Promise<boolean> {
    if (this.#claimed.has(id)) return false;
    const local = this.#pending.has(id);
    this.#drop(id);
    if (!this.#durable) return local;
    try {
      return (await this.#durable.delete(id, user)) || local;
    } catch (error) {
      if (local) return true;
      throw error;
    }
  }

  /** Pending approvals of this session that have not expired (expired ones are dropped). */
  list(now = Date.now()): PendingApproval[] {
    for (const [id, approval] of this.#pending) if (approval.expiresAtMs <= now) this.#drop(id);
    return [...this.#pending.values()];
  }

  #drop(id: string): void {
    this.#pending.delete(id);
    this.#claimed.delete(id);
    this.#owners.delete(id);
    this.#memoryOnly.delete(id);
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
