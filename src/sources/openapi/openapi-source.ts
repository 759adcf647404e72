/**
 * An OpenAPI (3.0, 3.1) or Swagger 2.0 API as a {@link ToolSource}: one tool per operation plus
 * a generic `request` tool confined to the API's base URL.
 *
 * Loading reads the spec (file or URL), and unless a cached result for the same bytes exists,
 * parses, validates and processes it (see {@link processSpec}), then stores the result under
 * `<baseDir>/.toolcode/cache/openapi/<sha256>.json`. Calls are made on the host with global
 * `fetch` ({@link HttpClient}); credentials are injected per request and redacted from every
 * string the source produces.
 *
 * @module
 */
import path from "node:path";
import type { OpenApiSourceConfig } from "../../config/openapi-schema.js";
import { SourceError, ToolError } from "../../errors.js";
import { MemoryCredentialStore } from "../../credentials/memory-store.js";
import { fillUserPlaceholders, hasUserPlaceholder, userFields, type UserField } from "../../credentials/placeholders.js";
import { type ConnectionRef, UserCredentials } from "../../credentials/user-credentials.js";
import { openApiOAuthCode } from "../../credentials/connection-spec.js";
import type { OAuthState } from "../../credentials/credential-store.js";
import { type OAuthCodeEndpoints, UserAccessTokens } from "../../credentials/oauth-code-flow.js";
import type { CallOptions, JsonSchema, SourceLogger, ToolAnnotations, ToolSource, ToolSpec } from "../tool-source.js";
import { AuthProvider, authHeaderNames, authSecrets } from "./auth.js";
import { REQUEST_INPUT_SCHEMA, buildGenericRequest, buildOperationRequest } from "./build-request.js";
import { type CallCredentials, HttpClient } from "./http-client.js";
import { bundleSpec, checkSpec, hasExternalRefs, parseSpecText, readSpecBytes, safeUrl, specHash, type SpecBytes, type SpecContext } from "./load-spec.js";
import type { OperationPlan, ProcessedSpec } from "./operation-plan.js";
import { REQUEST_TOOL_NAME, processSpec } from "./process-spec.js";
import { Redactor } from "./redactor.js";
import { DefClosures } from "./schema-defs.js";
import { readCachedSpec, writeCachedSpec } from "./spec-cache.js";

/** Per-attempt request timeout unless `timeoutMs` says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest response body unless `maxResponseBytes` says otherwise (10 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Retries of idempotent requests unless `retries` says otherwise. */
export const DEFAULT_RETRIES = 2;
/** First retry delay; doubles per attempt, with jitter. */
export const DEFAULT_RETRY_DELAY_MS = 250;
/** Longest `Retry-After` waited for; longer waits fail the call with the wait in `details`. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 20_000;
/** Methods that change nothing: no idempotency key. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Sent unless the config's `headers` set one (some APIs, GitHub among them, reject requests without). */
const USER_AGENT = "toolcode (OpenAPI source)";
/** Most tool names listed in a `TOOL_NOT_FOUND` message (all are in `details.validNames`). */
const MAX_NAMES_IN_MESSAGE = 50;
/** Header names (and query parameter names in `baseUrl`) whose values are treated as secrets. */
const SECRET_NAME = /auth|token|key|secret|passw|cookie|session|signature|sig$|credential|code/i;

/** Options for {@link loadOpenApiSource}. */
export interface OpenApiSourceOptions {
  /** Directory a relative `spec` path resolves against: the config file's directory. */
  baseDir: string;
  /**
   * Where processed specs are cached; `false` disables the cache.
   * Default `<baseDir>/.toolcode/cache/openapi`.
   */
  cacheDir?: string | false;
  /** `fetch` used for the spec, the API and OAuth tokens. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** First retry delay in ms (doubles per attempt). Default {@link DEFAULT_RETRY_DELAY_MS}. */
  retryDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms. Default {@link DEFAULT_MAX_RETRY_AFTER_MS}. */
  maxRetryAfterMs?: number;
  /** Receives each load warning (skipped operations, …) once; they are also in {@link OpenApiSource.warnings}. */
  logger?: SourceLogger;
  /**
   * Where the values of `${user.NAME}` placeholders in `auth` and `headers` come from. Without
   * it, a source with placeholders answers every call with `CREDENTIAL_MISSING`.
   */
  credentials?: UserCredentials;
}

/** Per-user credential contexts kept at once per source (the least recently used is dropped). */
const MAX_USER_CONTEXTS = 1024;

/** How a source was loaded, for diagnostics and benchmarks. */
export interface OpenApiLoadInfo {
  /** The processed spec came from the disk cache. */
  fromCache: boolean;
  /** SHA-256 cache key of the spec bytes. */
  specHash: string;
  /**
   * Directory of the processed-spec cache entry (`<specHash>.json`), where derived caches (rendered
   * declarations) may live too; undefined when caching is off or the spec has external refs (its
   * hash does not cover the other files).
   */
  cacheDir?: string;
  /** `openapi` / `swagger` version of the spec. */
  specVersion: string;
  /** `info.title` of the spec. */
  title: string;
  /** Operations in the spec that became tools (before `include`/`exclude`). */
  operations: number;
}

/** Compiles `*` / `?` globs into one case-insensitive matcher. */
function globMatcher(patterns: readonly string[] | undefined): ((value: string) => boolean) | undefined {
  if (patterns === undefined || patterns.length === 0) return undefined;
  const source = patterns
    .map((p) => p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, "."))
    .join("|");
  const regex = new RegExp(`^(?:${source})$`, "i");
  return (value) => regex.test(value);
}

/** Tags, path, operationId and tool name: what `include`/`exclude` globs match. */
function matchKeys(op: OperationPlan): string[] {
  return [...op.tags, op.path, op.name, ...(op.operationId !== undefined ? [op.operationId] : [])];
}

/** Behaviour hints by HTTP method. */
function annotationsFor(method: string): ToolAnnotations {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return { readOnlyHint: true, openWorldHint: true };
  if (method === "DELETE") return { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true };
  if (method === "PUT") return { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true };
  return { readOnlyHint: false, destructiveHint: false, openWorldHint: true };
}

/** Freezes a JSON value deeply (shared `$defs` must not be changed by one consumer for all). */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * Builds `$defs` objects: each operation's schema gets exactly the definitions it needs. The
 * definition objects are shared between tools, and so is the whole (frozen) `$defs` object of
 * operations that need the same closure, which keeps APIs like Stripe (one big cycle of ~300
 * schemas behind every response) small in memory.
 */
class DefsAssembler {
  private readonly closures: DefClosures;
  private readonly shared = new WeakMap<readonly string[], Record<string, unknown>>();

  constructor(private readonly processed: ProcessedSpec) {
    deepFreeze(processed.defs);
    this.closures = new DefClosures((key) => processed.deps[key] ?? []);
  }

  /** `schema` plus the `$defs` its refs need. */
  withDefs(schema: JsonSchema, refs: readonly string[]): JsonSchema {
    if (refs.length === 0) return schema;
    const keys = this.closures.closure(refs);
    let $defs = this.shared.get(keys);
    if ($defs === undefined) {
      $defs = {};
      for (const key of keys) {
        const def = this.processed.defs[key];
        if (def !== undefined) $defs[key] = def;
      }
      Object.freeze($defs);
      this.shared.set(keys, $defs);
    }
    return { ...schema, $defs };
  }

  /** The tool an operation becomes. */
  toolSpec(op: OperationPlan): ToolSpec {
    const spec: ToolSpec = { name: op.name, inputSchema: this.withDefs(op.inputSchema, op.inputRefs) };
    if (op.title !== undefined) spec.title = op.title;
    if (op.description !== undefined) spec.description = op.description;
    if (op.outputSchema !== undefined) spec.outputSchema = this.withDefs(op.outputSchema, op.outputRefs);
    spec.annotations = annotationsFor(op.method);
    if (op.deprecated === true) spec.deprecated = true;
    return spec;
  }
}

/** Everything the constructor needs, assembled by {@link loadOpenApiSource}. */
interface SourceParts {
  processed: ProcessedSpec;
  baseUrl: URL;
  /** What relative operation-level server URLs resolve against. */
  serverBase: string | undefined;
  info: OpenApiLoadInfo;
  warnings: string[];
}

/** A loaded OpenAPI API. Create with {@link loadOpenApiSource}. */
export class OpenApiSource implements ToolSource {
  readonly kind = "openapi";
  /** Problems found while loading: skipped operations (and why), unresolved refs, cache trouble. */
  readonly warnings: readonly string[];
  /** How the spec was loaded. */
  readonly info: OpenApiLoadInfo;
  private readonly tools: ToolSpec[];
  private readonly operations = new Map<string, OperationPlan>();
  private readonly requestEnabled: boolean;
  private readonly baseUrl: URL;
  private readonly serverBase: string | undefined;
  private readonly redactor: Redactor;
  private readonly http: HttpClient;
  private readonly reservedHeaders: Set<string>;
  private closed = false;
  /** Set when `auth` or `headers` read the calling user's credential. */
  private readonly perUser: { ref: ConnectionRef; fields: UserField[]; credentials: UserCredentials; baseSecrets: string[]; oauthCode: OAuthCodeEndpoints | undefined } | undefined;
  /** Per-user auth + headers + redactor, by user, rebuilt when the user's values change. */
  private readonly userContexts = new Map<string, { key: string; credentials: CallCredentials }>();
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  /** Use {@link loadOpenApiSource}. */
  constructor(
    readonly name: string,
    private readonly config: OpenApiSourceConfig,
    parts: SourceParts,
    options: OpenApiSourceOptions,
  ) {
    const { processed } = parts;
    this.info = parts.info;
    this.baseUrl = parts.baseUrl;
    this.serverBase = parts.serverBase;

    const fields = userFields({ auth: config.auth, headers: config.headers });
    const oauthCode = openApiOAuthCode(config);
    const staticHeaders: Record<string, string> = { "user-agent": USER_AGENT };
    const secrets = fields.length > 0 || oauthCode !== undefined ? fields.flatMap((field) => (field.fallback !== undefined ? [field.fallback] : [])) : authSecrets(config.auth);
    for (const [header, value] of Object.entries(config.headers ?? {})) {
      if (hasUserPlaceholder(value)) continue; // the calling user's value, added per call
      staticHeaders[header.toLowerCase()] = value;
      if (SECRET_NAME.test(header)) secrets.push(value, value.replace(/^\S+\s+/, ""));
    }
    if (this.baseUrl.password !== "") secrets.push(decodeURIComponent(this.baseUrl.password));
    for (const [param, value] of this.baseUrl.searchParams) if (SECRET_NAME.test(param)) secrets.push(value);
    this.redactor = new Redactor(secrets);
    this.reservedHeaders = new Set([...authHeaderNames(config.auth), ...Object.keys(staticHeaders), ...Object.keys(config.headers ?? {}).map((h) => h.toLowerCase())]);

    const fetchImpl = options.fetch ?? globalThis.fetch;
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = fetchImpl;
    this.timeoutMs = timeoutMs;
    if (oauthCode?.clientSecret !== undefined) secrets.push(oauthCode.clientSecret);
    this.perUser =
      fields.length === 0 && oauthCode === undefined
        ? undefined
        : {
            ref: { source: name, kind: "openapi", connection: config.connection ?? name },
            fields,
            credentials: options.credentials ?? new UserCredentials({ store: new MemoryCredentialStore() }),
            baseSecrets: secrets,
            oauthCode,
          };
    // A per-user source has no shared credential: every call gets its user's own (see userCredentials).
    const auth = new AuthProvider({ source: name, auth: this.perUser === undefined ? config.auth : undefined, fetch: fetchImpl, timeoutMs, redactor: this.redactor });
    this.http = new HttpClient({
      source: name,
      fetch: fetchImpl,
      auth,
      redactor: this.redactor,
      headers: staticHeaders,
      timeoutMs,
      retries: config.retries ?? DEFAULT_RETRIES,
      maxResponseBytes: config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
    });

    const include = globMatcher(config.include);
    const exclude = globMatcher(config.exclude);
    const assembler = new DefsAssembler(processed);
    this.tools = [];
    for (const op of processed.operations) {
      const keys = matchKeys(op);
      if (include !== undefined && !keys.some(include)) continue;
      if (exclude !== undefined && keys.some(exclude)) continue;
      this.operations.set(op.name, op);
      this.tools.push(assembler.toolSpec(op));
    }
    this.requestEnabled = exclude === undefined || !exclude(REQUEST_TOOL_NAME);
    if (this.requestEnabled) this.tools.push(this.requestToolSpec(processed.title));
    this.warnings = parts.warnings.map((w) => this.redactor.text(w));
  }

  /** The base URL calls go to (without credentials). */
  get apiBaseUrl(): string {
    return this.redactor.text(safeUrl(this.baseUrl.href));
  }

  /** See {@link ToolSource.listTools}. One tool per operation (after `include`/`exclude`), then `request`. */
  async listTools(): Promise<ToolSpec[]> {
    return [...this.tools];
  }

  /** See {@link ToolSource.callTool}. Resolves to the decoded response body (`null` when empty). */
  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    if (this.closed) throw new SourceError("SOURCE_UNAVAILABLE", `OpenAPI source "${this.name}" has been closed.`, { server: this.name });
    let credentials: CallCredentials | undefined;
    try {
      credentials = await this.userCredentials(options);
      const input = args ?? {};
      const send = { signal: options.signal, ...(credentials !== undefined ? { credentials } : {}) };
      if (name === REQUEST_TOOL_NAME && this.requestEnabled) {
        const request = this.withIdempotencyKey(buildGenericRequest(name, input, this.baseUrl, this.reservedHeaders), options);
        return await this.http.send(request, { tool: name, expectJson: false, ...send });
      }
      const op = this.operations.get(name);
      if (op === undefined) throw this.unknownTool(name);
      const request = this.withIdempotencyKey(buildOperationRequest(op, input, this.baseFor(op)), options);
      return await this.http.send(request, { tool: name, expectJson: op.response === "json", ...send });
    } catch (error) {
      if (error instanceof ToolError && error.code === "INVALID_ARGUMENTS") error.details.server = this.name;
      throw (credentials?.redactor ?? this.redactor).error(error);
    }
  }

  /**
   * Adds the call's idempotency key as `Idempotency-Key` to a request that changes something
   * (not GET, HEAD, OPTIONS), unless the request sets one or `idempotencyKeys` is false.
   */
  private withIdempotencyKey<R extends { method: string; headers: Record<string, string> }>(request: R, options: CallOptions): R {
    const key = options.idempotencyKey;
    if (key === undefined || this.config.idempotencyKeys === false || SAFE_METHODS.has(request.method.toUpperCase())) return request;
    request.headers["idempotency-key"] ??= key;
    return request;
  }

  /** Whether calls use each user's own credential (`${user.NAME}` in `auth` or `headers`). */
  get perUserConnection(): string | undefined {
    return this.perUser?.ref.connection;
  }

  /**
   * The calling user's auth, headers and redactor (undefined for a shared-credential source).
   * Built from the user's values only, cached per user, rebuilt when the values change (rotation);
   * an OAuth 2.0 client-credentials token fetched with one user's client is never used for another's.
   */
  private async userCredentials(options: CallOptions): Promise<CallCredentials | undefined> {
    const perUser = this.perUser;
    if (perUser === undefined) return undefined;
    const user = perUser.credentials.userOf(options.user);
    const resolved = await perUser.credentials.resolve(perUser.ref, user, perUser.fields);
    let grant: { state: OAuthState; endpoints: OAuthCodeEndpoints } | undefined;
    if (perUser.oauthCode !== undefined) {
      const stored = await perUser.credentials.store.get({ user, connection: perUser.ref.connection });
      if (stored?.oauth?.tokens === undefined) throw perUser.credentials.missing(perUser.ref, user, []);
      grant = { state: stored.oauth, endpoints: perUser.oauthCode };
    }
    options.onCredential?.({ connection: perUser.ref.connection, owner: grant !== undefined ? user : resolved.owner });
    const key = JSON.stringify([resolved.values, grant?.state.grant ?? null]);
    const cached = this.userContexts.get(user);
    if (cached !== undefined && cached.key === key) {
      this.userContexts.delete(user);
      this.userContexts.set(user, cached);
      return cached.credentials;
    }
    const auth = this.config.auth === undefined ? undefined : fillUserPlaceholders(this.config.auth, resolved.values);
    const headers: Record<string, string> = { "user-agent": USER_AGENT };
    const secrets = [...perUser.baseSecrets, ...authSecrets(auth), ...Object.values(resolved.values)];
    for (const [header, value] of Object.entries(this.config.headers ?? {})) {
      const filled = fillUserPlaceholders(value, resolved.values);
      headers[header.toLowerCase()] = filled;
      if (SECRET_NAME.test(header) || filled !== value) secrets.push(filled, filled.replace(/^\S+\s+/, ""));
    }
    const redactor = new Redactor(secrets);
    const ref = perUser.ref;
    const tokenSource =
      grant === undefined
        ? undefined
        : new UserAccessTokens({
            store: perUser.credentials.store,
            key: { user, connection: ref.connection },
            endpoints: grant.endpoints,
            initial: grant.state,
            onToken: (token) => redactor.add(token),
            expired: () => {
              this.userContexts.delete(user);
              const error = perUser.credentials.missing(ref, user, []);
              error.message = error.message.replace("has not connected it", "must authorize it again (the access token expired and the refresh was refused)");
              return error;
            },
          });
    const credentials: CallCredentials = {
      auth: new AuthProvider({ source: this.name, auth: tokenSource === undefined ? auth : undefined, fetch: this.fetchImpl, timeoutMs: this.timeoutMs, redactor, ...(tokenSource !== undefined ? { tokenSource } : {}) }),
      redactor,
      headers,
    };
    this.userContexts.delete(user);
    this.userContexts.set(user, { key, credentials });
    if (this.userContexts.size > MAX_USER_CONTEXTS) {
      const oldest = this.userContexts.keys().next().value;
      if (oldest !== undefined) this.userContexts.delete(oldest);
    }
    return credentials;
  }

  /** See {@link ToolSource.close}. Nothing stays open between calls; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.userContexts.clear();
  }

  /** The operation's own server (when the config sets no `baseUrl`), else the API's base URL. */
  private baseFor(op: OperationPlan): URL {
    if (this.config.baseUrl !== undefined || op.servers === undefined) return this.baseUrl;
    const server = op.servers[0];
    if (server === undefined) return this.baseUrl;
    try {
      const url = new URL(server, this.serverBase ?? this.baseUrl.href);
      if ((url.protocol === "http:" || url.protocol === "https:") && !url.href.includes("{")) return url;
    } catch {
      // fall back to the API's base URL
    }
    return this.baseUrl;
  }

  private requestToolSpec(title: string): ToolSpec {
    const api = title === "" ? "the API" : /\bapi$/i.test(title.trim()) ? `the ${title.trim()}` : `the ${title.trim()} API`;
    return {
      name: REQUEST_TOOL_NAME,
      title: "HTTP request",
      description:
        `Sends an HTTP request to ${api} at ${this.apiBaseUrl}; \`path\` is relative to that URL (absolute URLs and ".." are rejected). ` +
        "Credentials are added by the host. Prefer the typed operations; use this for endpoints they do not cover. " +
        "Returns the response body: JSON as a value, text as a string, other content as { type: \"binary\", mimeType, base64 }.",
      inputSchema: REQUEST_INPUT_SCHEMA as unknown as JsonSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    };
  }

  private unknownTool(name: string): ToolError {
    const names = this.tools.map((tool) => tool.name);
    const shown = names.slice(0, MAX_NAMES_IN_MESSAGE).join(", ");
    const more = names.length > MAX_NAMES_IN_MESSAGE ? `, … (${names.length - MAX_NAMES_IN_MESSAGE} more; search for the right one)` : "";
    return new ToolError(`Unknown tool "${name}" on OpenAPI source "${this.name}". Available tools: ${shown}${more}.`, { server: this.name, tool: name, validNames: names }, "TOOL_NOT_FOUND");
  }
}

/** Resolves the API base URL: the config's `baseUrl`, else the spec's first server. */
function resolveBaseUrl(name: string, config: OpenApiSourceConfig, processed: ProcessedSpec, spec: SpecBytes): URL {
  const key = `openapi.${name}.baseUrl`;
  if (config.baseUrl !== undefined) return new URL(config.baseUrl);
  const server = processed.servers[0];
  const fail = (why: string): SourceError =>
    new SourceError("SOURCE_UNAVAILABLE", `OpenAPI source "${name}": ${why} Set ${key} to the API's URL (e.g. "https://api.example.com/v1").`, {
      server: name,
      key,
    });
  if (server === undefined) throw fail(`the spec ${spec.display} declares no server URL.`);
  let url: URL;
  try {
    url = new URL(server, spec.isUrl ? spec.location : undefined);
  } catch {
    throw fail(`the spec's server URL "${server}" is relative and the spec is a local file, so it cannot be resolved.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw fail(`the spec's server URL "${server}" is not an http(s) URL.`);
  if (decodeURIComponent(url.href).includes("{")) throw fail(`the spec's server URL "${server}" has variables without defaults.`);
  return url;
}

/**
 * Loads the API configured as `openapi[name]`: reads the spec, processes it (or takes the result
 * from the disk cache), and returns a source whose tools are its operations plus `request`.
 * Nothing is connected: calls open HTTP requests as needed.
 *
 * @throws SourceError `SOURCE_UNAVAILABLE` naming `openapi.<name>.spec` when the spec cannot be
 *   read, fetched, parsed or validated, or `openapi.<name>.baseUrl` when no base URL can be found.
 */
export async function loadOpenApiSource(name: string, config: OpenApiSourceConfig, options: OpenApiSourceOptions): Promise<OpenApiSource> {
  const ctx: SpecContext = { source: name, spec: config.spec };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const spec = await readSpecBytes(ctx, options.baseDir, fetchImpl);
  const hash = specHash(spec.bytes);
  const validate = config.validate !== false;
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? path.join(options.baseDir, ".toolcode", "cache", "openapi"));
  const cacheWarnings: string[] = [];

  let processed = cacheDir === undefined ? undefined : await readCachedSpec(cacheDir, hash, validate);
  const fromCache = processed !== undefined;
  let external = false;
  if (processed === undefined) {
    let doc = parseSpecText(ctx, spec);
    await checkSpec(ctx, spec, doc, validate);
    // External refs depend on other files, which the hash does not cover: such specs are not cached.
    external = hasExternalRefs(doc);
    if (external) doc = await bundleSpec(ctx, spec, doc);
    processed = processSpec(doc);
    if (cacheDir !== undefined && !external) {
      const failure = await writeCachedSpec(cacheDir, hash, validate, processed);
      if (failure !== undefined) cacheWarnings.push(`could not write the spec cache in ${cacheDir}: ${failure}`);
    }
  }
  const baseUrl = resolveBaseUrl(name, config, processed, spec);
  const warnings = [...processed.warnings, ...cacheWarnings].map((w) => `OpenAPI source "${name}": ${w}`);
  const source = new OpenApiSource(
    name,
    config,
    {
      processed,
      baseUrl,
      serverBase: spec.isUrl ? spec.location : baseUrl.href,
      info: {
        fromCache,
        specHash: hash,
        ...(cacheDir !== undefined && !external ? { cacheDir } : {}),
        specVersion: processed.specVersion,
        title: processed.title,
        operations: processed.operations.length,
      },
      warnings,
    },
    options,
  );
  for (const warning of source.warnings) options.logger?.warn(warning);
  return source;
}
