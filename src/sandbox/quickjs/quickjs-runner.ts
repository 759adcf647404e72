/**
 * QuickJS as a sandbox worker runs it: a capped WebAssembly module per worker (reused across
 * runs, replaced after a run damaged it or when the memory cap changes) and one
 * {@link GuestRun} per execution.
 *
 * @module
 */
import type { RunMessage } from "../protocol.js";
import type { GuestExecution, RunHooks, RunnerEngine } from "../runner/execution.js";
import { GuestRun } from "./guest-run.js";
import { QuickJsModuleCache } from "./quickjs-module.js";

/** Memory cap the first module is made with (the config default), so the first run rarely waits. */
const WARM_MEMORY_MB = 64;

/** Creates the QuickJS runner engine. `maxGuestStackKb` is what this worker's native stack absorbs. */
export function createQuickJsRunner(maxGuestStackKb: number): RunnerEngine {
  const modules = new QuickJsModuleCache();
  return {
    async init() {
      await modules.get(WARM_MEMORY_MB);
    },
    async start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution> {
      const capped = await modules.get(message.limits.memoryMb);
      const run = new GuestRun(capped, message, {
        callTool: hooks.callTool,
        done(outcome, moduleHealthy) {
          if (!moduleHealthy) modules.discard(capped);
          // A damaged module is simply dropped: the worker itself stays usable.
          hooks.done(outcome, true);
        },
      }, maxGuestStackKb);
      run.start();
      return run;
    },
  };
}
