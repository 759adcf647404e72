/**
 * Token counting with js-tiktoken's o200k_base, in one worker thread per process: the
 * tokenizer is loaded once, and counting a large tool result never blocks the host's event loop.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { ToolcodeError } from "../errors.js";
import { workerEntry } from "../runtime/worker-entry.js";
import type { RawOutput, ShapedOutput } from "./output-budget.js";
import type { TokenRequest } from "./token-worker.js";

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
type RequestBody = TokenRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** Counts tokens and shapes output to a budget. */
export class TokenCounter {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Starts loading the tokenizer now, so the first count does not wait for it. */
  warm(): void {
    this.worker();
  }

  /** Tokens of each text (o200k_base). */
  async count(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    return (await this.request({ kind: "count", texts })) as number[];
  }

  /** Fits output into `maxTokens` (see output-budget.ts), counting with the real tokenizer. */
  async shape(output: RawOutput, maxTokens: number, spill?: { logs?: string; result?: string }): Promise<ShapedOutput> {
    return (await this.request({ kind: "shape", output, maxTokens, ...(spill ? { spill } : {}) })) as ShapedOutput;
  }

  /** Stops the worker. The counter restarts it if used again. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  private worker(): Worker {
    if (this.#worker) return this.#worker;
    const entry = workerEntry(import.meta.url, "token-worker");
    const worker = new Worker(entry.filename, { eval: entry.eval, env: {} });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new ToolcodeError("INTERNAL", `Token counting failed: ${reply.message}`));
    });
    const fail = (error: Error): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const pending of this.#pending.values()) pending.reject(new ToolcodeError("INTERNAL", `The token counter stopped: ${error.message}`));
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  private request(body: RequestBody): Promise<unknown> {
    const worker = this.worker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...body, id });
    });
  }
}
