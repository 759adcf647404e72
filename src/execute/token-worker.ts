/**
 * Worker thread that owns an o200k_base tokenizer (gpt-tokenizer: loaded once, ~0.5 s of CPU,
 * kept off the host's event loop) and answers the accounting of one execution at a time: shape
 * the output to its budget and count the tool results, within a per-execution budget of exactly
 * counted characters (see bounded-count.ts); the host kills the thread if it misses its deadline.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { countTokens, setMergeCacheSize } from "gpt-tokenizer/encoding/o200k_base";
import { BoundedCounter, countChunked } from "./bounded-count.js";
import { type RawOutput, type ShapedOutput, shapeOutput } from "./output-budget.js";

/** One execution's accounting: what the host sends. */
export interface AccountRequest {
  id: number;
  kind: "account";
  output: RawOutput;
  maxTokens: number;
  spill?: { logs?: string; result?: string };
  /** Tool results as text, cut to what may be counted; `toolResultChars` is their full size. */
  toolResults: string[];
  toolResultChars: number;
  /** Characters counted exactly in all; the rest is estimated. */
  budgetChars: number;
}

/** A plain count, exact (chunked, so linear), for callers outside an execution. */
export interface CountRequest {
  id: number;
  kind: "count";
  texts: string[];
}

/** Requests the host sends. */
export type TokenRequest = AccountRequest | CountRequest;

/** The worker's answer to an {@link AccountRequest}. */
export interface Accounting {
  shaped: ShapedOutput;
  toolResults: number;
  /** True when part of either count is an estimate (over the budget of exactly counted characters). */
  estimated: boolean;
}

const port = parentPort;
if (port === null) throw new Error("token-worker must run in a worker thread");
// Text like "<|endoftext|>" in a tool result is ordinary text here, never a special token.
const options = { disallowedSpecial: new Set<string>() };
// The tokenizer caches merged pre-tokens; chunks are ≤ 256 chars, so 10,000 entries stay ≤ ~10 MB.
setMergeCacheSize(10_000);
const countChunk = (chunk: string): number => countTokens(chunk, options);

port.on("message", (request: TokenRequest) => {
  try {
    if (request.kind === "count") {
      port.postMessage({ id: request.id, ok: true, value: request.texts.map((text) => countChunked(text, countChunk)) });
      return;
    }
    const counter = new BoundedCounter(countChunk, request.budgetChars);
    const count = (text: string, limit?: number): number => counter.count(text, limit);
    // What the model reads comes first; the tool results get what is left of the budget.
    const shaped = shapeOutput(request.output, { maxTokens: request.maxTokens, count, ...(request.spill ? { spill: request.spill } : {}) });
    const toolResults = counter.countPrefix(request.toolResults, request.toolResultChars);
    const value: Accounting = { shaped, toolResults, estimated: counter.estimated };
    port.postMessage({ id: request.id, ok: true, value });
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, message: (error as Error).message });
  }
});
