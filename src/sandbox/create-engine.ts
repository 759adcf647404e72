/**
 * Builds the sandbox engine a `sandbox` config section asks for.
 *
 * @module
 */
import type { Engine } from "./engine.js";
import { createIsolateEngine } from "./isolate/isolate-engine.js";
import type { NetworkNamespaceMode } from "./process-worker.js";
import { createQuickJsEngine } from "./quickjs/quickjs-engine.js";

/** The engine-related keys of the `sandbox` config section. */
export interface EngineConfig {
  engine?: "quickjs" | "isolate";
  isolation?: "process" | "thread";
  poolSize?: number;
  recycleAfter?: number;
  workerMemoryMb?: number;
  networkNamespace?: NetworkNamespaceMode;
  /** Grace before a silent worker is killed (tests use short ones). */
  graceMs?: number;
}

/**
 * Creates the configured engine (QuickJS in worker processes by default). Throws
 * `CONFIG_INVALID` when the configured engine cannot run here (e.g. isolated-vm missing).
 */
export function createEngine(config: EngineConfig = {}): Engine {
  const options = {
    ...(config.poolSize !== undefined ? { poolSize: config.poolSize } : {}),
    ...(config.isolation !== undefined ? { isolation: config.isolation } : {}),
    ...(config.recycleAfter !== undefined ? { recycleAfter: config.recycleAfter } : {}),
    ...(config.workerMemoryMb !== undefined ? { workerMemoryMb: config.workerMemoryMb } : {}),
    ...(config.networkNamespace !== undefined ? { networkNamespace: config.networkNamespace } : {}),
    ...(config.graceMs !== undefined ? { graceMs: config.graceMs } : {}),
  };
  return config.engine === "isolate" ? createIsolateEngine(options) : createQuickJsEngine(options);
}
