/**
 * The library entry point: config → sources → catalog → search/types → sandboxed execute.
 *
 * @module
 */
import { Catalog } from "../catalog/catalog.js";
import { SearchIndex } from "../catalog/search-index.js";
import { loadConfig } from "../config/load-config.js";
import { type Config, type ConfigInput, configSchema } from "../config/schema.js";
import os from "node:os";
import path from "node:path";
import { type ToolcodeError, ToolcodeError as ToolcodeErrorClass, toErrorInfo } from "../errors.js";
import { type ApprovalInfo, approvalInfo } from "../guard/approvals.js";
import { AuditLog } from "../guard/audit-log.js";
import { type ApprovalHandler, type ExecutionGuard, Guard } from "../guard/guard.js";
import { HiddenTools } from "../guard/hidden-tools.js";
import { Policy } from "../guard/policy.js";
import type { Engine, SandboxHost, SandboxLimits } from "../sandbox/engine.js";
import { createEngine } from "../sandbox/create-engine.js";
import { closeSources, connectSources } from "../sources/connect.js";
import { loadOpenApiSources } from "../sources/openapi/load-openapi-sources.js";
import type { ToolSource } from "../sources/tool-source.js";
import { DeclarationStore, declarationDiskCache } from "../typegen/declaration-store.js";
import { type SearchDetail, describeResults } from "../typegen/search-render.js";
import { virtualTreePaths } from "../typegen/virtual-tree.js";
import type { ExecuteResult } from "./execute-result.js";
import { GUEST_PRELUDE, WORKSPACE_BRIDGE, WORKSPACE_DECLARATION, WORKSPACE_TOOLS, callWorkspace } from "./guest-builtins.js";
import { type Session, SessionStore } from "./sessions.js";
import { TokenCounter } from "./token-counter.js";
import { transpileGuest } from "./transpile.js";
import { SKILLS_BRIDGE, SKILLS_BRIDGE_TOOLS } from "../skills/guest-skills.js";
import { SKILLS_SERVER, SkillLibrary } from "../skills/skill-library.js";

/** Virtual-tree path of the `workspace` declarations. */
const WORKSPACE_FILE = "workspace.d.ts";

/** Options for {@link createToolcode}. */
export interface ToolcodeOptions {
  /** A config object (validated here); takes precedence over `configPath`. */
  config?: Config | ConfigInput;
  /** A config file; otherwise `./toolcode.config.json`, otherwise the embedded default. */
  configPath?: string;
  /** Working directory for relative paths and stdio servers (default `process.cwd()`). */
  cwd?: string;
  /** Extra sources to add beside the configured MCP servers (e.g. for tests or embedding). */
  sources?: ToolSource[];
  /**
   * Decides approvals interactively (calls marked `policy.approve` and destructive calls):
   * `true` runs the call, `false` refuses it, `undefined` stops the run with a pending approval.
   * Without it, such calls always stop the run with a pending approval.
   */
  onApproval?: ApprovalHandler;
}

/** A source that failed to connect, and why. The other sources keep working. */
export interface SourceFailure {
  name: string;
  error: ToolcodeError;
}

/** Options for {@link Toolcode.search}. */
export interface SearchOptions {
  /** `names` (cheapest), `signatures` (default) or `full` declarations. */
  detail?: SearchDetail;
  limit?: number;
  /** Only tools of this server (guest identifier). */
  server?: string;
}

/** Result of {@link Toolcode.search}: ranked tool ids and the text the model reads. */
export interface SearchResponse {
  results: { id: string; score: number }[];
  text: string;
}

/** Options for {@link Toolcode.execute}. */
export interface ExecuteOptions {
  /** Overrides `sandbox.timeoutMs` for this call (never above it). */
  timeoutMs?: number;
  /** Overrides `output.maxTokens` for this call. */
  maxTokens?: number;
  /**
   * The session whose workspace the script uses; calls with the same id share files.
   * Default: the instance's own default session.
   */
  sessionId?: string;
  /** Extra guest built-ins for this run only (the agent's `final` and `searchTools`). */
  builtins?: GuestBuiltins;
  /**
   * The id of a pending approval of this session (from an earlier result's `approval`): the
   * script runs again, calls before the approved one are answered from that run's journal, and
   * the approved call runs if it is the same call at the same position.
   */
  approve?: string;
  /** Interactive approver for this run (overrides {@link ToolcodeOptions.onApproval}). */
  onApproval?: ApprovalHandler;
  /** How the audit log names `onApproval` (default `callback`; the MCP server uses `elicitation`). */
  approvalVia?: "callback" | "elicitation";
  /** Who runs the script (audit log; a session belongs to the user who opened it). */
  user?: string;
  /** Called as each tool call of the script starts (`server.tool`), e.g. to report progress. Must not throw. */
  onToolCall?: (tool: string) => void;
}

/**
 * Guest built-ins implemented on the host for one run. `prelude` (one line of JavaScript, run
 * after the standard prelude) reaches `functions.<name>` as `__host.<name>(arg)`: one JSON
 * argument, awaited like a tool call (and counted as one); a throw reaches the guest as a
 * `ToolError`. Host functions bypass the catalog, so they must not reach tools themselves.
 */
export interface GuestBuiltins {
  prelude: string;
  functions: Record<string, (arg: unknown) => unknown>;
}

/** The reserved bridge global behind {@link GuestBuiltins}. Not a valid config key for a server. */
export const HOST_BRIDGE = "__host";

/** A running toolcode instance. */
export interface Toolcode {
  readonly config: Config;
  readonly catalog: Catalog;
  /** Saved skills (`config.skills`): save, list, remove, usage. Read from disk on first use. */
  readonly skills: SkillLibrary;
  /** Sources that failed to connect. */
  readonly failures: readonly SourceFailure[];
  /** Config problems worth a warning, e.g. policy patterns that match no tool. */
  readonly warnings: readonly string[];
  /** The tools the policy hides (counted in descriptions, named by search unless `policy.revealHidden` is false). */
  readonly hidden: HiddenTools;
  search(query: string, options?: SearchOptions): SearchResponse;
  /** Runs a TypeScript script in the sandbox. Never throws for guest failures. */
  execute(code: string, options?: ExecuteOptions): Promise<ExecuteResult>;
  /**
   * The declarations the model reads: one server's namespace, or all of them. A server with more than
   * 100 tools (`MAX_NAMESPACE_TOOLS`) is shown as an index of tool names and summaries instead; each
   * tool's declaration is then in `virtualFile("servers/<server>/<tool>.d.ts")`.
   */
  types(server?: string): string;
  /** Paths of the virtual tree: `servers/index.d.ts`, `servers/<server>/index.d.ts`, one file per tool, `workspace.d.ts`. */
  virtualPaths(): string[];
  /** One file of the virtual tree (rendered on first use, then cached), or undefined. */
  virtualFile(path: string): string | undefined;
  /** Ends a session now, removing its workspace, PII vault and pending approvals. */
  endSession(sessionId: string): Promise<void>;
  /** Pending approvals of a session (default: the instance's default session). */
  pendingApprovals(options?: { sessionId?: string; user?: string }): Promise<ApprovalInfo[]>;
  /**
   * Approves a pending approval and resumes its script: the same as `execute(code, { approve })`
   * with the code that asked for it.
   */
  approve(approvalId: string, options?: ExecuteOptions): Promise<ExecuteResult>;
  close(): Promise<void>;
}

/** Connects every configured source (in parallel) and returns a ready {@link Toolcode}. */
export async function createToolcode(options: ToolcodeOptions = {}): Promise<Toolcode> {
  const cwd = options.cwd ?? process.cwd();
  let config: Config;
  let baseDir = cwd;
  if (options.config !== undefined) {
    config = configSchema.parse(options.config);
  } else {
    const loaded = loadConfig({ cwd, ...(options.configPath !== undefined ? { path: options.configPath } : {}) });
    config = loaded.config;
    baseDir = loaded.baseDir;
  }
  config = { ...config, skills: { ...config.skills, dir: path.resolve(baseDir, config.skills.dir), ...(config.skills.shared !== undefined ? { shared: path.resolve(baseDir, config.skills.shared) } : {}) } };
  const counter = new TokenCounter();
  counter.warm();
  const [mcp, openapi] = await Promise.all([connectSources(config.mcpServers, { cwd: baseDir }), loadOpenApiSources(config.openapi, { baseDir })]);
  const failures = [...mcp.failures, ...openapi.failures];
  const allSources = [...mcp.sources, ...openapi.sources, ...(options.sources ?? [])];
  let catalog: Catalog;
  try {
    catalog = await Catalog.build(allSources);
  } catch (error) {
    await Promise.all([closeSources(allSources), counter.close()]);
    throw error;
  }
  const policy = new Policy(config.policy);
  const visible = catalog.filter((tool) => policy.visible(tool));
  const warnings = policy.unmatched(catalog.tools()).map((key) => `${key} matches no tool; check the <source>.<tool> names with \`toolcode search\`.`);
  const audit = config.audit.file !== undefined ? AuditLog.open(config.audit.file, baseDir, { arguments: config.audit.arguments, fields: config.privacy.fields }) : undefined;
  const guard = new Guard({ policy, privacy: config.privacy, ...(audit ? { audit } : {}), ...(options.onApproval ? { onApproval: options.onApproval } : {}) });
  const index = new SearchIndex(visible.tools());
  const engine: Engine = createEngine(config.sandbox);
  const sessions = new SessionStore({
    root: path.resolve(baseDir, config.workspace.dir ?? path.join(os.tmpdir(), "toolcode-workspaces", `${process.pid}-${Date.now().toString(36)}`)),
    maxBytes: config.workspace.maxBytes,
    idleMs: config.workspace.idleMinutes * 60_000,
    keepOnClose: config.workspace.dir !== undefined,
    newGuardState: () => guard.newSessionState(),
  });
  return new ToolcodeInstance(config, visible, failures, warnings, index, engine, allSources, counter, sessions, catalog, guard, audit);
}

class ToolcodeInstance implements Toolcode {
  #closed = false;
  readonly #defaultSession = SessionStore.newId();
  /** Rendered declarations: lazily, per tool, cached in memory and (OpenAPI sources) on disk by spec hash. */
  readonly #declarations = new DeclarationStore(() => this.catalog, {
    diskCache: (server) => declarationDiskCache(this.catalog.server(server)?.source, server),
  });
  #skills: SkillLibrary | undefined;
  #guest: { globals: Record<string, string[]>; hidden: Record<string, string[]> } | undefined;
  #hidden: HiddenTools | undefined;

  constructor(
    readonly config: Config,
    readonly catalog: Catalog,
    readonly failures: readonly SourceFailure[],
    readonly warnings: readonly string[],
    private readonly index: SearchIndex,
    private readonly engine: Engine,
    private readonly sources: ToolSource[],
    private readonly counter: TokenCounter,
    private readonly sessions: SessionStore,
    /** Every tool, denied ones included: calls resolve here so a denied tool gets POLICY_DENIED. */
    private readonly allTools: Catalog,
    private readonly guard: Guard,
    private readonly audit: AuditLog | undefined,
  ) {}

  get skills(): SkillLibrary {
    if (!this.#skills) {
      // Opened on first use; skills join the search index as the `skills` server.
      const library = SkillLibrary.fromConfig(this.config.skills, process.cwd(), { tools: () => this.catalog.tools(), builtinDeclarations: WORKSPACE_DECLARATION, builtinPrelude: GUEST_PRELUDE });
      this.index.add(library.catalogTools());
      library.onChange(() => this.index.replace(SKILLS_SERVER, library.catalogTools()));
      this.#skills = library;
    } else {
      this.#skills.refresh(); // skills saved or removed by other processes since
    }
    return this.#skills;
  }

  get hidden(): HiddenTools {
    this.#hidden ??= new HiddenTools(this.allTools.tools(), this.guard.policy, this.config.policy.revealHidden);
    return this.#hidden;
  }

  search(query: string, options: SearchOptions = {}): SearchResponse {
    const skills = this.skills;
    const results = this.index.search(query, {
      limit: options.limit ?? 10,
      ...(options.server !== undefined ? { server: options.server } : {}),
    });
    const detail = options.detail ?? "signatures";
    const text = results.length > 0
      ? results.map((r) => (r.tool.server === SKILLS_SERVER ? skills.describe(r.tool.tool, detail) : undefined) ?? describeResults([r], detail, this.#declarations)).join(detail === "full" ? "\n\n" : "\n")
      : `No tools match "${query}". Servers: ${this.catalog.serverIds().join(", ")}. Try other words, or an empty query to list tools.`;
    const hidden = this.hidden.describeMatches(query, options);
    return { results: results.map((r) => ({ id: r.tool.id, score: r.score })), text: hidden === undefined ? text : `${text}\n${hidden}` };
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const started = performance.now();
    const sessionId = options.sessionId ?? this.#defaultSession;
    const maxTokens = options.maxTokens ?? this.config.output.maxTokens;
    const limits: SandboxLimits = {
      timeoutMs: Math.min(options.timeoutMs ?? this.config.sandbox.timeoutMs, this.config.sandbox.timeoutMs),
      memoryMb: this.config.sandbox.memoryMb,
      maxStackKb: this.config.sandbox.maxStackKb,
      maxToolCalls: this.config.sandbox.maxToolCalls,
      maxLogBytes: this.config.sandbox.maxLogBytes,
      maxConcurrentToolCalls: this.config.sandbox.maxConcurrentToolCalls,
      maxToolArgBytes: this.config.sandbox.maxToolArgBytes,
      maxToolResultBytes: this.config.sandbox.maxToolResultBytes,
      maxResultBytes: this.config.sandbox.maxResultBytes,
      maxJsonDepth: this.config.sandbox.maxJsonDepth,
    };
    const rawResults: string[] = [];
    let session: Session | undefined;
    let logs: string[] = [];
    let value: unknown;
    let error: ExecuteResult["error"] = null;
    let toolCalls = 0;
    let guard: ExecutionGuard | undefined;
    try {
      if (this.#closed) throw new ToolcodeErrorClass("INTERNAL", "This toolcode instance is closed; create a new one.");
      session = await this.sessions.get(sessionId, options.user ?? null);
      guard = this.guard.begin({
        sessionId,
        state: session.guard,
        code,
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(options.approve !== undefined ? { approve: options.approve } : {}),
        ...(options.onApproval ? { onApproval: options.onApproval, approvalVia: options.approvalVia ?? "callback" } : {}),
      });
      const executionGuard = guard;
      const workspace = session.workspace;
      const builtins = options.builtins;
      const skillRun = this.skills.beginRun(code);
      const transpiled = transpileGuest(code, { prelude: GUEST_PRELUDE + skillRun.prelude + (builtins?.prelude ?? "") });
      const host: SandboxHost = {
        callTool: async (server, tool, args, signal) => {
          if (server === WORKSPACE_BRIDGE) return callWorkspace(workspace, tool, args);
          if (server === SKILLS_BRIDGE) return skillRun.call(tool, args);
          if (server === HOST_BRIDGE && builtins && Object.hasOwn(builtins.functions, tool)) return (builtins.functions[tool] as (arg: unknown) => unknown)(args);
          const { tool: found, source } = this.allTools.resolve(server, tool);
          options.onToolCall?.(found.id);
          const input = args === undefined || args === null ? {} : args;
          if (typeof input !== "object" || Array.isArray(input)) {
            throw new ToolcodeErrorClass("INVALID_ARGUMENTS", `${found.id} takes one object argument, e.g. ${found.id}({ … }); got ${Array.isArray(input) ? "an array" : typeof input}.`);
          }
          // The guard checks the policy, asks for approval, replays, and swaps PII tokens.
          return executionGuard.call(found, input as Record<string, unknown>, signal, async (realArgs) => {
            const result = await source.callTool(found.spec.name, realArgs, { signal });
            rawResults.push(typeof result === "string" ? result : (JSON.stringify(result) ?? ""));
            return result;
          });
        },
      };
      const globals = { ...this.#guestTools().globals, [WORKSPACE_BRIDGE]: WORKSPACE_TOOLS, [SKILLS_BRIDGE]: SKILLS_BRIDGE_TOOLS, ...(builtins ? { [HOST_BRIDGE]: Object.keys(builtins.functions) } : {}) };
      const run = await this.engine.run({ code: skillRun.wrapMain(transpiled.code), lineOffset: transpiled.lineOffset, api: { hidden: this.#guestTools().hidden, globals, modules: skillRun.modules }, limits }, host);
      logs = run.logs.map((entry) => (entry.level === "log" || entry.level === "info" ? entry.message : `[${entry.level}] ${entry.message}`));
      toolCalls = run.stats.toolCalls - skillRun.internalCalls;
      if (run.ok) value = run.value;
      else error = run.error;
      await skillRun.finish(run.ok);
    } catch (thrown) {
      error = guestErrorInfo(thrown);
    }
    let approval: ApprovalInfo | undefined;
    if (guard) {
      const guarded = guard.finish({ error, toolCalls });
      if (guarded.error !== error) error = guarded.error;
      approval = guarded.approval;
    }
    const spill = session ? { logs: `spill/${++session.spills}-logs.txt`, result: `spill/${session.spills}-result.json` } : undefined;
    const [shaped, toolResultTokens] = await Promise.all([
      this.counter.shape({ logs, result: value, error }, maxTokens, spill),
      this.counter.count(rawResults).then((counts) => counts.reduce((a, b) => a + b, 0)),
    ]);
    const spilled: { logs?: string; result?: string } = {};
    if (session && spill) {
      if (shaped.cut.result) spilled.result = (await session.workspace.write(spill.result, value).catch(() => undefined))?.path;
      if (shaped.cut.logs) spilled.logs = (await session.workspace.write(spill.logs, logs.join("\n")).catch(() => undefined))?.path;
      if (!spilled.result) delete spilled.result;
      if (!spilled.logs) delete spilled.logs;
    }
    return {
      result: shaped.result,
      logs: shaped.logs,
      error,
      text: shaped.text,
      ...(approval ? { approval } : {}),
      metadata: {
        engine: this.engine.name,
        sessionId,
        durationMs: performance.now() - started,
        toolCalls,
        tokens: { output: shaped.tokens, toolResults: toolResultTokens, saved: Math.max(0, toolResultTokens - shaped.tokens) },
        truncated: shaped.truncated,
        spilled,
      },
    };
  }

  /**
   * What the sandbox exposes: every server as a global with the tools the policy lets scripts
   * see, and the denied tools as hidden ones (callable, so the guard answers POLICY_DENIED, but
   * never listed).
   */
  #guestTools(): { globals: Record<string, string[]>; hidden: Record<string, string[]> } {
    if (!this.#guest) {
      const visible = this.catalog.globals();
      const globals: Record<string, string[]> = {};
      const hidden: Record<string, string[]> = {};
      for (const id of this.allTools.serverIds()) {
        const listed = visible[id] ?? [];
        globals[id] = listed;
        const denied = (this.allTools.server(id)?.tools ?? []).map((t) => t.tool).filter((tool) => !listed.includes(tool));
        if (denied.length > 0) hidden[id] = denied;
      }
      this.#guest = { globals, hidden };
    }
    return this.#guest;
  }

  async endSession(sessionId: string): Promise<void> {
    await this.sessions.end(sessionId);
  }

  async pendingApprovals(options: { sessionId?: string; user?: string } = {}): Promise<ApprovalInfo[]> {
    const session = await this.sessions.get(options.sessionId ?? this.#defaultSession, options.user ?? null);
    return session.guard.approvals.list().map(approvalInfo);
  }

  async approve(approvalId: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const session = await this.sessions.get(options.sessionId ?? this.#defaultSession, options.user ?? null);
    const found = session.guard.approvals.find(approvalId);
    // An unknown or expired id still goes through execute, which reports APPROVAL_INVALID.
    return this.execute(found.ok ? found.approval.code : "", { ...options, approve: approvalId });
  }

  types(server?: string): string {
    if (server === SKILLS_SERVER && !this.catalog.server(server)) return this.skills.namespaceDeclaration();
    if (server !== undefined) {
      const entry = this.catalog.server(server);
      if (!entry) {
        throw new ToolcodeErrorClass("SERVER_NOT_FOUND", `Unknown server "${server}". Available servers: ${this.catalog.serverIds().join(", ")}.`, {
          server,
          available: this.catalog.serverIds(),
        });
      }
      return (this.#declarations.server(entry.id) ?? "") + this.hidden.declarationComment(entry.id);
    }
    return [...this.catalog.serverIds().map((id) => this.#declarations.server(id) ?? ""), WORKSPACE_DECLARATION, this.skills.namespaceDeclaration(), this.hidden.declarationComment()].join("\n");
  }

  virtualPaths(): string[] {
    return [...virtualTreePaths(this.catalog.tools()), WORKSPACE_FILE, ...this.skills.virtualPaths()];
  }

  virtualFile(file: string): string | undefined {
    if (file === WORKSPACE_FILE) return WORKSPACE_DECLARATION;
    if (file.startsWith("skills/")) return this.skills.virtualFile(file);
    return this.#declarations.file(file);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#skills?.close();
    await Promise.allSettled([this.engine.close(), closeSources(this.sources), this.counter.close(), this.sessions.close()]);
    await this.audit?.close();
  }
}

/** A host-side failure (syntax error, closed instance, …) as the guest-error shape, keeping line/column. */
function guestErrorInfo(thrown: unknown): NonNullable<ExecuteResult["error"]> {
  const info: NonNullable<ExecuteResult["error"]> = toErrorInfo(thrown, "INTERNAL");
  const { line, column } = (info.details ?? {}) as { line?: unknown; column?: unknown };
  if (typeof line === "number") info.line = line;
  if (typeof column === "number") info.column = column;
  return info;
}
