/**
 * Limit values the QuickJS engine chooses itself (messages and shared defaults are in
 * ../../limits.ts).
 *
 * Values measured on Node 20 with quickjs-emscripten 0.32 (release-sync variant):
 * - QuickJS guest frames also consume the native stack of the thread running the WebAssembly,
 *   16–32× the guest stack size QuickJS accounts for (nested parsing is the worst case). A 16 MiB
 *   thread overflowed natively at a 1024 KiB guest stack but not at 512 KiB; a native overflow
 *   corrupts the QuickJS runtime. Worker threads get `WORKER_STACK_MB` (../../limits.ts) and guests
 *   at most {@link MAX_GUEST_STACK_KB}: 64× headroom.
 * - The WebAssembly module needs at least 16 MiB of linear memory before any guest allocation.
 *
 * @module
 */

/** Largest guest stack the engine allows, in KiB; `limits.maxStackKb` above it is clamped. */
export const MAX_GUEST_STACK_KB = 512;

/** Smallest guest stack, in KiB: enough for the prelude and ordinary code. */
const MIN_GUEST_STACK_KB = 32;

/** Linear memory the QuickJS WebAssembly module starts with (its declared minimum), in MiB. */
export const WASM_BASE_MEMORY_MB = 16;

/**
 * Guest stack per native stack: QuickJS frames cost 16–32× their accounted size on the native
 * stack; 60× leaves headroom (measured: 7.6 MiB native held a 256 KiB guest, not 384 KiB).
 */
const NATIVE_STACK_RATIO = 60;

/** The guest stack size the engine actually uses for a requested `maxStackKb`. */
export function effectiveStackKb(requestedKb: number, maxKb: number = MAX_GUEST_STACK_KB): number {
  if (!Number.isFinite(requestedKb)) return maxKb;
  return Math.min(maxKb, Math.max(MIN_GUEST_STACK_KB, Math.floor(requestedKb)));
}

/** The largest guest stack a thread with `nativeStackKb` of V8 stack can absorb. */
export function maxGuestStackFor(nativeStackKb: number): number {
  return Math.max(MIN_GUEST_STACK_KB, Math.min(MAX_GUEST_STACK_KB, Math.floor(nativeStackKb / NATIVE_STACK_RATIO)));
}
