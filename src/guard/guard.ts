/**
 * The guard: what stands between the sandbox bridge and every tool call. Per call, in the host:
 * policy (allow / approve / deny), approval (callback, MCP elicitation, or stop and ask),
 * journal replay of an approved run, PII tokens → real values for permitted tools, real values →
 * tokens in results and errors, and one audit line.
 *
 * One {@link Guard} per toolcode instance; one {@link GuardSessionState} (vault + approvals)
 * per session; one {@link ExecutionGuard} per `execute`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { privacySchema } from "../config/guard-schema.js";
import { type ErrorInfo, ToolcodeError, toErrorInfo } from "../errors.js";
import type { CredentialUse } from "../sources/tool-source.js";
import { type ApprovalInfo, ApprovalBook, type JournalEntry, type PendingApproval, type PlanGrant, approvalInfo, canonicalJson, newApprovalId } from "./approvals.js";
import type { EffectsPlan } from "./effects-plan.js";
import { type ExecutionReport, type RetryLimits, type RetryRecord, type WriteRecord, RetryBook, executionReport, idempotencyKey, outcomeUncertain, recordBytes, reportAdvice } from "./idempotency.js";
import { type AuditApproval, type AuditLog, codeHash } from "./audit-log.js";
import { DurableApprovals, DurableRecords } from "./durable-approvals.js";
import type { StateHandle } from "../runtime/open-state-store.js";
import { GlobList } from "./glob.js";
import { PiiVault } from "./pii-vault.js";
import type { SharedVault } from "./shared-vault.js";
import { type Policy, type PolicyDecision, policyDeniedError } from "./policy.js";

/** The `privacy` config section, defaults applied. */
export type PrivacyConfig = z.output<typeof privacySchema>;

/** What an approver is asked. */
export interface ApprovalRequest extends ApprovalInfo {
  sessionId: string;
  /** The user running the script, when known. */
  user?: string;
  /** Aborted when the execution ends or times out: stop waiting then. */
  signal: AbortSignal;
}

/**
 * Decides an approval now: `true` runs the call, `false` refuses it (`APPROVAL_DENIED`), and
 * `undefined` means "cannot decide now": the execution stops with a pending approval instead.
 */
export type ApprovalHandler = (request: ApprovalRequest) => boolean | undefined | Promise<boolean | undefined>;

/** Per-session guard state: the PII vault, the pending approvals and the retry journal. Dropped with the session (pending approvals stay in the state store until they expire). */
export interface GuardSessionState {
  readonly vault: PiiVault;
  readonly approvals: ApprovalBook;
  readonly retries: RetryBook;
}

/** Options of one execution. */
export interface ExecutionContext {
  sessionId: string;
  state: GuardSessionState;
  user?: string;
  code: string;
  /** An approval id from an earlier run's pending approval. */
  approve?: string;
  /** True for a session open in this process: an approval asked in another session is resumed only when that one is gone (default: all are). */
  sessionOpen?: (sessionId: string) => boolean;
  /** The id of an earlier execution of this session that failed after writes: its writes are replayed, not repeated. */
  retryOf?: string;
  /** Interactive approver for this run (e.g. MCP elicitation); else the instance's. */
  onApproval?: ApprovalHandler;
  /** How the interactive approver is recorded in the audit log. */
  approvalVia?: "callback" | "elicitation";
}

/** Options for {@link Guard}. */
export interface GuardOptions {
  policy: Policy;
  privacy: PrivacyConfig;
  audit?: AuditLog;
  onApproval?: ApprovalHandler;
  /** Limits of each session's retry journal. */
  retryLimits?: RetryLimits;
  /** Where pending approvals are kept beyond the process (`state`); without it, in memory only. */
  state?: StateHandle;
  /** Each session's PII vault shared by every replica (with `state.redis`); without it, per process. */
  sharedVault?: SharedVault;
}

/** The instance-wide guard. */
export class Guard {
  readonly policy: Policy;
  readonly #privacy: PrivacyConfig;
  readonly #detokenizeFor: GlobList;
  readonly #audit: AuditLog | undefined;
  readonly #onApproval: ApprovalHandler | undefined;
  readonly #retryLimits: RetryLimits | undefined;
  readonly #durable: DurableApprovals | undefined;
  readonly #durableRetries: DurableRecords<RetryRecord> | undefined;
  readonly #sharedVault: SharedVault | undefined;

  constructor(options: GuardOptions) {
    this.#sharedVault = options.sharedVault;
    this.#retryLimits = options.retryLimits;
    this.#durable = options.state ? new DurableApprovals(options.state) : undefined;
    this.#durableRetries = options.state ? new DurableRecords<RetryRecord>(options.state, "retry", /^[0-9a-f]{12}$/, (record) => record.executionId) : undefined;
    this.policy = options.policy;
    this.#privacy = options.privacy;
    this.#detokenizeFor = new GlobList(options.privacy.detokenizeFor);
    this.#audit = options.audit;
    this.#onApproval = options.onApproval;
  }

  /** True when results are tokenized. */
  get privacyEnabled(): boolean {
    return this.#privacy.tokenize.length > 0 || this.#privacy.fields.length > 0;
  }

  /** Fresh state for a new session. */
  newSessionState(): GuardSessionState {
    const vault = new PiiVault({ kinds: this.#privacy.tokenize, fields: this.#privacy.fields });
    return { vault, approvals: new ApprovalBook({ durable: this.#durable, vault }), retries: new RetryBook(this.#retryLimits) };
  }

  /**
   * Starts guarding one execution. Throws `APPROVAL_INVALID` when `approve` names no pending
   * approval of this session or (with a state store) of this user's other sessions (unknown,
   * used, another user's) or an expired one; `STATE_STORE_UNAVAILABLE` when the store is down.
   */
  async begin(context: ExecutionContext): Promise<ExecutionGuard> {
    // Tokens other replicas gave this session turn back into real values here too.
    await this.#sharedVault?.load(context.state.vault, context.sessionId, context.user ?? null);
    let approval: PendingApproval | undefined;
    if (context.approve !== undefined) {
      // Claimed, not just looked up: a concurrent replay of the same id gets APPROVAL_INVALID.
      const found = await context.state.approvals.claim(context.approve, { user: context.user ?? null, sessionId: context.sessionId, sessionOpen: context.sessionOpen ?? (() => true) });
      if (!found.ok) {
        throw new ToolcodeError(
          "APPROVAL_INVALID",
          found.reason === "expired"
            ? `Approval ${context.approve} expired at ${found.approval?.expiresAt}. Run the script again without approve to ask for a new approval.`
            : found.reason === "in-use"
              ? `Approval ${context.approve} is being used by another execution running now (or was just used by one, here or on another replica); an approval runs its call once. Wait for that execution's result instead of retrying.`
              : `No pending approval ${context.approve} in this session: it was already used, belongs to another session or user, or never existed. Run the script without approve to ask for one.`,
          { approve: context.approve, reason: found.reason },
        );
      }
      approval = found.approval;
    }
    let retry: RetryRecord | undefined = approval?.retry;
    if (context.retryOf !== undefined) {
      let found: Awaited<ReturnType<Guard["claimRetry"]>>;
      try {
        found = await this.claimRetry(context, context.retryOf);
      } catch (error) {
        if (approval) await context.state.approvals.release(approval.id);
        throw error;
      }
      if (!found.ok) {
        if (approval) await context.state.approvals.release(approval.id);
        throw new ToolcodeError(
          "RETRY_INVALID",
          found.reason === "in-use"
            ? `Execution ${context.retryOf} is being retried by another execution running now. Wait for its result instead.`
            : `No execution ${context.retryOf} to retry in this session: it made no writes (just run the code again), was already retried (retry that one), ${found.reason === "expired" ? "expired" : "expired, belongs to another session"}, or never existed. Run without retryOf.`,
          { retryOf: context.retryOf, reason: found.reason },
        );
      }
      retry = found.record;
    }
    const handler = context.onApproval ?? this.#onApproval;
    const via = context.onApproval ? (context.approvalVia ?? "callback") : "callback";
    return new ExecutionGuard(this, context, approval, handler, via, retry);
  }

  /**
   * Claims the retry record of `executionId`: this session's, taken from the state store too
   * when it is kept there (one retry wins across replicas), or one a closed session of the same
   * user left in the store (after a restart, on another replica), adopted with its vault entries.
   *
   * @internal
   */
  async claimRetry(context: ExecutionContext, executionId: string): Promise<ReturnType<RetryBook["claim"]>> {
    const book = context.state.retries;
    const durable = this.#durableRetries;
    const user = context.user ?? null;
    const found = book.claim(executionId);
    if (!durable) return found;
    if (found.ok) {
      if (found.record.kept !== true) return found;
      let taken: Awaited<ReturnType<typeof durable.take>>;
      try {
        taken = await durable.take(executionId, user);
      } catch (error) {
        book.release(executionId);
        throw error;
      }
      if (taken) return found;
      // Gone from the store: a retry on another replica took it.
      book.consume(executionId);
      return { ok: false, reason: "in-use" };
    }
    if (found.reason !== "unknown") return found;
    const peek = await durable.get(executionId, user);
    const open = context.sessionOpen ?? (() => true);
    if (!peek || (peek.record.sessionId !== context.sessionId && open(peek.record.sessionId))) return found;
    const taken = await durable.take(executionId, user);
    if (!taken) return { ok: false, reason: "in-use" };
    if (taken.record.expiresAtMs <= Date.now()) return { ok: false, reason: "expired" };
    const adopted = context.state.vault.adopt(taken.vault);
    if (!adopted.ok) {
      await durable.save(taken).catch(() => undefined);
      throw new ToolcodeError("RETRY_INVALID", `Execution ${executionId} ran in another session whose PII token ${adopted.token} stands for another value in this one; retry it from a new session (a new MCP connection).`, { retryOf: executionId, reason: "vault-conflict" });
    }
    if (!book.add({ ...taken.record, kept: true })) return found;
    return book.claim(executionId);
  }

  /** Keeps a retry record in the state store (best effort: without it the record stays in this process only). @internal */
  async keepRetry(state: GuardSessionState, record: RetryRecord, user: string | null): Promise<void> {
    if (!this.#durableRetries) return;
    try {
      await this.#durableRetries.save({ record: { ...record, kept: undefined }, user, vault: state.vault.entriesIn(JSON.stringify(record)) });
      record.kept = true;
    } catch {
      record.kept = false;
    }
  }

  /** A session ended for good: its shared vault record goes too (best effort: otherwise it expires with the session's TTL). @internal */
  async endSession(sessionId: string, user: string | null): Promise<void> {
    await this.#sharedVault?.delete(sessionId, user).catch(() => undefined);
  }

  /** Tokenizes a tool result or error for the guest (new tokens numbered in the shared vault first, when there is one). @internal */
  async tokenize<T>(context: ExecutionContext, value: T): Promise<T> {
    return this.#sharedVault ? this.#sharedVault.tokenize(context.state.vault, context.sessionId, context.user ?? null, value) : context.state.vault.tokenize(value);
  }

  /** @internal */
  detokenizes(tool: CatalogTool): boolean {
    return this.#detokenizeFor.test(tool.id);
  }

  /** @internal */
  get audit(): AuditLog | undefined {
    return this.#audit;
  }
}

/**
 * Performs the real call with (possibly detokenized) arguments; a per-user source tells
 * `onCredential` whose credential it used (the audit log names it, never the secret).
 */
export type CallSource = (args: Record<string, unknown>, onCredential: (use: CredentialUse) => void, idempotencyKey?: string) => Promise<unknown>;

/** One call on its way through {@link ExecutionGuard.call}. */
interface GuardedCall {
  readonly seq: number;
  readonly started: number;
  readonly tool: CatalogTool;
  readonly args: Record<string, unknown>;
  readonly argsKey: string;
  readonly decision: PolicyDecision;
  /** How the call was approved (audit), once it is. */
  approval: AuditApproval | null;
  /** Whose credential a per-user source used, once it says. */
  credential: CredentialUse | null;
  /** For a write or destructive call: its record in the write journal. */
  write: WriteRecord | undefined;
}

/** A journal outcome answering a replayed call. */
type ReplayedOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

/** Guards the tool calls of one execution. */
export class ExecutionGuard {
  readonly id = randomBytes(6).toString("hex");
  readonly codeHash: string;
  #seq = 0;
  readonly #journal: JournalEntry[] = [];
  #halt: ToolcodeError | undefined;
  #pending: PendingApproval | undefined;
  /** The claimed approval's call was reached (the approval is used up). */
  #consumed = false;
  readonly #started = performance.now();
  /** Every write call of the run, in order (replayed ones included). */
  readonly #writes: WriteRecord[] = [];
  /** The approved plan in effect. */
  #grant: PlanGrant | undefined;
  /** Why no plan was offered (told with each per-call approval). */
  #planNote: string | undefined;
  /** The run stopped before the script started (a plan to approve, a declined plan). */
  #notStarted = false;

  constructor(
    private readonly guard: Guard,
    private readonly context: ExecutionContext,
    private readonly approved: PendingApproval | undefined,
    private readonly handler: ApprovalHandler | undefined,
    private readonly via: "callback" | "elicitation",
    private readonly retry: RetryRecord | undefined,
  ) {
    this.codeHash = codeHash(context.code);
    this.#grant = approved?.plan ? clonePlan(approved.plan) : retry?.grant && retry.grant.code === context.code ? clonePlan(retry.grant.value as PlanGrant) : undefined;
  }

  /** The id the idempotency keys of this run carry (the first run of a chain of retries). */
  get rootId(): string {
    return this.retry?.rootId ?? this.id;
  }

  /**
   * Before the script runs: when its write calls need approvals and can all be seen, asks once
   * for the plan (the handler, or a pending approval of kind `plan` that stops the run). Returns
   * false when the script must not run (asked and stopped, or declined). `plan` is called only
   * when an approval could be needed.
   */
  async checkPlan(plan: () => EffectsPlan | undefined, signal: AbortSignal): Promise<boolean> {
    if (this.approved?.kind === "plan") {
      if (this.approved.code !== this.context.code) {
        this.#halt = new ToolcodeError("REPLAY_DIVERGED", `Approval ${this.approved.id} approved the plan of a different script. Run the approved script unchanged with it, or run this one without approve to ask for its own plan.`, { approve: this.approved.id });
        this.#notStarted = true;
        return false;
      }
      this.context.state.approvals.consume(this.approved.id);
      this.#consumed = true;
      this.#grant = { approvalId: this.approved.id, calls: clonePlan(this.approved.plan ?? { approvalId: "", calls: [] }).calls };
      return true;
    }
    if (this.approved || this.#grant) return true;
    const effects = plan();
    if (effects === undefined) return true;
    if (!effects.ok) {
      this.#planNote = `No plan: ${effects.reason}, so each call is asked on its own.`;
      return true;
    }
    const asked = effects.calls.filter((c) => c.needsApproval);
    // One approval-bound call is asked where it happens, as without a plan (same one question).
    if (asked.length === 0 || (asked.length === 1 && asked[0]?.repeats !== true)) return true;
    const request = this.#newPlanPending(effects);
    let answer: boolean | undefined;
    if (this.handler) {
      try {
        answer = await this.handler({ ...approvalInfo(request), sessionId: this.context.sessionId, ...(this.context.user !== undefined ? { user: this.context.user } : {}), signal });
      } catch {
        answer = undefined;
      }
    }
    if (answer === true) {
      this.#grant = request.plan;
      return true;
    }
    this.#notStarted = true;
    if (answer === false) {
      this.#halt = new ToolcodeError("APPROVAL_DENIED", `The user declined this script's plan (${request.tool}); nothing ran. Do not retry it; continue without those calls or ask the user what to do instead.`, { approval: request.id });
      return false;
    }
    this.context.state.approvals.add(request);
    await this.context.state.approvals.keep(request, this.context.user ?? null);
    this.#pending = request;
    this.#halt = planRequiredError(request);
    return false;
  }

  /**
   * One tool call from the guest: `args` as the guest passed them (tokens and all). Returns the
   * value the guest gets (tokenized) or throws the error it sees. The steps, in order: a halted
   * run refuses every call; an approved run replays its journal; the policy denies; approval is
   * asked; the source is called with real values and its result tokenized.
   */
  async call(tool: CatalogTool, args: Record<string, unknown>, signal: AbortSignal, callSource: CallSource): Promise<unknown> {
    const call = this.#open(tool, args);
    if (this.#halt) throw this.#stop(call, this.#halt);
    const replayed = this.#replay(call) ?? this.#replayWrite(call);
    if (replayed) {
      if (replayed.ok) return replayed.value;
      throw fromInfo(replayed.error);
    }
    if (call.decision.action === "deny") throw this.#failed(call, policyDeniedError(tool, call.decision));
    if (call.decision.action === "approve" && call.approval === null && !this.#inPlan(call)) await this.#askApproval(call, signal);
    return this.#invoke(call, callSource, signal);
  }

  /** True once the run was stopped (a pending approval, a divergence): every later call is refused. */
  get halted(): boolean {
    return this.#halt !== undefined;
  }

  /** The policy's decision for `tool` (what {@link call} will apply; for traces and plans). */
  policyFor(tool: CatalogTool): PolicyDecision {
    return this.guard.policy.decide(tool);
  }

  /** Numbers the call and takes the policy's decision. */
  #open(tool: CatalogTool, args: Record<string, unknown>): GuardedCall {
    const decision = this.guard.policy.decide(tool);
    const argsKey = canonicalJson(args);
    const seq = ++this.#seq;
    let write: WriteRecord | undefined;
    if (decision.kind !== "read") {
      const n = this.#writes.length + 1;
      const earlier = this.retry?.writes.find((w) => w.n === n);
      // A write re-sent after an unknown outcome keeps its key, so the API can apply it once.
      const key = earlier && earlier.tool === tool.id && earlier.argsKey === argsKey ? earlier.key : idempotencyKey(this.rootId === this.id || !earlier ? this.rootId : this.id, n);
      write = { seq, n, tool: tool.id, arguments: args, argsKey, key };
      this.#writes.push(write);
    }
    return { seq, started: performance.now(), tool, args, argsKey, decision, approval: null, credential: null, write };
  }

  /** An approval-bound call the approved plan covers (its tool, and its arguments when they were literal) is approved by the plan. */
  #inPlan(call: GuardedCall): boolean {
    const grant = this.#grant;
    if (!grant) return false;
    const entry = grant.calls.find((c) => c.tool === call.tool.id && (c.argsKey === undefined || c.argsKey === call.argsKey) && (c.repeats || !c.used));
    if (!entry) return false;
    entry.used = true;
    call.approval = { id: grant.approvalId, via: "plan", granted: true };
    return true;
  }

  /**
   * With `retryOf`: the n-th write is answered from the retried run's journal when it succeeded
   * there and is the same call; a different call halts the run (`REPLAY_DIVERGED`); a write that
   * failed or ended unknown there runs again (with the same key).
   */
  #replayWrite(call: GuardedCall): ReplayedOutcome | undefined {
    const write = call.write;
    const recorded = write ? this.retry?.writes.find((w) => w.n === write.n) : undefined;
    if (!write || !recorded || recorded.outcome?.ok !== true) return undefined;
    if (recorded.tool !== call.tool.id || recorded.argsKey !== call.argsKey) {
      throw this.#stop(
        call,
        new ToolcodeError(
          "REPLAY_DIVERGED",
          `Write #${write.n} (call #${call.seq}) differs from the one execution ${this.retry?.executionId} made: it recorded ${recorded.tool}(${clip(recorded.argsKey)}), this run called ${call.tool.id}(${clip(call.argsKey)}). ` +
            "A retry must make the recorded writes again, in the same order, with the same arguments (they are replayed, not repeated); nothing ran. Make the arguments deterministic, or check the recorded writes and run without retryOf.",
          { write: write.n, seq: call.seq, expected: { tool: recorded.tool }, actual: { tool: call.tool.id }, retryOf: this.retry?.executionId },
        ),
      );
    }
    write.key = recorded.key;
    write.outcome = recorded.outcome;
    this.#journal.push({ seq: call.seq, tool: call.tool.id, argsKey: call.argsKey, key: recorded.key, outcome: recorded.outcome });
    this.#audit(call, null, { replayed: true });
    return recorded.outcome;
  }

  /** Writes the call's audit line. */
  #audit(call: GuardedCall, error: ErrorInfo | null, extra: { approval?: AuditApproval | null; replayed?: boolean } = {}): void {
    const log = this.guard.audit;
    if (!log) return;
    log.record({
      ts: new Date().toISOString(),
      type: "call",
      user: this.context.user ?? null,
      session: this.context.sessionId,
      execution: this.id,
      codeHash: this.codeHash,
      seq: call.seq,
      tool: call.tool.id,
      kind: call.decision.kind,
      decision: call.decision.action,
      rule: call.decision.rule,
      approval: extra.approval ?? null,
      replayed: extra.replayed ?? false,
      ...(call.credential !== null ? { connection: call.credential.connection, credentialOwner: call.credential.owner } : {}),
      durationMs: round(performance.now() - call.started),
      error: error?.code ?? null,
      ...log.arguments(call.args),
    });
  }

  /** Halts the run with `error` (audited); returns it to throw. */
  #stop(call: GuardedCall, error: ToolcodeError, approval?: AuditApproval): ToolcodeError {
    this.#halt = error;
    this.#audit(call, toErrorInfo(error), approval ? { approval } : {});
    return error;
  }

  /**
   * With `approve`: a call before the approved one is answered from the journal (its recorded
   * outcome), the approved call itself consumes the approval; a different call halts the run.
   */
  #replay(call: GuardedCall): ReplayedOutcome | undefined {
    const approved = this.approved;
    if (!approved || call.seq > approved.seq) return undefined;
    const recorded = call.seq < approved.seq ? approved.journal[call.seq - 1] : { seq: call.seq, tool: approved.tool, argsKey: approved.argsKey };
    if (!recorded || recorded.tool !== call.tool.id || recorded.argsKey !== call.argsKey) throw this.#stop(call, this.#diverged(call.seq, recorded, call.tool, call.args));
    if ("outcome" in recorded) {
      if (call.write) {
        call.write.outcome = recorded.outcome;
        if (recorded.key !== undefined) call.write.key = recorded.key;
      }
      this.#journal.push(recorded);
      this.#audit(call, recorded.outcome.ok ? null : recorded.outcome.error, { replayed: true });
      return recorded.outcome;
    }
    this.context.state.approvals.consume(approved.id);
    this.#consumed = true;
    call.approval = { id: approved.id, via: "execute", granted: true };
    return undefined;
  }

  /**
   * Asks the approver: granted sets `call.approval`; refused throws `APPROVAL_DENIED`; no answer
   * halts the run with a pending approval (`APPROVAL_REQUIRED`).
   */
  async #askApproval(call: GuardedCall, signal: AbortSignal): Promise<void> {
    const request = this.#newPending(call.seq, call.tool, call.args, call.argsKey, call.decision);
    let answer: boolean | undefined;
    if (this.handler) {
      try {
        answer = await this.handler({ ...approvalInfo(request), sessionId: this.context.sessionId, ...(this.context.user !== undefined ? { user: this.context.user } : {}), signal });
      } catch {
        answer = undefined;
      }
    }
    if (answer === true) {
      call.approval = { id: request.id, via: this.via, granted: true };
    } else if (answer === false) {
      call.approval = { id: request.id, via: this.via, granted: false };
      throw this.#failed(call, new ToolcodeError("APPROVAL_DENIED", `The user declined ${call.tool.id}; it did not run. Do not retry it; continue without it or ask the user what to do instead.`, { tool: call.tool.id, approval: request.id }));
    } else {
      this.context.state.approvals.add(request);
      await this.context.state.approvals.keep(request, this.context.user ?? null);
      this.#pending = request;
      const stopped = approvalRequiredError(request);
      // The run stopped before this write: it did not happen (not an uncertain write to report or keep for a retry).
      if (call.write) call.write.outcome = { ok: false, error: toErrorInfo(stopped) };
      throw this.#stop(call, stopped, { id: request.id, via: "pending", granted: false });
    }
  }

  /** A thrown error as info for the guest, tokenized (a store failure while numbering falls back to this replica's vault). */
  async #tokenizeError(thrown: unknown): Promise<ErrorInfo> {
    const info = toErrorInfo(thrown, "TOOL_ERROR");
    try {
      return await this.guard.tokenize(this.context, info);
    } catch (error) {
      return toErrorInfo(error, "STATE_STORE_UNAVAILABLE");
    }
  }

  /** Calls the source with real values for permitted tools; tokenizes the result or the error; journals and audits it. */
  async #invoke(call: GuardedCall, callSource: CallSource, signal: AbortSignal): Promise<unknown> {
    const vault = this.context.state.vault;
    const realArgs = this.guard.detokenizes(call.tool) ? vault.detokenize(call.args) : call.args;
    let real: unknown;
    try {
      real = await callSource(realArgs, (use) => (call.credential = { connection: use.connection, owner: use.owner }), call.write?.key);
    } catch (thrown) {
      const error = !vault.enabled && thrown instanceof ToolcodeError ? thrown : fromInfo(await this.#tokenizeError(thrown));
      if (call.write) {
        call.write.outcome = { ok: false, error: toErrorInfo(error) };
        if (outcomeUncertain(toErrorInfo(error), signal.aborted)) call.write.uncertain = true;
      }
      throw this.#failed(call, error);
    }
    let value: unknown;
    try {
      value = await this.guard.tokenize(this.context, real);
    } catch (thrown) {
      // The call ran but its result cannot be numbered in the shared vault (store down): never handed out untokenized.
      const info = toErrorInfo(thrown, "STATE_STORE_UNAVAILABLE");
      if (call.write) {
        call.write.outcome = { ok: false, error: info };
        call.write.uncertain = true;
      }
      throw this.#failed(call, fromInfo(info));
    }
    if (call.write) call.write.outcome = { ok: true, value };
    this.#journal.push({ seq: call.seq, tool: call.tool.id, argsKey: call.argsKey, ...(call.write ? { key: call.write.key } : {}), outcome: { ok: true, value } });
    this.#audit(call, null, { approval: call.approval });
    return value;
  }

  /** Records a failed call in the journal and the log; returns the error to throw. */
  #failed(call: GuardedCall, error: ToolcodeError): ToolcodeError {
    const info = toErrorInfo(error);
    this.#journal.push({ seq: call.seq, tool: call.tool.id, argsKey: call.argsKey, ...(call.write ? { key: call.write.key } : {}), outcome: { ok: false, error: info } });
    this.#audit(call, info, { approval: call.approval });
    return error;
  }

  /**
   * Ends the execution: the error the run must report instead of the guest's own (a pending
   * approval or a divergence stops the run even if the guest caught it), the pending approval,
   * and the execution's audit line.
   */
  async finish(outcome: { error: ErrorInfo | null; toolCalls: number; started?: boolean }): Promise<{ error: ErrorInfo | null; approval?: ApprovalInfo }> {
    // An approval this run claimed but did not use (it stopped before the approved call) can be used again.
    if (this.approved && !this.#consumed) await this.context.state.approvals.release(this.approved.id);
    let error = this.#halt ? toErrorInfo(this.#halt) : outcome.error;
    if (this.retry) {
      // A retry that never started gives the record back; one that ran used it up.
      if (this.#notStarted || outcome.started === false) {
        this.context.state.retries.release(this.retry.executionId);
        if (this.retry.kept === true) await this.guard.keepRetry(this.context.state, this.retry, this.context.user ?? null);
      } else this.context.state.retries.consume(this.retry.executionId);
    }
    if (error) error = await this.#report(error, !this.#notStarted && outcome.started !== false);
    this.guard.audit?.record({
      ts: new Date().toISOString(),
      type: "execution",
      user: this.context.user ?? null,
      session: this.context.sessionId,
      execution: this.id,
      codeHash: this.codeHash,
      durationMs: round(performance.now() - this.#started),
      toolCalls: outcome.toolCalls,
      error: error?.code ?? null,
      approve: this.context.approve ?? null,
      pendingApproval: this.#pending?.id ?? null,
    });
    return { error, ...(this.#pending ? { approval: approvalInfo(this.#pending) } : {}) };
  }

  /** Adds `details.execution` (and, after writes, what to do) to a failed run's error; keeps the retry record. */
  async #report(error: ErrorInfo, started: boolean): Promise<ErrorInfo> {
    let kept = false;
    let report: ExecutionReport = executionReport(started, this.#writes, false);
    if (report.code === "INTERRUPTED_AFTER_WRITES") {
      const writes = this.#writes.map((w) => ({ ...w }));
      const grant = this.#grant ? { code: this.context.code, value: clonePlan(this.#grant) } : undefined;
      const record: RetryRecord = {
        executionId: this.id,
        rootId: this.rootId,
        sessionId: this.context.sessionId,
        writes,
        ...(grant ? { grant } : {}),
        expiresAtMs: Date.now() + this.context.state.retries.limits.ttlMs,
        bytes: recordBytes(writes),
      };
      kept = this.context.state.retries.add(record);
      if (kept) await this.guard.keepRetry(this.context.state, record, this.context.user ?? null);
      report = executionReport(started, this.#writes, kept);
    }
    return { ...error, message: `${error.message}${reportAdvice(report, this.id)}`, details: { ...error.details, execution: report } };
  }

  /** A pending approval of kind `plan` for the script's write calls. */
  #newPlanPending(effects: Extract<EffectsPlan, { ok: true }>): PendingApproval {
    const ttlMs = this.guard.policy.config.approvalTtlSeconds * 1000;
    const expiresAtMs = Date.now() + ttlMs;
    const id = newApprovalId();
    const tools = [...new Set(effects.calls.filter((c) => c.needsApproval).map((c) => c.tool))];
    return {
      id,
      kind: "plan",
      tool: tools.join(", "),
      arguments: effects.calls.map(({ tool, arguments: args, repeats, needsApproval }) => ({ tool, arguments: args, ...(repeats ? { repeats } : {}), ...(needsApproval ? {} : { approved: "by policy" }) })),
      reason: "the script's write calls, asked once before it runs",
      ...(effects.notes.length > 0 ? { note: effects.notes.join("; ") } : {}),
      expiresAt: new Date(expiresAtMs).toISOString(),
      expiresAtMs,
      sessionId: this.context.sessionId,
      seq: 0,
      argsKey: "",
      code: this.context.code,
      journal: [],
      plan: { approvalId: id, calls: effects.calls.filter((c) => c.needsApproval).map((c) => ({ tool: c.tool, ...(c.arguments !== "dynamic" ? { argsKey: canonicalJson(c.arguments) } : {}), repeats: c.repeats === true, used: false })) },
      ...(this.retry ? { retry: this.retry } : {}),
    };
  }

  #newPending(seq: number, tool: CatalogTool, args: Record<string, unknown>, argsKey: string, decision: PolicyDecision): PendingApproval {
    const ttlMs = this.guard.policy.config.approvalTtlSeconds * 1000;
    const expiresAtMs = Date.now() + ttlMs;
    return {
      id: newApprovalId(),
      tool: tool.id,
      arguments: args,
      reason: decision.rule === "policy.approveDestructive" ? "destructive tool (policy.approveDestructive)" : decision.rule,
      expiresAt: new Date(expiresAtMs).toISOString(),
      expiresAtMs,
      sessionId: this.context.sessionId,
      seq,
      argsKey,
      code: this.context.code,
      journal: [...this.#journal],
      ...(this.#planNote !== undefined ? { note: this.#planNote } : {}),
      ...(this.#grant ? { plan: clonePlan(this.#grant) } : {}),
      ...(this.retry ? { retry: this.retry } : {}),
    };
  }

  #diverged(seq: number, recorded: { tool: string; argsKey: string } | undefined, tool: CatalogTool, args: Record<string, unknown>): ToolcodeError {
    const approvedSeq = this.approved?.seq ?? seq;
    const expected = recorded ? `${recorded.tool}(${clip(recorded.argsKey)})` : "no call";
    return new ToolcodeError(
      "REPLAY_DIVERGED",
      `Call #${seq} differs from the run that asked for approval ${this.approved?.id}: it recorded ${expected}, this run called ${tool.id}(${clip(canonicalJson(args))}). ` +
        `With approve, the script must make the same calls with the same arguments, in the same order, up to the approved call #${approvedSeq}. Run the same script again, or run the changed script without approve to ask for a new approval.`,
      { seq, expected: recorded ? { tool: recorded.tool } : null, actual: { tool: tool.id }, approve: this.approved?.id },
    );
  }
}

/** The `APPROVAL_REQUIRED` error the run ends with. */
function approvalRequiredError(request: PendingApproval): ToolcodeError {
  return new ToolcodeError(
    "APPROVAL_REQUIRED",
    `${request.tool} needs approval (${request.reason}); the script stopped before this call, so it and everything after it did not run. ` +
      `Show the user this call and ask them to approve it: ${request.tool}(${clip(canonicalJson(request.arguments))}). ` +
      `If they approve, call execute again with the same code and approve: "${request.id}" (valid until ${request.expiresAt}); the calls before it are replayed from a journal, not repeated.`,
    { approval: approvalInfo(request) },
  );
}

/** The `APPROVAL_REQUIRED` error of a plan: the run stopped before the script started. */
function planRequiredError(request: PendingApproval): ToolcodeError {
  const calls = (request.arguments as { tool: string; arguments: unknown; repeats?: boolean }[]).map((c) => `${c.tool}(${c.arguments === "dynamic" ? "computed arguments" : clip(canonicalJson(c.arguments), 300)})${c.repeats ? " (may repeat)" : ""}`);
  return new ToolcodeError(
    "APPROVAL_REQUIRED",
    `This script's write calls need approval; nothing ran yet. Show the user the plan and ask them to approve it:\n- ${calls.join("\n- ")}\n` +
      `If they approve, call execute again with the same code and approve: "${request.id}" (valid until ${request.expiresAt}); calls in the plan then run without asking, any other still asks.`,
    { approval: approvalInfo(request) },
  );
}

function clonePlan(plan: PlanGrant): PlanGrant {
  return { approvalId: plan.approvalId, calls: plan.calls.map((c) => ({ ...c })) };
}

function fromInfo(info: ErrorInfo): ToolcodeError {
  return new ToolcodeError(info.code, info.message, info.details ?? {});
}

function clip(text: string, max = 1000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
