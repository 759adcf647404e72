/**
 * V8 isolates (`isolated-vm`) as a sandbox worker runs them: one fresh isolate per execution.
 * Needs a worker process started with `--no-node-snapshot` (Node 20) and, under the permission
 * model, `--allow-addons`.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { RunMessage } from "../../protocol.js";
import type { CreateRunner, GuestExecution, RunHooks } from "../../worker/execution.js";
import type { IvmModule } from "./ivm-types.js";
import { DEFAULT_ISOLATE_MB, MIN_ISOLATE_MB } from "./limits.js";
import { disposeIsolate, IsolateRun, prepareIsolate, type BootCache, type PreparedIsolate } from "./isolate-run.js";


/** Loads isolated-vm; throws with the reason when it is not installed or cannot load here. */
function loadIsolatedVm(): IvmModule {
  const required: unknown = createRequire(import.meta.url)("isolated-vm");
  if (typeof required !== "object" || required === null || !("Isolate" in required) || !("Callback" in required)) {
    throw new Error("isolated-vm loaded but does not export Isolate and Callback");
  }
  return required as IvmModule;
}

/** Creates the isolate runner engine. */
export const createRunner: CreateRunner = () => {
  let ivm: IvmModule | undefined;
  const cache: BootCache = {};
  let spare: Promise<PreparedIsolate | undefined> | undefined;
  let spareMb = DEFAULT_ISOLATE_MB;
  // While idle, make the next run's isolate, context and bridge.
  const prepareSpare = (): void => {
    if (ivm === undefined || spare !== undefined) return;
    spare = prepareIsolate(ivm, spareMb, cache).catch(() => undefined);
  };
  return {
    async init() {
      ivm = loadIsolatedVm();
      // Loads V8 state and fills the boot script's code cache.
      const first = await prepareIsolate(ivm, MIN_ISOLATE_MB, cache);
      disposeIsolate(first);
      prepareSpare();
    },
    async start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution> {
      if (ivm === undefined) throw new Error("isolated-vm is not loaded");
      const prepared = spare;
      spare = undefined;
      spareMb = Math.max(MIN_ISOLATE_MB, message.limits.memoryMb);
      const run = new IsolateRun(ivm, message, {
        callTool: hooks.callTool,
        done(outcome, reusable) {
          hooks.done(outcome, reusable);
          if (reusable) setImmediate(prepareSpare);
        },
      }, cache, prepared);
      void run.start();
      return run;
    },
  };
};
