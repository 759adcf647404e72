/**
 * The host's check of what a runner sends over a byte stream or a WebSocket: a runner outside
 * the host process (in gVisor, a microVM, another machine) is not trusted, so every message is
 * rebuilt from checked fields before the pooled engine sees it. Anything else is dropped.
 *
 * @module
 */
import type { LogEntry } from "../engine.js";
import type { RunnerInfo, WorkerError, WorkerMessage, WorkerOutcome } from "../protocol.js";

const LEVELS: ReadonlySet<string> = new Set(["log", "info", "warn", "error", "debug"]);
const MAX_INFO_CHARS = 200;

/** The message `value` is, as a well-formed {@link WorkerMessage}, or undefined. */
export function toWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case "ready": {
      const runner = runnerInfo(value.runner);
      return runner === undefined ? { type: "ready" } : { type: "ready", runner };
    }
    case "startupFailed":
      return { type: "startupFailed", message: String(value.message).slice(0, 2000) };
    case "toolCall":
      if (!isId(value.runId) || !isId(value.callId)) return undefined;
      if (typeof value.server !== "string" || typeof value.tool !== "string" || typeof value.args !== "string") return undefined;
      return { type: "toolCall", runId: value.runId, callId: value.callId, server: value.server, tool: value.tool, args: value.args };
    case "done": {
      if (!isId(value.runId)) return undefined;
      const outcome = workerOutcome(value.outcome);
      if (outcome === undefined) return undefined;
      return value.final === true ? { type: "done", runId: value.runId, outcome, final: true } : { type: "done", runId: value.runId, outcome };
    }
    default:
      return undefined;
  }
}

function runnerInfo(value: unknown): RunnerInfo | undefined {
  if (!isRecord(value) || typeof value.protocol !== "number" || typeof value.kernel !== "string") return undefined;
  return { protocol: value.protocol, kernel: value.kernel.slice(0, MAX_INFO_CHARS) };
}

function workerOutcome(value: unknown): WorkerOutcome | undefined {
  if (!isRecord(value) || typeof value.ok !== "boolean" || !Array.isArray(value.logs)) return undefined;
  const logs: LogEntry[] = [];
  for (const entry of value.logs as unknown[]) {
    if (!isRecord(entry) || typeof entry.message !== "string") return undefined;
    logs.push({ level: LEVELS.has(String(entry.level)) ? (entry.level as LogEntry["level"]) : "log", message: entry.message });
  }
  const toolCalls = typeof value.toolCalls === "number" && Number.isFinite(value.toolCalls) ? value.toolCalls : 0;
  if (value.ok) {
    if (value.value !== undefined && typeof value.value !== "string") return undefined;
    return value.value === undefined ? { ok: true, logs, toolCalls } : { ok: true, value: value.value, logs, toolCalls };
  }
  const error = workerError(value.error);
  return error === undefined ? undefined : { ok: false, error, logs, toolCalls };
}

function workerError(value: unknown): WorkerError | undefined {
  if (!isRecord(value) || typeof value.code !== "string" || typeof value.message !== "string") return undefined;
  const error: WorkerError = { code: value.code, message: value.message };
  if (typeof value.line === "number") error.line = value.line;
  if (typeof value.column === "number") error.column = value.column;
  if (isRecord(value.details)) error.details = value.details;
  return error;
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
