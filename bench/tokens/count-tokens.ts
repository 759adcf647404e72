/**
 * Token counting with the o200k_base encoding (GPT-4o / GPT-4.1 / o-series), loaded once per
 * process. Meant to move to `src/execute` for `execute`'s token accounting (issue #4, item 4).
 *
 * @module
 */
import { Tiktoken } from "js-tiktoken/lite";
import o200kBase from "js-tiktoken/ranks/o200k_base";

let encoder: Tiktoken | undefined;

/** The shared o200k_base encoder; built on first use (~0.3 s), then reused. */
function o200k(): Tiktoken {
  encoder ??= new Tiktoken(o200kBase);
  return encoder;
}

/**
 * Number of o200k_base tokens in `text`. Special-token strings (`<|endoftext|>`) are counted as
 * ordinary text, never rejected: tool output is data, not a prompt template.
 */
export function countTokens(text: string): number {
  if (text === "") return 0;
  return o200k().encode(text, [], []).length;
}
