/**
 * Step 4 of `execute`: cut the logs and return value to the token budget, and count the raw
 * tool results for the token accounting.
 *
 * @module
 */
import type { ShapedOutput } from "../output-budget.js";
import type { TokenCounter } from "../token-counter.js";
import type { GuestOutcome } from "./run-guest.js";

/** Paths of the workspace files that receive what was cut. */
export interface SpillPaths {
  logs: string;
  result: string;
}

/** The shaped output and the tokens of the raw tool results. */
export async function shapeOutcome(
  counter: TokenCounter,
  outcome: GuestOutcome,
  maxTokens: number,
  spill: SpillPaths | undefined,
  toolResults: string[],
): Promise<{ shaped: ShapedOutput; toolResultTokens: number }> {
  const [shaped, toolResultTokens] = await Promise.all([
    counter.shape({ logs: outcome.logs, result: outcome.value, error: outcome.error }, maxTokens, spill),
    counter.count(toolResults).then((counts) => counts.reduce((a, b) => a + b, 0)),
  ]);
  return { shaped, toolResultTokens };
}
