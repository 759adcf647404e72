/**
 * What every framework adapter shares: one session per tool set (its workspace, PII vault and
 * approvals), and the `search` / `execute` calls as {@link Toolcode} runs them for `serve`.
 * Framework-free: each adapter wraps these two functions in its framework's tool type.
 *
 * @module
 */
import type { ExecuteOptions, Toolcode } from "../execute/create-toolcode.js";
import { SessionStore } from "../execute/sessions.js";
import { ExecuteProgress, type ProgressUpdate } from "../server/execute-progress.js";
import { type ExecuteInput, type ExecuteOutput, type SearchInput, executeOptions, executeOutput, runSearch } from "../server/tool-descriptions.js";

export type { ProgressUpdate } from "../server/execute-progress.js";

/** Options every adapter's `toolcodeTools` takes. */
export interface AdapterOptions {
  /**
   * The session the tools run in: `execute` calls with the same id share workspace files, PII
   * tokens and pending approvals. Default: a new session per `toolcodeTools` call (ended by
   * `toolcode.endSession(id)`, after `workspace.idleMinutes`, or by `toolcode.close()`).
   */
  sessionId?: string;
  /** Who runs the scripts (audit log; a session belongs to the user who opened it). */
  user?: string;
  /**
   * Hears from a running `execute`, as `toolcode serve` sends MCP progress: when the script's
   * first tool call starts, on later calls (at most one per 100 ms) and every 2 s, with the
   * elapsed ms, the time limit and a message (`running for 4.0 s: 12 tool calls, last …`).
   * Must not throw.
   */
  onProgress?: (update: ProgressUpdate) => void;
}

/** What `execute` returns to an adapter: the text for the model and the structured result. */
export interface AdapterExecuteOutput extends ExecuteOutput {
  /** The exact text the model should read (what `serve` returns as content). */
  text: string;
}

/** The two calls, bound to one toolcode instance and session. */
export interface AdapterCalls {
  readonly sessionId: string;
  search(input: SearchInput): Promise<string>;
  execute(input: ExecuteInput): Promise<AdapterExecuteOutput>;
}

/** Binds `search` and `execute` to `toolcode` and one session. */
export function adapterCalls(toolcode: Toolcode, options: AdapterOptions = {}): AdapterCalls {
  const sessionId = options.sessionId ?? SessionStore.newId();
  const base: ExecuteOptions = { sessionId, ...(options.user !== undefined ? { user: options.user } : {}) };
  return {
    sessionId,
    search: (input) => runSearch(toolcode, input),
    execute: async (input) => {
      const onProgress = options.onProgress;
      const progress = onProgress
        ? new ExecuteProgress(async (update) => onProgress(update), Math.min(input.timeoutMs ?? Infinity, toolcode.config.sandbox.timeoutMs))
        : undefined;
      const run = executeOptions(input, progress ? { ...base, onToolCall: (tool) => progress.toolCall(tool) } : base);
      const result = await toolcode.execute(input.code, run).finally(() => progress?.stop());
      return { text: result.text, ...executeOutput(result) };
    },
  };
}
