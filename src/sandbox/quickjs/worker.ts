/**
 * Entry point of a QuickJS worker thread. Receives `run` and `toolResult` messages, runs one
 * guest at a time, and posts `toolCall` and `done` messages back (see ./protocol.ts).
 *
 * The worker is started with an empty environment and holds no secrets: everything a guest does
 * outside the sandbox goes through the host as a tool call.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { GuestRun } from "./guest-run.js";
import type { DoneMessage, HostMessage, ReadyMessage, RunMessage, ToolCallMessage } from "./protocol.js";
import { QuickJsModuleCache } from "./quickjs-module.js";

/** Memory cap the first module is made with (the config default), so the first run rarely waits. */
const WARM_MEMORY_MB = 64;

const port = parentPort;
if (port === null) throw new Error("worker.ts must run in a worker thread (it is started by createQuickJsEngine)");

const modules = new QuickJsModuleCache();
let current: { runId: number; run: GuestRun } | undefined;

port.on("message", (message: HostMessage) => {
  if (message.type === "run") {
    void startRun(message);
  } else if (message.type === "toolResult") {
    if (current !== undefined && current.runId === message.runId) current.run.resolveToolCall(message.callId, message.envelope);
  }
});

async function startRun(message: RunMessage): Promise<void> {
  const { runId } = message;
  let capped;
  try {
    capped = await modules.get(message.limits.memoryMb);
  } catch {
    const done: DoneMessage = {
      type: "done",
      runId,
      outcome: {
        ok: false,
        error: { code: "SANDBOX_CRASHED", message: "The sandbox could not start QuickJS for this execution. Run the code again." },
        logs: [],
        toolCalls: 0,
      },
    };
    port?.postMessage(done);
    return;
  }
  const module = capped;
  const run = new GuestRun(module, message, {
    callTool(callId, server, tool, args) {
      const call: ToolCallMessage = { type: "toolCall", runId, callId, server, tool, args };
      port?.postMessage(call);
    },
    done(outcome, moduleHealthy) {
      if (!moduleHealthy) modules.discard(module);
      if (current?.runId === runId) current = undefined;
      const done: DoneMessage = { type: "done", runId, outcome };
      port?.postMessage(done);
    },
  });
  current = { runId, run };
  run.start();
}

await modules.get(WARM_MEMORY_MB);
const ready: ReadyMessage = { type: "ready" };
port.postMessage(ready);
