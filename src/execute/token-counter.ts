/**
 * Token accounting off the host's event loop, in a small pool of worker threads that each own an
 * o200k_base tokenizer.
 *
 * Bounded whatever the content: counting is linear (bounded-count.ts), each execution counts at
 * most `budgetChars` characters exactly and estimates the rest, and each request has a deadline
 * (`timeoutMs`, from the moment it is queued). A request that misses it is answered at once with
 * an estimate made on the host (linear, no tokenizer); the worker that was counting it is killed
 * and replaced. Requests wait in one queue per key (the session), served least recently served first, so one
 * session's executions cannot hold the workers while another session's wait.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { LRUCache } from "lru-cache";
import { workerEntry } from "../runtime/worker-entry.js";
import { estimateTokens } from "./bounded-count.js";
import { type RawOutput, shapeOutput } from "./output-budget.js";
import type { Accounting, AccountRequest, CountRequest, TokenRequest } from "./token-worker.js";

export type { Accounting } from "./token-worker.js";

/** Sizes and deadlines of a {@link TokenCounter} (the `output.count*` config keys). */
export interface TokenCounterOptions {
  /** Worker threads (each holds a tokenizer, ~70 MB). Default 2. */
  workers?: number;
  /** Characters counted exactly per execution; the rest is estimated. Default 524,288. */
  budgetChars?: number;
  /** Deadline of one execution's accounting, ms from when it is queued. Default 5,000. */
  timeoutMs?: number;
}

/** What one execution hands to {@link TokenCounter.account}. */
export interface AccountInput {
  output: RawOutput;
  maxTokens: number;
  spill?: { logs?: string; result?: string };
  /** Tool results as text (a prefix is enough) and the characters of all of them. */
  toolResults?: { texts: readonly string[]; chars: number };
  /** Whose request this is (a session id): queues are served round-robin across keys. */
  key?: string;
}

type Body = Omit<AccountRequest, "id"> | Omit<CountRequest, "id">;
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

interface Job {
  id: number;
  key: string;
  body: Body;
  done: boolean;
  finish: (value: unknown) => void;
  /** The answer when the worker fails or misses the deadline. */
  fallback: () => unknown;
  timer: NodeJS.Timeout | undefined;
  slot: Slot | undefined;
}

interface Slot {
  worker: Worker | undefined;
  job: Job | undefined;
}

/** Counts tokens and shapes output to a budget, in bounded time per request. */
export class TokenCounter {
  readonly #slots: Slot[];
  readonly #queues = new Map<string, Job[]>();
  /** When each key was last given a worker (a tick), for round-robin across keys. */
  readonly #served = new Map<string, number>();
  #tick = 0;
  readonly #budgetChars: number;
  readonly #timeoutMs: number;
  #nextId = 1;
  #closed = false;
  /** Workers killed for missing a deadline (observability and tests). */
  #killed = 0;
  /**
   * Exact accountings of small executions (a primitive result, no error, a few short logs and tool
   * results) seen lately, by their content: the same input gets the same answer without a round
   * trip to a worker. Only uncut, exactly counted answers are kept, so spill paths (used only in
   * the notice of a cut) cannot differ; bounded by entries.
   */
  readonly #small = new LRUCache<string, Accounting>({ max: 512 });
  /** Accountings answered from {@link #small} (observability and tests). */
  #reused = 0;

  constructor(options: TokenCounterOptions = {}) {
    this.#slots = Array.from({ length: Math.max(1, options.workers ?? 2) }, () => ({ worker: undefined, job: undefined }));
    this.#budgetChars = options.budgetChars ?? 524_288;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Starts every worker now, so the first count does not wait for a tokenizer to load. */
  warm(): void {
    this.#closed = false;
    for (const slot of this.#slots) this.#spawn(slot);
  }

  /** How many accountings were answered from the cache of small executions, without a worker. */
  get reusedAccountings(): number {
    return this.#reused;
  }

  /** How many workers were killed for missing their deadline since this counter was made. */
  get killedWorkers(): number {
    return this.#killed;
  }

  /** Tokens of each text (o200k_base; linear in their size; estimated past the deadline). */
  async count(texts: readonly string[], key = ""): Promise<number[]> {
    if (texts.length === 0) return [];
    return (await this.#enqueue(key, { kind: "count", texts: [...texts] }, () => texts.map((text) => estimateTokens(text)))) as number[];
  }

  /**
   * One execution's accounting: fits its output into `maxTokens` (see output-budget.ts) and
   * counts its tool results. Never rejects: past the deadline, or if the worker fails, the
   * answer is estimated on the host (`estimated: true`).
   */
  async account(input: AccountInput): Promise<Accounting> {
    const small = smallKey(input);
    const known = small === undefined ? undefined : this.#small.get(small);
    if (known !== undefined) {
      this.#reused++;
      return structuredClone(known);
    }
    const answer = await this.#accountInWorker(input);
    if (small !== undefined && !answer.estimated && !answer.shaped.cut.logs && !answer.shaped.cut.result) this.#small.set(small, structuredClone(answer));
    return answer;
  }

  async #accountInWorker(input: AccountInput): Promise<Accounting> {
    const texts = input.toolResults ? cutTo(input.toolResults.texts, this.#budgetChars) : [];
    const body: Omit<AccountRequest, "id"> = {
      kind: "account",
      output: input.output,
      maxTokens: input.maxTokens,
      ...(input.spill ? { spill: input.spill } : {}),
      toolResults: texts,
      toolResultChars: input.toolResults?.chars ?? 0,
      budgetChars: this.#budgetChars,
    };
    return (await this.#enqueue(input.key ?? "", body, () => estimateAccounting(input))) as Accounting;
  }

  /** Stops the workers; queued requests are answered with estimates. Used again, it restarts them. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values()) for (const job of queue) this.#settle(job, job.fallback());
    this.#queues.clear();
    const workers = this.#slots.map((slot) => slot.worker).filter((worker) => worker !== undefined);
    for (const slot of this.#slots) {
      if (slot.job) this.#settle(slot.job, slot.job.fallback());
      slot.worker = undefined;
      slot.job = undefined;
    }
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  #enqueue(key: string, body: Body, fallback: () => unknown): Promise<unknown> {
    this.#closed = false;
    return new Promise((resolve) => {
      const job: Job = { id: this.#nextId++, key, body, done: false, finish: resolve, fallback, timer: undefined, slot: undefined };
      job.timer = setTimeout(() => this.#expire(job), this.#timeoutMs);
      const queue = this.#queues.get(key);
      if (queue) queue.push(job);
      else this.#queues.set(key, [job]);
      this.#dispatch();
    });
  }

  /** Gives idle workers the next job, taking keys in turn. */
  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job) continue;
      const job = this.#next();
      if (!job) return;
      const worker = this.#spawn(slot);
      slot.job = job;
      job.slot = slot;
      worker.ref();
      worker.postMessage({ ...job.body, id: job.id } satisfies TokenRequest);
    }
  }

  /** The next job of the queued key served least recently (a key never served comes first). */
  #next(): Job | undefined {
    let pick: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const key of this.#queues.keys()) {
      const served = this.#served.get(key) ?? -1;
      if (served < oldest) {
        oldest = served;
        pick = key;
      }
    }
    if (pick === undefined) return undefined;
    const queue = this.#queues.get(pick) ?? [];
    const job = queue.shift();
    if (queue.length === 0) this.#queues.delete(pick);
    this.#served.set(pick, this.#tick++);
    if (this.#served.size > 4096) for (const key of this.#served.keys()) if (!this.#queues.has(key)) this.#served.delete(key);
    return job;
  }

  #expire(job: Job): void {
    if (job.done) return;
    const slot = job.slot;
    if (slot) {
      // Counting past the deadline: kill the worker (it cannot be interrupted) and start another.
      const worker = slot.worker;
      slot.worker = undefined;
      slot.job = undefined;
      this.#killed++;
      void worker?.terminate();
    } else {
      const queue = this.#queues.get(job.key);
      const at = queue?.indexOf(job) ?? -1;
      if (queue && at >= 0) queue.splice(at, 1);
      if (queue?.length === 0) this.#queues.delete(job.key);
    }
    this.#settle(job, job.fallback());
    this.#dispatch();
  }

  #settle(job: Job, value: unknown): void {
    if (job.done) return;
    job.done = true;
    clearTimeout(job.timer);
    job.finish(value);
  }

  #spawn(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const entry = workerEntry(import.meta.url, "token-worker");
    const worker = new Worker(entry.filename, { eval: entry.eval, env: {} });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      if (slot.worker !== worker) return;
      const job = slot.job;
      if (!job || job.id !== reply.id) return;
      slot.job = undefined;
      worker.unref();
      this.#settle(job, reply.ok ? reply.value : job.fallback());
      this.#dispatch();
    });
    const fail = (): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const job = slot.job;
      slot.job = undefined;
      if (job) this.#settle(job, job.fallback());
      if (!this.#closed) this.#dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    slot.worker = worker;
    return worker;
  }
}

/** Characters of logs + tool results up to which an execution counts as small (see {@link smallKey}). */
const SMALL_CHARS = 2048;

/**
 * The cache key of a small execution's accounting (its whole input, exactly), or undefined when
 * it is not small: an error, a result that is not a string/finite number/boolean/null/undefined, or
 * more than {@link SMALL_CHARS} characters of logs, result and tool results.
 */
function smallKey(input: AccountInput): string | undefined {
  const { logs, result, error } = input.output;
  if (error !== null && error !== undefined) return undefined;
  const kind = result === null ? "null" : typeof result;
  if (kind !== "string" && kind !== "number" && kind !== "boolean" && kind !== "undefined" && kind !== "null") return undefined;
  if (kind === "number" && (!Number.isFinite(result) || Object.is(result, -0))) return undefined;
  let chars = kind === "string" ? (result as string).length : 0;
  for (const line of logs) chars += line.length;
  const tools = input.toolResults ?? { texts: [], chars: 0 };
  let kept = 0;
  for (const text of tools.texts) kept += text.length;
  if (kept !== tools.chars) return undefined; // some tool result is only partly kept
  chars += kept;
  if (chars > SMALL_CHARS) return undefined;
  return JSON.stringify([kind, result ?? null, logs, input.maxTokens, tools.texts]);
}

/** The first `max` characters of `texts` (whole texts, the last one cut). */
function cutTo(texts: readonly string[], max: number): string[] {
  const out: string[] = [];
  let room = max;
  for (const text of texts) {
    if (room <= 0) break;
    out.push(text.length <= room ? text : text.slice(0, room));
    room -= text.length;
  }
  return out;
}

/** Accounting without a tokenizer: linear, on the host; what a request gets past its deadline. */
export function estimateAccounting(input: AccountInput): Accounting {
  const shaped = shapeOutput(input.output, { maxTokens: input.maxTokens, count: (text) => estimateTokens(text), ...(input.spill ? { spill: input.spill } : {}) });
  return { shaped, toolResults: Math.ceil((input.toolResults?.chars ?? 0) / 4), estimated: true };
}
