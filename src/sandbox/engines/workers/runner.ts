/**
 * The Workers engine as a sandbox worker runs it: one workerd per worker (started when the worker
 * starts, from the assets the host prepared), one {@link WorkersRun} per execution.
 *
 * @module
 */
import type { CreateRunner, GuestExecution, RunHooks } from "../../worker/execution.js";
import type { RunMessage } from "../../protocol.js";
import { WorkerdProcess } from "./workerd-process.js";
import { WorkersRun } from "./workers-run.js";

/** Creates the Workers runner engine. */
export const createRunner: CreateRunner = ({ engineArgs }) => {
  const assetsDir = engineArgs?.[0];
  let workerd: WorkerdProcess | undefined;
  return {
    async init() {
      if (assetsDir === undefined) throw new Error("the Workers engine's assets directory was not passed to the sandbox worker");
      workerd = await WorkerdProcess.start(assetsDir);
    },
    async start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution> {
      if (workerd === undefined) throw new Error("workerd is not running");
      const run = new WorkersRun(workerd, message, hooks);
      run.start();
      return run;
    },
  };
};
