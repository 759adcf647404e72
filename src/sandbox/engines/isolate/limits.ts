/**
 * Limit values the isolate engine chooses itself (messages and shared defaults are in
 * ../../limits.ts).
 *
 * @module
 */

/** Heap cap of the first spare isolate, in MiB (the config default of `sandbox.memoryMb`). */
export const DEFAULT_ISOLATE_MB = 64;

/** Smallest isolate heap, in MiB (isolated-vm refuses less). */
export const MIN_ISOLATE_MB = 8;
