/**
 * The host-side HTTP client of an OpenAPI source (global `fetch`; the guest never holds a socket
 * or a credential).
 *
 * - Credentials: applied per request by {@link AuthProvider}, only for the API's own origin (a
 *   redirect elsewhere is followed without them).
 * - Time: each attempt is bounded by `timeoutMs` (headers and body), and by the caller's signal.
 * - Retries: idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) on network failures (refused,
 *   reset, DNS) and 502/503/504, with exponential backoff and jitter; 429 for any method (the
 *   server did not process the request), waiting what `Retry-After` asks when that is within
 *   bounds; one retry with a fresh OAuth token after a 401. A timeout is not retried: the call has
 *   already waited `timeoutMs`.
 * - Size: bodies are streamed and reading stops at `maxResponseBytes`.
 * - Results: JSON → value, text → string, anything else → `{ type: "binary", mimeType, base64 }`;
 *   HTML where JSON was expected is an error (usually a wrong base URL or a login page).
 * - Failures: {@link HttpError} (`HTTP_ERROR`) for non-2xx answers; `ToolError` for timeouts, size
 *   and content problems; `SourceError` when the API cannot be reached. All pass the redactor.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SourceError, ToolError, ToolcodeError } from "../../errors.js";
import { injectTraceHeaders } from "../../telemetry/telemetry.js";
import type { AuthProvider } from "./auth.js";
import type { PreparedRequest } from "./build-request.js";
import { describeNetworkFailure, isNetworkError } from "../network-errors.js";
import { HttpError, apiMessage, excerpt, statusAdvice, MAX_BODY_EXCERPT } from "./http-error.js";
import { essence, isHtmlType, isJsonType, isTextType, type BinaryValue } from "./media-types.js";
import type { Redactor } from "./redactor.js";

/** Methods that may be retried after a failure: repeating them does not change the outcome. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** Statuses retried for idempotent methods. */
const RETRY_STATUSES = new Set([502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Longest single backoff wait (before jitter). */
const MAX_BACKOFF_MS = 8_000;
/** Bytes of an error body read for the excerpt. */
const ERROR_BODY_BYTES = 64 * 1024;

/** Options for {@link HttpClient}. */
export interface HttpClientOptions {
  /** Config key of the source, for messages (`openapi.<source>.timeoutMs`). */
  source: string;
  fetch: typeof fetch;
  auth: AuthProvider;
  redactor: Redactor;
  /** Static headers from the config (lower-case names), sent to the API's origin only. */
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
  maxResponseBytes: number;
  /** First backoff delay; doubles per attempt. */
  retryDelayMs: number;
  /** Longest `Retry-After` honoured; a longer one fails the call at once with the wait in `details`. */
  maxRetryAfterMs: number;
}

/** Per-call options of {@link HttpClient.send}. */
export interface SendOptions {
  /** Tool name, for messages. */
  tool: string;
  /** The operation declares a JSON response: HTML is then an error, untyped text is parsed. */
  expectJson: boolean;
  signal?: AbortSignal;
  /**
   * This call's own credentials (a per-user source: the calling user's auth, headers and the
   * redactor that knows their secrets), instead of the source's shared ones.
   */
  credentials?: CallCredentials;
}

/** The credentials one call is sent with. */
export interface CallCredentials {
  auth: AuthProvider;
  redactor: Redactor;
  /** Configured headers (lower-case names), sent to the API's origin only. */
  headers: Record<string, string>;
}

/** Thrown by {@link readCapped} when a body exceeds its limit. */
class TooLarge extends Error {
  constructor(readonly bytes: number) {
    super("too large");
  }
}

/** Reads a body up to `limit` bytes; beyond it, stops reading and throws {@link TooLarge} (or, with `truncate`, returns what it has). */
async function readCapped(response: Response, limit: number, truncate = false): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (!truncate && Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new TooLarge(declared);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      if (!truncate) throw new TooLarge(total);
      chunks.push(value.subarray(0, value.byteLength - (total - limit)));
      total = limit;
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Drops a body we do not need, so the connection can be reused. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/** `Retry-After` (seconds or an HTTP date) in ms; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A URL for messages: no user info (and credentials are redacted by the caller anyway). */
function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  copy.hash = "";
  return copy.href;
}

/** Sends prepared requests for one source. */
export class HttpClient {
  constructor(private readonly options: HttpClientOptions) {}

  /** Sends `request`, retrying as described in the module doc, and returns the decoded body (`null` when empty). */
  async send(request: PreparedRequest, opts: SendOptions): Promise<unknown> {
    try {
      return await this.sendOnce(request, opts);
    } catch (error) {
      throw this.redactor(opts).error(error);
    }
  }

  private redactor(opts: SendOptions): Redactor {
    return opts.credentials?.redactor ?? this.options.redactor;
  }

  private async sendOnce(request: PreparedRequest, opts: SendOptions): Promise<unknown> {
    const { retries, timeoutMs } = this.options;
    const auth = opts.credentials?.auth ?? this.options.auth;
    const { signal } = opts;
    const url = displayUrl(request.url);
    const what = `${request.method} ${url}`;
    const idempotent = IDEMPOTENT.has(request.method);
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      this.throwIfCancelled(opts, what);
      const timeout = AbortSignal.timeout(timeoutMs);
      const attemptSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      let response: Response;
      try {
        response = await this.fetchFollowingRedirects(request, attemptSignal, opts);
      } catch (error) {
        this.throwIfCancelled(opts, what);
        if (error instanceof ToolcodeError) throw error;
        if (timeout.aborted) throw this.timeoutError(opts.tool, request.method, url);
        if (!isNetworkError(error)) {
          throw new ToolError(`${what} could not be sent: ${describeNetworkFailure(error)}.`, { server: this.options.source, tool: opts.tool, method: request.method, url });
        }
        if (idempotent && attempt < retries) {
          await this.wait(this.backoff(attempt), opts, what);
          continue;
        }
        throw new SourceError(
          "SOURCE_UNAVAILABLE",
          `OpenAPI source "${this.options.source}" could not reach ${what}: ${describeNetworkFailure(error)}. Check that the API is up, and openapi.${this.options.source}.baseUrl.`,
          { server: this.options.source, tool: opts.tool, method: request.method, url, key: `openapi.${this.options.source}.baseUrl` },
          { cause: error },
        );
      }
      const status = response.status;
      if (status === 401 && auth.refreshable && !authRetried) {
        authRetried = true;
        auth.invalidate();
        await discard(response);
        attempt--; // a fresh token is not a retry
        continue;
      }
      const retryable = status === 429 || (idempotent && RETRY_STATUSES.has(status));
      if (retryable && attempt < retries) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
        if (retryAfter === undefined || retryAfter <= this.options.maxRetryAfterMs) {
          await discard(response);
          await this.wait(retryAfter ?? this.backoff(attempt), opts, what);
          continue;
        }
      }
      try {
        if (!response.ok) throw await this.httpError(response, request.method, url, opts);
        return await this.decode(response, request.method, url, opts);
      } catch (error) {
        this.throwIfCancelled(opts, what);
        if (error instanceof ToolcodeError) throw error;
        if (timeout.aborted) throw this.timeoutError(opts.tool, request.method, url);
        if (error instanceof TooLarge) throw this.tooLargeError(opts.tool, request.method, url, error.bytes);
        throw new ToolError(`Reading the response of ${what} failed: ${describeNetworkFailure(error)}.`, {
          server: this.options.source,
          tool: opts.tool,
          method: request.method,
          url,
        });
      }
    }
  }

  /** One attempt: sends, following up to 5 redirects by hand so credentials never leave the API's origin. */
  private async fetchFollowingRedirects(request: PreparedRequest, signal: AbortSignal, opts: SendOptions): Promise<Response> {
    const origin = request.url.origin;
    let current = new URL(request.url.href);
    let method = request.method;
    let body = request.body;
    let headers = { ...request.headers };
    for (let hop = 0; ; hop++) {
      const url = new URL(current.href);
      const sameOrigin = url.origin === origin;
      // Configured headers first; the request's own headers and then the credentials win.
      const sent: Record<string, string> = sameOrigin ? { ...(opts.credentials?.headers ?? this.options.headers), ...headers } : { ...headers };
      if (sameOrigin) {
        injectTraceHeaders(sent); // the tool-call span's traceparent, so the API's spans join the trace
        await (opts.credentials?.auth ?? this.options.auth).apply(sent, url, signal);
      }
      const response = await this.options.fetch(url, { method, headers: sent, body: body ?? null, signal, redirect: "manual" });
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
      await discard(response);
      if (hop >= MAX_REDIRECTS) {
        throw new ToolError(`${request.method} ${displayUrl(request.url)} redirected more than ${MAX_REDIRECTS} times.`, {
          server: this.options.source,
          tool: opts.tool,
        });
      }
      const next = new URL(location, current);
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new ToolError(`${request.method} ${displayUrl(request.url)} redirected to a non-HTTP URL.`, { server: this.options.source, tool: opts.tool });
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        if (method !== "HEAD") method = "GET";
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== "content-type"));
      }
      current = next;
    }
  }

  /** Decodes a 2xx body: JSON, text or binary; `null` when there is none. */
  private async decode(response: Response, method: string, url: string, opts: SendOptions): Promise<unknown> {
    if (method === "HEAD" || response.status === 204 || response.status === 205 || response.status === 304) {
      await discard(response);
      return null;
    }
    const bytes = await readCapped(response, this.options.maxResponseBytes);
    if (bytes.length === 0) return null;
    const contentType = response.headers.get("content-type") ?? "";
    const what = `${method} ${url}`;
    if (isJsonType(contentType)) {
      const text = bytes.toString("utf8");
      try {
        return this.redactor(opts).value(JSON.parse(text) as unknown);
      } catch {
        throw new ToolError(`${what} answered invalid JSON (Content-Type ${essence(contentType)}): ${excerpt(text, 200)}`, {
          server: this.options.source,
          tool: opts.tool,
          reason: "INVALID_JSON",
          status: response.status,
          bodyExcerpt: excerpt(text),
        });
      }
    }
    if (isHtmlType(contentType) && opts.expectJson) {
      const text = bytes.toString("utf8");
      throw new ToolError(
        `${what} answered an HTML page (HTTP ${response.status}) where JSON was expected: the base URL probably points at a website, a login page or a proxy rather than the API. The operator should check openapi.${this.options.source}.baseUrl.`,
        { server: this.options.source, tool: opts.tool, reason: "UNEXPECTED_CONTENT_TYPE", status: response.status, contentType: essence(contentType), url, bodyExcerpt: excerpt(text) },
      );
    }
    if (contentType === "" || isTextType(contentType)) {
      const text = contentType === "" ? decodeUtf8(bytes) : bytes.toString("utf8");
      if (text !== undefined) {
        if (opts.expectJson && !isHtmlType(contentType)) {
          try {
            return this.redactor(opts).value(JSON.parse(text) as unknown);
          } catch {
            // not JSON after all: return the text
          }
        }
        return this.redactor(opts).text(text);
      }
    }
    const binary: BinaryValue = { type: "binary", mimeType: essence(contentType) || "application/octet-stream", base64: bytes.toString("base64") };
    return binary;
  }

  private async httpError(response: Response, method: string, url: string, opts: SendOptions): Promise<HttpError> {
    const tool = opts.tool;
    let text = "";
    try {
      text = (await readCapped(response, ERROR_BODY_BYTES, true)).toString("utf8");
    } catch {
      // the excerpt is best effort
    }
    const source = this.options.source;
    const redactor = this.redactor(opts);
    const status = response.status;
    const statusText = response.statusText;
    const contentType = response.headers.get("content-type") ?? "";
    const said = isHtmlType(contentType) || /^\s*<(!doctype|html)/i.test(text) ? "an HTML page" : (apiMessage(text) ?? excerpt(text, 200));
    const advice = statusAdvice(status, source);
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    const wait = retryAfter !== undefined ? ` The server asks to wait ${Math.ceil(retryAfter / 1000)} s.` : "";
    const message = `HTTP ${status}${statusText ? ` ${statusText}` : ""} from ${method} ${url}${said ? `: ${said}` : ""}.${advice ? ` ${advice}` : ""}${wait}`;
    const details: ConstructorParameters<typeof HttpError>[1] = {
      server: source,
      tool,
      status,
      statusText,
      method,
      url,
      bodyExcerpt: excerpt(text, MAX_BODY_EXCERPT),
    };
    if (retryAfter !== undefined) details.retryAfterSeconds = Math.ceil(retryAfter / 1000);
    return redactor.error(new HttpError(redactor.text(message), details));
  }

  private timeoutError(tool: string, method: string, url: string): ToolError {
    const { timeoutMs, source } = this.options;
    return new ToolError(
      `${method} ${url} did not answer within ${timeoutMs} ms. Ask for less (smaller pages, filters) or try again later; the operator may raise openapi.${source}.timeoutMs.`,
      { server: source, tool, reason: "TIMEOUT", timeoutMs, method, url },
    );
  }

  private tooLargeError(tool: string, method: string, url: string, bytes: number): ToolError {
    const { maxResponseBytes, source } = this.options;
    return new ToolError(
      `RESPONSE_TOO_LARGE: the response of ${method} ${url} exceeds ${maxResponseBytes} bytes${bytes > maxResponseBytes ? ` (${bytes} bytes or more)` : ""} and was not read. Ask for less: paginate (per_page, limit, page) or filter; the operator may raise openapi.${source}.maxResponseBytes.`,
      { server: source, tool, reason: "RESPONSE_TOO_LARGE", limit: maxResponseBytes, bytes, method, url },
    );
  }

  /** Exponential backoff with jitter: half to all of `retryDelayMs · 2^attempt`, capped. */
  private backoff(attempt: number): number {
    const base = Math.min(this.options.retryDelayMs * 2 ** attempt, MAX_BACKOFF_MS);
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private async wait(ms: number, opts: SendOptions, what: string): Promise<void> {
    try {
      await sleep(ms, undefined, opts.signal === undefined ? undefined : { signal: opts.signal });
    } catch {
      this.throwIfCancelled(opts, what);
    }
  }

  private throwIfCancelled(opts: SendOptions, what: string): void {
    const signal = opts.signal;
    if (signal?.aborted !== true) return;
    const reason: unknown = signal.reason;
    if (reason instanceof ToolcodeError) throw reason;
    const why = reason instanceof Error && reason.message ? `: ${reason.message}` : "";
    throw new ToolError(`The call to ${opts.tool} (${what}) was cancelled${why}.`, { server: this.options.source, tool: opts.tool, reason: "CANCELLED" });
  }
}

/** UTF-8 text, or `undefined` when the bytes are not valid UTF-8 (then they are binary). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
