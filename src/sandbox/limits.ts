/**
 * Limit defaults shared by every engine, and the messages a guest gets when it hits one. Each
 * message says what to change in the code (for the model) and which config key raises the
 * limit (for the operator).
 *
 * @module
 */
import type { SandboxLimits } from "./engine.js";

const MIB = 1_048_576;

/** Values of the optional {@link SandboxLimits} fields when a request leaves them out. */
const DEFAULT_LIMITS: Required<Pick<SandboxLimits, OptionalLimit>> = {
  maxConcurrentToolCalls: 16,
  maxToolArgBytes: 4 * MIB,
  maxToolResultBytes: 8 * MIB,
  maxResultBytes: 8 * MIB,
  maxJsonDepth: 256,
};

/** The limits a request may leave out. */
type OptionalLimit = "maxConcurrentToolCalls" | "maxToolArgBytes" | "maxToolResultBytes" | "maxResultBytes" | "maxJsonDepth";

/** Every limit with defaults applied. */
export type ResolvedLimits = Required<SandboxLimits>;

/** Fills the optional limits with {@link DEFAULT_LIMITS}. */
export function resolveLimits(limits: SandboxLimits): ResolvedLimits {
  return {
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.memoryMb,
    maxStackKb: limits.maxStackKb,
    maxToolCalls: limits.maxToolCalls,
    maxLogBytes: limits.maxLogBytes,
    maxConcurrentToolCalls: limits.maxConcurrentToolCalls ?? DEFAULT_LIMITS.maxConcurrentToolCalls,
    maxToolArgBytes: limits.maxToolArgBytes ?? DEFAULT_LIMITS.maxToolArgBytes,
    maxToolResultBytes: limits.maxToolResultBytes ?? DEFAULT_LIMITS.maxToolResultBytes,
    maxResultBytes: limits.maxResultBytes ?? DEFAULT_LIMITS.maxResultBytes,
    maxJsonDepth: limits.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth,
  };
}

/** Native stack of each worker thread, in MiB (process workers size theirs in host/process-worker.ts). */
export const WORKER_STACK_MB = 32;

/** V8 heap cap of each sandbox worker (thread or process), in MiB, unless configured. */
export const DEFAULT_WORKER_MEMORY_MB = 256;

/**
 * How long past `timeoutMs` the host waits for the worker's own answer before it answers the
 * caller with SANDBOX_TIMEOUT itself (the worker keeps its slot until it answers or is killed).
 */
export const ANSWER_MARGIN_MS = 50;

/** How long past `timeoutMs` the host waits for a worker that does not answer before killing it. */
export const DEFAULT_GRACE_MS = 2000;

/** Executions a worker runs before it is replaced by a fresh one, unless configured. */
export const DEFAULT_RECYCLE_AFTER = 1000;

/** Message for SANDBOX_TIMEOUT. */
export function timeoutMessage(timeoutMs: number): string {
  return (
    `The code ran longer than the ${timeoutMs} ms time limit and was stopped. ` +
    "Do less per execution (fewer or batched tool calls, smaller loops) and return partial results. " +
    "Operators can raise sandbox.timeoutMs."
  );
}

/** Message for SANDBOX_MEMORY. */
export function memoryMessage(memoryMb: number): string {
  return (
    `The code used more than the ${memoryMb} MiB memory limit and was stopped. ` +
    "Process data in smaller pieces and keep or return only what you need. " +
    "Operators can raise sandbox.memoryMb."
  );
}

/** Message for SANDBOX_STACK. `maxKb` is the largest stack the engine allows, if it clamps. */
export function stackMessage(stackKb: number | undefined, maxKb?: number): string {
  if (stackKb === undefined) {
    return "Stack overflow: recursion went too deep. Use a loop or an explicit stack instead of deep recursion.";
  }
  return (
    `Stack overflow: recursion went deeper than the ${stackKb} KiB stack allows. ` +
    "Use a loop or an explicit stack instead of deep recursion. Operators can raise sandbox.maxStackKb" +
    (maxKb === undefined ? "." : ` (at most ${maxKb} KiB).`)
  );
}

/** Message for TOOL_CALL_LIMIT. */
export function toolCallLimitMessage(maxToolCalls: number): string {
  return (
    `Tool call limit reached: one execution may make at most ${maxToolCalls} tool calls. ` +
    "Batch the work or split it across executions. Operators can raise sandbox.maxToolCalls."
  );
}

/** The marker appended when console output exceeds `maxLogBytes`. */
export function logTruncatedMessage(maxLogBytes: number): string {
  return (
    `[toolcode: console output truncated at ${maxLogBytes} bytes; log less, or return a summary instead. ` +
    "Operators can raise sandbox.maxLogBytes.]"
  );
}

/** Message for SANDBOX_LIMIT when a tool call's arguments are too large. */
export function toolArgsTooLargeMessage(server: string, tool: string, bytes: number, max: number): string {
  return (
    `The arguments of ${server}.${tool} are ${bytes} bytes of JSON, more than the ${max}-byte limit. ` +
    "Pass less data per call (split it, or write it to the workspace first). Operators can raise sandbox.maxToolArgBytes."
  );
}

/** Message for SANDBOX_LIMIT when a tool result is too large. */
export function toolResultTooLargeMessage(server: string, tool: string, bytes: number, max: number): string {
  return (
    `${server}.${tool} returned ${bytes} bytes of JSON, more than the ${max}-byte limit for one tool result. ` +
    "Ask the tool for less (filters, pagination, fewer fields). Operators can raise sandbox.maxToolResultBytes."
  );
}

/** Message for SANDBOX_LIMIT when data crossing the bridge is nested too deeply. */
export function jsonTooDeepMessage(what: string, max: number): string {
  return (
    `${what} is nested more than ${max} levels deep. Flatten the data. Operators can raise sandbox.maxJsonDepth.`
  );
}

/** Message for OUTPUT_LIMIT when the return value is too large. */
export function resultTooLargeMessage(bytes: number, max: number): string {
  return (
    `The return value is ${bytes} bytes of JSON, more than the ${max}-byte limit. ` +
    "Return a summary (counts, the first items) or write the full data to the workspace and return its path. " +
    "Operators can raise sandbox.maxResultBytes."
  );
}
