/**
 * Runs skill type-checks in a worker thread, one at a time, each with a time limit.
 *
 * Skill code comes from guest scripts, so it is hostile input to the compiler: a program whose
 * types explode could keep the TypeScript checker busy for a long time. In a worker it cannot
 * stall the server's event loop (other sessions keep running), and a check over the limit
 * terminates the worker (the next check starts a fresh one).
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { ToolcodeError } from "../errors.js";
import { workerEntry } from "../runtime/worker-entry.js";
import type { CheckReply, CheckRequest } from "./compile-worker.js";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { CheckedSkill } from "./skill-compiler.js";

/** Default limit of one check, in ms. */
export const CHECK_TIMEOUT_MS = 60_000;

/** One check: the skills, and the tools they are checked against (sent once per `environmentKey`). */
export interface CheckJob {
  /** Changes whenever the tools change. */
  environmentKey: string;
  environment: () => { tools: CatalogTool[]; builtins: string };
  /** Every skill in the program: name → source. */
  skills: ReadonlyMap<string, string>;
  /** Skill name → guest identifier. */
  identifiers: ReadonlyMap<string, string>;
  /** Only these skills are checked and described (default: all). */
  only?: readonly string[];
}

/** Type-checks skills in a worker thread. */
export class SkillChecker {
  #worker: Worker | undefined;
  #sentEnvironment: string | undefined;
  #nextId = 1;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly timeoutMs: number = CHECK_TIMEOUT_MS) {}

  /** Checks `job` after the checks already queued. Rejects with `SKILL_INVALID` past the time limit. */
  check(job: CheckJob): Promise<Map<string, CheckedSkill>> {
    const result = this.#chain.then(() => this.#run(job));
    this.#chain = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker. Idempotent. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#sentEnvironment = undefined;
    if (worker) await worker.terminate();
  }

  async #run(job: CheckJob): Promise<Map<string, CheckedSkill>> {
    let reply = await this.#send(job, this.#sentEnvironment !== job.environmentKey);
    if (!reply.ok && reply.needEnvironment) reply = await this.#send(job, true);
    if (!reply.ok) throw new ToolcodeError("INTERNAL", `Type-checking the skill failed: ${reply.message}`);
    return new Map(reply.results.map((r) => [r.name, r]));
  }

  #send(job: CheckJob, withEnvironment: boolean): Promise<CheckReply> {
    const worker = this.#ensureWorker();
    const request: CheckRequest = {
      id: this.#nextId++,
      environmentKey: job.environmentKey,
      skills: [...job.skills],
      identifiers: [...job.identifiers],
      ...(job.only ? { only: [...job.only] } : {}),
      ...(withEnvironment ? { environment: job.environment() } : {}),
    };
    if (withEnvironment) this.#sentEnvironment = job.environmentKey;
    return new Promise<CheckReply>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
        worker.unref();
      };
      const onMessage = (reply: CheckReply): void => {
        if (reply.id !== request.id) return;
        cleanup();
        resolve(reply);
      };
      const onExit = (code: number): void => {
        cleanup();
        this.#forget(worker);
        reject(new ToolcodeError("INTERNAL", `The skill type-checker stopped (exit code ${code}). Try again.`));
      };
      const timer = setTimeout(() => {
        cleanup();
        this.#forget(worker);
        void worker.terminate();
        reject(
          new ToolcodeError(
            "SKILL_INVALID",
            `Type-checking the skill took longer than ${Math.round(this.timeoutMs / 1000)} s and was stopped. Simplify its types (avoid deeply recursive or conditional types) and save again.`,
            { timeoutMs: this.timeoutMs },
          ),
        );
      }, this.timeoutMs);
      worker.on("message", onMessage);
      worker.on("exit", onExit);
      worker.ref();
      worker.postMessage(request);
    });
  }

  #forget(worker: Worker): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#sentEnvironment = undefined;
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const entry = workerEntry(import.meta.url, "compile-worker");
    const worker = new Worker(entry.filename, { eval: entry.eval, env: {} });
    worker.unref();
    worker.on("error", () => this.#forget(worker));
    this.#worker = worker;
    return worker;
  }
}
