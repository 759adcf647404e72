/**
 * Sandbox workers as worker threads of the host process: cheaper to start than processes and
 * still off the host's event loop, but without a process boundary (same address space, same
 * permissions). Selected with `sandbox.isolation: "thread"`.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { EngineSpec } from "../engines/engine-spec.js";
import { WORKER_STACK_MB } from "../limits.js";
import type { RunnerOptions } from "../worker/execution.js";
import type { SandboxWorker, SpawnWorker, WorkerExit } from "./sandbox-worker.js";
import { workerFiles } from "./worker-files.js";

/** Options of {@link threadWorkers}. */
export interface ThreadWorkerOptions {
  engine: EngineSpec;
  /** V8 heap cap of each worker thread, in MiB. */
  workerMemoryMb: number;
}

/** Starts worker threads running the sandbox runner. */
export function threadWorkers(options: ThreadWorkerOptions): SpawnWorker {
  return () => {
    const entry = workerFiles(options.engine);
    const engineArgs = options.engine.launchExtras?.().args;
    const workerData: RunnerOptions = {
      runner: options.engine.runner,
      maxGuestStackKb: options.engine.maxGuestStackKb(WORKER_STACK_MB * 1024),
      ...(engineArgs !== undefined ? { engineArgs } : {}),
    };
    const worker = new Worker(entry.file, {
      workerData,
      execArgv: [],
      env: {},
      stdout: true,
      stderr: true,
      name: "toolcode-sandbox",
      resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: options.workerMemoryMb },
    });
    // Nothing a worker prints is for the host's stdout (which may be an MCP stdio channel).
    worker.stdout.resume();
    worker.stderr.resume();
    let failure: Error | undefined;
    worker.on("error", (error) => {
      failure = error;
    });
    const handle: SandboxWorker = {
      pid: undefined,
      send(message) {
        worker.postMessage(message);
      },
      onMessage(handler) {
        worker.on("message", handler);
      },
      onExit(handler) {
        worker.on("exit", (code) => {
          const errorCode = failure !== undefined && "code" in failure ? failure.code : undefined;
          const exit: WorkerExit = {
            outOfMemory: errorCode === "ERR_WORKER_OUT_OF_MEMORY",
            reason: failure !== undefined ? failure.message : `exit code ${code}`,
          };
          handler(exit);
        });
      },
      async kill() {
        await worker.terminate();
      },
      ref(keep) {
        if (keep) worker.ref();
        else worker.unref();
      },
    };
    return handle;
  };
}
