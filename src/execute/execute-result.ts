/**
 * The result of one `execute`: what the CLI prints with `--json` and the MCP server returns.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.js";
import type { ApprovalInfo } from "../guard/approvals.js";
import type { SandboxInfo } from "../sandbox/engine.js";
import type { TypeCheckReport } from "./pipeline/type-check.js";

/** An error of a guest script, with its position in the user's code when known. */
export interface GuestErrorInfo extends ErrorInfo {
  line?: number;
  column?: number;
}

/** Token accounting of one execution (o200k_base). */
export interface TokenAccounting {
  /** Tokens of what the model reads (`text`). */
  output: number;
  /** Tokens of the raw tool results that flowed through the sandbox (as JSON). */
  toolResults: number;
  /** `toolResults − output`: what classic tool calling would have added to the context beyond this output (≥ 0). */
  saved: number;
  /**
   * True when part of these counts is an estimate: the execution's text went past
   * `output.exactCountChars`, or its accounting past `output.countTimeoutMs`.
   */
  estimated: boolean;
}

/** Measurements and bookkeeping of one execution. */
export interface ExecuteMetadata {
  engine: string;
  sessionId: string;
  /** This execution's id: the `execution` field of its audit records. */
  executionId: string;
  durationMs: number;
  toolCalls: number;
  tokens: TokenAccounting;
  /** True when logs or the return value were cut to fit `output.maxTokens`. */
  truncated: boolean;
  /** Workspace paths holding the full logs / return value when they were cut. */
  spilled: { logs?: string; result?: string };
  /**
   * Where the script ran: `isolation` (sandbox.isolation) and the `kernel` release the runner saw
   * (a gVisor sandbox or a microVM reports its own). Absent when it never reached a sandbox.
   */
  sandbox?: SandboxInfo;
  /** The type-check before the run (absent with `typeCheck: "off"`). */
  typeCheck?: TypeCheckReport;
}

/**
 * Outcome of running a script. Never thrown: a failing script is a result with `error` set.
 * `result` and `logs` are what the model sees (cut to the token budget; still valid JSON);
 * `text` is the exact text handed to the model.
 */
export interface ExecuteResult {
  result: unknown;
  logs: string[];
  error: GuestErrorInfo | null;
  text: string;
  /**
   * Set when the run stopped for an approval (`error.code` is `APPROVAL_REQUIRED`): the call
   * waiting for it. Run again with `approve: approval.id` once the user approves.
   */
  approval?: ApprovalInfo;
  metadata: ExecuteMetadata;
}
