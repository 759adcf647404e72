/**
 * The runner protocol: messages between the host (the pooled engine in the gateway) and a sandbox
 * worker (the runner: a child process, a worker thread, a process in bubblewrap or gVisor, a
 * microVM, or a runner on another machine). One protocol, several transports: Node IPC,
 * `postMessage`, or newline-delimited JSON (one message per line, ../line-channel.ts) over stdio,
 * virtio-serial or a WebSocket. docs/runner-protocol.md describes it for implementers.
 *
 * Everything is plain data: strings, numbers and small plain objects, safe for IPC and
 * `postMessage`. Guest values cross as JSON text (`args`, `envelope`, `value`) and are parsed on
 * the other side; no handles, functions or host objects ever reach the worker or the guest.
 * The host trusts nothing a worker sends (host/worker-messages.ts checks every message's shape).
 *
 * @module
 */
import type { GuestApi, LogEntry } from "./engine.js";
import type { ResolvedLimits } from "./limits.js";

/** Host → worker: run one guest. `code` is the output of `transpileGuest`. */
export interface RunMessage {
  type: "run";
  runId: number;
  code: string;
  lineOffset: number;
  api: GuestApi;
  limits: ResolvedLimits;
}

/**
 * Host → worker: the answer to a tool call, as JSON text of a {@link ToolEnvelope}.
 * Answers for a run that already finished are ignored.
 */
export interface ToolResultMessage {
  type: "toolResult";
  runId: number;
  callId: number;
  envelope: string;
}

/**
 * Host → worker: stop the run now (its deadline passed on the host's clock, or its caller went
 * away). The worker ends: it exits without answering, and the host replaces it.
 */
export interface CancelMessage {
  type: "cancel";
  runId: number;
}

/** Every message the host sends. */
export type HostMessage = RunMessage | ToolResultMessage | CancelMessage;

/** Version of the runner protocol this code speaks (`ready.runner.protocol`). */
export const RUNNER_PROTOCOL_VERSION = 1;

/** What a runner says about itself when it is ready (reported in `metadata.sandbox`). */
export interface RunnerInfo {
  /** {@link RUNNER_PROTOCOL_VERSION} of the runner. */
  protocol: number;
  /** The kernel release the runner sees (`uname -r` inside: gVisor's and a VM's differ from the host's). */
  kernel: string;
}

/** Worker → host: the worker loaded its engine and accepts runs. */
export interface ReadyMessage {
  type: "ready";
  /** Absent from workers older than the runner protocol. */
  runner?: RunnerInfo;
}

/** Worker → host: the worker cannot run guests (its engine failed to load); it exits next. */
export interface StartupFailedMessage {
  type: "startupFailed";
  message: string;
}

/** Worker → host: the guest called `server.tool(args)`; `args` is JSON text. */
export interface ToolCallMessage {
  type: "toolCall";
  runId: number;
  callId: number;
  server: string;
  tool: string;
  args: string;
}

/** Worker → host: the run finished (the worker is free again). */
export interface DoneMessage {
  type: "done";
  runId: number;
  outcome: WorkerOutcome;
  /** The worker exits after this message (its engine may be damaged): run nothing more on it. */
  final?: boolean;
}

/** Every message a worker sends. */
export type WorkerMessage = ReadyMessage | StartupFailedMessage | ToolCallMessage | DoneMessage;

/** Error as reported by the worker; `code` is an `ErrorCode`, line/column are the user's. */
export interface WorkerError {
  code: string;
  message: string;
  line?: number;
  column?: number;
  details?: Record<string, unknown>;
}

/** How a run ended, as the worker saw it. `value` is JSON text; absent means `undefined`. */
export type WorkerOutcome =
  | { ok: true; value?: string; logs: LogEntry[]; toolCalls: number }
  | { ok: false; error: WorkerError; logs: LogEntry[]; toolCalls: number };

/** Result of one tool call as the guest receives it (serialized to JSON text). */
export type ToolEnvelope =
  | { ok: true; value?: unknown }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };
