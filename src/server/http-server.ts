/**
 * Streamable HTTP transport for `toolcode serve --http`, bound to 127.0.0.1 by default, one MCP
 * session (and one {@link McpServer}) per client, with Host/Origin checks against DNS rebinding.
 *
 * Per-user isolation: with `auth.users` configured, every request needs `Authorization: Bearer
 * <token>`, the token names the user, and a session (its workspace, PII vault and approvals)
 * answers only to the user who opened it. Binding a non-loopback address requires users.
 *
 * @module
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { CONSOLE_API, ConsoleApi } from "../console/console-api.js";
import { ConsoleAssets } from "../console/console-assets.js";
import { ExecutionHistory } from "../console/execution-history.js";
import { ToolcodeError } from "../errors.js";
import type { Toolcode } from "../execute/create-toolcode.js";
import { ConnectRoutes } from "./connect-routes.js";
import { type HttpSession, HttpSessions } from "./http-sessions.js";
import { SharedSessions, adoptInitialized } from "./shared-sessions.js";
import { createMcpServer } from "./mcp-server.js";
import { readJsonBody } from "./read-body.js";

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Address to bind (default 127.0.0.1). Anything but loopback requires bearer-token users. */
  host?: string;
  /** Port; 0 picks a free one. */
  port?: number;
  /** user → bearer token (default: the config's `auth.users`). */
  users?: Record<string, string>;
  /** Host header values accepted besides the bound address, 127.0.0.1 and localhost (default: `auth.allowedHosts`). */
  allowedHosts?: string[];
  /** Origin header values accepted besides http://127.0.0.1 and http://localhost (default: `auth.allowedOrigins`). */
  allowedOrigins?: string[];
  /** Path of the MCP endpoint (default `/mcp`). */
  path?: string;
  /** Max request body in bytes (default: the config's `server.maxBodyBytes`). */
  maxBodyBytes?: number;
  /** Time a client has to send a request's headers and body (default: `server.bodyTimeoutMs`). */
  bodyTimeoutMs?: number;
  /** Serve the web console at `/` and its API under `/console/api/` (default: the config's `server.console`). */
  console?: boolean;
}

/** A running HTTP server. */
export interface RunningHttpServer {
  url: string;
  /** The web console's address, when it is on. */
  consoleUrl?: string;
  port: number;
  /**
   * Stops taking work: `/readyz` answers 503 and new requests get HTTP 503 `SERVER_DRAINING`
   * (a load balancer sends them to another replica), while requests already running finish.
   * Resolves when none is left, or after `timeoutMs` with the number still running.
   */
  drain(timeoutMs: number): Promise<{ inFlight: number }>;
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Starts the streamable HTTP MCP endpoint (127.0.0.1 unless `host` says otherwise). */
export async function startHttpServer(toolcode: Toolcode, options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  const endpoint = options.path ?? "/mcp";
  const config = toolcode.config;
  const bodyLimits = { maxBytes: options.maxBodyBytes ?? config.server.maxBodyBytes, timeoutMs: options.bodyTimeoutMs ?? config.server.bodyTimeoutMs };
  const bind = options.host ?? LOOPBACK;
  const auth = toolcode.config.auth;
  const tokens = Object.entries(options.users ?? auth.users).map(([user, token]) => ({ user, token: Buffer.from(token) }));
  if (!isLoopback(bind) && tokens.length === 0) {
    throw new ToolcodeError(
      "AUTH_REQUIRED",
      `Binding ${bind} makes the server reachable from other machines, so it needs bearer tokens: set auth.users in the config (user → token, e.g. { "alice": "\${ALICE_TOKEN}" }), or bind 127.0.0.1.`,
      { host: bind },
    );
  }
  const sessions = new HttpSessions({ max: config.sessions.max, maxPerUser: config.sessions.maxPerUser, idleMs: config.workspace.idleMinutes * 60_000 });
  // Sessions kept in the state store, so another replica (or this one restarted) serves them without a new initialize.
  const shared = toolcode.state ? new SharedSessions(toolcode.state, config.workspace.idleMinutes * 60_000) : undefined;
  /** Adoptions in progress by session id: concurrent requests of one unknown session adopt it once. */
  const adopting = new Map<string, Promise<HttpSession | { refused: string } | undefined>>();
  const consoleOn = options.console ?? config.server.console;
  const assets = consoleOn ? new ConsoleAssets() : undefined;
  const history = consoleOn ? new ExecutionHistory({ maxSessions: Math.max(config.sessions.max, 1), ...(config.sessions.maxPerUser !== undefined ? { maxSessionsPerUser: config.sessions.maxPerUser } : {}) }) : undefined;
  const stopObserving = history ? toolcode.observe(history) : undefined;
  const consoleApi = history
    ? new ConsoleApi(toolcode, { history, authRequired: tokens.length > 0, readBody: (req) => readJsonBody(req, bodyLimits) })
    : undefined;
  let allowedHosts: string[] = [];
  /** Connect links and the OAuth callback (set once the port is known, when a source takes OAuth). */
  let connect: ConnectRoutes | undefined;
  let allowedOrigins: string[] = [];

  /** The user a request authenticates as; undefined when no users are configured. */
  function authenticate(req: IncomingMessage): { ok: true; user: string | undefined } | { ok: false; message: string; invalid: boolean } {
    if (tokens.length === 0) return { ok: true, user: undefined };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header(req, "authorization") ?? "");
    if (!match?.[1]) return { ok: false, message: "AUTH_REQUIRED: send Authorization: Bearer <token> (the operator sets tokens in auth.users).", invalid: false };
    const given = Buffer.from(match[1]);
    const found = tokens.find((entry) => entry.token.length === given.length && timingSafeEqual(entry.token, given));
    return found ? { ok: true, user: found.user } : { ok: false, message: "AUTH_REQUIRED: the bearer token is not valid.", invalid: true };
  }

  const http = createServer({ headersTimeout: bodyLimits.timeoutMs, requestTimeout: bodyLimits.timeoutMs + 1000, connectionsCheckingInterval: Math.min(1000, bodyLimits.timeoutMs) }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, `Internal error: ${(error as Error).message}`);
      else res.end();
    });
  });

  let draining = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Probes (Kubernetes, load balancers) carry the pod's address as Host and no token: they get a
    // status and nothing else.
    const probe = req.method === "GET" ? new URL(req.url ?? "/", `http://${LOOPBACK}`).pathname : undefined;
    if (probe === "/healthz" || probe === "/readyz") {
      const ready = probe === "/healthz" || !draining;
      res.writeHead(ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ status: probe === "/healthz" ? "ok" : draining ? "draining" : "ready" }));
      return;
    }
    // DNS rebinding: a page on another site must not reach this server through the browser.
    const host = header(req, "host");
    if (!host || !allowedHosts.includes(host)) {
      sendJsonRpcError(res, 403, -32000, `Invalid Host header: ${host ?? "(none)"}. Add it to auth.allowedHosts if it is yours.`);
      return;
    }
    const origin = header(req, "origin");
    if (origin !== undefined && !allowedOrigins.includes(origin)) {
      sendJsonRpcError(res, 403, -32000, `Invalid Origin header: ${origin}. Add it to auth.allowedOrigins if it is yours.`);
      return;
    }
    const url = new URL(req.url ?? "/", `http://${LOOPBACK}`);
    // Connect links and the OAuth callback are opened by a browser: their ticket / state authenticates them.
    if (connect?.matches(url.pathname) && (req.method === "GET" || req.method === "HEAD")) {
      await connect.handle(url, res);
      return;
    }
    // The console's page and bundle carry no data: served without a token (the app asks for it).
    if (assets?.matches(url.pathname) && url.pathname !== endpoint) {
      assets.serve(req.method ?? "GET", url.pathname, res);
      return;
    }
    const who = authenticate(req);
    const forConsole = consoleApi !== undefined && url.pathname.startsWith(CONSOLE_API);
    if (!who.ok) {
      res.setHeader("WWW-Authenticate", who.invalid ? 'Bearer realm="toolcode", error="invalid_token"' : 'Bearer realm="toolcode"');
      if (forConsole) {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "AUTH_REQUIRED", message: who.message } }));
      } else sendJsonRpcError(res, 401, -32001, who.message);
      return;
    }
    if (forConsole) {
      await consoleApi.handle(req, res, url, who.user);
      return;
    }
    if (url.pathname !== endpoint) {
      sendJsonRpcError(res, 404, -32601, `Not found. The MCP endpoint is ${endpoint}.`);
      return;
    }
    if (draining && req.method !== "DELETE") {
      res.setHeader("Retry-After", "1");
      res.setHeader("Connection", "close");
      sendJsonRpcError(res, 503, -32000, "SERVER_DRAINING: this server is shutting down and takes no new requests. Retry: another replica (or this one, restarted) will answer.");
      return;
    }
    const sessionId = header(req, "mcp-session-id");
    // Another user's session is answered exactly like an unknown one.
    let existing = sessions.get(sessionId, who.user);
    if (!existing && sessionId !== undefined && shared) {
      const adopted = await adopt(sessionId, who.user);
      if (adopted && "refused" in adopted) {
        res.setHeader("Retry-After", "60");
        sendJsonRpcError(res, 429, -32000, adopted.refused);
        return;
      }
      existing = adopted;
    }
    if (existing) shared?.touch(existing.id, existing.user);
    if (req.method === "POST") {
      const body = await readJsonBody(req, bodyLimits);
      if (!body.ok) {
        // Over the size or time limit the rest of the body is not read: answer, then drop the connection.
        if (body.status !== 400) res.setHeader("Connection", "close");
        sendJsonRpcError(res, body.status, body.status === 400 ? -32700 : -32000, body.message);
        if (body.status !== 400) res.once("finish", () => req.destroy());
        return;
      }
      let session = existing;
      if (!session) {
        if (sessionId || !isInitializeRequest(body.value)) {
          sendJsonRpcError(res, sessionId ? 404 : 400, -32000, sessionId ? "Unknown or expired session; initialize a new one." : "No session: send an initialize request first.");
          return;
        }
        const newSessionId = randomUUID();
        const reserved = sessions.reserve(newSessionId, who.user);
        if ("limit" in reserved) {
          res.setHeader("Retry-After", "60");
          sendJsonRpcError(res, 429, -32000, reserved.message);
          return;
        }
        const params = (body.value as { params?: unknown }).params;
        const user = who.user;
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => newSessionId,
          enableDnsRebindingProtection: true,
          allowedHosts,
          allowedOrigins,
          // Kept before the initialize is answered, so the client's next request may land on any replica.
          ...(shared
            ? { onsessioninitialized: (id: string) => shared.remember(id, user, params).catch((error: unknown) => noticeOnce(`toolcode: MCP session ${id} is not shared with other replicas: ${(error as Error).message}`)) }
            : {}),
        });
        created.onclose = () => {
          sessions.remove(newSessionId);
          shared?.closed(newSessionId);
        };
        reserved.transport = created;
        session = reserved;
        await createMcpServer(toolcode, { sessionId: newSessionId, ...(who.user !== undefined ? { user: who.user } : {}) }).connect(created);
      }
      // In flight until the response ends (an SSE answer outlives handleRequest).
      const done = sessions.begin(session);
      res.once("close", done);
      await session.transport?.handleRequest(req, res, body.value);
      // An initialize the transport refused leaves no session behind to count against the caps.
      if (!existing && session.transport?.sessionId === undefined) {
        sessions.remove(session.id);
        await session.transport?.close();
      }
      return;
    }
    if (req.method === "GET" || req.method === "DELETE") {
      const transport = existing?.transport;
      if (!transport) {
        sendJsonRpcError(res, 404, -32000, "Unknown or missing mcp-session-id.");
        return;
      }
      await transport.handleRequest(req, res);
      if (req.method === "DELETE" && existing && res.statusCode < 300) {
        await shared?.forget(existing.id, existing.user).catch(() => undefined);
        // The client ended the session: its shared workspace goes for every replica.
        await toolcode.endSession(existing.id, { user: existing.user ?? null }).catch(() => undefined);
      }
      return;
    }
    res.setHeader("Allow", "GET, POST, DELETE");
    sendJsonRpcError(res, 405, -32000, "Method not allowed.");
  }

  /**
   * Serves a session initialized elsewhere (another replica, or this process before a restart)
   * that the state store keeps for this user: a new transport and MCP server under the same id,
   * marked initialized. Undefined when there is no such session (or the SDK internals are missing).
   */
  function adopt(id: string, user: string | undefined): Promise<HttpSession | { refused: string } | undefined> {
    let pending = adopting.get(id);
    if (!pending) {
      pending = (async () => {
        // An id open here for another user is never taken over.
        if (!shared || sessions.has(id)) return sessions.get(id, user);
        const kept = await shared.find(id, user).catch(() => undefined);
        if (!kept || sessions.has(id)) return sessions.get(id, user);
        const reserved = sessions.reserve(id, user);
        if ("limit" in reserved) return { refused: reserved.message };
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, enableDnsRebindingProtection: true, allowedHosts, allowedOrigins });
        transport.onclose = () => {
          sessions.remove(id);
          shared.closed(id);
        };
        const server = createMcpServer(toolcode, { sessionId: id, ...(user !== undefined ? { user } : {}) });
        await server.connect(transport);
        if (!adoptInitialized(transport, server, id, kept)) {
          sessions.remove(id);
          await transport.close();
          noticeOnce("toolcode: MCP sessions from other replicas cannot be adopted with this @modelcontextprotocol/sdk version; clients must initialize again.");
          return undefined;
        }
        reserved.transport = transport;
        return reserved;
      })().finally(() => adopting.delete(id));
      adopting.set(id, pending);
    }
    return pending.then((found) => (found && "id" in found && found.user !== user ? undefined : found));
  }

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, bind, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const hostInUrl = bind.includes(":") ? `[${bind}]` : bind;
  allowedHosts = [...new Set([`${hostInUrl}:${port}`, `${LOOPBACK}:${port}`, `localhost:${port}`, ...(options.allowedHosts ?? auth.allowedHosts)])];
  allowedOrigins = [...new Set([`http://${hostInUrl}:${port}`, `http://${LOOPBACK}:${port}`, `http://localhost:${port}`, ...(options.allowedOrigins ?? auth.allowedOrigins)])];
  // A wildcard bind has no address a browser can open: links then name 127.0.0.1, or the first allowed host.
  const publicHost = bind === "0.0.0.0" || bind === "::" ? (auth.allowedHosts[0] ?? `${LOOPBACK}:${port}`) : `${hostInUrl}:${port}`;
  const routes = new ConnectRoutes(config, toolcode.credentials, `http://${publicHost}`);
  if (routes.active && toolcode.credentials !== undefined) {
    connect = routes;
    toolcode.credentials.connectLink = (ref, user) => routes.link(ref, user);
  }
  return {
    url: `http://${hostInUrl}:${port}${endpoint}`,
    ...(consoleOn ? { consoleUrl: `http://${hostInUrl}:${port}/` } : {}),
    port,
    drain: async (timeoutMs) => {
      draining = true;
      const deadline = performance.now() + timeoutMs;
      while (sessions.inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      return { inFlight: sessions.inFlight };
    },
    close: async () => {
      if (connect !== undefined) toolcode.credentials.connectLink = undefined;
      stopObserving?.();
      consoleApi?.close();
      await sessions.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const noticed = new Set<string>();
function noticeOnce(text: string): void {
  const kind = text.slice(0, 40);
  if (noticed.has(kind)) return;
  noticed.add(kind);
  process.stderr.write(`${text}\n`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}
