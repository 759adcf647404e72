/**
 * Worker thread that owns the o200k_base tokenizer (loaded once: ~2 s of CPU, kept off the
 * host's event loop) and answers count and shape requests.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import { type RawOutput, shapeOutput } from "./output-budget.js";

/** Requests the host sends. */
export type TokenRequest =
  | { id: number; kind: "count"; texts: string[] }
  | { id: number; kind: "shape"; output: RawOutput; maxTokens: number; spill?: { logs?: string; result?: string } };

const port = parentPort;
if (port === null) throw new Error("token-worker must run in a worker thread");
const encoder = new Tiktoken(o200k);
const count = (text: string): number => encoder.encode(text).length;

port.on("message", (request: TokenRequest) => {
  try {
    if (request.kind === "count") {
      port.postMessage({ id: request.id, ok: true, value: request.texts.map(count) });
    } else {
      const value = shapeOutput(request.output, { maxTokens: request.maxTokens, count, ...(request.spill ? { spill: request.spill } : {}) });
      port.postMessage({ id: request.id, ok: true, value });
    }
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, message: (error as Error).message });
  }
});
