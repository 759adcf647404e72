/**
 * The default sandbox engine: QuickJS compiled to WebAssembly, in a pool of sandbox worker
 * processes (or worker threads), so a spinning or crashing guest never blocks the host's event
 * loop or other executions.
 *
 * Each execution gets a fresh QuickJS runtime and context (see ./guest-run.ts); the worker
 * enforces the time, memory, stack, tool-call and log limits, and the host side
 * (../pooled-engine.ts) answers late runs, kills stuck workers and replaces crashed ones.
 *
 * @module
 */
import { DEFAULT_WORKER_MEMORY_MB } from "../limits.js";
import { PooledEngine } from "../pooled-engine.js";
import { processWorkers, type NetworkNamespaceMode } from "../process-worker.js";
import { threadWorkers } from "../thread-worker.js";

/** Options of {@link createQuickJsEngine}. */
export interface QuickJsEngineOptions {
  /** Sandbox workers running guests (default 2). More concurrent runs wait in a queue. */
  poolSize?: number;
  /**
   * How long past `limits.timeoutMs` the host waits for a worker that does not answer before
   * killing and replacing it (default 2000 ms). The worker normally stops the guest itself at
   * `timeoutMs`, and the caller gets SANDBOX_TIMEOUT 50 ms after the deadline in any case; this
   * only reclaims a worker stuck in one long uninterruptible operation.
   */
  graceMs?: number;
  /** Child processes (default) or worker threads of the host process. */
  isolation?: "process" | "thread";
  /** Runs per worker before it is replaced (default 1000). */
  recycleAfter?: number;
  /** V8 heap cap of each worker, in MiB (default 256); guest memory is capped separately. */
  workerMemoryMb?: number;
  /** Network namespace for worker processes (default "auto": when the system allows it). */
  networkNamespace?: NetworkNamespaceMode;
}

/**
 * Creates the QuickJS engine. Workers start lazily on the first run and are kept warm until
 * `close()`. `run` never rejects for guest failures (it resolves `{ ok: false }`); it
 * rejects only for host misuse (closed engine, invalid limits, workers that cannot start).
 */
export function createQuickJsEngine(options: QuickJsEngineOptions = {}): PooledEngine {
  const workerMemoryMb = options.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB;
  const spawn = (options.isolation ?? "process") === "thread"
    ? threadWorkers({ engine: "quickjs", workerMemoryMb })
    : processWorkers({ engine: "quickjs", workerMemoryMb, networkNamespace: options.networkNamespace ?? "auto" });
  return new PooledEngine({
    name: "quickjs",
    spawn,
    ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.recycleAfter !== undefined ? { recycleAfter: options.recycleAfter } : {}),
  });
}
