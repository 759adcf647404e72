/**
 * The second engine: V8 isolates through `isolated-vm` (an optional dependency), one fresh
 * isolate per execution, in a pool of sandbox worker processes started with `--no-node-snapshot`
 * (which isolated-vm needs on Node 20) under the same permission model as the QuickJS workers
 * plus `--allow-addons`. Selected with `sandbox.engine: "isolate"`.
 *
 * @module
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ToolcodeError } from "../../errors.js";
import { DEFAULT_WORKER_MEMORY_MB } from "../limits.js";
import { PooledEngine } from "../pooled-engine.js";
import { processWorkers, type NetworkNamespaceMode } from "../process-worker.js";
import { packageDir } from "../runner-entry.js";
import { threadWorkers } from "../thread-worker.js";

/** Options of {@link createIsolateEngine}; as for QuickJS. */
export interface IsolateEngineOptions {
  poolSize?: number;
  graceMs?: number;
  /**
   * Child processes (default). Worker threads only when the host process itself runs with
   * `--no-node-snapshot`.
   */
  isolation?: "process" | "thread";
  recycleAfter?: number;
  workerMemoryMb?: number;
  networkNamespace?: NetworkNamespaceMode;
}

/**
 * Why the isolate engine cannot run here, or undefined when it looks installed (the package
 * resolves and its native binary was built). The addon is never loaded into the host: only
 * sandbox workers load it.
 */
export function isolateEngineUnavailable(): string | undefined {
  let dir: string;
  try {
    dir = packageDir("isolated-vm");
  } catch {
    return "isolated-vm is not installed (it is an optional dependency that compiles from source: needs python3, make and a C++ compiler)";
  }
  const binary = path.join(dir, "out", "isolated_vm.node");
  if (!existsSync(binary)) return "isolated-vm is installed but its native addon was not built (its install script did not run or failed)";
  return undefined;
}

/** Creates the isolate engine. Throws CONFIG_INVALID when isolated-vm is unavailable or the isolation cannot work. */
export function createIsolateEngine(options: IsolateEngineOptions = {}): PooledEngine {
  const unavailable = isolateEngineUnavailable();
  if (unavailable !== undefined) {
    throw new ToolcodeError("CONFIG_INVALID", `sandbox.engine "isolate" is not available: ${unavailable}. Use sandbox.engine "quickjs".`, {
      key: "sandbox.engine",
    });
  }
  const isolation = options.isolation ?? "process";
  if (isolation === "thread" && !process.execArgv.includes("--no-node-snapshot")) {
    throw new ToolcodeError(
      "CONFIG_INVALID",
      'sandbox.engine "isolate" with sandbox.isolation "thread" needs the host started with node --no-node-snapshot; use sandbox.isolation "process".',
      { key: "sandbox.isolation" },
    );
  }
  const workerMemoryMb = options.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB;
  const spawn = isolation === "thread"
    ? threadWorkers({ engine: "isolate", workerMemoryMb })
    : processWorkers({ engine: "isolate", workerMemoryMb, networkNamespace: options.networkNamespace ?? "auto" });
  return new PooledEngine({
    name: "isolate",
    spawn,
    ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.recycleAfter !== undefined ? { recycleAfter: options.recycleAfter } : {}),
  });
}
