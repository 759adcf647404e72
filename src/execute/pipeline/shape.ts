/**
 * Step 4 of `execute`: cut the logs and return value to the token budget, and count the raw
 * tool results for the token accounting — in bounded time, in the counting pool, fair across
 * sessions (see token-counter.ts).
 *
 * @module
 */
import type { ShapedOutput } from "../output-budget.js";
import type { TokenCounter } from "../token-counter.js";
import type { ToolResultTally } from "../tool-result-tally.js";
import type { GuestOutcome } from "./run-guest.js";

/** Paths of the workspace files that receive what was cut. */
export interface SpillPaths {
  logs: string;
  result: string;
}

/** The shaped output, the tokens of the raw tool results, and whether part of either is estimated. */
export async function shapeOutcome(
  counter: TokenCounter,
  outcome: GuestOutcome,
  maxTokens: number,
  spill: SpillPaths | undefined,
  toolResults: ToolResultTally,
  sessionId: string,
): Promise<{ shaped: ShapedOutput; toolResultTokens: number; estimated: boolean }> {
  const accounting = await counter.account({
    output: { logs: outcome.logs, result: outcome.value, error: outcome.error },
    maxTokens,
    ...(spill ? { spill } : {}),
    toolResults,
    key: sessionId,
  });
  return { shaped: accounting.shaped, toolResultTokens: accounting.toolResults, estimated: accounting.estimated };
}
