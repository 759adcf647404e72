/**
 * A hook for watching executions as they run (the console's timeline is fed by one): the start
 * of each `execute`, each catalog tool call with the arguments and result as the guest saw them
 * (PII as tokens, never the real values), and the final result. Observers are called
 * synchronously and must not throw; with none registered nothing is recorded.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.js";
import type { ExecuteResult } from "./execute-result.js";

/** What an observer learns when an execution starts. */
export interface ExecutionStart {
  sessionId: string;
  /** The authenticated user, when there is one. */
  user?: string;
  code: string;
  /** Set when the run resumes a pending approval. */
  approve?: string;
}

/** One catalog tool call as the guest made it. */
export interface ToolCallStart {
  /** `server.tool`. */
  tool: string;
  /** The arguments the guest passed (PII tokens, not values). */
  arguments: unknown;
  /** The policy's decision for the tool (`allow`, `approve`, `deny`) and the tool's kind. */
  decision: string;
  kind: string;
}

/** How a tool call ended, as the guest saw it. */
export type ToolCallEnd = { ok: true; value: unknown; replayed: boolean } | { ok: false; error: ErrorInfo };

/** Watches one tool call. */
export interface ToolCallWatch {
  end(outcome: ToolCallEnd): void;
}

/** Watches one execution. */
export interface ExecutionWatch {
  toolCall(call: ToolCallStart): ToolCallWatch;
  finish(result: ExecuteResult): void;
}

/** Registered with `Toolcode.observe`. */
export interface ExecutionObserver {
  begin(start: ExecutionStart): ExecutionWatch;
}

/** Fans one execution out to every observer (undefined when there are none: nothing is recorded). */
export function watchExecution(observers: ReadonlySet<ExecutionObserver>, start: ExecutionStart): ExecutionWatch | undefined {
  if (observers.size === 0) return undefined;
  const watches = [...observers].map((o) => o.begin(start));
  return {
    toolCall: (call) => {
      const calls = watches.map((w) => w.toolCall(call));
      return { end: (outcome) => calls.forEach((c) => c.end(outcome)) };
    },
    finish: (result) => watches.forEach((w) => w.finish(result)),
  };
}
