/**
 * The `toolcode.config.json` schema (zod). Unknown keys and wrong types are errors that name the
 * key path. `mcpServers` uses the Claude Desktop / Cursor shape so an existing config pastes in.
 *
 * @module
 */
import { z } from "zod";
import { credentialsSchema } from "./credentials-schema.js";
import { auditSchema, authSchema, policySchema, privacySchema } from "./guard-schema.js";
import { openApiSectionSchema } from "./openapi-schema.js";

/** An MCP server started as a child process and spoken to over stdio. */
export const stdioServerSchema = z.strictObject({
  type: z.literal("stdio").optional(),
  command: z.string().min(1, "a command to start the server, e.g. \"npx\""),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  /** How long to wait for the server to start and list its tools. */
  startupTimeoutMs: z.number().int().positive().optional(),
  /** The connection `${user.NAME}` placeholders read (default: this server's config key); sources naming the same one share each user's credential. */
  connection: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a connection name: 1-64 letters, digits, _ . -").optional(),
  disabled: z.boolean().optional(),
});

/**
 * OAuth 2.1 per user to a remote MCP server (the MCP authorization spec): `true` discovers the
 * authorization server and registers toolcode dynamically; an object names a pre-registered
 * client and scopes. Each user authorizes once with `toolcode connect <server>`.
 */
export const mcpOAuthSchema = z.union([
  z.literal(true),
  z.strictObject({
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    scopes: z.array(z.string().min(1)).optional(),
    clientName: z.string().min(1).optional(),
  }),
]);

/** A remote MCP server over streamable HTTP. */
export const httpServerSchema = z.strictObject({
  type: z.enum(["http", "streamable-http", "streamableHttp"]).optional(),
  url: z.url("an http(s) URL, e.g. \"http://127.0.0.1:3001/mcp\""),
  headers: z.record(z.string(), z.string()).optional(),
  oauth: mcpOAuthSchema.optional(),
  startupTimeoutMs: z.number().int().positive().optional(),
  /** The connection `${user.NAME}` placeholders read (default: this server's config key); sources naming the same one share each user's credential. */
  connection: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a connection name: 1-64 letters, digits, _ . -").optional(),
  disabled: z.boolean().optional(),
});

/** A legacy remote MCP server over HTTP+SSE (the 2024-11-05 transport): `type: "sse"` is required. */
export const sseServerSchema = z.strictObject({
  type: z.literal("sse"),
  url: z.url("an http(s) URL of the SSE endpoint, e.g. \"http://127.0.0.1:3001/sse\""),
  headers: z.record(z.string(), z.string()).optional(),
  oauth: mcpOAuthSchema.optional(),
  startupTimeoutMs: z.number().int().positive().optional(),
  /** The connection `${user.NAME}` placeholders read (default: this server's config key); sources naming the same one share each user's credential. */
  connection: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a connection name: 1-64 letters, digits, _ . -").optional(),
  disabled: z.boolean().optional(),
});

/** One entry of `mcpServers`: stdio (`command`), streamable HTTP (`url`) or legacy SSE (`type: "sse"`, `url`). */
export const mcpServerSchema = z.union([stdioServerSchema, sseServerSchema, httpServerSchema], {
  error: () => 'an MCP server: { "command", "args", "env" } for stdio, { "url", "headers" } for streamable HTTP, or { "type": "sse", "url" } for a legacy SSE server',
});

/** Sandbox engine and its limits. */
export const sandboxSchema = z.strictObject({
  /** `quickjs` (WebAssembly, default) or `isolate` (V8 isolates via the optional isolated-vm). */
  engine: z.enum(["quickjs", "isolate", "workers"]).default("quickjs"),
  /**
   * Where engines run: sandbox worker `process`es (default) or worker `thread`s of the host, or a
   * worker process in `bwrap` (bubblewrap), `gvisor` (runsc), a QEMU `microvm`, or a `remote`
   * runner (`toolcode runner --listen`). docs/isolation.md compares them.
   */
  isolation: z.enum(["process", "thread", "bwrap", "gvisor", "microvm", "remote", "e2b"]).default("process"),
  /**
   * Which executions share a sandbox: a fresh one per `execution` (default for bwrap, gvisor,
   * microvm, remote and e2b; the warm pool has the next one started), one per `session` kept across
   * its executions (bounded by sessionSandboxes; never another session's or user's), or `shared`
   * workers recycled after recycleAfter runs (default for process and thread).
   */
  reuse: z.enum(["execution", "session", "shared"]).optional(),
  /**
   * Bounds of reuse "session": sandboxes kept at once (all users, and per user), executions per
   * sandbox before a fresh one, and the idle time after which one is stopped. Past `max` or
   * `maxPerUser` an execution gets a fresh per-execution sandbox.
   */
  sessionSandboxes: z
    .strictObject({
      max: z.number().int().min(1).max(1024).default(16),
      maxPerUser: z.number().int().min(1).max(1024).default(4),
      maxRuns: z.number().int().min(1).max(1_000_000).default(100),
      idleMs: z.number().int().min(100).max(86_400_000).default(300_000),
    })
    .optional(),
  /** The runner server of isolation "remote". */
  remote: z
    .strictObject({
      /** ws:// or wss:// URL of `toolcode runner --listen`. */
      url: z.string().regex(/^wss?:\/\/\S+$/, "a ws:// or wss:// URL, e.g. \"ws://runner:7070\""),
      /** The runner's shared secret, e.g. "${TOOLCODE_RUNNER_SECRET}" (at least 16 characters). */
      secret: z.string().min(16, "at least 16 characters (the runner's --secret-file)"),
      /** PEM files: the CA of the runner's certificate; this gateway's client certificate and key (mutual TLS). */
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      connectTimeoutMs: z.number().int().min(100).max(120_000).optional(),
    })
    .optional(),
  /** The VMs of isolation "microvm" (image from `toolcode sandbox build-image`). */
  microvm: z
    .strictObject({
      /** "auto" (default): KVM when a probe boot succeeds, software emulation (TCG) otherwise. */
      accel: z.enum(["auto", "kvm", "tcg"]).optional(),
      /** Guest memory, MiB. */
      memoryMb: z.number().int().min(128).max(16_384).optional(),
      /** Directory of the built image (default: the state dir's microvm image). */
      imageDir: z.string().optional(),
      /** Start VMs from a snapshot of a booted one, cached in the image directory (default true); a failed restore boots cold. */
      snapshot: z.boolean().optional(),
    })
    .optional(),
  /** The E2B sandboxes of isolation "e2b" (the e2b package, an optional peer dependency). */
  e2b: z
    .strictObject({
      /** E2B template with Node 20+ on its PATH (default "base"). */
      template: z.string().min(1).max(200).optional(),
      /** Environment variable holding the E2B API key (default "E2B_API_KEY"); the key stays in the gateway. */
      apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "an environment variable name").optional(),
      /** Lifetime of one E2B sandbox, ms (default 600000). */
      timeoutMs: z.number().int().min(10_000).max(86_400_000).optional(),
    })
    .optional(),
  timeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
  memoryMb: z.number().int().min(8).max(4096).default(64),
  maxStackKb: z.number().int().min(32).max(4096).default(256),
  maxToolCalls: z.number().int().positive().default(1000),
  /** Tool calls in flight at once per execution (more wait in a queue). */
  maxConcurrentToolCalls: z.number().int().positive().max(1000).default(16),
  /** Bytes of JSON in one tool call's arguments / one tool result / the return value. */
  maxToolArgBytes: z.number().int().positive().default(4 * 1024 * 1024),
  maxToolResultBytes: z.number().int().positive().default(8 * 1024 * 1024),
  maxResultBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** Nesting depth of JSON crossing the bridge (arguments, results, return value). */
  maxJsonDepth: z.number().int().min(8).max(10_000).default(256),
  maxLogBytes: z.number().int().positive().default(1_000_000),
  /** Bytes of one script's source (`execute`'s `code`); larger ones fail with LIMIT_EXCEEDED before they run. */
  maxCodeBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
  poolSize: z.number().int().min(1).max(64).default(2),
  /** Executions a sandbox worker runs before it is replaced by a fresh one. */
  recycleAfter: z.number().int().positive().default(1000),
  /** V8 heap cap of each sandbox worker, in MiB (guest memory is capped by memoryMb). */
  workerMemoryMb: z.number().int().min(32).max(16_384).default(256),
  /** CPU priority (nice, 0–19) of sandbox worker processes: guest code yields the CPU to the gateway itself. */
  workerNice: z.number().int().min(0).max(19).default(10),
  /**
   * Type-check each script against the tools' declarations before it runs: `error` stops wrong
   * calls into the tools (GUEST_TYPE_ERROR, nothing called), `warn` only reports, `off` skips.
   */
  typeCheck: z.enum(["off", "warn", "error"]).default("error"),
  /** Budget of one type-check, queue wait included; past it the script runs unchecked. */
  typeCheckTimeoutMs: z.number().int().min(10).max(60_000).default(2000),
  /** Own empty network namespace per worker process: when available, required, or never. */
  networkNamespace: z.enum(["auto", "required", "off"]).default("auto"),
});

/** What the model gets back from `execute`. */
export const outputSchema = z.strictObject({
  maxTokens: z.number().int().positive().default(2000),
  /** Characters one execution counts exactly (output and tool results); the rest is estimated. */
  exactCountChars: z.number().int().min(1024).max(100_000_000).default(524_288),
  /** Deadline of one execution's token accounting, ms; past it the counts are estimated. */
  countTimeoutMs: z.number().int().min(50).max(60_000).default(5000),
  /** Worker threads that count tokens (each holds a tokenizer, ~70 MB). */
  countWorkers: z.number().int().min(1).max(16).default(2),
});

/** An OpenAI-compatible embeddings endpoint that re-ranks search results (off unless configured). */
export const embeddingsSchema = z.strictObject({
  /** Base URL of an OpenAI-compatible API (`…/v1`; `/embeddings` is appended). */
  url: z.url("an http(s) URL, e.g. \"http://127.0.0.1:8080/v1\""),
  /** Embedding model id, e.g. "text-embedding-3-small", "nomic-embed-text". */
  model: z.string().min(1),
  /** Bearer token, e.g. "${OPENAI_API_KEY}". */
  apiKey: z.string().optional(),
  /** Deadline of one embeddings request; past it, search answers with the lexical ranking. */
  timeoutMs: z.number().int().min(50).max(60_000).default(2000),
  /** How many lexical results are re-ranked. */
  candidates: z.number().int().min(2).max(200).default(30),
  /** Share of the semantic similarity in the final score (0: lexical only, 1: similarity only). */
  weight: z.number().min(0).max(1).default(0.5),
});

/** Search: bounds on one query (long queries, long terms and fuzzy matching cost the host) and optional semantic re-ranking. */
export const searchSchema = z.strictObject({
  /** Longest query accepted; longer ones fail with SEARCH_LIMIT. */
  maxQueryChars: z.number().int().min(16).max(1_000_000).default(1000),
  /** Longer terms are cut to this many characters (they still match by prefix). */
  maxTermChars: z.number().int().min(4).max(1000).default(64),
  /** Longer terms are never matched fuzzily. */
  maxFuzzyTermChars: z.number().int().min(0).max(64).default(24),
  /** Distinct terms of a query considered (the rest are ignored). */
  maxQueryTerms: z.number().int().min(1).max(32).default(32),
  /** Optional semantic re-ranking; lexical search stays the default and works offline. */
  embeddings: embeddingsSchema.optional(),
});

/** Per-session workspaces (files a script keeps for the next `execute` of the same session). */
export const workspaceSchema = z.strictObject({
  /** Where session directories live (default: `<os tmpdir>/toolcode-workspaces`). */
  dir: z.string().optional(),
  maxBytes: z.number().int().positive().default(100 * 1024 * 1024),
  /** Files per session workspace (directories do not count). */
  maxFiles: z.number().int().positive().default(10_000),
  /** Sessions (MCP HTTP sessions and execute sessions with their workspaces) idle longer than this are ended. */
  idleMinutes: z.number().positive().default(60),
});

/**
 * Per-tenant limits on sessions and executions. A tenant is a bearer-token user of
 * `serve --http` (or the `user` of `execute` in the library); per-user caps do not apply to
 * sessions without a user, which only count against the totals.
 */
export const sessionsSchema = z.strictObject({
  /** Sessions open at once, all users together (MCP HTTP sessions; execute sessions in the library). */
  max: z.number().int().positive().default(1000),
  /** Sessions one user may have open at once. */
  maxPerUser: z.number().int().positive().default(100),
  /** Executions running at once in one session (the library's default session is not capped). */
  maxConcurrentExecutions: z.number().int().positive().default(4),
  /** Executions running at once across all sessions of one user. */
  maxConcurrentExecutionsPerUser: z.number().int().positive().default(8),
  /**
   * Sandbox workers one user's executions occupy at once (default: `sandbox.poolSize` − 1, at
   * least 1); their other executions wait their turn, served round-robin between users.
   */
  maxWorkersPerUser: z.number().int().positive().optional(),
  /** Bytes of a session's `state` object as JSON (guest `state`, kept between executions). */
  maxStateBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
});

/** Limits of the HTTP transport (`serve --http`): request bodies and slow clients. */
export const serverSchema = z.strictObject({
  /** Bytes of one request body; larger ones get HTTP 413 with a JSON-RPC error. */
  maxBodyBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Time a client has to send a request's headers and body; slower ones get HTTP 408 and are disconnected. */
  bodyTimeoutMs: z.number().int().min(100).max(3_600_000).default(10_000),
  /** The web console at `/` of `serve --http` (same users and Host/Origin checks as MCP); `--no-console` turns it off for one run. */
  console: z.boolean().default(true),
  /** On SIGTERM/SIGINT, how long `serve --http` lets running requests finish (refusing new ones) before it stops. */
  drainTimeoutMs: z.number().int().min(0).max(3_600_000).default(30_000),
  ...directToolsShape(),
});

/** The keys of the hybrid surface (tools offered directly beside search + execute). */
function directToolsShape() {
  return {
    /**
     * Tools `serve` also offers as ordinary MCP tools beside `search` and `execute`: `auto` (every
     * source whose classic definitions come to at most `directToolsMaxTokens`), a list of
     * `server.tool` globs, or `off`.
     */
    directTools: z.union([z.enum(["auto", "off"]), z.array(z.string().min(1).max(200)).max(1000)]).default("off"),
    /** `directTools: "auto"`'s threshold: a source's tool definitions in tokens (estimated as characters ÷ 4). */
    directToolsMaxTokens: z.number().int().min(0).max(1_000_000).default(600),
  };
}

/** `serve`: the same direct-tool keys as `server` (either section may hold them; `serve` wins). */
export const serveSchema = z.strictObject({
  directTools: directToolsShape().directTools.optional(),
  directToolsMaxTokens: directToolsShape().directToolsMaxTokens.optional(),
});

/**
 * The skill library: reusable TypeScript modules saved by agents (`skills.save`). Relative paths
 * resolve against the config file's directory (the working directory for the embedded default).
 */
export const skillsSchema = z.strictObject({
  /** This user's skills (writable): `<dir>/<name>/index.ts` + `SKILL.md`, and `usage.json`. */
  dir: z.string().min(1).default(".toolcode/skills"),
  /** A shared skill directory (e.g. a team's git checkout), read-only unless `allowSharedWrite`. */
  shared: z.string().min(1).optional(),
  /** Lets `skills.save({ …, shared: true })` and `toolcode skills remove` write to `shared`. */
  allowSharedWrite: z.boolean().default(false),
});

/** Defaults of the agent loop (`toolcode run`, `createAgent`); flags and options override them. */
export const agentSchema = z.strictObject({
  /** `provider:id`, e.g. "openai:gpt-4.1-mini", "ollama:qwen2.5-coder:7b" (else `TOOLCODE_MODEL`). */
  model: z.string().min(1).optional(),
  /** Base URL of an OpenAI-compatible server, e.g. "http://127.0.0.1:8080/v1" (else `TOOLCODE_BASE_URL`). */
  baseUrl: z.url("an http(s) URL, e.g. \"http://127.0.0.1:8080/v1\"").optional(),
  /** Action format: `code`, `structured`, `tools`, or `auto` (chosen per model and tool count). */
  mode: z.enum(["auto", "code", "structured", "tools"]).default("auto"),
  /** Language the model writes: `javascript` (TypeScript) or `python` (Pyodide; code mode only). */
  language: z.enum(["javascript", "python"]).optional(),
  /** Model calls per run. */
  maxSteps: z.number().int().min(1).max(1000).default(10),
});

/**
 * OpenTelemetry traces (spans for search, execute and each tool call), exported over OTLP/HTTP.
 * Without this section, tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 */
export const telemetrySchema = z.strictObject({
  /** Force tracing on or off (unset: on when `endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set). */
  enabled: z.boolean().optional(),
  /** OTLP/HTTP base URL of a collector, e.g. "http://127.0.0.1:4318" (`/v1/traces` is added). */
  endpoint: z.url("an http(s) URL of an OTLP/HTTP collector, e.g. \"http://127.0.0.1:4318\"").optional(),
  /** Headers sent to the collector, e.g. { "x-api-key": "${OTLP_KEY}" }. */
  headers: z.record(z.string(), z.string()).optional(),
  /** `service.name` of the spans. */
  serviceName: z.string().min(1).default("toolcode"),
});

/**
 * Where state that must survive a restart is kept (pending approvals with their journals and
 * the PII vault entries they reference), encrypted at rest: files in `dir`, or Redis shared by
 * replicas.
 */
export const stateSchema = z.strictObject({
  /** Directory of the file store and of the generated key (default: `state` in the state directory, e.g. `.toolcode/state` beside the config file). */
  dir: z.string().min(1).optional(),
  /** A Redis URL (`redis://host:port[/db]`, `rediss://` for TLS): keep state in Redis instead of files, shared by every replica using it. */
  redis: z.string().regex(/^rediss?:\/\/\S+$/, "a Redis URL, e.g. \"redis://127.0.0.1:6379\"").optional(),
  /** Prefix of every Redis key (several deployments can share one Redis). */
  keyPrefix: z.string().regex(/^[A-Za-z0-9:_.-]{0,64}$/, "up to 64 characters of A-Z a-z 0-9 : _ . -").default("toolcode:"),
  /** Secret the stored values are encrypted with (AES-256-GCM; ≥ 16 characters, e.g. "${TOOLCODE_STATE_KEY}"); default: the TOOLCODE_STATE_KEY variable, else a key generated into `<dir>/key` (mode 0600). Replicas sharing Redis need the same key. */
  key: z.string().min(16, "at least 16 characters of secret (e.g. `openssl rand -base64 32`)").optional(),
});

/** The whole config file. Sections owned by later features are accepted but optional. */
export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  mcpServers: z.record(z.string().min(1), mcpServerSchema).default({}),
  openapi: openApiSectionSchema.default({}),
  policy: policySchema.default(policySchema.parse({})),
  privacy: privacySchema.default(privacySchema.parse({})),
  audit: auditSchema.default(auditSchema.parse({})),
  auth: authSchema.default(authSchema.parse({})),
  credentials: credentialsSchema.default(credentialsSchema.parse({})),
  sandbox: sandboxSchema.default(sandboxSchema.parse({})),
  output: outputSchema.default(outputSchema.parse({})),
  search: searchSchema.default(searchSchema.parse({})),
  workspace: workspaceSchema.default(workspaceSchema.parse({})),
  sessions: sessionsSchema.default(sessionsSchema.parse({})),
  server: serverSchema.default(serverSchema.parse({})),
  serve: serveSchema.optional(),
  skills: skillsSchema.default(skillsSchema.parse({})),
  agent: agentSchema.default(agentSchema.parse({})),
  telemetry: telemetrySchema.optional(),
  state: stateSchema.default(stateSchema.parse({})),
});

/** Config as written in the file (defaults not applied). */
export type ConfigInput = z.input<typeof configSchema>;
/** Config after validation, defaults applied. */
export type Config = z.output<typeof configSchema>;
export type McpServerConfig = z.output<typeof mcpServerSchema>;
export type StdioServerConfig = z.output<typeof stdioServerSchema>;
export type HttpServerConfig = z.output<typeof httpServerSchema>;
export type SseServerConfig = z.output<typeof sseServerSchema>;
export type SandboxConfig = z.output<typeof sandboxSchema>;
export type SkillsConfig = z.output<typeof skillsSchema>;
/** `search.embeddings`, parsed. */
export type EmbeddingsConfig = z.output<typeof embeddingsSchema>;

/** True when the entry starts a child process. */
export function isStdioServer(server: McpServerConfig): server is StdioServerConfig {
  return "command" in server;
}

/** True for a legacy HTTP+SSE server (`type: "sse"`). */
export function isSseServer(server: McpServerConfig): server is SseServerConfig {
  return server.type === "sse";
}
