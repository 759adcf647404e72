/**
 * The one factory of sandbox engines: the engine a `sandbox` config section names (see
 * engines/registry.ts), in a pool of sandbox workers (host/pooled-engine.ts) started by the
 * isolation host `sandbox.isolation` names (host/isolation-hosts.ts): child processes, worker
 * threads, bubblewrap, gVisor, QEMU microVMs or a remote runner.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";
import type { EngineUnavailable, Isolation } from "./engines/engine-spec.js";
import { engineSpec } from "./engines/registry.js";
import { isolationUnavailable, spawnerFor, STRONG_ISOLATIONS } from "./host/isolation-hosts.js";
import type { E2bConfig } from "./host/e2b-host.js";
import type { MicrovmConfig } from "./host/microvm-host.js";
import { PooledEngine } from "./host/pooled-engine.js";
import type { NetworkNamespaceMode } from "./host/process-worker.js";
import type { RemoteRunnerConfig } from "./host/remote-worker.js";
import type { SessionSandboxLimits } from "./host/session-sandboxes.js";
import { DEFAULT_WORKER_MEMORY_MB } from "./limits.js";

/**
 * Which executions share a sandbox worker: every one gets a fresh one (`execution`; the warm
 * pool has the next one started already), each session keeps its own for its executions
 * (`session`, bounded by `sessionSandboxes`; never another session's or user's), or workers run
 * executions of anyone and are recycled after `recycleAfter` runs (`shared`, the in-process
 * engines' default, safe because each execution gets a fresh engine context).
 */
export type SandboxReuse = "execution" | "session" | "shared";

/** Options of every engine: the engine-related keys of the `sandbox` config section. */
export interface EngineConfig {
  /** An engine of engines/registry.ts (default `quickjs`). */
  engine?: string;
  /**
   * Child processes (default) or worker threads of the host process, or worker processes in
   * bubblewrap, gVisor, QEMU microVMs, or a remote runner. The isolate engine runs in threads
   * only when the host itself runs with `--no-node-snapshot`.
   */
  isolation?: Isolation;
  /** Sandbox reuse (default `execution` for bwrap, gvisor, microvm, remote and e2b; `shared` otherwise). */
  reuse?: SandboxReuse;
  /** Bounds of `reuse: "session"` (defaults `DEFAULT_SESSION_SANDBOXES`, host/session-sandboxes.ts). */
  sessionSandboxes?: Partial<SessionSandboxLimits>;
  /** The runner server of `isolation: "remote"`. */
  remote?: RemoteRunnerConfig;
  /** The VMs of `isolation: "microvm"`. */
  microvm?: MicrovmConfig;
  /** The E2B sandboxes of `isolation: "e2b"`. */
  e2b?: E2bConfig;
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
export function engineUnavailable(config: Pick<EngineConfig, "engine" | "isolation" | "remote" | "microvm" | "e2b"> = {}): EngineUnavailable | undefined {
  const isolation = config.isolation ?? "process";
  const host = isolationUnavailable(isolation, config);
  if (host !== undefined) return { key: "sandbox.isolation", message: host };
  return engineSpec(config.engine).unavailable(isolation);
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
  const unavailable = engineUnavailable(config);
  if (unavailable !== undefined) throw new ToolcodeError("CONFIG_INVALID", unavailable.message, { key: unavailable.key });
  let spawn;
  try {
    spawn = spawnerFor(isolation, spec, {
      workerMemoryMb: config.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB,
      networkNamespace: config.networkNamespace ?? "auto",
      workerNice: config.workerNice ?? 0,
      ...(config.remote !== undefined ? { remote: config.remote } : {}),
      ...(config.microvm !== undefined ? { microvm: config.microvm } : {}),
      ...(config.e2b !== undefined ? { e2b: config.e2b } : {}),
    });
  } catch (error) {
    throw new ToolcodeError("CONFIG_INVALID", error instanceof Error ? error.message : String(error), { key: "sandbox.isolation" }, { cause: error });
  }
  const reuse = config.reuse ?? (STRONG_ISOLATIONS.has(isolation) ? "execution" : "shared");
  const recycleAfter = reuse === "shared" ? config.recycleAfter : 1;
  return new PooledEngine({
    name: spec.name,
    isolation,
    spawn,
    keepWarm: STRONG_ISOLATIONS.has(isolation) || reuse === "session",
    ...(reuse === "session" ? { sessions: config.sessionSandboxes ?? {} } : { reuse }),
    ...(config.poolSize !== undefined ? { poolSize: config.poolSize } : {}),
    ...(config.graceMs !== undefined ? { graceMs: config.graceMs } : {}),
    ...(recycleAfter !== undefined ? { recycleAfter } : {}),
  });
}
