/**
 * Errors of the agent loop: a model that cannot be set up, a model call that failed, and a reply
 * that could not be turned into an action even after the retry.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";

/** Codes of {@link AgentError}. */
export type AgentErrorCode = "MODEL_INVALID" | "MODEL_CALL_FAILED" | "ACTION_PARSE_FAILED";

/**
 * An agent failure. `MODEL_INVALID` is thrown by {@link resolveModel} (unknown provider, missing
 * key or base URL: the message names the flag or environment variable to set); the other codes
 * are reported in an agent run's result, never thrown by `run`.
 */
export class AgentError extends ToolcodeError {
  declare readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = "AgentError";
  }
}
