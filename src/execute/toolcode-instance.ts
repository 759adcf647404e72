/**
 * A running toolcode instance: search, declarations and the virtual tree through its discovery
 * providers, and `execute` as its steps (limits → guard → run → shape → spill, in `pipeline/`).
 *
 * @module
 */
import type { UserCredentials } from "../credentials/user-credentials.js";
import { randomBytes } from "node:crypto";
import { type Context, type Span, trace } from "@opentelemetry/api";
import type { Catalog } from "../catalog/catalog.js";
import type { SemanticReranker } from "../catalog/semantic-reranker.js";
import type { SearchIndex, SearchResult } from "../catalog/search-index.js";
import type { Config } from "../config/schema.js";
import { ToolcodeError } from "../errors.js";
import { type ApprovalInfo, approvalInfo } from "../guard/approvals.js";
import type { StateHandle } from "../runtime/open-state-store.js";
import type { AuditLog } from "../guard/audit-log.js";
import type { ExecutionGuard, Guard } from "../guard/guard.js";
import { type EffectsPlan, planEffects } from "../guard/effects-plan.js";
import { executionReport } from "../guard/idempotency.js";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { HiddenTools } from "../guard/hidden-tools.js";
import type { Engine, GuestApi } from "../sandbox/engine.js";
import type { SkillLibrary } from "../skills/skill-library.js";
import { closeSources } from "../sources/connect.js";
import type { ToolSource } from "../sources/tool-source.js";
import { type TelemetryHandle, failSpan, inSpan, remoteContext, tracer } from "../telemetry/telemetry.js";
import { type SearchDetail, describePythonResults, describeResults } from "../typegen/search-render.js";
import type { BuiltinRun, GuestBuiltin } from "./builtins/guest-builtin.js";
import { hostFunctionsBuiltin } from "./builtins/host-functions.js";
import type { ExecuteOptions, SearchOptions, SearchResponse, SourceFailure, Toolcode } from "./create-toolcode.js";
import type { ExecuteResult } from "./execute-result.js";
import { type ExecutionObserver, watchExecution } from "./execution-observer.js";
import { guardedHost } from "./pipeline/guarded-host.js";
import { runLimits } from "./pipeline/limits.js";
import { type GuestLanguage, type GuestOutcome, guestErrorInfo, runGuest } from "./pipeline/run-guest.js";
import { shapeOutcome } from "./pipeline/shape.js";
import { type ScriptTypeCheck, type TypeCheckReport, typeWarningsText } from "./pipeline/type-check.js";
import type { HostScrubber } from "./host-scrub.js";
import { ToolResultTally } from "./tool-result-tally.js";
import { nextSpillPaths, spillCut } from "./pipeline/spill.js";
import type { DiscoveryProvider } from "./providers/discovery-provider.js";
import type { SkillsProvider } from "./providers/skills-provider.js";
import { type Session, SessionStore } from "./sessions.js";
import type { TokenCounter } from "./token-counter.js";
import type { TenantLimits } from "./tenant-limits.js";
import type { WorkspaceEntry } from "./workspace.js";

/** The parts a {@link ToolcodeInstance} is made of (built by `createToolcode`). */
export interface ToolcodeParts {
  config: Config;
  /** The tools the policy lets scripts see. */
  catalog: Catalog;
  /** Every tool, denied ones included: calls resolve here so a denied tool gets POLICY_DENIED. */
  allTools: Catalog;
  failures: readonly SourceFailure[];
  warnings: readonly string[];
  /** What the operator should know (what the embedded default exposes, ignored keys of a client's file). */
  notices?: readonly string[];
  index: SearchIndex;
  /** Semantic re-ranking of search results (`search.embeddings`), when configured. */
  reranker?: SemanticReranker;
  /** What the policy hides. */
  hidden: HiddenTools;
  /** Search text, declarations and virtual files, asked in order. */
  providers: readonly DiscoveryProvider[];
  skills: SkillsProvider;
  /** Registered guest built-ins, in prelude order. */
  builtins: readonly GuestBuiltin[];
  /** The tool servers the sandbox exposes. */
  guestTools: Pick<GuestApi, "globals" | "hidden">;
  engine: Engine;
  /** The engine of Python scripts (`language: "python"`), started on its first run. */
  pythonEngine: Engine;
  sources: ToolSource[];
  counter: TokenCounter;
  /** Rewrites host paths in errors before the guest or the model sees them. */
  scrubber: HostScrubber;
  sessions: SessionStore;
  /** Per-tenant limits: script size, concurrent executions, fair share of the sandbox workers. */
  limits: TenantLimits;
  guard: Guard;
  audit?: AuditLog;
  /** The OpenTelemetry exporter this instance started (flushed and released on close). */
  telemetry?: TelemetryHandle;
  /** Each user's upstream credentials (the store per-user sources read). */
  credentials: UserCredentials;
  /** Type-checks scripts before they run (`sandbox.typeCheck`). */
  typeCheck?: ScriptTypeCheck;
  /** The state store pending approvals are kept in (`state`). */
  state?: StateHandle;
}

/** The {@link Toolcode} implementation. */
export class ToolcodeInstance implements Toolcode {
  #closed = false;
  readonly #defaultSession = SessionStore.newId();
  readonly #observers = new Set<ExecutionObserver>();
  readonly config: Config;
  readonly catalog: Catalog;
  readonly failures: readonly SourceFailure[];
  readonly warnings: readonly string[];
  readonly notices: readonly string[];
  readonly hidden: HiddenTools;
  readonly credentials: UserCredentials;
  readonly state: StateHandle | undefined;

  constructor(private readonly parts: ToolcodeParts) {
    this.credentials = parts.credentials;
    this.state = parts.state;
    this.notices = parts.notices ?? [];
    this.config = parts.config;
    this.catalog = parts.catalog;
    this.failures = parts.failures;
    this.warnings = parts.warnings;
    this.hidden = parts.hidden;
  }

  get skills(): SkillLibrary {
    return this.parts.skills.library();
  }

  search(query: string, options: SearchOptions = {}): SearchResponse {
    const span = this.#searchSpan(query, options, false);
    try {
      const { index, providers } = this.parts;
      for (const provider of providers) provider.syncIndex?.(index);
      const results = index.search(query, { limit: options.limit ?? 10, ...(options.server !== undefined ? { server: options.server } : {}) });
      span.setAttribute("toolcode.search.results", results.length);
      return this.#respond(query, results, options);
    } catch (error) {
      failSpan(span, error instanceof ToolcodeError ? error.code : "INTERNAL");
      throw error;
    } finally {
      span.end();
    }
  }

  async semanticSearch(query: string, options: SearchOptions = {}): Promise<SearchResponse> {
    const { index, providers, reranker } = this.parts;
    if (reranker === undefined) return this.search(query, options);
    return inSpan("toolcode.search", { parent: remoteContext(options.trace), attributes: searchAttributes(query, options, true) }, async (span) => {
      for (const provider of providers) provider.syncIndex?.(index);
      const limit = options.limit ?? 10;
      const lexical = index.search(query, { limit: reranker.candidates(limit), ...(options.server !== undefined ? { server: options.server } : {}) });
      const { results, note } = await reranker.rerank(query, lexical);
      span.setAttribute("toolcode.search.results", Math.min(limit, results.length));
      return this.#respond(query, results.slice(0, limit), options, note);
    });
  }

  #searchSpan(query: string, options: SearchOptions, semantic: boolean): Span {
    return tracer().startSpan("toolcode.search", { attributes: searchAttributes(query, options, semantic) }, remoteContext(options.trace));
  }

  /** The response for ranked `results`: per-result text at the detail asked, joined, with the providers' notes. */
  #respond(query: string, results: readonly SearchResult[], options: SearchOptions, note?: string): SearchResponse {
    const detail = options.detail ?? "signatures";
    const described = results.map((r) => this.#describe(r, detail, options.language));
    const text = results.length > 0
      ? described.join(detail === "full" ? "\n\n" : "\n")
      : `No tools match "${query}". Servers: ${this.catalog.serverIds().join(", ")}. Try other words, or an empty query to list tools.`;
    const notes = [...this.parts.providers.flatMap((p) => p.searchNote?.(query, options) ?? []), ...(note !== undefined ? [note] : [])];
    return { results: results.map((r, i) => ({ id: r.tool.id, score: r.score, text: described[i]! })), text: [text, ...notes].join("\n") };
  }

  #describe(result: SearchResult, detail: SearchDetail, language: GuestLanguage | undefined): string {
    // A tool of the catalog in Python: its stub; skills and other providers' results render as they do.
    if (language === "python" && this.catalog.tools().includes(result.tool)) return describePythonResults([result], detail);
    for (const provider of this.parts.providers) {
      const text = provider.describe?.(result, detail);
      if (text !== undefined) return text;
    }
    return describeResults([result], detail);
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const releases: (() => void)[] = [];
    const parent = remoteContext(options.trace);
    const attributes = { "toolcode.engine": options.language === "python" ? this.parts.pythonEngine.name : this.parts.engine.name, "toolcode.code.bytes": Buffer.byteLength(code), ...(options.user !== undefined ? { "toolcode.user": options.user } : {}) };
    return inSpan("toolcode.execute", { parent, attributes }, async (span) => {
      try {
        const result = await this.#execute(code, options, releases, trace.setSpan(parent, span));
        const { metadata } = result;
        span.setAttributes({
          "toolcode.tool_calls": metadata.toolCalls,
          "toolcode.tokens.output": metadata.tokens.output,
          "toolcode.tokens.tool_results": metadata.tokens.toolResults,
          "toolcode.tokens.saved": metadata.tokens.saved,
          "toolcode.output.truncated": metadata.truncated,
        });
        if (result.error) failSpan(span, result.error.code);
        return result;
      } finally {
        for (const release of releases) release();
      }
    });
  }

  async #execute(code: string, options: ExecuteOptions, releases: (() => void)[], traceContext: Context): Promise<ExecuteResult> {
    const started = performance.now();
    const sessionId = options.sessionId ?? this.#defaultSession;
    const limits = runLimits(this.config.sandbox, options.timeoutMs);
    const toolResults = new ToolResultTally(this.config.output.exactCountChars);
    let session: Session | undefined;
    let guard: ExecutionGuard | undefined;
    let outcome: GuestOutcome = { logs: [], value: undefined, error: null, toolCalls: 0 };
    const watch = watchExecution(this.#observers, { sessionId, code, ...(options.user !== undefined ? { user: options.user } : {}), ...(options.approve !== undefined ? { approve: options.approve } : {}) });
    const language = options.language ?? "javascript";
    const engine = language === "python" ? this.parts.pythonEngine : this.parts.engine;
    let typeReport: TypeCheckReport | undefined;
    let scriptStarted = false;
    try {
      if (language !== "javascript" && language !== "python") {
        throw new ToolcodeError("INVALID_ARGUMENTS", `Unknown language "${String(language)}": use "javascript" (the default; TypeScript is accepted) or "python".`, { language });
      }
      if (this.#closed) throw new ToolcodeError("INTERNAL", "This toolcode instance is closed; create a new one.");
      // Limits: script size, executions at once per session and user; a busy session never expires.
      this.parts.limits.checkCode(code);
      releases.push(this.parts.limits.acquire({ sessionId: options.sessionId, user: options.user }));
      const held = await this.parts.sessions.acquire(sessionId, options.user ?? null);
      releases.push(held.release);
      session = held.session;
      // A shared workspace (state.redis): the guest `state` another replica saved last.
      const sharedState = session.workspace.loadState ? await session.workspace.loadState() : undefined;
      if (sharedState !== undefined) session.state.json = sharedState;
      const stateBefore = session.state.json;
      const checked = await this.#typeCheck(code, options);
      typeReport = checked?.report;
      if (checked?.error) {
        outcome = { ...outcome, error: checked.error };
      } else {
        guard = await this.#beginGuard(sessionId, session, code, options);
        const running = guard;
        const planSignal = new AbortController();
        const proceed = await running.checkPlan(() => (language === "javascript" ? this.#plan(code, running) : undefined), planSignal.signal).finally(() => planSignal.abort());
        if (!proceed) throw new ToolcodeError("APPROVAL_REQUIRED", "stopped before the run"); // the guard's error replaces it
        scriptStarted = true;
        const builtins = this.#beginBuiltins(code, session, options, () => running.halted);
        const host = guardedHost({ allTools: this.parts.allTools, guard, scrubber: this.parts.scrubber, builtins: builtins.runs, onToolResult: (json) => toolResults.add(json), ...(options.onToolCall ? { onToolCall: options.onToolCall } : {}), trace: traceContext, ...(options.user !== undefined ? { user: options.user } : {}), ...(watch ? { watch } : {}) });
        outcome = await runGuest({ engine: this.parts.limits.fairEngine(engine, options.user), code, preludes: builtins.preludes, builtins: builtins.runs, tools: this.parts.guestTools, limits, host, language, session: { id: sessionId, user: options.user ?? null } });
        if (session.state.json !== stateBefore) await session.workspace.saveState?.(session.state.json);
      }
    } catch (thrown) {
      outcome = { ...outcome, error: guestErrorInfo(thrown) };
    }
    if (outcome.error?.code === "GUEST_SYNTAX_ERROR") scriptStarted = false;
    const settled = await guard?.finish({ error: outcome.error, toolCalls: outcome.toolCalls, started: scriptStarted });
    const unguarded = outcome.error && !settled ? { ...outcome.error, details: { ...outcome.error.details, execution: executionReport(false, [], false) } } : outcome.error;
    const error = this.parts.scrubber.guestError(settled ? settled.error : unguarded);
    const spill = session ? nextSpillPaths(session) : undefined;
    const { shaped, toolResultTokens, estimated } = await shapeOutcome(this.parts.counter, { ...outcome, error }, options.maxTokens ?? this.config.output.maxTokens, spill, toolResults, sessionId);
    const spilled = session && spill ? await spillCut(session, spill, shaped.cut, outcome) : {};
    await this.parts.audit?.flush(); // the run's records are in the audit file when its result returns
    const result: ExecuteResult = {
      result: shaped.result,
      logs: shaped.logs,
      error,
      text: error ? `${shaped.text}${typeWarningsText(typeReport)}` : shaped.text,
      ...(settled?.approval ? { approval: settled.approval } : {}),
      metadata: {
        engine: engine.name,
        sessionId,
        executionId: guard?.id ?? randomBytes(6).toString("hex"),
        durationMs: performance.now() - started,
        toolCalls: outcome.toolCalls,
        tokens: { output: shaped.tokens, toolResults: toolResultTokens, saved: Math.max(0, toolResultTokens - shaped.tokens), estimated },
        truncated: shaped.truncated,
        spilled,
        ...(outcome.sandbox !== undefined ? { sandbox: outcome.sandbox } : {}),
        ...(typeReport ? { typeCheck: typeReport } : {}),
      },
    };
    watch?.finish(result);
    return result;
  }

  /** Step 0: the type-check of `code` (none when the mode is `off`). */
  async #typeCheck(code: string, options: ExecuteOptions): Promise<{ report: TypeCheckReport; error: ExecuteResult["error"] } | undefined> {
    const mode = options.typeCheck ?? this.config.sandbox.typeCheck;
    const checker = this.parts.typeCheck;
    // Only TypeScript/JavaScript scripts are checked (a Python script is left to its engine).
    if (mode === "off" || !checker || (options.language ?? "javascript") !== "javascript") return undefined;
    return checker.check(code, mode, this.config.sandbox.typeCheckTimeoutMs);
  }

  /** The effects plan of a script (only worked out when some tool may need an approval). */
  #plan(code: string, guard: ExecutionGuard): EffectsPlan | undefined {
    const { allTools, guestTools } = this.parts;
    const tools = allTools.tools();
    if (!tools.some((tool) => guard.policyFor(tool).action === "approve")) return undefined;
    const servers = [...Object.keys(guestTools.globals), ...Object.keys(guestTools.hidden ?? {})];
    const resolve = (server: string, tool: string): CatalogTool | undefined => allTools.server(server)?.tools.find((t) => t.tool === tool);
    return planEffects(code, servers, resolve, this.parts.guard.policy);
  }

  #beginGuard(sessionId: string, session: Session, code: string, options: ExecuteOptions): Promise<ExecutionGuard> {
    return this.parts.guard.begin({
      sessionId,
      state: session.guard,
      sessionOpen: (id) => this.parts.sessions.has(id),
      code,
      ...(options.user !== undefined ? { user: options.user } : {}),
      ...(options.approve !== undefined ? { approve: options.approve } : {}),
      ...(options.retryOf !== undefined ? { retryOf: options.retryOf } : {}),
      ...(options.onApproval ? { onApproval: options.onApproval, approvalVia: options.approvalVia ?? "callback" } : {}),
    });
  }

  /** This run's built-ins (the registered ones, then the call's host functions): their runs by bridge, and preludes. */
  #beginBuiltins(code: string, session: Session, options: ExecuteOptions, halted: () => boolean): { runs: Map<string, BuiltinRun>; preludes: string[] } {
    const builtins = options.builtins ? [...this.parts.builtins, hostFunctionsBuiltin(options.builtins)] : this.parts.builtins;
    const context = { code, workspace: session.workspace, state: session.state, halted, language: options.language ?? "javascript" };
    return { runs: new Map(builtins.map((b) => [b.bridge, b.begin(context)])), preludes: builtins.map((b) => b.prelude) };
  }

  async endSession(sessionId: string, options: { local?: boolean; user?: string | null } = {}): Promise<void> {
    await this.parts.sessions.end(sessionId, options.local === true ? "local" : "end", options.user);
    if (options.local !== true) await this.parts.guard.endSession(sessionId, options.user ?? null);
  }

  async pendingApprovals(options: { sessionId?: string; user?: string } = {}): Promise<ApprovalInfo[]> {
    const session = await this.parts.sessions.get(options.sessionId ?? this.#defaultSession, options.user ?? null);
    return session.guard.approvals.list().map(approvalInfo);
  }

  async rejectApproval(approvalId: string, options: { sessionId?: string; user?: string } = {}): Promise<boolean> {
    const session = await this.parts.sessions.get(options.sessionId ?? this.#defaultSession, options.user ?? null);
    return session.guard.approvals.discard(approvalId, options.user ?? null);
  }

  async workspaceFiles(options: { sessionId?: string; user?: string } = {}): Promise<WorkspaceEntry[]> {
    const session = await this.parts.sessions.get(options.sessionId ?? this.#defaultSession, options.user ?? null);
    return session.workspace.list();
  }

  observe(observer: ExecutionObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  async approve(approvalId: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const session = await this.parts.sessions.get(options.sessionId ?? this.#defaultSession, options.user ?? null);
    const found = await session.guard.approvals.lookup(approvalId, options.user ?? null);
    // An unknown or expired id still goes through execute, which reports APPROVAL_INVALID.
    return this.execute(found.ok ? found.approval.code : "", { ...options, approve: approvalId });
  }

  types(server?: string): string {
    const { providers } = this.parts;
    if (server === undefined) return providers.flatMap((p) => p.declarations()).join("\n");
    for (const provider of providers) {
      const text = provider.serverDeclarations?.(server);
      if (text !== undefined) return text;
    }
    throw new ToolcodeError("SERVER_NOT_FOUND", `Unknown server "${server}". Available servers: ${this.catalog.serverIds().join(", ")}.`, {
      server,
      available: this.catalog.serverIds(),
    });
  }

  virtualPaths(): string[] {
    return this.parts.providers.flatMap((p) => p.virtualPaths());
  }

  virtualFile(file: string): string | undefined {
    for (const provider of this.parts.providers) {
      const text = provider.virtualFile(file);
      if (text !== undefined) return text;
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { engine, pythonEngine, sources, counter, sessions, skills, audit, telemetry, state } = this.parts;
    await skills.opened?.close();
    await Promise.allSettled([engine.close(), pythonEngine.close(), closeSources(sources), counter.close(), sessions.close(), this.parts.typeCheck?.close(), state?.close()]);
    await audit?.close();
    await telemetry?.close();
  }
}

/** Attributes of a search span: sizes and options, never the query text (it may quote user data). */
function searchAttributes(query: string, options: SearchOptions, semantic: boolean): Record<string, string | number | boolean> {
  return {
    "toolcode.search.query_chars": query.length,
    "toolcode.search.limit": options.limit ?? 10,
    "toolcode.search.detail": options.detail ?? "signatures",
    "toolcode.search.semantic": semantic,
    ...(options.server !== undefined ? { "toolcode.search.server": options.server } : {}),
  };
}

/**
 * What the sandbox exposes: every server as a global with the tools the policy lets scripts
 * see, and the denied tools as hidden ones (callable, so the guard answers POLICY_DENIED, but
 * never listed).
 */
export function guestTools(visible: Catalog, allTools: Catalog): { globals: Record<string, string[]>; hidden: Record<string, string[]> } {
  const listed = visible.globals();
  const globals: Record<string, string[]> = {};
  const hidden: Record<string, string[]> = {};
  for (const id of allTools.serverIds()) {
    const tools = listed[id] ?? [];
    globals[id] = tools;
    const denied = (allTools.server(id)?.tools ?? []).map((t) => t.tool).filter((tool) => !tools.includes(tool));
    if (denied.length > 0) hidden[id] = denied;
  }
  return { globals, hidden };
}
