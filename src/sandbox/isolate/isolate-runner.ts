/**
 * V8 isolates (`isolated-vm`) as a sandbox worker runs them: one fresh isolate per execution.
 * Needs a worker process started with `--no-node-snapshot` (Node 20) and, under the permission
 * model, `--allow-addons`.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { RunMessage } from "../protocol.js";
import type { GuestExecution, RunHooks, RunnerEngine } from "../runner/execution.js";
import type { IvmModule } from "./ivm-types.js";
import { IsolateRun, type BootCache } from "./isolate-run.js";

/** Loads isolated-vm; throws with the reason when it is not installed or cannot load here. */
export function loadIsolatedVm(): IvmModule {
  const required: unknown = createRequire(import.meta.url)("isolated-vm");
  if (typeof required !== "object" || required === null || !("Isolate" in required) || !("Callback" in required)) {
    throw new Error("isolated-vm loaded but does not export Isolate and Callback");
  }
  return required as IvmModule;
}

/** Creates the isolate runner engine. */
export function createIsolateRunner(): RunnerEngine {
  let ivm: IvmModule | undefined;
  const cache: BootCache = {};
  return {
    async init() {
      ivm = loadIsolatedVm();
      // One throwaway isolate: loads V8 state and fills the boot script's code cache.
      const warm = new ivm.Isolate({ memoryLimit: 8 });
      try {
        await warm.createContext();
      } finally {
        warm.dispose();
      }
    },
    async start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution> {
      if (ivm === undefined) throw new Error("isolated-vm is not loaded");
      const run = new IsolateRun(ivm, message, hooks, cache);
      void run.start();
      return run;
    },
  };
}
