/**
 * The default sandbox engine: QuickJS compiled to WebAssembly, running in a small pool of worker
 * threads so a spinning or crashing guest never blocks the host's event loop or other executions.
 *
 * Each execution gets a fresh QuickJS runtime and context in a worker (see ./guest-run.ts). The
 * worker enforces the time, memory, stack, tool-call and log limits; as a last resort the host
 * terminates a worker that does not answer within `timeoutMs + graceMs` and starts a new one.
 * Workers start with an empty environment and hold no secrets: tool calls come back to the host
 * as plain-data messages and go through {@link SandboxHost.callTool}, whose `AbortSignal` is
 * aborted as soon as the execution ends (finished, timed out, crashed, or engine closed).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ToolcodeError, toErrorInfo, type ErrorCode, type ErrorInfo } from "../../errors.js";
import type { Engine, RunRequest, RunResult, RunStats, SandboxHost } from "../engine.js";
import { DEFAULT_GRACE_MS, WORKER_HEAP_MB, WORKER_STACK_MB } from "./limits.js";
import type { HostMessage, ToolCallMessage, ToolEnvelope, WorkerMessage, WorkerOutcome } from "./protocol.js";

/** Options of {@link createQuickJsEngine}. */
export interface QuickJsEngineOptions {
  /** Worker threads running guests (default 2). More concurrent runs wait in a queue. */
  poolSize?: number;
  /**
   * How long past `limits.timeoutMs` the host waits for a worker that does not answer before
   * terminating and replacing it (default 2000 ms). The worker normally stops the guest itself
   * at `timeoutMs`; this only catches a worker stuck in one long uninterruptible operation.
   */
  graceMs?: number;
}

/**
 * Creates the QuickJS engine. Workers start lazily on the first run and are kept warm until
 * {@link Engine.close}. `run` never rejects for guest failures (it resolves `{ ok: false }`); it
 * rejects only for host misuse (closed engine, invalid limits, workers that cannot start).
 */
export function createQuickJsEngine(options: QuickJsEngineOptions = {}): Engine {
  return new QuickJsEngine(options);
}

interface Job {
  request: RunRequest;
  host: SandboxHost;
  resolve(result: RunResult): void;
  reject(error: unknown): void;
}

interface ActiveRun {
  runId: number;
  job: Job;
  controller: AbortController;
  startedAt: number;
  toolCalls: number;
  timer: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  retired: boolean;
  active: ActiveRun | undefined;
}

const ERROR_CODE_PATTERN = /^[A-Z][A-Z_]*$/;

class QuickJsEngine implements Engine {
  readonly name = "quickjs";
  private readonly poolSize: number;
  private readonly graceMs: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextRunId = 1;
  private closing: Promise<void> | undefined;

  constructor(options: QuickJsEngineOptions) {
    this.poolSize = Math.max(1, Math.floor(options.poolSize ?? 2));
    this.graceMs = Math.max(0, options.graceMs ?? DEFAULT_GRACE_MS);
  }

  run(request: RunRequest, host: SandboxHost): Promise<RunResult> {
    if (this.closing !== undefined) {
      return Promise.reject(
        new ToolcodeError("INTERNAL", "This QuickJS engine is closed; create a new one with createQuickJsEngine() to run more code."),
      );
    }
    try {
      validateRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<RunResult>((resolve, reject) => {
      this.queue.push({ request, host, resolve, reject });
      this.pump();
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const closed: ErrorInfo = { code: "SANDBOX_CRASHED", message: "The sandbox engine was closed before the code finished." };
    for (const job of this.queue.splice(0)) job.resolve(failed(closed, zeroStats()));
    const exits: Promise<number>[] = [];
    for (const slot of [...this.slots]) {
      this.finishActive(slot, closed);
      exits.push(this.retire(slot));
    }
    await Promise.all(exits);
  }

  /** Hands queued jobs to idle workers, starting workers up to the pool size. */
  private pump(): void {
    if (this.closing !== undefined) return;
    while (this.queue.length > 0) {
      const idle = [...this.slots].find((slot) => slot.ready && !slot.retired && slot.active === undefined);
      if (idle === undefined) break;
      const job = this.queue.shift();
      if (job !== undefined) this.dispatch(idle, job);
    }
    const starting = [...this.slots].filter((slot) => !slot.ready).length;
    let wanted = Math.min(this.queue.length - starting, this.poolSize - this.slots.size);
    while (wanted > 0 && this.spawn()) wanted -= 1;
    // Busy or starting workers keep the process alive (someone awaits them); idle ones must not.
    for (const slot of this.slots) {
      if (slot.active !== undefined || !slot.ready) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private spawn(): boolean {
    let worker: Worker;
    try {
      const entry = workerEntry();
      worker = new Worker(entry.filename, {
        eval: entry.eval,
        execArgv: [],
        env: {},
        stdout: true,
        stderr: true,
        name: "toolcode-quickjs",
        resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
    } catch (error) {
      this.failQueue(error);
      return false;
    }
    // Nothing a worker prints is for the host's stdout (which may be an MCP stdio channel).
    worker.stdout.resume();
    worker.stderr.resume();
    const slot: Slot = { worker, ready: false, retired: false, active: undefined };
    this.slots.add(slot);
    let failure: Error | undefined;
    worker.on("message", (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on("error", (error) => {
      failure = error;
    });
    worker.on("exit", () => this.onExit(slot, failure));
    return true;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.retired) return;
    switch (message.type) {
      case "ready":
        slot.ready = true;
        this.pump();
        return;
      case "toolCall":
        this.onToolCall(slot, message);
        return;
      case "done": {
        const active = slot.active;
        if (active === undefined || active.runId !== message.runId) return;
        slot.active = undefined;
        this.settle(active, toRunResult(message.outcome, this.stats(active)));
        this.pump();
        return;
      }
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    const runId = this.nextRunId++;
    const { request } = job;
    const active: ActiveRun = {
      runId,
      job,
      controller: new AbortController(),
      startedAt: performance.now(),
      toolCalls: 0,
      timer: setTimeout(() => this.onUnresponsive(slot, active), request.limits.timeoutMs + this.graceMs),
    };
    slot.active = active;
    const message: HostMessage = {
      type: "run",
      runId,
      code: request.code,
      lineOffset: request.lineOffset,
      api: request.api.modules === undefined
        ? { globals: { ...request.api.globals } }
        : { globals: { ...request.api.globals }, modules: { ...request.api.modules } },
      limits: { ...request.limits },
    };
    slot.worker.postMessage(message);
  }

  private onToolCall(slot: Slot, message: ToolCallMessage): void {
    const active = slot.active;
    if (active === undefined || active.runId !== message.runId) return;
    active.toolCalls += 1;
    void callHost(active.job.host, message, active.controller.signal).then((envelope) => {
      if (slot.active !== active || slot.retired) return;
      const reply: HostMessage = { type: "toolResult", runId: message.runId, callId: message.callId, envelope };
      slot.worker.postMessage(reply);
    });
  }

  /** The worker did not answer in time: it is stuck in something the interrupt handler cannot stop. */
  private onUnresponsive(slot: Slot, active: ActiveRun): void {
    if (slot.active !== active) return;
    const { timeoutMs } = active.job.request.limits;
    this.finishActive(slot, {
      code: "SANDBOX_TIMEOUT",
      message:
        `The code ran longer than the ${timeoutMs} ms time limit and the sandbox had to be restarted. ` +
        "Do less per execution (smaller data, fewer operations on huge strings or arrays). Operators can raise sandbox.timeoutMs.",
      details: { timeoutMs },
    });
    void this.retire(slot);
    this.replace();
  }

  private onExit(slot: Slot, failure: Error | undefined): void {
    if (slot.retired) return;
    const wasReady = slot.ready;
    slot.retired = true;
    this.slots.delete(slot);
    const code = failure !== undefined && "code" in failure ? failure.code : undefined;
    this.finishActive(slot, code === "ERR_WORKER_OUT_OF_MEMORY"
      ? {
          code: "SANDBOX_MEMORY",
          message: "The code used more memory than the sandbox worker allows and the sandbox had to be restarted. " +
            "Process data in smaller pieces and return less. Operators can raise sandbox.memoryMb.",
        }
      : {
          code: "SANDBOX_CRASHED",
          message: "The sandbox worker stopped unexpectedly while running the code (it has been replaced). " +
            "Run the code again; if it keeps failing, reduce its memory use or simplify it.",
        });
    if (!wasReady) {
      // A worker that cannot even start will not start next time either: fail what waits for one.
      this.failQueue(failure ?? new Error("the worker exited during startup"));
      return;
    }
    this.replace();
  }

  /** Keeps the pool warm after a worker was killed or crashed. */
  private replace(): void {
    if (this.closing !== undefined) return;
    if (this.slots.size < this.poolSize) this.spawn();
    this.pump();
  }

  private failQueue(cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const error = new ToolcodeError(
      "SANDBOX_CRASHED",
      `The QuickJS sandbox worker could not start: ${reason}. Check that the package is installed completely (npm run build).`,
      {},
      { cause },
    );
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  private finishActive(slot: Slot, error: ErrorInfo): void {
    const active = slot.active;
    if (active === undefined) return;
    slot.active = undefined;
    this.settle(active, failed(error, this.stats(active)));
  }

  private settle(active: ActiveRun, result: RunResult): void {
    clearTimeout(active.timer);
    active.controller.abort(new ToolcodeError("SANDBOX_LIMIT", "The execution that made this tool call has ended."));
    active.job.resolve(result);
  }

  private retire(slot: Slot): Promise<number> {
    slot.retired = true;
    this.slots.delete(slot);
    return slot.worker.terminate();
  }

  private stats(active: ActiveRun): RunStats {
    return { durationMs: Math.round(performance.now() - active.startedAt), toolCalls: active.toolCalls };
  }
}

/** Performs one tool call on the host and encodes the outcome for the guest; never rejects. */
async function callHost(host: SandboxHost, message: ToolCallMessage, signal: AbortSignal): Promise<string> {
  let args: unknown;
  try {
    args = JSON.parse(message.args);
  } catch {
    return encodeError({ code: "INVALID_ARGUMENTS", message: `Arguments for ${message.server}.${message.tool} are not valid JSON.` });
  }
  let value: unknown;
  try {
    value = await host.callTool(message.server, message.tool, args, signal);
  } catch (error) {
    return encodeError(toErrorInfo(error, "TOOL_ERROR"));
  }
  try {
    return JSON.stringify({ ok: true, value } satisfies ToolEnvelope);
  } catch {
    return encodeError({ code: "TOOL_ERROR", message: `${message.server}.${message.tool} returned a value that is not JSON.` });
  }
}

function encodeError(info: ErrorInfo): string {
  const error: { code: string; message: string; details?: Record<string, unknown> } = { code: info.code, message: info.message };
  if (info.details !== undefined) error.details = info.details;
  try {
    return JSON.stringify({ ok: false, error } satisfies ToolEnvelope);
  } catch {
    return JSON.stringify({ ok: false, error: { code: info.code, message: info.message } } satisfies ToolEnvelope);
  }
}

function toRunResult(outcome: WorkerOutcome, stats: RunStats): RunResult {
  const logs = outcome.logs;
  if (outcome.ok) {
    if (outcome.value === undefined) return { ok: true, value: undefined, logs, stats };
    try {
      return { ok: true, value: JSON.parse(outcome.value) as unknown, logs, stats };
    } catch {
      return { ok: false, error: { code: "INTERNAL", message: "The sandbox returned a result that is not JSON." }, logs, stats };
    }
  }
  const { code, message, line, column, details } = outcome.error;
  const error: ErrorInfo & { line?: number; column?: number } = {
    code: ERROR_CODE_PATTERN.test(code) ? (code as ErrorCode) : "GUEST_ERROR",
    message,
  };
  if (details !== undefined) error.details = details;
  if (line !== undefined) error.line = line;
  if (column !== undefined) error.column = column;
  return { ok: false, error, logs, stats };
}

function failed(error: ErrorInfo, stats: RunStats): RunResult {
  return { ok: false, error, logs: [], stats };
}

function zeroStats(): RunStats {
  return { durationMs: 0, toolCalls: 0 };
}

function validateRequest(request: RunRequest): void {
  const { limits } = request;
  const positive: (keyof typeof limits)[] = ["timeoutMs", "memoryMb", "maxStackKb", "maxToolCalls", "maxLogBytes"];
  for (const key of positive) {
    const value = limits[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new ToolcodeError("CONFIG_INVALID", `sandbox.${key} must be a positive number (got ${String(value)}).`, { key: `sandbox.${key}` });
    }
  }
  if (limits.timeoutMs > 2_147_000_000) {
    throw new ToolcodeError("CONFIG_INVALID", "sandbox.timeoutMs is too large (at most about 24 days).", { key: "sandbox.timeoutMs" });
  }
  if (typeof request.code !== "string") throw new ToolcodeError("INTERNAL", "RunRequest.code must be a string (the output of transpileGuest()).");
}

let cachedEntry: { filename: string | URL; eval: boolean } | undefined;

/**
 * Where the worker's code is: `worker.js` next to this file in built output; from TypeScript
 * sources (tests, tsx) a bootstrap that registers tsx inside the worker and imports `worker.ts`
 * (`--import tsx` in a worker's execArgv does not apply to the worker's entry on Node 20).
 */
function workerEntry(): { filename: string | URL; eval: boolean } {
  if (cachedEntry !== undefined) return cachedEntry;
  const built = new URL("./worker.js", import.meta.url);
  if (existsSync(fileURLToPath(built))) {
    cachedEntry = { filename: built, eval: false };
    return cachedEntry;
  }
  const source = new URL("./worker.ts", import.meta.url);
  let tsxApi: string;
  try {
    tsxApi = resolveTsxEsmApi();
  } catch (cause) {
    throw new ToolcodeError(
      "INTERNAL",
      "The QuickJS worker is only available as TypeScript here and the tsx dev dependency is missing; run `npm run build` or install tsx.",
      {},
      { cause },
    );
  }
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(source.href)}); });`;
  cachedEntry = { filename: bootstrap, eval: true };
  return cachedEntry;
}

/** The ESM build of `tsx/esm/api` (its CommonJS build cannot register the loader from a worker). */
function resolveTsxEsmApi(): string {
  const packageJsonPath = createRequire(import.meta.url).resolve("tsx/package.json");
  const manifest: unknown = JSON.parse(readFileSync(packageJsonPath, "utf8"));
  const target = esmApiTarget(manifest);
  if (target === undefined) throw new Error("tsx/package.json has no ESM export for ./esm/api");
  return new URL(target, pathToFileURL(packageJsonPath)).href;
}

function esmApiTarget(manifest: unknown): string | undefined {
  let node: unknown = manifest;
  for (const key of ["exports", "./esm/api", "import", "default"]) {
    if (typeof node !== "object" || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "string" ? node : undefined;
}
