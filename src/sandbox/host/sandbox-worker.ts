/**
 * One sandbox worker as the host sees it: a child process or a worker thread running
 * ../worker/entry.ts, which takes {@link HostMessage}s and answers with {@link WorkerMessage}s.
 *
 * @module
 */
import type { HostMessage, WorkerMessage } from "../protocol.js";

/** Why a worker ended. */
export interface WorkerExit {
  /** The worker ran out of its own memory (V8 heap of the thread or process). */
  outOfMemory: boolean;
  /** Exit code, signal or error, for operators. */
  reason: string;
}

/** A running worker. */
export interface SandboxWorker {
  /** OS process id of a process worker (for measurements); undefined for threads. */
  readonly pid: number | undefined;
  send(message: HostMessage): void;
  onMessage(handler: (message: WorkerMessage) => void): void;
  /** Called once when the worker has ended, for whatever reason. */
  onExit(handler: (exit: WorkerExit) => void): void;
  /** Ends the worker now (SIGKILL for processes); resolves when it is gone. */
  kill(): Promise<void>;
  /** Whether the worker keeps the host's event loop alive. */
  ref(keep: boolean): void;
}

/** Starts workers of one kind; throws for host misconfiguration (entry missing, …). */
export type SpawnWorker = () => SandboxWorker;
