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
import type { CheckReply, CheckRequest, ScriptRequest } from "./compile-worker.js";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { ScriptCheck } from "./script-compiler.js";
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

/** One `execute` script to type-check (see {@link SkillChecker.checkScript}). */
export interface ScriptCheckJob {
  environmentKey: string;
  environment: () => { tools: CatalogTool[]; builtins: string };
  code: string;
  /** The check's budget from now, waiting in the queue included. */
  timeoutMs: number;
}

/** A script check's answer: the compiler's, or why there is none (the script then runs unchecked). */
export type ScriptCheckOutcome =
  | { checked: true; result: ScriptCheck }
  | { checked: false; reason: "warming-up" | "busy" | "timeout" | "failed"; message: string };

/** Extra time past a script check's deadline before its worker is terminated (the cancellation token missed it). */
const SCRIPT_KILL_GRACE_MS = 1000;

/**
 * Type-checks skills (and `execute` scripts: {@link checkScript}) in a worker thread. One
 * instance per purpose: scripts get their own, so a slow skill save never delays a script.
 */
export class SkillChecker {
  #worker: Worker | undefined;
  #sentEnvironment: string | undefined;
  #nextId = 1;
  /** The script environment the worker has loaded (a warm-up finished). */
  #scriptsReady: string | undefined;
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
    if (!("results" in reply)) throw new ToolcodeError("INTERNAL", "Type-checking the skill failed: the checker answered another request.");
    return new Map(reply.results.map((r) => [r.name, r]));
  }

  #send(job: CheckJob, withEnvironment: boolean): Promise<CheckReply> {
    const request: CheckRequest = {
      id: this.#nextId++,
      environmentKey: job.environmentKey,
      skills: [...job.skills],
      identifiers: [...job.identifiers],
      ...(job.only ? { only: [...job.only] } : {}),
      ...(withEnvironment ? { environment: job.environment() } : {}),
    };
    if (withEnvironment) this.#sentEnvironment = job.environmentKey;
    return this.#post(request, this.timeoutMs, () =>
      new ToolcodeError(
        "SKILL_INVALID",
        `Type-checking the skill took longer than ${Math.round(this.timeoutMs / 1000)} s and was stopped. Simplify its types (avoid deeply recursive or conditional types) and save again.`,
        { timeoutMs: this.timeoutMs },
      ),
    );
  }

  /**
   * Loads the script environment (parsed and bound once, seconds for a big API) after the
   * checks already queued, within the skill-check time limit. Idempotent per key.
   */
  warmScripts(environmentKey: string, environment: () => { tools: CatalogTool[]; builtins: string }): Promise<void> {
    const result = this.#chain.then(async () => {
      if (this.#sentEnvironment === environmentKey && this.#worker) return;
      const request: ScriptRequest = { id: this.#nextId++, kind: "script", environmentKey, environment: environment() };
      this.#sentEnvironment = environmentKey;
      const reply = await this.#post(request, this.timeoutMs, () => new ToolcodeError("INTERNAL", "Loading the declarations for type-checking scripts took too long."));
      if (!reply.ok) throw new ToolcodeError("INTERNAL", `Loading the declarations for type-checking scripts failed: ${reply.message}`);
      this.#scriptsReady = environmentKey;
    });
    this.#chain = result.catch(() => undefined);
    return result;
  }

  /**
   * Type-checks an `execute` script, answering within `job.timeoutMs` whatever happens: a check
   * still queued at its deadline (behind a warm-up or other checks) is skipped (`busy`, or
   * `warming-up` while the declarations load, which then starts); one running past it is
   * cancelled in the worker (`timeout`), and its worker terminated if it does not stop.
   */
  checkScript(job: ScriptCheckJob): Promise<ScriptCheckOutcome> {
    const deadline = Date.now() + job.timeoutMs;
    const warm = this.#scriptsReady === job.environmentKey && this.#sentEnvironment === job.environmentKey && this.#worker !== undefined;
    if (!warm) void this.warmScripts(job.environmentKey, job.environment).catch(() => undefined);
    let started = false;
    const queued = this.#chain.then(async (): Promise<ScriptCheckOutcome> => {
      if (Date.now() >= deadline) return skipped(warm ? "busy" : "warming-up");
      if (this.#scriptsReady !== job.environmentKey || !this.#worker) return skipped("warming-up");
      started = true;
      const request: ScriptRequest = { id: this.#nextId++, kind: "script", environmentKey: job.environmentKey, code: job.code, deadline };
      let reply: CheckReply;
      try {
        reply = await this.#post(request, Math.max(1, deadline - Date.now()) + SCRIPT_KILL_GRACE_MS, () => new ToolcodeError("INTERNAL", "timeout"));
      } catch {
        return skipped("timeout");
      }
      if (!reply.ok) return skipped(reply.needEnvironment ? "warming-up" : "failed", reply.message);
      if (!("script" in reply)) return skipped("failed");
      return reply.script.timedOut ? skipped("timeout") : { checked: true, result: reply.script };
    });
    this.#chain = queued.catch(() => undefined);
    // Still queued at the deadline (behind the warm-up or other checks): answer now, run unchecked.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ScriptCheckOutcome>((resolve) => {
      timer = setTimeout(() => {
        if (!started) resolve(skipped(warm ? "busy" : "warming-up"));
      }, Math.max(0, deadline - Date.now()));
    });
    return Promise.race([queued, late]).finally(() => clearTimeout(timer));
  }

  /** Posts one request; rejects with `onTimeout()` (terminating the worker) past `timeoutMs`, or when the worker exits. */
  #post(request: CheckRequest | ScriptRequest, timeoutMs: number, onTimeout: () => ToolcodeError): Promise<CheckReply> {
    const worker = this.#ensureWorker();
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
        reject(new ToolcodeError("INTERNAL", `The type-checker stopped (exit code ${code}). Try again.`));
      };
      const timer = setTimeout(() => {
        cleanup();
        this.#forget(worker);
        void worker.terminate();
        reject(onTimeout());
      }, timeoutMs);
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
    this.#scriptsReady = undefined;
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

function skipped(reason: "warming-up" | "busy" | "timeout" | "failed", detail?: string): ScriptCheckOutcome {
  const messages = {
    "warming-up": "the type-checker is still loading the tool declarations",
    busy: "the type-checker was busy with other scripts",
    timeout: "type-checking took longer than sandbox.typeCheckTimeoutMs",
    failed: `the type-checker failed${detail ? `: ${detail}` : ""}`,
  };
  return { checked: false, reason, message: `not type-checked: ${messages[reason]}; the script ran unchecked` };
}
