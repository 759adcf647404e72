/**
 * Tool input → HTTP request: path parameters encoded into the template, query parameters per
 * their OpenAPI `style`/`explode` (form, space/pipe delimited, deepObject), header and cookie
 * parameters, and the body as JSON, form, multipart, text or bytes. Also the generic `request`
 * tool, which is confined to the API's base URL. Arguments the request cannot be built from are
 * reported as `INVALID_ARGUMENTS` with what to change.
 *
 * @module
 */
import { ToolError } from "../../errors.js";
import { isJsonType } from "./media-types.js";
import type { BodyPlan, OperationPlan, ParamPlan, ParamStyle, PropertyEncoding } from "./operation-plan.js";

/** A request ready for the HTTP client (credentials not yet applied). */
export interface PreparedRequest {
  method: string;
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body?: string | Uint8Array | FormData;
}

/** Methods the generic `request` tool accepts. */
export const REQUEST_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Headers the guest may never set: the host owns the connection and the credentials. */
const FORBIDDEN_HEADERS = new Set([
  "authorization", "proxy-authorization", "cookie", "host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer",
]);

type Pairs = [string, string][];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(tool: string, message: string, details: Record<string, unknown> = {}): ToolError {
  return new ToolError(message, { tool, ...details }, "INVALID_ARGUMENTS");
}

/** A scalar as text: strings as is, numbers and booleans via `String`, anything else as JSON. */
function scalar(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null || value === undefined) return "";
  return JSON.stringify(value);
}

/** Entries of an object or array value as `[key, value]` with string keys. */
function entriesOf(value: unknown): [string, unknown][] {
  if (Array.isArray(value)) return value.map((item, index) => [String(index), item]);
  if (isRecord(value)) return Object.entries(value).filter(([, v]) => v !== undefined);
  return [];
}

/** `k[a][b]=v` pairs for nested objects and arrays (deepObject, Stripe-style forms). */
function deepPairs(prefix: string, value: unknown, out: Pairs): void {
  if (Array.isArray(value) || isRecord(value)) {
    for (const [key, item] of entriesOf(value)) deepPairs(`${prefix}[${key}]`, item, out);
    return;
  }
  if (value === undefined) return;
  out.push([prefix, scalar(value)]);
}

const DELIMITERS: Partial<Record<ParamStyle, string>> = { spaceDelimited: " ", pipeDelimited: "|", tabDelimited: "\t" };

/** Query-string (and form body) pairs for one named value per OpenAPI style rules. */
function stylePairs(name: string, value: unknown, style: ParamStyle, explode: boolean, out: Pairs): void {
  if (value === undefined || value === null) return;
  if (style === "deepObject") {
    deepPairs(name, value, out);
    return;
  }
  if (Array.isArray(value)) {
    if (explode) for (const item of value) out.push([name, scalar(item)]);
    else out.push([name, value.map(scalar).join(DELIMITERS[style] ?? ",")]);
    return;
  }
  if (isRecord(value)) {
    const entries = entriesOf(value);
    if (explode) for (const [key, item] of entries) out.push([key, scalar(item)]);
    else out.push([name, entries.flatMap(([key, item]) => [key, scalar(item)]).join(",")]);
    return;
  }
  out.push([name, scalar(value)]);
}

/** A path, header or cookie value per `simple` / `label` / `matrix` style (not yet URL-encoded). */
function simpleValue(value: unknown, explode: boolean, separator = ","): string {
  if (Array.isArray(value)) return value.map(scalar).join(separator);
  if (isRecord(value)) {
    return entriesOf(value)
      .map(([key, item]) => (explode ? `${key}=${scalar(item)}` : `${key},${scalar(item)}`))
      .join(separator);
  }
  return scalar(value);
}

/** One path parameter value, encoded for its place in the template. */
function pathValue(tool: string, param: ParamPlan, value: unknown): string {
  if (param.json) return encodeURIComponent(JSON.stringify(value));
  const text = simpleValue(value, param.explode, param.style === "label" && param.explode ? "." : ",");
  if (text === "" || text === "." || text === "..") {
    throw invalid(tool, `Path parameter "${param.prop}" of ${tool} must not be ${text === "" ? "empty" : `"${text}"`}.`, { parameter: param.prop });
  }
  const encoded = encodeURIComponent(text).replace(/%2C/g, ",");
  if (param.style === "label") return `.${encoded}`;
  if (param.style === "matrix") return `;${encodeURIComponent(param.name)}=${encoded}`;
  return encoded;
}

/** `a=1&b=2` with every key and value percent-encoded. */
export function encodePairs(pairs: Pairs): string {
  return pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join("&");
}

/** `base` + `path` (+ query): the base's path is kept as a prefix, its query parameters first. */
function joinUrl(base: URL, path: string, query: string): URL {
  const url = new URL(base.href);
  url.hash = "";
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
  const existing = base.search.replace(/^\?/, "");
  const search = [existing, query].filter(Boolean).join("&");
  url.search = search === "" ? "" : `?${search}`;
  return url;
}

/** Checks the keys of `args` against the operation's properties. */
function checkArgs(tool: string, op: OperationPlan, args: Record<string, unknown>): void {
  const props = op.params.map((p) => p.prop);
  if (op.body !== undefined) props.push("body");
  const unknown = Object.keys(args).filter((key) => !props.includes(key) && args[key] !== undefined);
  if (unknown.length > 0) {
    const valid = props.length > 0 ? `Valid arguments: ${props.join(", ")}.` : `${tool} takes no arguments.`;
    throw invalid(tool, `Unknown argument${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} for ${tool}. ${valid}`, {
      unknown,
      valid: props,
    });
  }
  const missing = op.params.filter((p) => p.required && (args[p.prop] === undefined || args[p.prop] === null)).map((p) => p.prop);
  if (op.body?.required === true && args.body === undefined) missing.push("body");
  if (missing.length > 0) {
    throw invalid(tool, `Missing required argument${missing.length > 1 ? "s" : ""} ${missing.map((k) => `"${k}"`).join(", ")} for ${tool}.`, {
      missing,
    });
  }
}

/** Builds the HTTP request for one operation call. */
export function buildOperationRequest(op: OperationPlan, args: Record<string, unknown>, base: URL): PreparedRequest {
  const tool = op.name;
  checkArgs(tool, op, args);
  let path = op.path;
  const query: Pairs = [];
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const param of op.params) {
    const value = args[param.prop];
    if (value === undefined || (value === null && param.in !== "path")) continue;
    switch (param.in) {
      case "path":
        path = path.split(`{${param.name}}`).join(pathValue(tool, param, value));
        break;
      case "query":
        if (param.json) query.push([param.name, JSON.stringify(value)]);
        else stylePairs(param.name, value, param.style, param.explode, query);
        break;
      case "header":
        headers[param.name.toLowerCase()] = param.json ? JSON.stringify(value) : simpleValue(value, param.explode);
        break;
      case "cookie":
        cookies.push(`${param.name}=${encodeURIComponent(param.json ? JSON.stringify(value) : simpleValue(value, false))}`);
        break;
    }
  }
  if (cookies.length > 0) headers.cookie = cookies.join("; ");
  const url = joinUrl(base, path, encodePairs(query));
  const request: PreparedRequest = { method: op.method, url, headers };
  if (op.accept !== undefined) headers.accept = op.accept;
  if (op.body !== undefined && args.body !== undefined) encodeBody(tool, op.body, args.body, request);
  return request;
}

/** A binary input value: a string (UTF-8) or `{ base64, mimeType? }`. */
function bytesOf(tool: string, value: unknown): { bytes: Uint8Array; mimeType?: string } {
  if (typeof value === "string") return { bytes: new TextEncoder().encode(value) };
  if (isRecord(value) && typeof value.base64 === "string") {
    const result: { bytes: Uint8Array; mimeType?: string } = { bytes: new Uint8Array(Buffer.from(value.base64, "base64")) };
    if (typeof value.mimeType === "string") result.mimeType = value.mimeType;
    return result;
  }
  throw invalid(tool, `The body of ${tool} must be a string or { base64: string, mimeType?: string }.`);
}

/** Form (`application/x-www-form-urlencoded`) pairs of a body object. */
function formPairs(body: unknown, encoding: Record<string, PropertyEncoding> | undefined): Pairs {
  const pairs: Pairs = [];
  for (const [key, value] of entriesOf(body)) {
    const enc = encoding?.[key];
    if (enc?.contentType !== undefined && isJsonType(enc.contentType)) {
      pairs.push([key, JSON.stringify(value)]);
    } else if (enc?.style !== undefined && enc.style !== "deepObject") {
      stylePairs(key, value, enc.style, enc.explode ?? enc.style === "form", pairs);
    } else if (Array.isArray(value) && enc === undefined && value.every((v) => !isRecord(v) && !Array.isArray(v))) {
      stylePairs(key, value, "form", true, pairs);
    } else {
      // Nested values: bracket notation (`metadata[key]=v`, `items[0][price]=p`), what form APIs parse.
      deepPairs(key, value, pairs);
    }
  }
  return pairs;
}

function encodeBody(tool: string, plan: BodyPlan, body: unknown, request: PreparedRequest): void {
  switch (plan.kind) {
    case "json":
      request.headers["content-type"] = plan.mediaType;
      request.body = JSON.stringify(body);
      return;
    case "form":
      if (!isRecord(body)) throw invalid(tool, `The body of ${tool} must be an object (it is sent as a form).`);
      request.headers["content-type"] = "application/x-www-form-urlencoded";
      request.body = encodePairs(formPairs(body, plan.encoding));
      return;
    case "multipart": {
      if (!isRecord(body)) throw invalid(tool, `The body of ${tool} must be an object (it is sent as multipart/form-data).`);
      const form = new FormData();
      for (const [key, value] of entriesOf(body)) {
        if (isRecord(value) && typeof value.base64 === "string") {
          const { bytes, mimeType } = bytesOf(tool, value);
          const filename = typeof value.filename === "string" ? value.filename : key;
          form.append(key, new Blob([bytes], { type: mimeType ?? "application/octet-stream" }), filename);
        } else if (Array.isArray(value) && value.every((v) => !isRecord(v))) {
          for (const item of value) form.append(key, scalar(item));
        } else {
          form.append(key, scalar(value));
        }
      }
      request.body = form; // fetch sets the multipart Content-Type with its boundary
      return;
    }
    case "text":
      request.headers["content-type"] = plan.mediaType;
      request.body = scalar(body);
      return;
    case "binary": {
      const { bytes, mimeType } = bytesOf(tool, body);
      request.headers["content-type"] = mimeType ?? plan.mediaType;
      request.body = bytes;
      return;
    }
  }
}

/** Input schema of the generic `request` tool. */
export const REQUEST_INPUT_SCHEMA = {
  type: "object",
  properties: {
    method: { type: "string", enum: [...REQUEST_METHODS], description: "HTTP method." },
    path: {
      type: "string",
      description: 'Path relative to the API base URL, starting with "/", e.g. "/users/octocat". Absolute URLs and ".." are rejected.',
    },
    query: {
      type: "object",
      description: "Query parameters; arrays repeat the parameter.",
      additionalProperties: { anyOf: [{ type: ["string", "number", "boolean"] }, { type: "array", items: { type: ["string", "number", "boolean"] } }] },
    },
    headers: { type: "object", description: "Extra request headers (credentials are added by the host).", additionalProperties: { type: "string" } },
    body: { description: "Request body: sent as JSON unless a content-type header says otherwise (then strings are sent as is)." },
  },
  required: ["method", "path"],
  additionalProperties: false,
} as const;

/**
 * Builds a generic request confined to `base`: `path` must be relative to it (no scheme, no
 * `//host`, no `.`/`..` segments, also percent-encoded ones), and the resulting URL must stay
 * under the base URL's origin and path.
 *
 * @param reservedHeaders Lower-case header names the host sets (auth, configured headers).
 */
export function buildGenericRequest(tool: string, args: Record<string, unknown>, base: URL, reservedHeaders: ReadonlySet<string>): PreparedRequest {
  const allowed = ["method", "path", "query", "headers", "body"];
  const unknown = Object.keys(args).filter((key) => !allowed.includes(key) && args[key] !== undefined);
  if (unknown.length > 0) throw invalid(tool, `Unknown argument(s) ${unknown.join(", ")} for ${tool}. Valid arguments: ${allowed.join(", ")}.`, { unknown });
  const method = typeof args.method === "string" ? args.method.toUpperCase() : "";
  if (!(REQUEST_METHODS as readonly string[]).includes(method)) {
    throw invalid(tool, `${tool}: method must be one of ${REQUEST_METHODS.join(", ")}.`, { method: args.method });
  }
  const rawPath = args.path;
  if (typeof rawPath !== "string" || !rawPath.startsWith("/") || rawPath.startsWith("//")) {
    throw invalid(tool, `${tool}: path must be relative to the API base URL and start with "/" (e.g. "/users/octocat"); absolute URLs are not allowed.`, {
      path: rawPath,
    });
  }
  if (/[\\\s#]/.test(rawPath) || /%(?:5c|2f)/i.test(rawPath)) {
    throw invalid(tool, `${tool}: path must not contain backslashes, whitespace, "#", or encoded slashes.`, { path: rawPath });
  }
  const [pathPart = "", inlineQuery = ""] = rawPath.split(/\?(.*)/s, 2);
  for (const segment of pathPart.split("/")) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw invalid(tool, `${tool}: path has an invalid percent-encoding.`, { path: rawPath });
    }
    if (decoded === "." || decoded === "..") {
      throw invalid(tool, `${tool}: path must not contain "." or ".." segments; it is confined to the API base URL.`, { path: rawPath });
    }
  }
  const pairs: Pairs = [];
  if (args.query !== undefined) {
    if (!isRecord(args.query)) throw invalid(tool, `${tool}: query must be an object of parameter values.`);
    for (const [key, value] of Object.entries(args.query)) stylePairs(key, value, "form", true, pairs);
  }
  const query = [inlineQuery, encodePairs(pairs)].filter(Boolean).join("&");
  const url = joinUrl(base, pathPart, query);
  const basePath = base.pathname.replace(/\/+$/, "");
  if (url.origin !== base.origin || (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`))) {
    throw invalid(tool, `${tool}: the path leaves the API base URL.`, { path: rawPath });
  }
  const headers: Record<string, string> = {};
  if (args.headers !== undefined) {
    if (!isRecord(args.headers)) throw invalid(tool, `${tool}: headers must be an object of strings.`);
    for (const [name, value] of Object.entries(args.headers)) {
      const lower = name.toLowerCase();
      if (FORBIDDEN_HEADERS.has(lower) || reservedHeaders.has(lower) || lower.startsWith("proxy-")) {
        throw invalid(tool, `${tool}: header "${name}" cannot be set; the host manages the connection and adds credentials itself.`, { header: name });
      }
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw invalid(tool, `${tool}: "${name}" is not a valid header name.`, { header: name });
      headers[lower] = scalar(value);
    }
  }
  const request: PreparedRequest = { method, url, headers };
  if (args.body !== undefined && method !== "GET" && method !== "HEAD") {
    const type = headers["content-type"];
    if (type !== undefined && !isJsonType(type)) {
      request.body = typeof args.body === "string" ? args.body : JSON.stringify(args.body);
    } else {
      headers["content-type"] ??= "application/json";
      request.body = JSON.stringify(args.body);
    }
  } else if (args.body !== undefined) {
    throw invalid(tool, `${tool}: a ${method} request cannot have a body.`);
  }
  headers.accept ??= "application/json, */*;q=0.5";
  return request;
}
