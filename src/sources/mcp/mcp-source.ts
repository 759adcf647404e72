/**
 * An MCP server (stdio child process or streamable HTTP endpoint) as a {@link ToolSource}.
 *
 * - Startup: spawns or connects, completes the MCP handshake and lists every tool (following
 *   `nextCursor`) within `startupTimeoutMs`; failures say which config key to change.
 * - Tool list: kept current on `notifications/tools/list_changed`.
 * - Calls: per-call timeout that progress notifications extend, cancellation via `AbortSignal`,
 *   results converted by {@link toolResultToValue}.
 * - Crashes: a call pending when a stdio server dies rejects at once with `SOURCE_CRASHED`
 *   (exit code, stderr tail); the next call restarts the server once (reconnects, for HTTP).
 *
 * @module
 */
import { resolve } from "node:path";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { SourceError, ToolError, ToolcodeError } from "../../errors.js";
import { isSseServer, isStdioServer, type McpServerConfig } from "../../config/schema.js";
import type { RootsChannel } from "../roots.js";
import type { CallOptions, JsonSchema, SourceLogger, ToolAnnotations, ToolSource, ToolSpec } from "../tool-source.js";
import { ChildStdioTransport } from "./child-stdio-transport.js";
import { callFailure, cancelled, startupFailure, type FailureContext } from "./mcp-errors.js";
import { toolResultToValue } from "./tool-result.js";

/** How long a server may take to start, shake hands and list its tools, unless `startupTimeoutMs` says otherwise. */
export const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
/** How long a tool call may go without a result or a progress notification. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
/** After a failed restart, calls fail fast with the same error for this long before trying again. */
const RESTART_BACKOFF_MS = 10_000;
/** Guard against servers whose `nextCursor` never ends. */
const MAX_TOOL_PAGES = 1000;
/** At most this many names are listed in a `TOOL_NOT_FOUND` message (all are in `details.validNames`). */
const MAX_NAMES_IN_MESSAGE = 100;

/** Options for {@link connectMcpSource}. */
export interface McpSourceOptions {
  /**
   * Directory that a relative `cwd` in the server config is resolved against, and where stdio
   * servers start when they have no `cwd` (so `"args": ["./data"]` means next to the config
   * file). Defaults to `process.cwd()`.
   */
  cwd?: string;
  /** How toolcode introduces itself in the MCP handshake. */
  clientInfo?: { name: string; version: string };
  /** Per-call timeout in ms; a progress notification from the server restarts it. Default 60 s. */
  callTimeoutMs?: number;
  /** Receives restart and refresh events. Default: warnings to stderr, info dropped. */
  logger?: SourceLogger;
  /** Nesting depth allowed in a tool result (`sandbox.maxJsonDepth`); deeper fails with SANDBOX_LIMIT. Default 256. */
  maxJsonDepth?: number;
  /**
   * Roots to declare (the MCP `roots` capability): the server may ask for them with `roots/list`
   * and is told when they change. Without it, no roots capability is declared.
   */
  roots?: RootsChannel;
  /**
   * OAuth for a remote server (streamable HTTP or SSE): the SDK sends its access token, refreshes
   * it on a 401 and reports when the user must authorize again. One user's provider per connection.
   */
  authProvider?: OAuthClientProvider;
}

/** Writes warnings to stderr (stdout may carry the MCP protocol) and drops info. */
export const defaultSourceLogger: SourceLogger = {
  info: () => {},
  warn: (message) => process.stderr.write(`[toolcode] ${message}\n`),
};

/** What toolcode says in the MCP handshake when no `clientInfo` is given. */
const DEFAULT_CLIENT_INFO = { name: "toolcode", version: "0.1.0" };

/** One live (or just-died) connection: a client, its transport, and what we know about them. */
interface Connection {
  client: Client;
  transport: ChildStdioTransport | StreamableHTTPClientTransport | SSEClientTransport;
  ctx: FailureContext;
  /** The transport has closed, for whatever reason. */
  closed: boolean;
  /** We closed it (or are closing it), so a close is not a crash. */
  closing: Promise<void> | undefined;
  /** A `tools/list_changed` arrived and has not been re-listed yet. */
  stale: boolean;
  /** Set when the server sent a message over the SDK's size limit (the connection is then dropped). */
  oversized: boolean;
}

/** How the SDK's stdio ReadBuffer reports a message over its `maxBufferSize`. */
const OVERSIZED_MESSAGE = /ReadBuffer exceeded maximum size of (\d+) bytes/;

/** Converts an MCP tool definition to a {@link ToolSpec}, dropping protocol-only fields. */
export function toToolSpec(tool: Tool): ToolSpec {
  const spec: ToolSpec = { name: tool.name, inputSchema: tool.inputSchema as JsonSchema };
  const title = tool.title ?? tool.annotations?.title;
  if (title !== undefined) spec.title = title;
  if (tool.description !== undefined) spec.description = tool.description;
  if (tool.outputSchema !== undefined) spec.outputSchema = tool.outputSchema as JsonSchema;
  if (tool.annotations !== undefined) {
    const annotations: ToolAnnotations = {};
    for (const key of ["title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
      const value = tool.annotations[key];
      if (value !== undefined) (annotations as Record<string, unknown>)[key] = value;
    }
    spec.annotations = annotations;
  }
  return spec;
}

/** Lists every tool, following `nextCursor` until the server stops returning one. */
async function listAllTools(client: Client, timeoutMs: number): Promise<ToolSpec[]> {
  if (client.getServerCapabilities()?.tools === undefined) return [];
  const byName = new Map<string, ToolSpec>();
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, { timeout: timeoutMs });
    for (const tool of result.tools) if (!byName.has(tool.name)) byName.set(tool.name, toToolSpec(tool));
    cursor = result.nextCursor;
    if (cursor === undefined || seenCursors.has(cursor)) break;
    seenCursors.add(cursor);
  }
  return [...byName.values()];
}

/** Resolves like `promise`, or rejects with `onAbort()` as soon as `signal` aborts (e.g. while a restart runs). */
async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: (signal: AbortSignal) => Error): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) throw onAbort(signal);
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => reject(onAbort(signal));
    signal.addEventListener("abort", listener, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (listener !== undefined) signal.removeEventListener("abort", listener);
  }
}

/** A connected MCP server. Create with {@link connectMcpSource}. */
export class McpSource implements ToolSource {
  /** Always `"mcp"`. */
  readonly kind = "mcp";
  /** `stdio` for a child process, `http` for streamable HTTP, `sse` for the legacy HTTP+SSE transport. */
  readonly transportKind: "stdio" | "http" | "sse";
  private readonly callTimeoutMs: number;
  private readonly logger: SourceLogger;
  private conn: Connection | undefined;
  /** A connection being opened (startup or restart), so `close()` can abort it. */
  private opening: Connection | undefined;
  private reconnecting: Promise<Connection> | undefined;
  private restartFailure: { at: number; error: SourceError } | undefined;
  private refreshing: Promise<void> | undefined;
  private tools: ToolSpec[] = [];
  private toolNames = new Set<string>();
  private readonly listeners = new Set<(tools: ToolSpec[]) => void>();
  private started = false;
  private closed = false;
  private restartCount = 0;

  /** Use {@link connectMcpSource}, which also connects. */
  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly options: McpSourceOptions = {},
  ) {
    this.transportKind = isStdioServer(config) ? "stdio" : isSseServer(config) ? "sse" : "http";
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.logger = options.logger ?? defaultSourceLogger;
  }

  /** Starts the server and lists its tools. Called by {@link connectMcpSource}; a second call is an error. */
  async start(): Promise<void> {
    if (this.started) throw new Error(`McpSource "${this.name}" was already started.`);
    this.started = true;
    const { conn, tools } = await this.openConnection();
    if (this.closed) {
      await this.closeConnection(conn);
      throw this.closedError();
    }
    this.adopt(conn, tools);
  }

  /** Tools as last listed; waits for a refresh triggered by `tools/list_changed` if one is running. */
  async listTools(): Promise<ToolSpec[]> {
    if (this.refreshing !== undefined) await this.refreshing;
    return [...this.tools];
  }

  /** See {@link ToolSource.onToolsChanged}. */
  onToolsChanged(listener: (tools: ToolSpec[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The child's process id (stdio, while running). */
  get pid(): number | undefined {
    const transport = this.conn?.transport;
    return transport instanceof ChildStdioTransport ? (transport.pid ?? undefined) : undefined;
  }

  /** The last lines the current (or last) stdio server process wrote to stderr. */
  stderrTail(): string {
    const transport = this.conn?.transport;
    return transport instanceof ChildStdioTransport ? transport.stderrTail.text() : "";
  }

  /** How many times the server was restarted (or reconnected) after it stopped. */
  get restarts(): number {
    return this.restartCount;
  }

  /** See {@link ToolSource.callTool}. */
  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    if (this.closed) throw this.closedError();
    const { signal } = options;
    if (!this.toolNames.has(name)) {
      if (this.refreshing !== undefined) await this.refreshing;
      if (!this.toolNames.has(name)) throw this.unknownTool(name);
    }
    const conn = await abortable(this.ready(), signal, (aborted) => cancelled(this.name, name, aborted));
    // The SDK never removes the abort listener it adds to a request's signal, and one execution's
    // signal may see thousands of calls: give the SDK a per-call signal linked to the caller's.
    const callController = new AbortController();
    const forwardAbort = () => callController.abort(signal?.reason);
    signal?.addEventListener("abort", forwardAbort, { once: true });
    try {
      signal?.throwIfAborted();
      const result = await conn.client.callTool({ name, arguments: args }, CallToolResultSchema, {
        signal: callController.signal,
        timeout: this.callTimeoutMs,
        resetTimeoutOnProgress: true,
        // Asking for progress is what makes servers send it, which is what extends the timeout.
        onprogress: () => {},
      });
      return toolResultToValue(result as CallToolResult, name, this.name, this.options.maxJsonDepth);
    } catch (error) {
      if (error instanceof ToolcodeError) throw error;
      if (conn.closing !== undefined && this.closed) {
        throw new SourceError("SOURCE_UNAVAILABLE", `MCP server "${this.name}" was shut down during a call to ${name}.`, { server: this.name, tool: name });
      }
      const failure = await callFailure(error, conn.ctx, {
        tool: name,
        timeoutMs: this.callTimeoutMs,
        closed: conn.closed,
        oversized: conn.oversized,
        signal,
      });
      // An HTTP server we cannot reach any more: drop the session so the next call reconnects.
      if (failure.code === "SOURCE_UNAVAILABLE" && !conn.closed) void this.closeConnection(conn);
      throw failure;
    } finally {
      signal?.removeEventListener("abort", forwardAbort);
    }
  }

  /** See {@link ToolSource.close}. Stops the child process (stdin closed, then SIGTERM, then SIGKILL). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    const conns = [this.conn, this.opening].filter((c): c is Connection => c !== undefined);
    this.conn = undefined;
    await Promise.all(conns.map((c) => this.closeConnection(c)));
    await this.reconnecting?.catch(() => {});
  }

  /** Spawns or connects, shakes hands and lists tools, all within the startup timeout. */
  private async openConnection(): Promise<{ conn: Connection; tools: ToolSpec[] }> {
    const timeoutMs = this.config.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
    const baseDir = this.options.cwd ?? process.cwd();
    let transport: ChildStdioTransport | StreamableHTTPClientTransport | SSEClientTransport;
    let cwd = baseDir;
    if (isStdioServer(this.config)) {
      cwd = resolve(baseDir, this.config.cwd ?? ".");
      transport = new ChildStdioTransport({
        command: this.config.command,
        args: this.config.args ?? [],
        env: { ...getDefaultEnvironment(), ...this.config.env },
        cwd,
      });
    } else if (isSseServer(this.config)) {
      // The SDK sends requestInit.headers with the event stream's GET and every POST.
      transport = new SSEClientTransport(new URL(this.config.url), {
        ...(this.config.headers === undefined ? {} : { requestInit: { headers: this.config.headers } }),
        ...(this.options.authProvider !== undefined ? { authProvider: this.options.authProvider } : {}),
      });
    } else {
      transport = new StreamableHTTPClientTransport(new URL(this.config.url), {
        requestInit: this.config.headers === undefined ? undefined : { headers: this.config.headers },
        ...(this.options.authProvider !== undefined ? { authProvider: this.options.authProvider } : {}),
      });
    }
    const roots = this.options.roots;
    const client = new Client(this.options.clientInfo ?? DEFAULT_CLIENT_INFO, { capabilities: roots ? { roots: { listChanged: true } } : {} });
    const conn: Connection = {
      client,
      transport,
      ctx: { server: this.name, config: this.config, transport, cwd },
      closed: false,
      closing: undefined,
      stale: false,
      oversized: false,
    };
    client.onclose = () => {
      conn.closed = true;
      if (conn.closing === undefined && this.conn === conn) this.stoppedUnexpectedly(conn);
    };
    // Failures reach us through the pending requests; stray protocol noise is not worth a crash.
    // A message over the SDK's size limit is different: the SDK drops the connection, and the
    // calls pending on it fail with SANDBOX_LIMIT at once (the child is killed, not waited for).
    client.onerror = (error) => {
      if (!OVERSIZED_MESSAGE.test(error.message)) return;
      conn.oversized = true;
      this.logger.warn(`MCP server "${this.name}" sent a message over the ${error.message.match(OVERSIZED_MESSAGE)?.[1] ?? "size"}-byte limit; its connection was dropped and is reopened on the next call.`);
      if (transport instanceof ChildStdioTransport) transport.kill();
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.toolsChanged(conn));
    if (roots) {
      client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: roots.list() }));
      const unsubscribe = roots.onChange(() => {
        if (!conn.closed && conn.closing === undefined) client.sendRootsListChanged().catch(() => {});
      });
      const onclose = client.onclose;
      client.onclose = () => {
        unsubscribe();
        onclose?.();
      };
    }

    this.opening = conn;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`startup timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const work = (async () => {
      await client.connect(transport, { timeout: timeoutMs });
      return listAllTools(client, timeoutMs);
    })();
    work.catch(() => {}); // the deadline may win the race; the loser's rejection is expected
    try {
      const tools = await Promise.race([work, deadline]);
      return { conn, tools };
    } catch (error) {
      if (this.closed) throw this.closedError();
      const failure = await startupFailure(error, conn.ctx, { timedOut, timeoutMs, closed: conn.closed });
      await this.closeConnection(conn);
      throw failure;
    } finally {
      clearTimeout(timer);
      if (this.opening === conn) this.opening = undefined;
    }
  }

  /** Makes `conn` the current connection with `tools` as its tool list. */
  private adopt(conn: Connection, tools: ToolSpec[]): void {
    this.conn = conn;
    this.setTools(tools);
    // A list_changed that arrived while we were listing: list again.
    if (conn.stale) this.refreshTools(conn);
  }

  /** The current connection, restarting (stdio) or reconnecting (HTTP) once if it stopped. */
  private async ready(): Promise<Connection> {
    const conn = this.conn;
    if (conn !== undefined && conn.closed === false && conn.closing === undefined) return conn;
    this.reconnecting ??= this.restart().finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  private async restart(): Promise<Connection> {
    const failure = this.restartFailure;
    if (failure !== undefined && Date.now() - failure.at < RESTART_BACKOFF_MS) throw failure.error;
    const verb = this.transportKind === "stdio" ? "restart" : "reconnect";
    this.logger.warn(`MCP server "${this.name}" is not running; ${verb}ing it.`);
    try {
      const { conn, tools } = await this.openConnection();
      if (this.closed) {
        await this.closeConnection(conn);
        throw this.closedError();
      }
      const previous = this.conn;
      if (previous !== undefined && previous !== conn) void this.closeConnection(previous);
      this.restartFailure = undefined;
      this.restartCount++;
      this.adopt(conn, tools);
      this.logger.info(`MCP server "${this.name}" ${verb}ed (${tools.length} tools).`);
      return conn;
    } catch (error) {
      if (this.closed) throw this.closedError();
      const reason = error instanceof Error ? error.message : String(error);
      const details = error instanceof ToolcodeError ? { ...error.details, server: this.name } : { server: this.name };
      const unavailable = new SourceError(
        "SOURCE_UNAVAILABLE",
        `MCP server "${this.name}" stopped and could not be ${verb}ed. ${reason}`,
        details,
        { cause: error },
      );
      this.restartFailure = { at: Date.now(), error: unavailable };
      this.logger.warn(unavailable.message);
      throw unavailable;
    }
  }

  /** The server went away without us asking: note it; the next call restarts it. */
  private stoppedUnexpectedly(conn: Connection): void {
    const transport = conn.transport;
    const how =
      transport instanceof ChildStdioTransport
        ? `exited (${transport.describeExit()}); it will be restarted on the next call`
        : "closed the connection; it will be reconnected on the next call";
    this.logger.warn(`MCP server "${this.name}" ${how}.`);
  }

  private toolsChanged(conn: Connection): void {
    conn.stale = true;
    // During startup, `adopt` sees the flag and lists again.
    if (this.conn === conn) this.refreshTools(conn);
  }

  /** Re-lists tools until no `list_changed` is outstanding; one refresh runs at a time. */
  private refreshTools(conn: Connection): void {
    if (this.refreshing !== undefined) return;
    this.refreshing = (async () => {
      while (conn.stale && this.conn === conn && !conn.closed) {
        conn.stale = false;
        try {
          const tools = await listAllTools(conn.client, this.callTimeoutMs);
          if (this.conn === conn) this.setTools(tools);
        } catch (error) {
          if (!conn.closed) {
            const reason = error instanceof Error ? error.message : String(error);
            this.logger.warn(`MCP server "${this.name}": could not refresh the tool list after tools/list_changed: ${reason}`);
          }
          return;
        }
      }
    })().finally(() => {
      this.refreshing = undefined;
      if (conn.stale && this.conn === conn && !conn.closed) this.refreshTools(conn);
    });
  }

  private setTools(tools: ToolSpec[]): void {
    const changed = JSON.stringify(tools) !== JSON.stringify(this.tools);
    this.tools = tools;
    this.toolNames = new Set(tools.map((tool) => tool.name));
    if (!changed) return;
    for (const listener of this.listeners) {
      try {
        listener([...tools]);
      } catch (error) {
        this.logger.warn(`A tools-changed listener for MCP server "${this.name}" threw: ${String(error)}`);
      }
    }
  }

  /** Closes a connection once; later calls wait for the same close. */
  private closeConnection(conn: Connection): Promise<void> {
    conn.closing ??= (async () => {
      const transport = conn.transport;
      if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined && !conn.closed) {
        // Be polite to HTTP servers (DELETE the session), but never hang on it.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          transport.terminateSession().catch(() => {}),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
        ]);
        clearTimeout(timer);
      }
      await conn.client.close().catch(() => {});
      conn.closed = true;
    })();
    return conn.closing;
  }

  private unknownTool(name: string): ToolError {
    const names = [...this.toolNames];
    const shown = names.slice(0, MAX_NAMES_IN_MESSAGE).join(", ");
    const more = names.length > MAX_NAMES_IN_MESSAGE ? `, … (${names.length - MAX_NAMES_IN_MESSAGE} more)` : "";
    const message =
      names.length === 0
        ? `Unknown tool "${name}": MCP server "${this.name}" has no tools.`
        : `Unknown tool "${name}" on MCP server "${this.name}". Available tools: ${shown}${more}.`;
    return new ToolError(message, { server: this.name, tool: name, validNames: names }, "TOOL_NOT_FOUND");
  }

  private closedError(): SourceError {
    return new SourceError("SOURCE_UNAVAILABLE", `MCP server "${this.name}" has been closed.`, { server: this.name });
  }
}

/**
 * Starts (stdio) or connects to (streamable HTTP) the MCP server configured as `mcpServers[name]`
 * and lists its tools.
 *
 * @throws SourceError `SOURCE_UNAVAILABLE` with a message naming the config key to fix: a missing
 *   command (reported at once, not after the timeout), a server that exits during startup (with
 *   its stderr), a refused or failing URL, or a handshake that exceeds `startupTimeoutMs`.
 */
export async function connectMcpSource(name: string, config: McpServerConfig, options: McpSourceOptions = {}): Promise<McpSource> {
  const source = new McpSource(name, config, options);
  await source.start();
  return source;
}
