/**
 * Messages between the host (the pooled engine) and a sandbox worker (a child process or a
 * worker thread running one engine's runner).
 *
 * Everything is plain data: strings, numbers and small plain objects, safe for IPC and
 * `postMessage`. Guest values cross as JSON text (`args`, `envelope`, `value`) and are parsed on
 * the other side; no handles, functions or host objects ever reach the worker or the guest.
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

/** Every message the host sends. */
export type HostMessage = RunMessage | ToolResultMessage;

/** Worker → host: the worker loaded its engine and accepts runs. */
export interface ReadyMessage {
  type: "ready";
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
