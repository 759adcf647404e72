/**
 * What a sandbox worker needs from an engine: start one guest run at a time and feed it the
 * host's answers to its tool calls. Each engine's `engines/<name>/runner.ts` exports a
 * {@link CreateRunner} named `createRunner`; ./entry.ts loads it and ./serve.ts drives it.
 *
 * @module
 */
import type { RunMessage, WorkerOutcome } from "../protocol.js";

/** What a run needs from the worker around it. */
export interface RunHooks {
  /** Forwards an admitted tool call to the host; the answer comes back through {@link GuestExecution.resolveToolCall}. */
  callTool(callId: number, server: string, tool: string, args: string): void;
  /**
   * The run ended; called once. `reusable` false means the worker should not run more guests
   * (its engine state may be damaged) and is replaced.
   */
  done(outcome: WorkerOutcome, reusable: boolean): void;
}

/** One running guest. */
export interface GuestExecution {
  /** Delivers the host's answer (JSON text of a `ToolEnvelope`) to a pending tool call. */
  resolveToolCall(callId: number, envelope: string): void;
}

/** Options a worker is started with (from the host's engine spec). */
export interface RunnerOptions {
  /** The engine's runner module, relative to `src/sandbox/` without extension. */
  runner: string;
  /** The largest guest stack (KiB) this worker's native stack absorbs. */
  maxGuestStackKb: number;
  /** Engine-specific options from the host (`EngineSpec.launchExtras`), e.g. a snapshot to load. */
  engineArgs?: string[];
}

/** What an engine's runner module exports as `createRunner`. */
export type CreateRunner = (options: RunnerOptions) => RunnerEngine;

/** An engine as a worker runs it. */
export interface RunnerEngine {
  /** Loads the engine; called once when the worker starts, before it reports ready. */
  init(): Promise<void>;
  /** Starts a run; it reports through `hooks` and ends with exactly one `done`. */
  start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution>;
}
