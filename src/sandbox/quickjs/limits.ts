/**
 * Limit values the QuickJS engine chooses itself, and the messages it reports when a guest
 * hits a limit. Each message says what to change in the code (for the model) and which config
 * key raises the limit (for the operator).
 *
 * Values measured on Node 20 with quickjs-emscripten 0.32 (release-sync variant):
 * - QuickJS guest frames also consume the native stack of the thread running the WebAssembly,
 *   16–32× the guest stack size QuickJS accounts for (nested parsing is the worst case). A 16 MiB
 *   thread overflowed natively at a 1024 KiB guest stack but not at 512 KiB; a native overflow
 *   corrupts the QuickJS runtime. Workers get {@link WORKER_STACK_MB} and guests at most
 *   {@link MAX_GUEST_STACK_KB}: 64× headroom.
 * - The WebAssembly module needs at least 16 MiB of linear memory before any guest allocation.
 *
 * @module
 */

/** Native stack of each worker thread, in MiB (`resourceLimits.stackSizeMb`). */
export const WORKER_STACK_MB = 32;

/** Largest guest stack the engine allows, in KiB; `limits.maxStackKb` above it is clamped. */
export const MAX_GUEST_STACK_KB = 512;

/** Smallest guest stack, in KiB: enough for the prelude and ordinary code. */
export const MIN_GUEST_STACK_KB = 32;

/** Linear memory the QuickJS WebAssembly module starts with (its declared minimum), in MiB. */
export const WASM_BASE_MEMORY_MB = 16;

/** V8 heap cap of each worker, in MiB: holds the glue code, logs and results in transit. */
export const WORKER_HEAP_MB = 256;

/** How long past `timeoutMs` the host waits for a worker that does not answer before killing it. */
export const DEFAULT_GRACE_MS = 2000;

/** The guest stack size the engine actually uses for a requested `maxStackKb`. */
export function effectiveStackKb(requestedKb: number): number {
  if (!Number.isFinite(requestedKb)) return MAX_GUEST_STACK_KB;
  return Math.min(MAX_GUEST_STACK_KB, Math.max(MIN_GUEST_STACK_KB, Math.floor(requestedKb)));
}

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

/** Message for SANDBOX_STACK. */
export function stackMessage(stackKb: number): string {
  return (
    `Stack overflow: recursion went deeper than the ${stackKb} KiB stack allows. ` +
    "Use a loop or an explicit stack instead of deep recursion. Operators can raise sandbox.maxStackKb " +
    `(at most ${MAX_GUEST_STACK_KB} KiB).`
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
