/**
 * What every framework adapter shares: one session per tool set (its workspace, PII vault and
 * approvals), and the `search` / `execute` calls as {@link Toolcode} runs them for `serve`.
 * Framework-free: each adapter wraps these two functions in its framework's tool type.
 *
 * @module
 */
import type { ExecuteOptions, Toolcode } from "../execute/create-toolcode.js";
import { SessionStore } from "../execute/sessions.js";
import { type ExecuteInput, type ExecuteOutput, type SearchInput, executeOptions, executeOutput, runSearch } from "../server/tool-descriptions.js";

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
}

/** What `execute` returns to an adapter: the text for the model and the structured result. */
export interface AdapterExecuteOutput extends ExecuteOutput {
  /** The exact text the model should read (what `serve` returns as content). */
  text: string;
}

/** The two calls, bound to one toolcode instance and session. */
export interface AdapterCalls {
  readonly sessionId: string;
  search(input: SearchInput): string;
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
      const result = await toolcode.execute(input.code, executeOptions(input, base));
      return { text: result.text, ...executeOutput(result) };
    },
  };
}
