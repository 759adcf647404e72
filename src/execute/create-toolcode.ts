/**
 * The library entry point: config → sources → catalog → search/types → sandboxed execute.
 * This file is wiring: it builds the parts and hands them to {@link ToolcodeInstance}.
 *
 * @module
 */
import os from "node:os";
import path from "node:path";
import { Catalog } from "../catalog/catalog.js";
import { openAiCompatibleEmbedder } from "../catalog/embedder.js";
import { SearchIndex } from "../catalog/search-index.js";
import { SemanticReranker } from "../catalog/semantic-reranker.js";
import { STATE_DIR_NAME } from "../config/default-config.js";
import { loadConfig } from "../config/load-config.js";
import { type Config, type ConfigInput, configSchema } from "../config/schema.js";
import { ToolcodeError } from "../errors.js";
import type { ApprovalInfo } from "../guard/approvals.js";
import { AuditLog } from "../guard/audit-log.js";
import { type ApprovalHandler, Guard } from "../guard/guard.js";
import { SharedVault } from "../guard/shared-vault.js";
import { DEFAULT_RETRY_LIMITS } from "../guard/idempotency.js";
import { HiddenTools } from "../guard/hidden-tools.js";
import { Policy } from "../guard/policy.js";
import type { CredentialStore } from "../credentials/credential-store.js";
import { openCredentialStore } from "../credentials/open-store.js";
import { UserCredentials } from "../credentials/user-credentials.js";
import { type StateHandle, openStateStore } from "../runtime/open-state-store.js";
import { createEngine } from "../sandbox/create-engine.js";
import { STRONG_ISOLATIONS } from "../sandbox/host/isolation-hosts.js";
import type { GuestLanguage } from "./pipeline/run-guest.js";
import { lazyPythonEngine } from "./python-engine.js";
import { pythonStubsProvider } from "./providers/python-stubs-provider.js";
import { SkillLibrary } from "../skills/skill-library.js";
import { closeSources, connectSources } from "../sources/connect.js";
import { RootsChannel } from "../sources/roots.js";
import { loadOpenApiSources } from "../sources/openapi/load-openapi-sources.js";
import type { ToolSource } from "../sources/tool-source.js";
import { type TraceCarrier, startTelemetry } from "../telemetry/telemetry.js";
import type { SearchDetail } from "../typegen/search-render.js";
import type { GuestBuiltins } from "./builtins/host-functions.js";
import { registeredBuiltins, skillBuiltins } from "./builtins/registry.js";
import type { ExecuteResult } from "./execute-result.js";
import { builtinsProvider } from "./providers/builtins-provider.js";
import { ScriptTypeCheck } from "./pipeline/type-check.js";
import { CatalogProvider } from "./providers/catalog-provider.js";
import { hiddenToolsProvider } from "./providers/hidden-tools-provider.js";
import { SkillsProvider } from "./providers/skills-provider.js";
import { SessionStore } from "./sessions.js";
import { StoredWorkspace } from "./stored-workspace.js";
import { TenantLimits } from "./tenant-limits.js";
import { HostScrubber } from "./host-scrub.js";
import { sourceHealthProvider } from "./providers/source-health-provider.js";
import { TokenCounter } from "./token-counter.js";
import { ToolcodeInstance, guestTools } from "./toolcode-instance.js";
import type { ExecutionObserver } from "./execution-observer.js";
import type { WorkspaceEntry } from "./workspace.js";

export type { GuestBuiltins } from "./builtins/host-functions.js";

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
   * The MCP roots declared to the configured MCP servers (they may confine themselves to them);
   * its directories also root the embedded default's filesystem server. `set()` later tells the
   * servers (`toolcode serve` passes on its client's roots this way). Without it, only the
   * embedded default declares roots (none, so its filesystem server keeps its directories).
   */
  roots?: RootsChannel;
  /**
   * Adjusts the loaded config before anything starts, knowing the directory its relative paths
   * resolve against (the CLI keeps `exec --session` workspaces under `<baseDir>/.toolcode/`).
   */
  configure?: (config: Config, context: { baseDir: string }) => Config;
  /** Hears what starting is waiting for (`starting MCP servers: a, b; loading OpenAPI specs: c`), for progress output. */
  onProgress?: (message: string) => void;
  /**
   * Decides approvals interactively (calls marked `policy.approve` and destructive calls):
   * `true` runs the call, `false` refuses it, `undefined` stops the run with a pending approval.
   * Without it, such calls always stop the run with a pending approval.
   */
  onApproval?: ApprovalHandler;
  /**
   * Where each user's upstream credentials (`${user.NAME}` placeholders, OAuth tokens) come from;
   * default: the store `credentials.store` names.
   */
  credentialStore?: CredentialStore;
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
  /** Render signatures for this language's scripts: `"javascript"` (TypeScript, default) or `"python"` (`async def` stubs). */
  language?: GuestLanguage;
  /** W3C trace context of the caller (`traceparent`, `tracestate`): the search span joins that trace. */
  trace?: TraceCarrier;
}

/** Result of {@link Toolcode.search}: ranked tool ids and the text the model reads. */
export interface SearchResponse {
  /** Ranked tools; `text` is what `text` shows for that tool (signature, name or declaration, by `detail`). */
  results: { id: string; score: number; text?: string }[];
  text: string;
}

/** Options for {@link Toolcode.execute}. */
export interface ExecuteOptions {
  /** W3C trace context of the caller (`traceparent`, `tracestate`): the execute span and its tool-call spans join that trace. */
  trace?: TraceCarrier;
  /** Overrides `sandbox.timeoutMs` for this call (never above it). */
  timeoutMs?: number;
  /**
   * The script's language: `"javascript"` (default; TypeScript is accepted) or `"python"` (run by
   * Pyodide, an optional peer dependency: `npm install pyodide@314.0.8`).
   */
  language?: GuestLanguage;
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
  /**
   * The `executionId` of an earlier run of this session that failed after writes
   * (`INTERRUPTED_AFTER_WRITES`): its successful writes are answered from its journal instead of
   * being repeated, when this run makes them again in the same order with the same arguments.
   */
  retryOf?: string;
  /** Interactive approver for this run (overrides {@link ToolcodeOptions.onApproval}). */
  onApproval?: ApprovalHandler;
  /** How the audit log names `onApproval` (default `callback`; the MCP server uses `elicitation`). */
  approvalVia?: "callback" | "elicitation";
  /** Who runs the script (audit log; a session belongs to the user who opened it). */
  user?: string;
  /** Overrides `sandbox.typeCheck` for this call: `error`, `warn` or `off`. */
  typeCheck?: "off" | "warn" | "error";
  /** Called as each tool call of the script starts (`server.tool`), e.g. to report progress. Must not throw. */
  onToolCall?: (tool: string) => void;
}

/** A running toolcode instance. */
export interface Toolcode {
  readonly config: Config;
  readonly catalog: Catalog;
  /** Saved skills (`config.skills`): save, list, remove, usage. Read from disk on first use. */
  readonly skills: SkillLibrary;
  /** Each user's upstream credentials: the store `toolcode connect` writes and per-user sources read. */
  readonly credentials: UserCredentials;
  /** The state store (`state`): pending approvals, and the MCP sessions `serve --http` shares between replicas. */
  readonly state?: StateHandle;
  /** Sources that failed to connect. */
  readonly failures: readonly SourceFailure[];
  /** Config problems worth a warning, e.g. policy patterns that match no tool. */
  readonly warnings: readonly string[];
  /** What the operator should know: what the embedded default exposes, keys of a client's file that were ignored. */
  readonly notices: readonly string[];
  /** The tools the policy hides (counted in descriptions, named by search unless `policy.revealHidden` is false). */
  readonly hidden: HiddenTools;
  /** Lexical search: synchronous, offline. */
  search(query: string, options?: SearchOptions): SearchResponse;
  /**
   * {@link Toolcode.search} re-ranked by the configured embeddings (`search.embeddings`); exactly
   * `search` when none is configured. When the embeddings endpoint fails or times out, the
   * lexical results come back with a note saying so in `text`: it never rejects for that.
   */
  semanticSearch(query: string, options?: SearchOptions): Promise<SearchResponse>;
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
  /**
   * Ends a session now, removing its workspace, PII vault and pending approvals. With state.redis
   * the shared workspace goes too (for every replica; pass `user` when the session may not be open
   * here), unless `local`: then only this process lets go of the session (other replicas keep it).
   */
  endSession(sessionId: string, options?: { local?: boolean; user?: string | null }): Promise<void>;
  /** Pending approvals of a session (default: the instance's default session). */
  pendingApprovals(options?: { sessionId?: string; user?: string }): Promise<ApprovalInfo[]>;
  /**
   * Approves a pending approval and resumes its script: the same as `execute(code, { approve })`
   * with the code that asked for it.
   */
  approve(approvalId: string, options?: ExecuteOptions): Promise<ExecuteResult>;
  /**
   * Rejects a pending approval of a session: the call never runs and the id is no longer
   * accepted. False when the id is unknown, used, expired or held by a running execution.
   */
  rejectApproval(approvalId: string, options?: { sessionId?: string; user?: string }): Promise<boolean>;
  /** The files in a session's workspace (a session of another user is `SESSION_NOT_FOUND`). */
  workspaceFiles(options?: { sessionId?: string; user?: string }): Promise<WorkspaceEntry[]>;
  /**
   * Watches every execution of this instance (start, each tool call as the guest saw it, the
   * result); returns the function that stops watching. The console's timeline uses it.
   */
  observe(observer: ExecutionObserver): () => void;
  close(): Promise<void>;
}

/** Connects every configured source (in parallel) and returns a ready {@link Toolcode}. */
export async function createToolcode(options: ToolcodeOptions = {}): Promise<Toolcode> {
  const { config, baseDir, notices, roots } = resolveConfig(options);
  // First, so an engine that cannot run here (isolated-vm not installed) fails before anything is started.
  const engine = createEngine(config.sandbox);
  // Sandboxes that are slow to start (gVisor, microVMs, remote runners) boot while the sources connect.
  if (STRONG_ISOLATIONS.has(config.sandbox.isolation)) engine.warm();
  const telemetry = await startTelemetry(config.telemetry);
  const counter = new TokenCounter({ workers: config.output.countWorkers, budgetChars: config.output.exactCountChars, timeoutMs: config.output.countTimeoutMs });
  counter.warm();
  const starting = [
    ["starting MCP servers", Object.entries(config.mcpServers).filter(([, server]) => server.disabled !== true).map(([name]) => name)],
    ["loading OpenAPI specs", Object.entries(config.openapi).filter(([, api]) => api.disabled !== true).map(([name]) => name)],
  ] as const;
  const waitingFor = starting.filter(([, names]) => names.length > 0).map(([what, names]) => `${what}: ${names.join(", ")}`);
  if (waitingFor.length > 0) options.onProgress?.(waitingFor.join("; "));
  const credentials = new UserCredentials({ store: options.credentialStore ?? openCredentialStore(config.credentials, baseDir), ...(config.credentials.defaultUser !== undefined ? { defaultUser: config.credentials.defaultUser } : {}) });
  const [mcp, openapi] = await Promise.all([
    connectSources(config.mcpServers, { cwd: baseDir, maxJsonDepth: config.sandbox.maxJsonDepth, ...(roots ? { roots } : {}), credentials, connections: config.credentials }),
    loadOpenApiSources(config.openapi, { baseDir, credentials }),
  ]);
  const failures = [...mcp.failures, ...openapi.failures];
  const sources = [...mcp.sources, ...openapi.sources, ...(options.sources ?? [])];
  let allTools: Catalog;
  try {
    allTools = await Catalog.build(sources);
  } catch (error) {
    await Promise.all([closeSources(sources), counter.close(), engine.close(), telemetry.close()]);
    throw error;
  }
  const policy = new Policy(config.policy);
  const catalog = allTools.filter((tool) => policy.visible(tool));
  const warnings = policy.unmatched(allTools.tools()).map((key) => `${key} matches no tool; check the <source>.<tool> names with \`toolcode search\`.`);
  // Unresolved $refs and skipped operations of OpenAPI specs: loud on start and in search/types.
  const degraded = openapi.sources.map((source) => ({ server: source.name, problems: source.warnings.filter((w) => /unresolved \$ref|skipped/.test(w)) }));
  for (const { server, problems } of degraded) for (const problem of problems) warnings.push(`SOURCE_UNAVAILABLE: ${problem} (fix openapi.${server}.spec)`);
  const audit = config.audit.file !== undefined ? AuditLog.open(config.audit.file, baseDir, { arguments: config.audit.arguments, fields: config.privacy.fields }) : undefined;
  const state = openStateStore({ dir: path.resolve(baseDir, config.state.dir ?? path.join(STATE_DIR_NAME, "state")), redis: config.state.redis, keyPrefix: config.state.keyPrefix, key: config.state.key });
  const guard = new Guard({
    policy,
    state,
    privacy: config.privacy,
    // With state.redis each session's PII vault is shared too: tokens from one replica detokenize on any.
    ...(config.state.redis !== undefined ? { sharedVault: new SharedVault({ state, ttlMs: config.workspace.idleMinutes * 60_000 }) } : {}),
    ...(audit ? { audit } : {}),
    ...(options.onApproval ? { onApproval: options.onApproval } : {}),
    retryLimits: { ...DEFAULT_RETRY_LIMITS, ttlMs: config.policy.approvalTtlSeconds * 1000 },
  });
  const workspaces = path.resolve(baseDir, config.workspace.dir ?? path.join(os.tmpdir(), "toolcode-workspaces", `${process.pid}-${Date.now().toString(36)}`));
  const scrubber = new HostScrubber({ workspaces, base: baseDir });
  const sessions = new SessionStore({
    root: workspaces,
    maxBytes: config.workspace.maxBytes,
    maxFiles: config.workspace.maxFiles,
    maxSessions: config.sessions.max,
    maxSessionsPerUser: config.sessions.maxPerUser,
    idleMs: config.workspace.idleMinutes * 60_000,
    keepOnClose: config.workspace.dir !== undefined,
    newGuardState: () => guard.newSessionState(),
    // With state.redis each session's workspace (and guest `state`) lives in Redis: any replica reads it.
    ...(config.state.redis !== undefined
      ? {
          openWorkspace: async (id: string, user: string | null) =>
            StoredWorkspace.open({ state, sessionId: id, user, ttlMs: config.workspace.idleMinutes * 60_000, maxBytes: config.workspace.maxBytes, maxFiles: config.workspace.maxFiles }),
        }
      : {}),
    // A session's sandbox (sandbox.reuse "session") ends with it.
    onEnd: (id, user) => void engine.endSession(id, user).catch(() => undefined),
  });
  // Python scripts run on their own engine, started on the first Python run.
  const pythonEngine = lazyPythonEngine(config.sandbox);
  // Skills are opened on first use; skill modules see the built-ins marked `inSkills`; Python skills are checked on the Python engine.
  const skills = new SkillsProvider(() => {
    const inSkills = skillBuiltins(builtins);
    return SkillLibrary.fromConfig(config.skills, process.cwd(), {
      tools: () => catalog.tools(),
      builtinDeclarations: inSkills.declarations,
      builtinPrelude: inSkills.prelude,
      pythonCheckEngine: () => lazyPythonEngine({ ...config.sandbox, poolSize: 1 }),
    });
  });
  const hidden = new HiddenTools(allTools.tools(), policy, config.policy.revealHidden);
  // Guest `search` answers through the instance (bound once it exists).
  const bound: { instance?: ToolcodeInstance } = {};
  const builtins = registeredBuiltins({
    skills: () => skills.library(),
    state: { maxBytes: config.sessions.maxStateBytes, maxDepth: config.sandbox.maxJsonDepth },
    search: (query, searchOptions) => {
      if (bound.instance === undefined) throw new ToolcodeError("INTERNAL", "search is not ready yet; try again.");
      return bound.instance.semanticSearch(query, searchOptions);
    },
  });
  // Scripts are type-checked against every tool scripts see and the built-ins' declarations; loading starts now, off the event loop.
  const visibleTools = guestTools(catalog, allTools);
  const typeCheck = new ScriptTypeCheck(() => catalog.tools(), builtins.map((b) => b.declarations?.text ?? "").join("\n"), visibleTools.hidden);
  if (config.sandbox.typeCheck !== "off") typeCheck.warm();
  const instance = new ToolcodeInstance({
    config,
    catalog,
    allTools,
    failures,
    warnings,
    notices,
    index: new SearchIndex(catalog.tools(), { limits: config.search }),
    ...(config.search.embeddings !== undefined ? { reranker: new SemanticReranker(openAiCompatibleEmbedder(config.search.embeddings), config.search.embeddings) } : {}),
    hidden,
    providers: [new CatalogProvider(catalog, hidden), pythonStubsProvider(catalog), builtinsProvider(builtins), skills, hiddenToolsProvider(hidden), sourceHealthProvider(failures, degraded, scrubber)],
    skills,
    builtins,
    guestTools: visibleTools,
    typeCheck,
    engine,
    pythonEngine,
    sources,
    counter,
    scrubber,
    sessions,
    limits: new TenantLimits({ maxCodeBytes: config.sandbox.maxCodeBytes, poolSize: config.sandbox.poolSize, ...config.sessions }),
    guard,
    credentials,
    ...(audit ? { audit } : {}),
    telemetry,
    state,
  });
  bound.instance = instance;
  return instance;
}

/** The validated config, skill directories made absolute, and the directory relative paths resolve from. */
function resolveConfig(options: ToolcodeOptions): { config: Config; baseDir: string; notices: string[]; roots: RootsChannel | undefined } {
  const cwd = options.cwd ?? process.cwd();
  let config: Config;
  let baseDir = cwd;
  let notices: string[] = [];
  let roots = options.roots;
  if (options.config !== undefined) {
    config = configSchema.parse(options.config);
  } else {
    const loaded = loadConfig({ cwd, ...(options.configPath !== undefined ? { path: options.configPath } : {}), ...(roots ? { roots: roots.directories() } : {}) });
    config = loaded.config;
    baseDir = loaded.baseDir;
    notices = loaded.notices;
    // server-filesystem without directories needs a client that declares roots.
    if (loaded.path === null) roots ??= new RootsChannel();
  }
  if (options.configure) config = options.configure(config, { baseDir });
  const skills = { ...config.skills, dir: path.resolve(baseDir, config.skills.dir), ...(config.skills.shared !== undefined ? { shared: path.resolve(baseDir, config.skills.shared) } : {}) };
  return { config: { ...config, skills }, baseDir, notices, roots };
}
