/**
 * The web console's JSON API under `/console/api/` (the HTTP server authenticates the user
 * first): sources and the virtual tree, search, running scripts in the user's sessions, their
 * timelines, pending approvals (approve / reject), skills, workspace files, and a live stream of
 * changes (server-sent events over a fetch, since EventSource cannot send `Authorization`).
 *
 * A session answers only to its user: every session route checks the {@link ExecutionHistory}
 * owner, then the session store checks again; another user's session is answered as unknown.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ErrorCode, ToolcodeError } from "../errors.js";
import type { Toolcode } from "../execute/create-toolcode.js";
import type { ExecuteResult } from "../execute/execute-result.js";
import { PYTHON_ENGINE_NAME } from "../execute/python-engine.js";
import { SessionStore } from "../execute/sessions.js";
import { engineUnavailable } from "../sandbox/create-engine.js";
import type { ExecutionHistory, HistoryEvent } from "./execution-history.js";

/** The prefix of every API route. */
export const CONSOLE_API = "/console/api/";

/** What {@link ConsoleApi} needs besides the instance. */
export interface ConsoleApiOptions {
  history: ExecutionHistory;
  /** Reads a request's JSON body within the server's size and time limits. */
  readBody: (req: IncomingMessage) => Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }>;
  /** True when the server has bearer users (the app then asks for a token). */
  authRequired: boolean;
  /** Live streams one user may hold open at once (default 4). */
  maxStreamsPerUser?: number;
}

const STATUS: Partial<Record<ErrorCode, number>> = { SESSION_NOT_FOUND: 404, SERVER_NOT_FOUND: 404, TOOL_NOT_FOUND: 404, LIMIT_EXCEEDED: 429, INVALID_ARGUMENTS: 400, USAGE: 400 };
/** Characters of a search query the console accepts. */
const MAX_QUERY_CHARS = 500;
/** A comment line keeps idle streams (and the proxies between) open. */
const HEARTBEAT_MS = 15_000;

/** The console's routes; {@link handle} answers one request. */
export class ConsoleApi {
  readonly #streams = new Map<string, number>();
  readonly #open = new Set<ServerResponse>();
  /** What the editor may run: JavaScript/TypeScript, and Python when Pyodide is installed. */
  readonly #languages = engineUnavailable({ engine: PYTHON_ENGINE_NAME, isolation: "process" }) === undefined ? ["javascript", "python"] : ["javascript"];

  constructor(
    private readonly toolcode: Toolcode,
    private readonly options: ConsoleApiOptions,
  ) {}

  /** Answers a request under {@link CONSOLE_API} for `user` (authenticated by the caller). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, user: string | undefined): Promise<void> {
    const route = url.pathname.slice(CONSOLE_API.length).split("/").map((part) => decodeURIComponent(part));
    const method = req.method ?? "GET";
    try {
      if (method === "POST" && !/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
        // A cross-site form cannot send JSON without a preflight the Origin check refuses.
        throw new ToolcodeError("USAGE", "Send POST bodies as Content-Type: application/json.");
      }
      await this.#route(req, res, method, route, url, user);
    } catch (error) {
      if (res.headersSent) {
        res.end();
        return;
      }
      const known = error instanceof ToolcodeError;
      const code = known ? error.code : "INTERNAL";
      sendJson(res, STATUS[code] ?? (known ? 400 : 500), { error: { code, message: (error as Error).message } });
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse, method: string, route: string[], url: URL, user: string | undefined): Promise<void> {
    const [first, id, sub, approvalId, action] = route;
    const who = user ?? null;
    const scope = { ...(user !== undefined ? { user } : {}) };
    if (method === "GET" && first === "overview" && route.length === 1) {
      sendJson(res, 200, this.#overview(user));
      return;
    }
    if (method === "GET" && first === "tree" && route.length === 1) {
      sendJson(res, 200, { paths: this.toolcode.virtualPaths() });
      return;
    }
    if (method === "GET" && first === "file" && route.length === 1) {
      const file = url.searchParams.get("path") ?? "";
      const text = this.toolcode.virtualFile(file);
      if (text === undefined) throw new ToolcodeError("TOOL_NOT_FOUND", `No virtual file "${file.slice(0, 200)}". List them with GET ${CONSOLE_API}tree.`);
      sendJson(res, 200, { path: file, text });
      return;
    }
    if (method === "GET" && first === "search" && route.length === 1) {
      const query = (url.searchParams.get("q") ?? "").slice(0, MAX_QUERY_CHARS);
      const found = this.toolcode.search(query, { limit: 20 });
      sendJson(res, 200, found);
      return;
    }
    if (method === "GET" && first === "skills" && route.length === 1) {
      // Without `dir`: host paths stay on the host.
      const skills = (await this.toolcode.skills.report()).map(({ dir: _dir, ...skill }) => skill);
      sendJson(res, 200, { skills });
      return;
    }
    if (method === "GET" && first === "events" && route.length === 1) {
      this.#stream(req, res, who);
      return;
    }
    if (first !== "sessions") throw new ToolcodeError("USAGE", `Unknown console route ${method} ${CONSOLE_API}${route.join("/")}.`);
    if (id === undefined || id === "") {
      if (method === "GET") {
        sendJson(res, 200, { sessions: this.options.history.sessions(who) });
        return;
      }
      if (method === "POST") {
        const sessionId = SessionStore.newId();
        this.options.history.open(sessionId, who);
        sendJson(res, 201, { id: sessionId });
        return;
      }
    }
    // Every route below is one session's: it must be this user's.
    if (id === undefined || !this.options.history.owns(id, who)) {
      throw new ToolcodeError("SESSION_NOT_FOUND", `No session "${(id ?? "").slice(0, 100)}" for this user. Open one with POST ${CONSOLE_API}sessions.`, { sessionId: id });
    }
    const session = { ...scope, sessionId: id };
    if (method === "GET" && sub === undefined) {
      sendJson(res, 200, { id, executions: this.options.history.executions(id, who) ?? [] });
      return;
    }
    if (method === "POST" && sub === "execute" && route.length === 3) {
      const body = await this.#body(req);
      const code = typeof body.code === "string" ? body.code : undefined;
      if (code === undefined) throw new ToolcodeError("USAGE", 'Send { "code": "<TypeScript>" }.');
      const language = body.language ?? "javascript";
      if (language !== "javascript" && language !== "python") throw new ToolcodeError("USAGE", `language is "javascript" (TypeScript accepted) or "python", not ${JSON.stringify(language).slice(0, 40)}.`);
      sendJson(res, 200, publicResult(await this.toolcode.execute(code, { ...session, language })));
      return;
    }
    if (method === "GET" && sub === "approvals" && route.length === 3) {
      sendJson(res, 200, { approvals: await this.toolcode.pendingApprovals(session) });
      return;
    }
    if (method === "POST" && sub === "approvals" && approvalId !== undefined && route.length === 5) {
      if (action === "approve") {
        sendJson(res, 200, publicResult(await this.toolcode.approve(approvalId, session)));
        return;
      }
      if (action === "reject") {
        const rejected = await this.toolcode.rejectApproval(approvalId, session);
        if (!rejected) throw new ToolcodeError("APPROVAL_INVALID", "No such pending approval in this session (used, expired, or running now).", { approval: approvalId });
        this.#notify({ type: "session", sessionId: id, user: who });
        sendJson(res, 200, { rejected: approvalId });
        return;
      }
    }
    if (method === "GET" && sub === "workspace" && route.length === 3) {
      sendJson(res, 200, { files: await this.toolcode.workspaceFiles(session) });
      return;
    }
    throw new ToolcodeError("USAGE", `Unknown console route ${method} ${CONSOLE_API}${route.join("/")}.`);
  }

  #overview(user: string | undefined): unknown {
    const { catalog } = this.toolcode;
    return {
      ...(user !== undefined ? { user } : {}),
      authRequired: this.options.authRequired,
      engine: this.toolcode.config.sandbox.engine,
      languages: this.#languages,
      sources: catalog.serverIds().map((server) => ({ server, tools: catalog.server(server)?.tools.length ?? 0 })),
      failures: this.toolcode.failures.map((f) => ({ server: f.name, message: f.error.message })),
      limits: this.options.history.limits,
    };
  }

  async #body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await this.options.readBody(req);
    if (!body.ok) throw new ToolcodeError("USAGE", body.message);
    if (body.value === null || typeof body.value !== "object" || Array.isArray(body.value)) throw new ToolcodeError("USAGE", "Send a JSON object.");
    return body.value as Record<string, unknown>;
  }

  /** Server-sent events of the user's sessions until the client goes away. */
  #stream(req: IncomingMessage, res: ServerResponse, user: string | null): void {
    const key = user ?? "";
    const open = this.#streams.get(key) ?? 0;
    const max = this.options.maxStreamsPerUser ?? 4;
    if (open >= max) {
      res.setHeader("Retry-After", "5");
      throw new ToolcodeError("LIMIT_EXCEEDED", `${max} live streams are open for this user already; close a console tab.`, { limit: "console.streams", max });
    }
    this.#streams.set(key, open + 1);
    this.#open.add(res);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    res.write(": live\n\n");
    const unsubscribe = this.options.history.subscribe((event) => {
      if (event.user !== user) return;
      // A client that does not read is dropped rather than buffered without bound.
      if (res.writableLength > 64 * 1024) {
        res.destroy();
        return;
      }
      res.write(`data: ${JSON.stringify({ type: event.type, sessionId: event.sessionId, ...(event.executionId ? { executionId: event.executionId } : {}) })}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(": ping\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const done = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      if (this.#open.delete(res)) this.#streams.set(key, (this.#streams.get(key) ?? 1) - 1);
    };
    req.once("close", done);
    res.once("close", done);
  }

  /** Tells the user's live streams that a session changed. */
  #notify(event: HistoryEvent): void {
    this.options.history.open(event.sessionId, event.user);
  }

  /** Ends every live stream (the server is closing). */
  close(): void {
    for (const res of this.#open) res.end();
  }
}

/** What the console shows of a result: what the model sees, its approval, the bookkeeping. */
function publicResult(result: ExecuteResult): unknown {
  return { text: result.text, error: result.error, ...(result.approval ? { approval: result.approval } : {}), metadata: result.metadata };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(value));
}
