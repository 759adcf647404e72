/**
 * Turns what a guest threw (as described by the prelude's `describe`) into the error the caller
 * gets: a stable code, a message for the model, and the user's line and column.
 *
 * Shared by every engine; what differs (how each engine says "stack overflow" or "out of
 * memory") comes in as {@link EngineErrorTraits}.
 *
 * @module
 */
import { codeExcerpt } from "../code-excerpt.js";
import type { GuestApi } from "../engine.js";
import { memoryMessage, stackMessage, timeoutMessage } from "../limits.js";
import type { WorkerError } from "../protocol.js";

/** What the prelude's `describe` reports about a thrown value. */
export interface ThrownInfo {
  isError: boolean;
  name: string;
  message: string;
  stack: string;
  code?: string;
  details?: Record<string, unknown>;
  referenceError?: boolean;
}

/** How an engine reports the failures that map to limit errors. */
export interface EngineErrorTraits {
  isStackOverflow(info: ThrownInfo): boolean;
  isOutOfMemory(info: ThrownInfo): boolean;
  isInterrupt(info: ThrownInfo): boolean;
  /** The guest stack in KiB as enforced (undefined: the engine sizes its own), and the engine's maximum. */
  stackKb: number | undefined;
  maxStackKb?: number;
}

/** The run a thrown value came from. */
interface RunSource {
  code: string;
  lineOffset: number;
  api: GuestApi;
  timeoutMs: number;
  memoryMb: number;
}

/** Where the error surfaced: compiling the guest's code, or running it. */
export type Phase = "compile" | "run";

/** File name guest frames carry in stack traces (no host path ever appears there). */
export const GUEST_FILE = "guest.js";

const CODE_PATTERN = /^[A-Z][A-Z_]*$/;

/** Globals people expect from Node or browsers that the sandbox deliberately lacks. */
const UNAVAILABLE_GLOBALS: ReadonlySet<string> = new Set([
  "fetch", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask",
  "process", "require", "module", "Buffer", "XMLHttpRequest", "WebSocket", "__dirname", "__filename", "Deno", "Bun",
  "WebAssembly", "SharedArrayBuffer", "Atomics",
]);

/** SANDBOX_TIMEOUT for a run. */
export function timeoutError(timeoutMs: number): WorkerError {
  return { code: "SANDBOX_TIMEOUT", message: timeoutMessage(timeoutMs), details: { timeoutMs } };
}

/** SANDBOX_MEMORY for a run. */
export function memoryError(memoryMb: number, where = ""): WorkerError {
  return { code: "SANDBOX_MEMORY", message: `${memoryMessage(memoryMb)}${where}`, details: { memoryMb } };
}

/** Classifies a thrown value. `healthy` false means the engine instance must not be reused. */
export function classifyThrown(
  info: ThrownInfo,
  phase: Phase,
  run: RunSource,
  traits: EngineErrorTraits,
): { error: WorkerError; healthy: boolean } {
  const loc = userLocation(info.stack, run);
  const where = loc === undefined ? "" : ` (at line ${loc.line}:${loc.column})`;
  const withLoc = (error: WorkerError): WorkerError => (loc === undefined ? error : { ...error, line: loc.line, column: loc.column });

  if (info.code !== undefined && CODE_PATTERN.test(info.code)) {
    const error: WorkerError = { code: info.code, message: `${info.message}${where}` };
    if (info.details !== undefined) error.details = info.details;
    return { error: withLoc(error), healthy: true };
  }
  if (info.isError && traits.isStackOverflow(info)) {
    return { error: withLoc({ code: "SANDBOX_STACK", message: `${stackMessage(traits.stackKb, traits.maxStackKb)}${where}` }), healthy: true };
  }
  if (info.isError && traits.isOutOfMemory(info)) return { error: withLoc(memoryError(run.memoryMb, where)), healthy: false };
  if (info.isError && traits.isInterrupt(info)) return { error: timeoutError(run.timeoutMs), healthy: true };
  if (info.isError && info.name === "SyntaxError" && phase === "compile") {
    let message = `SyntaxError: ${info.message}${where}`;
    if (loc !== undefined) {
      const excerpt = codeExcerpt(run.code, loc.line + run.lineOffset, loc.column, loc.line);
      if (excerpt) message += `\n${excerpt}`;
    }
    return { error: withLoc({ code: "GUEST_SYNTAX_ERROR", message }), healthy: true };
  }
  if (info.isError && info.referenceError === true) {
    const missing = /^'?([^'\s]+)'? is not defined$/.exec(info.message)?.[1];
    if (missing !== undefined) {
      const servers = Object.keys(run.api.globals).filter((name) => !name.startsWith("__"));
      const list = servers.length > 0 ? servers.join(", ") : "(none configured)";
      if (UNAVAILABLE_GLOBALS.has(missing)) {
        const message =
          `ReferenceError: ${missing} is not available in the sandbox (no network, timers, process, require or WebAssembly). ` +
          `Reach tools through the server objects: ${list}.${where}`;
        return { error: withLoc({ code: "GUEST_ERROR", message }), healthy: true };
      }
      const message = `ReferenceError: ${missing} is not defined. Available servers: ${list}.${where}`;
      return {
        error: withLoc({ code: "SERVER_NOT_FOUND", message, details: { name: missing, available: servers } }),
        healthy: true,
      };
    }
  }
  const head = info.isError ? `${info.name}: ${info.message}` : info.message;
  return { error: withLoc({ code: "GUEST_ERROR", message: `${head}${where}` }), healthy: true };
}

/** The first guest frame of a stack (`guest.js:line:column`), in the user's line numbers. */
function userLocation(stack: string, run: Pick<RunSource, "code" | "lineOffset">): { line: number; column: number } | undefined {
  const match = /guest\.js:(\d+)(?::(\d+))?/.exec(stack);
  if (match === null) return undefined;
  const userLines = Math.max(1, run.code.split("\n").length - run.lineOffset - 1);
  const line = Number(match[1]) - run.lineOffset;
  if (line < 1) return undefined;
  return { line: Math.min(line, userLines), column: Math.max(1, Number(match[2] ?? 1)) };
}

/** Parses the prelude's `describe` output; undefined when it is not what the prelude writes. */
export function parseThrownInfo(text: string): ThrownInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const info: ThrownInfo = {
    isError: record.isError === true,
    name: typeof record.name === "string" ? record.name : "Error",
    message: typeof record.message === "string" ? record.message : "",
    stack: typeof record.stack === "string" ? record.stack : "",
    referenceError: record.referenceError === true,
  };
  if (typeof record.code === "string") info.code = record.code;
  if (typeof record.details === "object" && record.details !== null && !Array.isArray(record.details)) {
    info.details = record.details as Record<string, unknown>;
  }
  return info;
}
