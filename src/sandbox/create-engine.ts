/**
 * The one factory of sandbox engines: the engine a `sandbox` config section names (see
 * engines/registry.ts), in a pool of sandbox workers (host/pooled-engine.ts) that are child
 * processes or worker threads.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";
import type { EngineUnavailable, Isolation } from "./engines/engine-spec.js";
import { engineSpec } from "./engines/registry.js";
import { PooledEngine } from "./host/pooled-engine.js";
import { type NetworkNamespaceMode, processWorkers } from "./host/process-worker.js";
import { threadWorkers } from "./host/thread-worker.js";
import { DEFAULT_WORKER_MEMORY_MB } from "./limits.js";

/** Options of every engine: the engine-related keys of the `sandbox` config section. */
export interface EngineConfig {
  /** An engine of engines/registry.ts (default `quickjs`). */
  engine?: string;
  /**
   * Child processes (default) or worker threads of the host process. The isolate engine runs in
   * threads only when the host itself runs with `--no-node-snapshot`.
   */
  isolation?: Isolation;
  /** Sandbox workers running guests (default 2). More concurrent runs wait in a queue. */
  poolSize?: number;
  /** Runs per worker before it is replaced (default `DEFAULT_RECYCLE_AFTER`, limits.ts). */
  recycleAfter?: number;
  /** V8 heap cap of each worker, in MiB (default `DEFAULT_WORKER_MEMORY_MB`); guest memory is capped separately. */
  workerMemoryMb?: number;
  /** Network namespace for worker processes (default "auto": when the system allows it). */
  networkNamespace?: NetworkNamespaceMode;
  /** CPU priority (nice, 0–19) of worker processes, so guest code yields the CPU to the gateway (default 0). */
  workerNice?: number;
  /**
   * How long past `limits.timeoutMs` the host waits for a worker that does not answer before
   * killing and replacing it (default `DEFAULT_GRACE_MS`, limits.ts; tests use short ones). The
   * worker normally stops the guest itself at `timeoutMs`, and the caller gets SANDBOX_TIMEOUT
   * `ANSWER_MARGIN_MS` after the deadline in any case; this only reclaims a worker stuck in one
   * long uninterruptible operation.
   */
  graceMs?: number;
}

/** Why the configured engine cannot run here (the key to change and what to do), or undefined. */
export function engineUnavailable(config: Pick<EngineConfig, "engine" | "isolation"> = {}): EngineUnavailable | undefined {
  return engineSpec(config.engine).unavailable(config.isolation ?? "process");
}

/**
 * Creates the configured engine (QuickJS in worker processes by default). Workers start lazily
 * on the first run and are kept warm until `close()`. `run` never rejects for guest failures (it
 * resolves `{ ok: false }`); it rejects only for host misuse (closed engine, invalid limits,
 * workers that cannot start). Throws `CONFIG_INVALID` when the configured engine cannot run here
 * (e.g. isolated-vm missing).
 */
export function createEngine(config: EngineConfig = {}): PooledEngine {
  const spec = engineSpec(config.engine);
  const isolation = config.isolation ?? "process";
  const unavailable = spec.unavailable(isolation);
  if (unavailable !== undefined) throw new ToolcodeError("CONFIG_INVALID", unavailable.message, { key: unavailable.key });
  const workerMemoryMb = config.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB;
  const spawn = isolation === "thread"
    ? threadWorkers({ engine: spec, workerMemoryMb })
    : processWorkers({ engine: spec, workerMemoryMb, networkNamespace: config.networkNamespace ?? "auto", nice: config.workerNice ?? 0 });
  return new PooledEngine({
    name: spec.name,
    spawn,
    ...(config.poolSize !== undefined ? { poolSize: config.poolSize } : {}),
    ...(config.graceMs !== undefined ? { graceMs: config.graceMs } : {}),
    ...(config.recycleAfter !== undefined ? { recycleAfter: config.recycleAfter } : {}),
  });
}
