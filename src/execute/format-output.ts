/**
 * Turning an execution's result into the text the model reads.
 *
 * @module
 */
import type { ExecuteResult } from "./execute-result.js";
import { renderOutput } from "./output-budget.js";

/**
 * Renders logs, then the return value as JSON, then the error (code, message, line) — the only
 * things that reach the model. Sections that are empty are left out. No budget is applied here:
 * `execute` already shaped `logs` and `result` to the budget.
 */
export function formatExecuteOutput(result: Pick<ExecuteResult, "logs" | "result" | "error">): string {
  return renderOutput(result);
}
