/**
 * The loop every sandbox worker runs, whatever carries its messages (IPC in a child process,
 * `postMessage` in a worker thread, newline JSON over stdio or a WebSocket): load the engine, say ready, run one guest at a time, pass
 * tool calls out and answers in.
 *
 * A run that leaves the engine damaged (`reusable` false) ends the worker once the run has been
 * reported: the host replaces it with a fresh one.
 *
 * @module
 */
import os from "node:os";
import {
  type DoneMessage,
  type HostMessage,
  type ReadyMessage,
  type RunMessage,
  RUNNER_PROTOCOL_VERSION,
  type StartupFailedMessage,
  type ToolCallMessage,
  type WorkerMessage,
} from "../protocol.js";
import type { GuestExecution, RunnerEngine } from "./execution.js";
import { scrubHostPaths } from "../envelope.js";

/** How a worker talks to the host. */
export interface RunnerTransport {
  send(message: WorkerMessage): void;
  onMessage(handler: (message: HostMessage) => void): void;
  /** Ends the worker (after a run damaged the engine, or when startup failed). */
  exit(code: number): void;
}

/** Runs guests for the host until the worker is stopped. */
export async function serveRuns(transport: RunnerTransport, engine: RunnerEngine): Promise<void> {
  let current: { runId: number; execution: GuestExecution | undefined; pending: { callId: number; envelope: string }[] } | undefined;

  transport.onMessage((message) => {
    if (message.type === "run") {
      void start(message);
    } else if (message.type === "toolResult") {
      if (current === undefined || current.runId !== message.runId) return;
      if (current.execution === undefined) current.pending.push({ callId: message.callId, envelope: message.envelope });
      else current.execution.resolveToolCall(message.callId, message.envelope);
    } else if (message.type === "cancel") {
      // The engine cannot be trusted to unwind mid-guest: the whole worker ends, the host replaces it.
      if (current !== undefined && current.runId === message.runId) transport.exit(0);
    }
  });

  async function start(message: RunMessage): Promise<void> {
    const { runId } = message;
    const slot: NonNullable<typeof current> = { runId, execution: undefined, pending: [] };
    current = slot;
    let ended = false;
    try {
      slot.execution = await engine.start(message, {
        callTool(callId, server, tool, args) {
          if (ended) return;
          const call: ToolCallMessage = { type: "toolCall", runId, callId, server, tool, args };
          transport.send(call);
        },
        done(outcome, reusable) {
          if (ended) return;
          ended = true;
          if (current === slot) current = undefined;
          const done: DoneMessage = reusable ? { type: "done", runId, outcome } : { type: "done", runId, outcome, final: true };
          transport.send(done);
          if (!reusable) transport.exit(0);
        },
      });
    } catch (error) {
      if (ended) return;
      ended = true;
      if (current === slot) current = undefined;
      const done: DoneMessage = {
        type: "done",
        runId,
        final: true,
        outcome: {
          ok: false,
          error: {
            code: "SANDBOX_CRASHED",
            message: `The sandbox could not start an engine for this execution (${scrubHostPaths(error instanceof Error ? error.message : String(error))}). Run the code again.`,
          },
          logs: [],
          toolCalls: 0,
        },
      };
      transport.send(done);
      transport.exit(0);
      return;
    }
    for (const answer of slot.pending.splice(0)) slot.execution.resolveToolCall(answer.callId, answer.envelope);
  }

  try {
    await engine.init();
  } catch (error) {
    const failed: StartupFailedMessage = { type: "startupFailed", message: scrubHostPaths(error instanceof Error ? error.message : String(error)) };
    transport.send(failed);
    transport.exit(1);
    return;
  }
  const ready: ReadyMessage = { type: "ready", runner: { protocol: RUNNER_PROTOCOL_VERSION, kernel: os.release() } };
  transport.send(ready);
}
