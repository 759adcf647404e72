/**
 * Errors with a stable string `code`.
 *
 * Every failure toolcode reports carries a `code` that scripts can match on, structured
 * `details`, and a message that says what to do: for the model (what to change in its code)
 * and, where it is a configuration problem, for the operator (which config key to change).
 *
 * @module
 */

/** Every stable error code toolcode produces. Adding one is fine; renaming one is a breaking change. */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "SOURCE_UNAVAILABLE"
  | "SOURCE_CRASHED"
  | "TOOL_NOT_FOUND"
  | "SERVER_NOT_FOUND"
  | "TOOL_ERROR"
  | "HTTP_ERROR"
  | "INVALID_ARGUMENTS"
  | "GUEST_SYNTAX_ERROR"
  | "GUEST_ERROR"
  | "GUEST_TYPE_ERROR"
  | "SANDBOX_TIMEOUT"
  | "SANDBOX_MEMORY"
  | "SANDBOX_STACK"
  | "SANDBOX_CRASHED"
  | "SANDBOX_LIMIT"
  | "SANDBOX_UNAVAILABLE"
  | "TOOL_CALL_LIMIT"
  | "OUTPUT_LIMIT"
  | "SEARCH_LIMIT"
  | "SKILL_INVALID"
  | "SKILL_NOT_FOUND"
  | "SKILL_READ_ONLY"
  | "SKILL_LANGUAGE_MISMATCH"
  | "MODEL_INVALID"
  | "MODEL_CALL_FAILED"
  | "ACTION_PARSE_FAILED"
  | "WORKSPACE_NOT_FOUND"
  | "WORKSPACE_PATH"
  | "WORKSPACE_QUOTA"
  | "SESSION_NOT_FOUND"
  | "STATE_INVALID"
  | "STATE_TOO_LARGE"
  | "LIMIT_EXCEEDED"
  | "SERVER_DRAINING"
  | "POLICY_DENIED"
  | "APPROVAL_REQUIRED"
  | "APPROVAL_DENIED"
  | "APPROVAL_INVALID"
  | "REPLAY_DIVERGED"
  | "RETRY_INVALID"
  | "EXECUTION_NOT_STARTED"
  | "FAILED_BEFORE_WRITES"
  | "INTERRUPTED_AFTER_WRITES"
  | "AUTH_REQUIRED"
  | "CREDENTIAL_MISSING"
  | "CREDENTIAL_STORE_UNAVAILABLE"
  | "OAUTH_FAILED"
  | "STATE_DIR_UNAVAILABLE"
  | "STATE_STORE_UNAVAILABLE"
  | "USAGE"
  | "INTERNAL";

/** Base class of every error toolcode throws or reports. */
export class ToolcodeError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`. */
  readonly code: ErrorCode;
  /** Structured details (key path, valid names, server name, …). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolcodeError";
    this.code = code;
    this.details = details;
  }

  /** Plain-data form, safe to serialize to a client. */
  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** The configuration file is malformed or does not match the schema. */
export class ConfigError extends ToolcodeError {
  constructor(message: string, details: Record<string, unknown> = {}, code: "CONFIG_INVALID" | "CONFIG_NOT_FOUND" = "CONFIG_INVALID") {
    super(code, message, details);
    this.name = "ConfigError";
  }
}

/** A tool source (MCP server, API) could not be reached, started, or crashed. */
export class SourceError extends ToolcodeError {
  constructor(code: "SOURCE_UNAVAILABLE" | "SOURCE_CRASHED", message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = "SourceError";
  }
}

/** A tool call failed: the tool reported an error, or the arguments were rejected. */
export class ToolError extends ToolcodeError {
  constructor(
    message: string,
    details: Record<string, unknown> = {},
    code: "TOOL_ERROR" | "INVALID_ARGUMENTS" | "TOOL_NOT_FOUND" | "SERVER_NOT_FOUND" | "SOURCE_CRASHED" | "SOURCE_UNAVAILABLE" | "SANDBOX_LIMIT" = "TOOL_ERROR",
  ) {
    super(code, message, details);
    this.name = "ToolError";
  }
}

/** Plain-data shape of an error as it crosses process and sandbox boundaries. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Turns anything thrown into an {@link ErrorInfo} without leaking host stack traces. */
export function toErrorInfo(error: unknown, fallback: ErrorCode = "INTERNAL"): ErrorInfo {
  if (error instanceof ToolcodeError) {
    return Object.keys(error.details).length > 0
      ? { code: error.code, message: error.message, details: error.details }
      : { code: error.code, message: error.message };
  }
  if (error instanceof Error) return { code: fallback, message: error.message };
  return { code: fallback, message: String(error) };
}

/** Narrowing helper. */
export function isToolcodeError(error: unknown): error is ToolcodeError {
  return error instanceof ToolcodeError;
}
