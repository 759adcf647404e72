/**
 * QuickJS as a sandbox worker runs it (this engine's in-worker run): a capped WebAssembly module per worker (reused across
 * runs, replaced after a run damaged it or when the memory cap changes) and one
 * {@link GuestRun} per execution, whose fresh runtime and context (with the bridge prelude
 * compiled) are prepared while the worker waits for it.
 *
 * @module
 */
import type { RunMessage } from "../../protocol.js";
import type { CreateRunner, GuestExecution, RunHooks } from "../../worker/execution.js";
import { GuestRun, prepareContext, type PreparedContext } from "./guest-run.js";
import { QuickJsModuleCache, type CappedModule } from "./quickjs-module.js";

/** Memory cap the first module is made with (the config default), so the first run rarely waits. */
const WARM_MEMORY_MB = 64;

/** Creates the QuickJS runner engine. `maxGuestStackKb` is what this worker's native stack absorbs. */
export const createRunner: CreateRunner = ({ maxGuestStackKb }) => {
  const modules = new QuickJsModuleCache();
  let spare: PreparedContext | undefined;
  let spareTimer: NodeJS.Immediate | undefined;
  // While idle, make the next run's runtime and context and compile the prelude into it.
  const prepareSpare = (capped: CappedModule): void => {
    spareTimer = setImmediate(() => {
      spareTimer = undefined;
      if (spare === undefined) spare = prepareContext(capped);
    });
  };
  return {
    async init() {
      prepareSpare(await modules.get(WARM_MEMORY_MB));
    },
    async start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution> {
      if (spareTimer !== undefined) clearImmediate(spareTimer);
      spareTimer = undefined;
      const capped = await modules.get(message.limits.memoryMb);
      const prepared = spare;
      spare = undefined;
      const run = new GuestRun(capped, message, {
        callTool: hooks.callTool,
        done(outcome, moduleHealthy) {
          if (!moduleHealthy) modules.discard(capped);
          // A damaged module is simply dropped: the worker itself stays usable.
          hooks.done(outcome, true);
          if (moduleHealthy) prepareSpare(capped);
        },
      }, maxGuestStackKb, prepared);
      run.start();
      return run;
    },
  };
};
