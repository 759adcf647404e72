/**
 * Turns what the MCP SDK, Node and `fetch` throw into toolcode errors whose messages say what
 * happened and what to change: the config key for the operator (`mcpServers.x.command`), the
 * server's own words (its JSON-RPC message, its stderr tail) for everyone.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from "@modelcontextprotocol/sdk/shared/stdio.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { SourceError, ToolError, ToolcodeError } from "../../errors.js";
import { isStdioServer, type McpServerConfig } from "../../config/schema.js";
import { describeNetworkFailure, isNetworkError, systemErrorCode } from "../network-errors.js";
import { ChildStdioTransport } from "./child-stdio-transport.js";

/** What an error message needs to know about the connection that failed. */
export interface FailureContext {
  /** Config key of the server. */
  server: string;
  config: McpServerConfig;
  /** The transport in use (a {@link ChildStdioTransport} for stdio servers). */
  transport: unknown;
  /** Working directory the child was started in (stdio). */
  cwd: string;
}

/** Most characters of stderr quoted in one message. */
const MAX_STDERR_CHARS = 2000;


/**
 * `error.message` without the SDK's `MCP error -32602: ` prefixes (the SDK adds one when the
 * server throws and another when the client receives it; the code is kept in `details`).
 */
export function serverMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(?:MCP error -?\d+: )+/, "");
}

function stderrOf(ctx: FailureContext): string {
  if (!(ctx.transport instanceof ChildStdioTransport)) return "";
  const text = ctx.transport.stderrTail.text();
  return text.length > MAX_STDERR_CHARS ? `…${text.slice(-MAX_STDERR_CHARS)}` : text;
}

function stderrSentence(stderr: string): string {
  return stderr === "" ? " It wrote nothing to stderr." : ` Last stderr:\n${stderr}`;
}

function key(ctx: FailureContext, field: string): string {
  return `mcpServers.${ctx.server}.${field}`;
}

function describeHttpStatus(ctx: FailureContext, url: string, status: number, message: string): string {
  if (status === 401 || status === 403) {
    return `MCP server "${ctx.server}" at ${url} rejected the request (HTTP ${status}): ${message}. Check the credentials in ${key(ctx, "headers")} (for example the Authorization header).`;
  }
  if (status === 404 || status === 405) {
    return `MCP server "${ctx.server}": no MCP endpoint at ${url} (HTTP ${status}). Check ${key(ctx, "url")} (the endpoint path is often /mcp).`;
  }
  return `MCP server "${ctx.server}" at ${url} answered HTTP ${status}: ${message}. Check ${key(ctx, "url")}.`;
}

/**
 * Explains why a server could not be started or connected.
 *
 * @param error What the connect attempt threw.
 * @param how `timeout` when the startup timeout fired, `exited` when the child process ended.
 */
export async function startupFailure(
  error: unknown,
  ctx: FailureContext,
  how: { timedOut: boolean; timeoutMs: number; closed: boolean },
): Promise<SourceError> {
  const { server, config } = ctx;
  const details: Record<string, unknown> = { server };
  let message: string;

  if (isStdioServer(config)) {
    const transport = ctx.transport instanceof ChildStdioTransport ? ctx.transport : undefined;
    await transport?.stderrSettled();
    const stderr = stderrOf(ctx);
    const code = systemErrorCode(error);
    const spawnFailed = code !== undefined && /^spawn /.test((error as { syscall?: string }).syscall ?? "");
    details.command = config.command;
    details.args = config.args;
    if (stderr !== "") details.stderr = stderr;
    if (spawnFailed && code === "ENOENT" && !(await isDirectory(ctx.cwd))) {
      details.key = key(ctx, "cwd");
      message = `MCP server "${server}" could not start: working directory "${ctx.cwd}" does not exist. Check ${key(ctx, "cwd")}.`;
    } else if (spawnFailed && code === "ENOENT") {
      details.key = key(ctx, "command");
      message = `MCP server "${server}" could not start: command "${config.command}" not found (ENOENT). Check ${key(ctx, "command")}: it must be installed and on PATH, or an absolute path.`;
    } else if (spawnFailed && code === "EACCES") {
      details.key = key(ctx, "command");
      message = `MCP server "${server}" could not start: command "${config.command}" is not executable (EACCES). Check ${key(ctx, "command")}.`;
    } else if (spawnFailed) {
      details.key = key(ctx, "command");
      message = `MCP server "${server}" could not start: ${serverMessage(error)} (${code}). Check ${key(ctx, "command")}.`;
    } else if (how.closed || transport?.exit !== undefined) {
      details.key = key(ctx, "command");
      if (transport?.exit) details.exit = transport.exit;
      message = `MCP server "${server}" exited during startup (${transport?.describeExit() ?? "exit code unknown"}).${stderrSentence(stderr)}\nCheck ${key(ctx, "command")}, ${key(ctx, "args")} and ${key(ctx, "env")}.`;
    } else if (how.timedOut) {
      details.key = key(ctx, "startupTimeoutMs");
      message = `MCP server "${server}" did not complete the MCP handshake within ${how.timeoutMs} ms.${stderrSentence(stderr)}\nCheck that ${key(ctx, "command")} starts an MCP server speaking stdio, or raise ${key(ctx, "startupTimeoutMs")}.`;
    } else {
      details.key = key(ctx, "command");
      message = `MCP server "${server}" failed to start: ${serverMessage(error)}.${stderrSentence(stderr)}\nCheck ${key(ctx, "command")} and ${key(ctx, "args")}.`;
    }
  } else {
    const url = config.url;
    details.url = url;
    details.key = key(ctx, "url");
    const code = systemErrorCode(error);
    if (isNetworkError(error)) {
      const phrase = code !== undefined ? describeNetworkFailure(error) : serverMessage(error);
      message = `MCP server "${server}" could not connect to ${url}: ${phrase}. Is the server running? Check ${key(ctx, "url")}.`;
    } else if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0) {
      if (error.code === 401 || error.code === 403) details.key = key(ctx, "headers");
      message = describeHttpStatus(ctx, url, error.code, serverMessage(error));
    } else if (error instanceof Error && error.name === "UnauthorizedError") {
      details.key = key(ctx, "headers");
      message = describeHttpStatus(ctx, url, 401, serverMessage(error));
    } else if (how.timedOut) {
      details.key = key(ctx, "startupTimeoutMs");
      message = `MCP server "${server}" at ${url} did not complete the MCP handshake within ${how.timeoutMs} ms. Check ${key(ctx, "url")}, or raise ${key(ctx, "startupTimeoutMs")}.`;
    } else {
      message = `MCP server "${server}" at ${url} failed the MCP handshake: ${serverMessage(error)}. Check ${key(ctx, "url")}.`;
    }
  }
  return new SourceError("SOURCE_UNAVAILABLE", message, details, { cause: error });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The error for a call whose `AbortSignal` fired: the signal's reason when it is already a
 * toolcode error (e.g. the execution's own timeout), otherwise a `TOOL_ERROR` saying so.
 */
export function cancelled(server: string, tool: string, signal: AbortSignal): ToolcodeError {
  const reason: unknown = signal.reason;
  if (reason instanceof ToolcodeError) return reason;
  const why = reason instanceof Error ? `: ${reason.message}` : "";
  return new ToolError(`The call to ${tool} on MCP server "${server}" was cancelled${why}.`, { server, tool });
}

/** Messages the SDK client produces itself when a result does not match the tool's `outputSchema`. */
const OUTPUT_SCHEMA_MISMATCH = /output schema|structured content/i;

/**
 * Explains why a tool call failed. `ToolcodeError`s pass through unchanged.
 *
 * @param how `closed` when the connection ended while the call was pending; `timeoutMs` the per-call timeout.
 */
export async function callFailure(
  error: unknown,
  ctx: FailureContext,
  how: { tool: string; timeoutMs: number; closed: boolean; oversized?: boolean; signal?: AbortSignal },
): Promise<ToolcodeError> {
  if (error instanceof ToolcodeError) return error;
  const { server } = ctx;
  const { tool } = how;
  const details: Record<string, unknown> = { server, tool };

  if (how.signal?.aborted) return cancelled(server, tool, how.signal);

  if (how.oversized) {
    return new ToolError(
      `MCP server "${server}" answered a call to ${tool} with a message over the MCP client's size limit (${STDIO_DEFAULT_MAX_BUFFER_SIZE.toLocaleString("en-US")} bytes), so the call failed and the connection was reset (it is reopened on the next call). Ask for less: filter, page or narrow the call (a smaller range, a limit argument, fewer fields).`,
      { ...details, limit: "mcpMessageBytes", max: STDIO_DEFAULT_MAX_BUFFER_SIZE },
      "SANDBOX_LIMIT",
    );
  }

  if (how.closed || (error instanceof Error && error.message === "Not connected")) {
    if (ctx.transport instanceof ChildStdioTransport) {
      await ctx.transport.stderrSettled();
      const stderr = stderrOf(ctx);
      if (stderr !== "") details.stderr = stderr;
      if (ctx.transport.exit) details.exit = ctx.transport.exit;
      return new SourceError(
        "SOURCE_CRASHED",
        `MCP server "${server}" exited during a call to ${tool} (${ctx.transport.describeExit()}).${stderrSentence(stderr)}\nThe server is restarted on the next call.`,
        details,
        { cause: error },
      );
    }
    return new SourceError(
      "SOURCE_UNAVAILABLE",
      `The connection to MCP server "${server}" closed during a call to ${tool}. It is reconnected on the next call.`,
      details,
      { cause: error },
    );
  }

  if (error instanceof McpError) {
    const message = serverMessage(error);
    if (error.code === ErrorCode.RequestTimeout) {
      details.timeoutMs = how.timeoutMs;
      return new ToolError(
        `The call to ${tool} on MCP server "${server}" timed out after ${how.timeoutMs} ms without a result or progress. Try smaller inputs, or fewer calls at once.`,
        details,
      );
    }
    if (OUTPUT_SCHEMA_MISMATCH.test(message) && error.code !== ErrorCode.InternalError) {
      return new ToolError(`MCP server "${server}" returned a result for ${tool} that does not match the tool's declared outputSchema: ${message}`, details);
    }
    details.rpcCode = error.code;
    if (error.data !== undefined) details.data = error.data;
    if (error.code === ErrorCode.InvalidParams) return new ToolError(message, details, "INVALID_ARGUMENTS");
    return new ToolError(message, details);
  }

  if (!isStdioServer(ctx.config)) {
    const url = ctx.config.url;
    details.url = url;
    if (isNetworkError(error)) {
      const code = systemErrorCode(error);
      const phrase = code !== undefined ? describeNetworkFailure(error) : serverMessage(error);
      return new SourceError(
        "SOURCE_UNAVAILABLE",
        `MCP server "${server}" at ${url} could not be reached during a call to ${tool}: ${phrase}. Check that the server is running and ${key(ctx, "url")}.`,
        details,
        { cause: error },
      );
    }
    if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0) {
      return new SourceError("SOURCE_UNAVAILABLE", describeHttpStatus(ctx, url, error.code, serverMessage(error)), details, { cause: error });
    }
  }

  if (error instanceof Error && error.name === "ZodError") {
    return new ToolError(`MCP server "${server}" returned a malformed result for ${tool} (not a valid MCP CallToolResult): ${error.message}`, details);
  }
  return new ToolError(`The call to ${tool} on MCP server "${server}" failed: ${serverMessage(error)}`, details);
}
