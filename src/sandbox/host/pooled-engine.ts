/**
 * The host side of every sandbox engine: a pool of sandbox workers (child processes or worker
 * threads, see ./process-worker.ts and ./thread-worker.ts), a queue of runs, the bridge to
 * {@link SandboxHost.callTool}, and the watchdogs that keep one guest from hurting the others.
 *
 * What it guarantees, whatever the worker does (the margins are in ../limits.ts):
 * - the caller gets an answer at most `timeoutMs` + `ANSWER_MARGIN_MS` after the run started: the
 *   worker stops the guest itself at `timeoutMs`; if its answer is late the host answers
 *   SANDBOX_TIMEOUT, and a worker still silent `graceMs` later is killed and replaced;
 * - a worker that crashes, aborts or exits is replaced; its run gets SANDBOX_CRASHED (or
 *   SANDBOX_MEMORY when its heap ran out); other runs keep going on other workers;
 * - nothing from the worker is trusted: tool calls are checked again here (known tool, call count,
 *   argument size and nesting) and so is the return value (size, nesting, valid JSON);
 * - tool results are plain JSON text, size- and depth-checked before they go back;
 * - the `AbortSignal` of every tool call is aborted as soon as its run ends;
 * - a worker is recycled after `recycleAfter` runs;
 * - with session sandboxes (`sessions`), a worker that ran a session's execution runs only that
 *   session's executions (same user, same id) until the session ends, it idles `idleMs`, or it ran
 *   `maxRuns`; a run of another session never gets it. Past the bounds (or while the session's
 *   sandbox is busy with another of its executions) a run gets a fresh sandbox, retired after it.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ToolcodeError, toErrorInfo, type ErrorCode, type ErrorInfo } from "../../errors.js";
import { type Engine, type RunRequest, type RunResult, type RunStats, type SandboxHost, type SandboxInfo, apiHasTool } from "../engine.js";
import { byteLength, jsonDepthExceeds } from "../json-limits.js";
import {
  ANSWER_MARGIN_MS,
  DEFAULT_GRACE_MS,
  DEFAULT_RECYCLE_AFTER,
  jsonTooDeepMessage,
  resolveLimits,
  resultTooLargeMessage,
  timeoutMessage,
  toolArgsTooLargeMessage,
  toolCallLimitMessage,
  toolResultTooLargeMessage,
  type ResolvedLimits,
} from "../limits.js";
import type { HostMessage, RunnerInfo, ToolCallMessage, ToolEnvelope, WorkerMessage, WorkerOutcome } from "../protocol.js";
import { fitEnvelope, scrubHostPaths } from "../envelope.js";
import type { SandboxWorker, SpawnWorker, WorkerExit } from "./sandbox-worker.js";
import { type SessionSandboxLimits, SessionSandboxes, sessionKey } from "./session-sandboxes.js";

/** Options of {@link PooledEngine}. */
export interface PooledEngineOptions {
  /** Engine name for metadata (`quickjs`, `isolate`). */
  name: string;
  /** Isolation host for metadata (`process`, `thread`, `bwrap`, …; default `process`). */
  isolation?: string;
  /** Starts one worker. */
  spawn: SpawnWorker;
  /** Workers running guests at once (default 2). More concurrent runs wait in a queue. */
  poolSize?: number;
  /** How long past the deadline a silent worker is given before it is killed (default `DEFAULT_GRACE_MS`). */
  graceMs?: number;
  /** Runs per worker before it is replaced by a fresh one (default `DEFAULT_RECYCLE_AFTER`). */
  recycleAfter?: number;
  /**
   * Keep `poolSize` workers started from the first run (or `warm()`) on, not only as many as
   * runs wait for: the warm pool of hosts whose sandboxes are slow to start (gVisor, microVMs).
   */
  keepWarm?: boolean;
  /** How workers are reused, for metadata (`shared`, `execution`; `session` when `sessions` is set). */
  reuse?: "shared" | "execution";
  /**
   * Session sandboxes (`sandbox.reuse: "session"`): a run with a `session` keeps the worker it ran
   * in for that session's later runs, within these bounds. The pool's `poolSize` workers are then
   * the warm spares new sessions (and runs past the bounds) take; `recycleAfter` should be 1.
   */
  sessions?: Partial<SessionSandboxLimits>;
}

interface Job {
  request: RunRequest;
  limits: ResolvedLimits;
  host: SandboxHost;
  /** The session key of a run with session sandboxes on (see ./session-sandboxes.ts). */
  owner: string | undefined;
  user: string | null;
  resolve(result: RunResult): void;
  reject(error: unknown): void;
}

interface ActiveRun {
  runId: number;
  /** The worker's host and kernel, for the run's stats. */
  sandbox: SandboxInfo;
  job: Job;
  controller: AbortController;
  startedAt: number;
  toolCalls: number;
  inFlight: number;
  /** The caller got its answer (the worker may still be busy with the run). */
  answered: boolean;
  answerTimer: NodeJS.Timeout;
  killTimer: NodeJS.Timeout;
}

interface Slot {
  /** Opaque id (`metadata.sandbox.id`). */
  id: string;
  worker: SandboxWorker;
  /** What the runner said about itself when it was ready. */
  runner: RunnerInfo | undefined;
  ready: boolean;
  retired: boolean;
  runs: number;
  active: ActiveRun | undefined;
  /** The session this worker serves (session sandboxes only); it never runs anyone else's code. */
  owner: string | undefined;
  /** Retire when the current run ends (its session ended meanwhile). */
  draining: boolean;
  /** Stops an idle session sandbox after `idleMs`. */
  idleTimer: NodeJS.Timeout | undefined;
}

const ERROR_CODE_PATTERN = /^[A-Z][A-Z_]*$/;

/** An {@link Engine} over a pool of sandbox workers. */
export class PooledEngine implements Engine {
  readonly name: string;
  /** The isolation host of this engine's workers. */
  readonly isolation: string;
  private readonly spawnWorker: SpawnWorker;
  private readonly poolSize: number;
  private readonly graceMs: number;
  private readonly recycleAfter: number;
  private readonly keepWarm: boolean;
  private readonly reuse: "shared" | "execution";
  private readonly sessions: SessionSandboxes<Slot> | undefined;
  private warmed = false;
  /** Workers that ended before they were ready since the last one that was. */
  private startupFailures = 0;
  private readonly slots = new Set<Slot>();
  /** Workers out of the pool whose stop waits for the current run's answer to be delivered (close() stops them too). */
  private readonly retiring = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextRunId = 1;
  private closing: Promise<void> | undefined;

  constructor(options: PooledEngineOptions) {
    this.name = options.name;
    this.isolation = options.isolation ?? "process";
    this.spawnWorker = options.spawn;
    this.poolSize = Math.max(1, Math.floor(options.poolSize ?? 2));
    this.graceMs = Math.max(0, options.graceMs ?? DEFAULT_GRACE_MS);
    // With session sandboxes a spare runs one run of no session (or past the bounds), then goes.
    this.recycleAfter = options.sessions !== undefined ? 1 : Math.max(1, Math.floor(options.recycleAfter ?? DEFAULT_RECYCLE_AFTER));
    this.sessions = options.sessions === undefined ? undefined : new SessionSandboxes<Slot>(options.sessions);
    this.keepWarm = (options.keepWarm ?? false) || this.sessions !== undefined;
    this.reuse = options.reuse ?? (this.recycleAfter === 1 ? "execution" : "shared");
  }

  run(request: RunRequest, host: SandboxHost): Promise<RunResult> {
    if (this.closing !== undefined) {
      return Promise.reject(new ToolcodeError("INTERNAL", `This ${this.name} sandbox engine is closed; create a new engine to run more code.`));
    }
    let limits: ResolvedLimits;
    try {
      limits = validateRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.keepWarm) this.warmed = true;
    const session = request.session;
    const owner = this.sessions !== undefined && session !== undefined ? sessionKey(session) : undefined;
    return new Promise<RunResult>((resolve, reject) => {
      this.queue.push({ request, limits, host, owner, user: session?.user ?? null, resolve, reject });
      this.pump();
    });
  }

  /** Workers started and ready for a run, idle now (benchmarks wait for a warm pool with it). */
  readyWorkers(): number {
    return [...this.slots].filter((slot) => slot.ready && !slot.retired && slot.active === undefined).length;
  }

  /** Starts workers up to the pool size without waiting for a run (optional warm-up). */
  warm(): void {
    if (this.closing !== undefined) return;
    if (this.keepWarm) this.warmed = true;
    while (this.slots.size < this.poolSize && this.spawn()) {
      // keep spawning
    }
    this.pump();
  }

  /** OS process ids of the worker processes (empty for thread workers); for measurements. */
  workerPids(): number[] {
    return [...this.slots].map((slot) => slot.worker.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Ids (`metadata.sandbox.id`) of the workers alive now, spares and session sandboxes; for tests and measurements. */
  sandboxIds(): string[] {
    return [...this.slots].filter((slot) => !slot.retired).map((slot) => slot.id);
  }

  /** Started, idle workers of no session: what the next run (or new session) can take at once; for measurements. */
  readySpares(): number {
    let n = 0;
    for (const slot of this.slots) if (slot.ready && !slot.retired && slot.active === undefined && slot.owner === undefined) n += 1;
    return n;
  }

  /** Session sandboxes held now (0 without `reuse: "session"`). */
  sessionSandboxCount(): number {
    return this.sessions?.size ?? 0;
  }

  /**
   * Stops the sandbox of a session (`reuse: "session"`): at once when it is idle, when its run
   * ends otherwise. The session's next run gets a fresh sandbox. Resolves when an idle one is gone.
   */
  async endSession(sessionId: string, user: string | null): Promise<void> {
    if (this.sessions === undefined) return;
    const key = sessionKey({ id: sessionId, user });
    const slot = this.sessions.get(key);
    if (slot === undefined) return;
    this.sessions.release(key, slot);
    if (slot.active !== undefined) {
      slot.draining = true;
      return;
    }
    await this.retire(slot);
    this.pump();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const closed: ErrorInfo = { code: "SANDBOX_CRASHED", message: "The sandbox engine was closed before the code finished." };
    for (const job of this.queue.splice(0)) job.resolve(failed(closed, zeroStats()));
    const exits: Promise<void>[] = [];
    for (const slot of [...this.slots]) {
      this.answer(slot.active, closed);
      exits.push(this.retire(slot));
    }
    for (const slot of this.retiring) exits.push(this.retire(slot));
    this.retiring.clear();
    await Promise.all(exits);
  }

  /** Hands queued jobs to idle workers, starting workers up to the pool size. */
  private pump(): void {
    if (this.closing !== undefined) return;
    for (const job of [...this.queue]) {
      const slot = this.slotFor(job);
      if (slot === undefined) continue;
      this.queue.splice(this.queue.indexOf(job), 1);
      this.dispatch(slot, job);
    }
    const starting = [...this.slots].filter((slot) => !slot.ready).length;
    let wanted = this.warmed ? this.poolSize - this.liveSlots() : Math.min(this.queue.length - starting, this.poolSize - this.liveSlots());
    while (wanted > 0 && this.spawn()) wanted -= 1;
    // Busy or starting workers keep the host alive (someone awaits them); idle ones must not.
    for (const slot of this.slots) slot.worker.ref(slot.active !== undefined || (!slot.ready && this.queue.length > 0));
  }

  /**
   * The worker a job runs in now, or undefined (it waits). A session's own sandbox when it is
   * free; else an idle spare, which becomes the session's sandbox when it has none and the bounds
   * allow, and otherwise serves this one run only.
   */
  private slotFor(job: Job): Slot | undefined {
    const sessions = this.sessions;
    const owner = job.owner;
    if (sessions !== undefined && owner !== undefined) {
      const own = sessions.get(owner);
      if (own !== undefined && own.ready && !own.retired && own.active === undefined) return own;
      const spare = this.idleSpare();
      if (spare === undefined) return undefined;
      // Claimed in the same synchronous step as the bound check: concurrent runs cannot overrun it.
      if (own === undefined && sessions.claim(owner, job.user, spare)) spare.owner = owner;
      return spare;
    }
    return this.idleSpare();
  }

  /** A ready, idle worker that belongs to no session. */
  private idleSpare(): Slot | undefined {
    for (const slot of this.slots) if (slot.ready && !slot.retired && slot.active === undefined && slot.owner === undefined) return slot;
    return undefined;
  }

  /** Workers that count against the pool size (a busy one being recycled and session sandboxes do not). */
  private liveSlots(): number {
    let live = 0;
    for (const slot of this.slots) if (!slot.retired && slot.owner === undefined) live += 1;
    return live;
  }

  private spawn(): boolean {
    let worker: SandboxWorker;
    try {
      worker = this.spawnWorker();
    } catch (error) {
      this.failQueue(error);
      return false;
    }
    const slot: Slot = { id: randomBytes(8).toString("hex"), worker, runner: undefined, ready: false, retired: false, runs: 0, active: undefined, owner: undefined, draining: false, idleTimer: undefined };
    this.slots.add(slot);
    let startupFailure: string | undefined;
    worker.onMessage((message: WorkerMessage) => {
      if (message.type === "startupFailed") startupFailure = message.message;
      else this.onMessage(slot, message);
    });
    worker.onExit((exit) => this.onExit(slot, exit, startupFailure));
    return true;
  }

  private onMessage(slot: Slot, message: Exclude<WorkerMessage, { type: "startupFailed" }>): void {
    if (!this.slots.has(slot)) return;
    switch (message.type) {
      case "ready":
        slot.ready = true;
        this.startupFailures = 0;
        slot.runner = message.runner;
        this.pump();
        return;
      case "toolCall":
        this.onToolCall(slot, message);
        return;
      case "done": {
        const active = slot.active;
        if (active === undefined || active.runId !== message.runId) return;
        this.release(slot, active);
        if (!active.answered) {
          active.answered = true;
          this.settle(active, toRunResult(message.outcome, active.job.limits, this.stats(active)));
        }
        const maxRuns = slot.owner !== undefined && this.sessions !== undefined ? this.sessions.limits.maxRuns : this.recycleAfter;
        if ((message.final === true || slot.runs >= maxRuns || slot.draining) && !slot.retired) {
          // Out of the pool (and the session book) now; the replacement starts after the caller has
          // its answer: starting a process is synchronous work (fork + exec) that would otherwise
          // delay this run's result by milliseconds (every Python run ends its worker).
          slot.retired = true;
          this.slots.delete(slot);
          this.forget(slot);
          this.retiring.add(slot);
          setImmediate(() => {
            if (!this.retiring.delete(slot)) return; // close() took it
            void this.retire(slot);
            this.replace();
          });
        } else if (slot.owner !== undefined) {
          this.armIdle(slot);
        }
        this.pump();
        return;
      }
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    const runId = this.nextRunId++;
    const { request, limits } = job;
    slot.runs += 1;
    clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    const reuse = slot.owner !== undefined ? "session" : this.sessions !== undefined ? "execution" : this.reuse;
    const active: ActiveRun = {
      runId,
      sandbox: { isolation: this.isolation, ...(slot.runner === undefined ? {} : { kernel: slot.runner.kernel }), id: slot.id, reuse },
      job,
      controller: new AbortController(),
      startedAt: performance.now(),
      toolCalls: 0,
      inFlight: 0,
      answered: false,
      answerTimer: setTimeout(() => this.onLate(active), limits.timeoutMs + ANSWER_MARGIN_MS),
      killTimer: setTimeout(() => this.onUnresponsive(slot, active), limits.timeoutMs + Math.max(ANSWER_MARGIN_MS, this.graceMs)),
    };
    slot.active = active;
    const api = {
      globals: { ...request.api.globals },
      ...(request.api.modules === undefined ? {} : { modules: { ...request.api.modules } }),
      ...(request.api.hidden === undefined ? {} : { hidden: { ...request.api.hidden } }),
      ...(request.api.data === undefined ? {} : { data: { ...request.api.data } }),
    };
    const message: HostMessage = { type: "run", runId, code: request.code, lineOffset: request.lineOffset, api, limits };
    slot.worker.send(message);
  }

  private onToolCall(slot: Slot, message: ToolCallMessage): void {
    const active = slot.active;
    if (active === undefined || active.runId !== message.runId || active.answered) return;
    const reply = (envelope: string): void => {
      if (slot.active !== active || active.answered || slot.retired) return;
      active.inFlight -= 1;
      const answer: HostMessage = { type: "toolResult", runId: message.runId, callId: message.callId, envelope };
      slot.worker.send(answer);
    };
    active.inFlight += 1;
    // The worker already enforces these; the host does not trust it to.
    const refusal = checkCall(active, message);
    if (refusal !== undefined) {
      reply(encodeError(refusal));
      return;
    }
    active.toolCalls += 1;
    void callHost(active.job.host, message, active.job.limits, active.controller.signal).then(reply);
  }

  /** The worker did not answer by the deadline (plus a margin): answer the caller now. */
  private onLate(active: ActiveRun): void {
    if (active.answered) return;
    active.answered = true;
    const { timeoutMs } = active.job.limits;
    this.settle(active, failed({ code: "SANDBOX_TIMEOUT", message: timeoutMessage(timeoutMs), details: { timeoutMs } }, this.stats(active)));
  }

  /** The worker is stuck in something it cannot interrupt: kill and replace it. */
  private onUnresponsive(slot: Slot, active: ActiveRun): void {
    if (slot.active !== active) return;
    const { timeoutMs } = active.job.limits;
    this.answer(active, {
      code: "SANDBOX_TIMEOUT",
      message:
        `The code ran longer than the ${timeoutMs} ms time limit and the sandbox had to be restarted. ` +
        "Do less per execution (smaller data, fewer operations on huge strings or arrays). Operators can raise sandbox.timeoutMs.",
      details: { timeoutMs },
    });
    // A runner that is still listening stops the run itself; the host kills its sandbox in any case.
    slot.worker.send({ type: "cancel", runId: active.runId });
    this.release(slot, active);
    void this.retire(slot);
    this.replace();
  }

  private onExit(slot: Slot, exit: WorkerExit, startupFailure: string | undefined): void {
    if (!this.slots.has(slot)) return;
    const wasReady = slot.ready;
    slot.retired = true;
    this.slots.delete(slot);
    const active = slot.active;
    if (active !== undefined) {
      this.release(slot, active);
      this.answer(active, exit.outOfMemory
        ? {
            code: "SANDBOX_MEMORY",
            message: "The code used more memory than the sandbox worker allows and the sandbox had to be restarted. " +
              "Process data in smaller pieces and return less. Operators can raise sandbox.memoryMb or sandbox.workerMemoryMb.",
          }
        : {
            code: "SANDBOX_CRASHED",
            message: "The sandbox worker stopped unexpectedly while running the code (it has been replaced). " +
              "Run the code again; if it keeps failing, reduce its memory use or simplify it.",
          });
    }
    this.forget(slot);
    if (!wasReady) {
      // A worker that cannot even start will not start next time either: fail what waits for one,
      // unless other workers are up or starting and may take it (a remote runner at capacity
      // refused one more): then nothing is started in its place until one of them is ready.
      this.startupFailures += 1;
      if (this.startupFailures < this.poolSize && [...this.slots].some((other) => !other.retired && other.owner === undefined)) return;
      this.startupFailures = 0;
      this.failQueue(new Error(startupFailure ?? exit.reason));
      return;
    }
    this.replace();
  }

  /** Keeps the pool warm after a worker was killed, crashed or recycled. */
  private replace(): void {
    if (this.closing !== undefined) return;
    if (this.liveSlots() < this.poolSize) this.spawn();
    this.pump();
  }

  private failQueue(cause: unknown): void {
    const reason = scrubHostPaths(cause instanceof Error ? cause.message : String(cause));
    const error = new ToolcodeError(
      "SANDBOX_CRASHED",
      `The ${this.name} sandbox worker could not start: ${reason}. Check the installation (npm run build; for sandbox.engine "isolate", that isolated-vm is installed).`,
      {},
      { cause },
    );
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  /** Ends a run's bookkeeping on its slot (the slot becomes free). */
  private release(slot: Slot, active: ActiveRun): void {
    if (slot.active === active) slot.active = undefined;
    clearTimeout(active.answerTimer);
    clearTimeout(active.killTimer);
    active.controller.abort(new ToolcodeError("SANDBOX_LIMIT", "The execution that made this tool call has ended."));
  }

  /** Answers the caller with an error unless it already has its answer. */
  private answer(active: ActiveRun | undefined, error: ErrorInfo): void {
    if (active === undefined || active.answered) return;
    active.answered = true;
    this.settle(active, failed(error, this.stats(active)));
  }

  private settle(active: ActiveRun, result: RunResult): void {
    clearTimeout(active.answerTimer);
    // Tool calls still running belong to a run whose caller moved on.
    active.controller.abort(new ToolcodeError("SANDBOX_LIMIT", "The execution that made this tool call has ended."));
    active.job.resolve(result);
  }

  private async retire(slot: Slot): Promise<void> {
    slot.retired = true;
    this.slots.delete(slot);
    this.forget(slot);
    await slot.worker.kill();
  }

  /** Drops a gone (or going) worker from the session book and stops its idle timer. */
  private forget(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    if (slot.owner !== undefined) this.sessions?.release(slot.owner, slot);
  }

  /** An idle session sandbox is stopped after `idleMs` without a run. */
  private armIdle(slot: Slot): void {
    const idleMs = this.sessions?.limits.idleMs;
    if (idleMs === undefined) return;
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.active !== undefined || slot.retired) return;
      void this.retire(slot);
      this.pump();
    }, idleMs);
    slot.idleTimer.unref();
  }

  private stats(active: ActiveRun): RunStats {
    return { durationMs: Math.round(performance.now() - active.startedAt), toolCalls: active.toolCalls, sandbox: active.sandbox };
  }
}

/** The host's own check of a tool call the worker forwarded. */
function checkCall(active: ActiveRun, message: ToolCallMessage): ErrorInfo | undefined {
  const { request, limits } = active.job;
  const { server, tool, args } = message;
  if (typeof server !== "string" || typeof tool !== "string" || typeof args !== "string") {
    return { code: "INVALID_ARGUMENTS", message: "Malformed tool call." };
  }
  if (!apiHasTool(request.api, server, tool)) return { code: "TOOL_NOT_FOUND", message: `${server}.${tool} is not a tool.` };
  if (active.toolCalls >= limits.maxToolCalls) {
    return { code: "TOOL_CALL_LIMIT", message: toolCallLimitMessage(limits.maxToolCalls), details: { maxToolCalls: limits.maxToolCalls } };
  }
  if (active.inFlight > limits.maxConcurrentToolCalls) {
    return { code: "SANDBOX_LIMIT", message: `More than ${limits.maxConcurrentToolCalls} tool calls at once.`, details: { limit: "maxConcurrentToolCalls" } };
  }
  const bytes = byteLength(args);
  if (bytes > limits.maxToolArgBytes) {
    return { code: "SANDBOX_LIMIT", message: toolArgsTooLargeMessage(server, tool, bytes, limits.maxToolArgBytes), details: { limit: "maxToolArgBytes" } };
  }
  if (jsonDepthExceeds(args, limits.maxJsonDepth)) {
    return { code: "SANDBOX_LIMIT", message: jsonTooDeepMessage(`The arguments of ${server}.${tool}`, limits.maxJsonDepth), details: { limit: "maxJsonDepth" } };
  }
  return undefined;
}

/** Performs one tool call on the host and encodes the outcome for the guest; never rejects. */
async function callHost(host: SandboxHost, message: ToolCallMessage, limits: ResolvedLimits, signal: AbortSignal): Promise<string> {
  const { server, tool } = message;
  let args: unknown;
  try {
    args = JSON.parse(message.args);
  } catch {
    return encodeError({ code: "INVALID_ARGUMENTS", message: `Arguments for ${server}.${tool} are not valid JSON.` });
  }
  let value: unknown;
  try {
    value = await host.callTool(server, tool, args, signal);
  } catch (error) {
    return encodeError(toErrorInfo(error, "TOOL_ERROR"));
  }
  let text: string | undefined;
  try {
    text = JSON.stringify({ ok: true, value } satisfies ToolEnvelope);
  } catch {
    return encodeError({ code: "TOOL_ERROR", message: `${server}.${tool} returned a value that is not JSON.` });
  }
  const bytes = byteLength(text);
  if (bytes > limits.maxToolResultBytes) {
    return encodeError({
      code: "SANDBOX_LIMIT",
      message: toolResultTooLargeMessage(server, tool, bytes, limits.maxToolResultBytes),
      details: { limit: "maxToolResultBytes", max: limits.maxToolResultBytes, bytes },
    });
  }
  // What cannot fit into the guest's memory is not worth shipping to the worker.
  const fitted = fitEnvelope(text, limits.memoryMb);
  if (fitted !== text) return fitted;
  if (jsonDepthExceeds(text, limits.maxJsonDepth + 2)) {
    return encodeError({
      code: "SANDBOX_LIMIT",
      message: jsonTooDeepMessage(`The result of ${server}.${tool}`, limits.maxJsonDepth),
      details: { limit: "maxJsonDepth", max: limits.maxJsonDepth },
    });
  }
  return text;
}

/** Error envelope text; `details` are copied as plain JSON data (or dropped if they are not JSON). */
function encodeError(info: ErrorInfo): string {
  const error: { code: string; message: string; details?: Record<string, unknown> } = { code: info.code, message: String(info.message) };
  if (info.details !== undefined) {
    try {
      const plain: unknown = JSON.parse(JSON.stringify(info.details));
      if (typeof plain === "object" && plain !== null && !Array.isArray(plain)) error.details = plain as Record<string, unknown>;
    } catch {
      // not JSON: the guest gets code and message only
    }
  }
  return JSON.stringify({ ok: false, error } satisfies ToolEnvelope);
}

function toRunResult(outcome: WorkerOutcome, limits: ResolvedLimits, stats: RunStats): RunResult {
  const logs = Array.isArray(outcome.logs) ? outcome.logs : [];
  if (outcome.ok) {
    if (outcome.value === undefined) return { ok: true, value: undefined, logs, stats };
    const bytes = typeof outcome.value === "string" ? byteLength(outcome.value) : 0;
    if (bytes > limits.maxResultBytes) {
      return {
        ok: false,
        error: { code: "OUTPUT_LIMIT", message: resultTooLargeMessage(bytes, limits.maxResultBytes), details: { limit: "maxResultBytes", max: limits.maxResultBytes, bytes } },
        logs,
        stats,
      };
    }
    if (typeof outcome.value !== "string" || jsonDepthExceeds(outcome.value, limits.maxJsonDepth)) {
      return {
        ok: false,
        error: { code: "OUTPUT_LIMIT", message: jsonTooDeepMessage("The return value", limits.maxJsonDepth), details: { limit: "maxJsonDepth", max: limits.maxJsonDepth } },
        logs,
        stats,
      };
    }
    try {
      return { ok: true, value: JSON.parse(outcome.value) as unknown, logs, stats };
    } catch {
      return { ok: false, error: { code: "INTERNAL", message: "The sandbox returned a result that is not JSON." }, logs, stats };
    }
  }
  if (typeof outcome.error !== "object" || outcome.error === null) {
    return { ok: false, error: { code: "SANDBOX_CRASHED", message: "The sandbox sent a malformed answer." }, logs, stats };
  }
  const { code, message, line, column, details } = outcome.error;
  const error: ErrorInfo & { line?: number; column?: number } = {
    code: typeof code === "string" && ERROR_CODE_PATTERN.test(code) ? (code as ErrorCode) : "GUEST_ERROR",
    message: String(message),
  };
  if (typeof details === "object" && details !== null && !Array.isArray(details)) error.details = details;
  if (typeof line === "number") error.line = line;
  if (typeof column === "number") error.column = column;
  return { ok: false, error, logs, stats };
}

function failed(error: ErrorInfo, stats: RunStats): RunResult {
  return { ok: false, error, logs: [], stats };
}

function zeroStats(): RunStats {
  return { durationMs: 0, toolCalls: 0 };
}

function validateRequest(request: RunRequest): ResolvedLimits {
  if (typeof request.code !== "string") throw new ToolcodeError("INTERNAL", "RunRequest.code must be a string (the output of transpileGuest()).");
  const limits = resolveLimits(request.limits);
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new ToolcodeError("CONFIG_INVALID", `sandbox.${key} must be a positive number (got ${String(value)}).`, { key: `sandbox.${key}` });
    }
  }
  if (limits.timeoutMs > 2_147_000_000) {
    throw new ToolcodeError("CONFIG_INVALID", "sandbox.timeoutMs is too large (at most about 24 days).", { key: "sandbox.timeoutMs" });
  }
  return limits;
}
