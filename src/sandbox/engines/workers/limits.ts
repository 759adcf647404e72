/**
 * The limits the Workers engine sets itself (the shared defaults and messages are in
 * src/sandbox/limits.ts): V8's heap cap of every isolate in workerd (config.capnp's
 * `--max-old-space-size`, kept equal to this) and the data segment of each workerd process.
 *
 * @module
 */

/** Heap of every isolate in workerd, in MiB (`sandbox.memoryMb`'s default; Cloudflare allows 128). */
export const ISOLATE_HEAP_MB = 64;

/**
 * RLIMIT_DATA of each workerd, in KiB: V8's reservations at start take ~550 MiB of it, which
 * leaves ~450 MiB for isolates and their ArrayBuffers; past it an allocation fails (RangeError,
 * SANDBOX_MEMORY) or V8 aborts workerd (SANDBOX_MEMORY, a fresh workerd next).
 */
export const DATA_LIMIT_KB = 1000 * 1024;
