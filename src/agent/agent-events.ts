/**
 * What an agent run reports while it runs (events) and when it ends (the result).
 *
 * @module
 */
import type { ErrorInfo } from "../errors.js";
import type { GuestErrorInfo } from "../execute/execute-result.js";
import type { ParseProblem, Recovery } from "./parse-action.js";

/**
 * How the model acts: `code` (a fenced TypeScript block per step), `structured` (a JSON envelope
 * `{thoughts, code}` through the provider's structured output), `tools` (classic function calling
 * with every tool as a function).
 */
export type ActionMode = "code" | "structured" | "tools";
/** An {@link ActionMode}, or `auto` to pick one by the rule in `chooseMode`. */
export type AgentMode = ActionMode | "auto";

/** Tokens one model call used, as the provider reported them (0 when it did not). */
export interface TokenUsage {
  input: number;
  output: number;
}

/** One tool called by classic function calling (`tools` mode). */
export interface AgentToolCall {
  /** `server.tool`. */
  tool: string;
  args: unknown;
  /** What the model read back (shaped to the output budget). */
  output: string;
  error: GuestErrorInfo | null;
}

/** One step: one model call and what came of it. */
export interface AgentStep {
  step: number;
  usage: TokenUsage;
  /** The provider's finish reason (`stop`, `length`, `tool-calls`, …). */
  finishReason: string;
  thoughts?: string;
  /** Code the step ran (code / structured modes). */
  code?: string;
  /** What parsing had to fix to get the code or answer. */
  recovered?: Recovery[];
  /** Tools called (tools mode). */
  toolCalls?: AgentToolCall[];
  /** What the code's run returned to the model. */
  output?: string;
  /** The code's error, when it failed. */
  error?: GuestErrorInfo | null;
  /** Why the reply could not be used (the loop sent a retry message). */
  parseProblem?: { problem: ParseProblem; detail: string };
  /** This step gave the final answer. */
  final?: boolean;
}

/** How a run ended. */
export type AgentStatus = "final" | "max_steps" | "error" | "aborted";

/** The outcome of {@link Agent.run}. Never thrown: failures are a status with `error` set. */
export interface AgentResult {
  status: AgentStatus;
  /** The final answer as text (`final(value)` with a non-string value is JSON). */
  answer?: string;
  /** The value passed to `final(value)`, or the plain-text answer. */
  value?: unknown;
  /** Why the run failed (`MODEL_CALL_FAILED`, `ACTION_PARSE_FAILED`, …) when `status` is `error`. */
  error?: ErrorInfo;
  steps: AgentStep[];
  /** Sum over steps. */
  usage: TokenUsage & { total: number };
  mode: ActionMode;
  /** `provider:id`. */
  model: string;
  sessionId: string;
}

/** Events of a run, in order. Every event of a step carries its number. */
export type AgentEvent =
  | { type: "start"; task: string; mode: ActionMode; modeReason: string; model: string; maxSteps: number; sessionId: string }
  | { type: "step"; step: number; maxSteps: number }
  | { type: "tokens"; step: number; input: number; output: number }
  | { type: "thoughts"; step: number; text: string }
  | { type: "code"; step: number; code: string; recovered: Recovery[] }
  | { type: "toolCall"; step: number; tool: string; args: unknown }
  | { type: "output"; step: number; text: string; error: GuestErrorInfo | null; truncated: boolean; tokens: number; toolCalls: number }
  | { type: "error"; step: number; kind: "parse" | "model" | "mode"; code: string; message: string }
  | { type: "final"; step: number; answer: string; value: unknown }
  | { type: "done"; result: AgentResult };
