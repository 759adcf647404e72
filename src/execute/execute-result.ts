/**
 * The result of one `execute`: what the CLI prints with `--json` and the MCP server returns.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.js";

/** An error of a guest script, with its position in the user's code when known. */
export interface GuestErrorInfo extends ErrorInfo {
  line?: number;
  column?: number;
}

/** Measurements of one execution. */
export interface ExecuteMetadata {
  engine: string;
  durationMs: number;
  toolCalls: number;
}

/**
 * Outcome of running a script. Never thrown: a failing script is a result with `error` set.
 * `result` is the script's return value (JSON data), `logs` its console output lines.
 */
export interface ExecuteResult {
  result: unknown;
  logs: string[];
  error: GuestErrorInfo | null;
  metadata: ExecuteMetadata;
}
