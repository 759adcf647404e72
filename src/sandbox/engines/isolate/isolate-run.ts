/**
 * One guest execution in a fresh V8 isolate (`isolated-vm`), run from a sandbox worker process.
 *
 * The isolate runs on isolated-vm's own threads; this worker's event loop stays free, so a
 * watchdog timer disposes the isolate at the deadline whatever the guest is doing (isolated-vm's
 * own `timeout` misses code that runs after an `await`). The isolate's heap is capped at
 * `memoryMb` (isolated-vm disposes it when the guest exceeds that).
 *
 * The bridge is the same prelude as QuickJS's (../../guest/bridge-prelude.ts) behind three synchronous
 * callbacks that take and return strings and numbers only: tool calls, console lines and module
 * sources. Host functions never throw into the isolate and are never async (an async host
 * function that throws crashes Node on isolated-vm 5), so failures travel as error envelopes.
 *
 * @module
 */
import { BRIDGE_PRELUDE, classifyThrown, fitEnvelope, GUEST_FILE, LogSink, memoryError, moduleFileName, moduleWrapper, neverSettles, parseThrownInfo, PRELUDE_FILE, timeoutError, ToolGate, type EngineErrorTraits, type GuestExecution, type Phase, type RunHooks, type RunMessage, type ThrownInfo, type WorkerError, type WorkerOutcome } from "../../worker/run-kit.js";
import type { IvmContext, IvmIsolate, IvmModule, IvmReference, IvmScript } from "./ivm-types.js";


/**
 * Evaluates to `(callCb, logCb, sourceCb, doneCb, apiJson) => { start(main), deliver(id, envelope) }`.
 * Tool calls return a promise settled by `deliver`; `start` runs the guest's function and
 * reports its outcome through `doneCb(kind, text)` (`kind` "ok" with JSON text or undefined, or
 * "error" with the prelude's description of what was thrown).
 */
const BOOT_SOURCE = `(function (callCb, logCb, sourceCb, doneCb, apiJson) {
  "use strict";
  var PromiseCtor = Promise;
  var promiseThen = Function.prototype.call.bind(Promise.prototype.then);
  var ErrorCtor = Error;
  var indirectEval = eval;
  var waiting = Object.create(null);
  function hostCall(server, tool, args) {
    var answer = callCb(server, tool, args);
    return new PromiseCtor(function (resolve) {
      if (typeof answer === "string") resolve(answer);
      else waiting[answer] = resolve;
    });
  }
  function hostLog(level, message) { return logCb(level, message); }
  function hostCompile(name) {
    var source = sourceCb(name);
    if (typeof source !== "string") throw new ErrorCtor("Cannot find module '" + name + "'.");
    return indirectEval(source);
  }
  var bridge = (${BRIDGE_PRELUDE})(hostCall, hostLog, apiJson, hostCompile);
  var reported = false;
  function report(kind, text) {
    if (reported) return;
    reported = true;
    doneCb(kind, text);
  }
  function fail(error) { report("error", bridge.describe(error)); }
  return {
    start: function (main) {
      var result;
      try { result = main(bridge.load, {}); } catch (error) { fail(error); return; }
      promiseThen(result, function (value) {
        var json;
        try { json = bridge.serialize(value); } catch (error) { fail(error); return; }
        report("ok", json);
      }, fail);
    },
    deliver: function (id, envelope) {
      var resolve = waiting[id];
      if (resolve === undefined) return;
      delete waiting[id];
      resolve(envelope);
    }
  };
})`;

const MIN_ISOLATE_MB = 8;

/** Compile cache shared by the runs of one worker (V8 code cache of the boot script). */
export interface BootCache {
  cachedData?: unknown;
}

/**
 * An isolate with its context and the bridge's boot script already run, made while the worker
 * is idle so a run starts without creating them. Used by at most one run.
 */
export interface PreparedIsolate {
  isolate: IvmIsolate;
  context: IvmContext;
  /** The boot function (not yet called: it takes the run's callbacks and API). */
  setup: IvmReference;
  /** The isolate's heap cap in MiB. */
  memoryMb: number;
  /** Where isolated-vm's catastrophic-error callback is routed (the run using the isolate). */
  catastrophe: { handler?: (message: string) => void };
}

/** Creates an isolate and context and runs the boot script in it (with V8's code cache). */
export async function prepareIsolate(ivm: IvmModule, memoryMb: number, cache: BootCache): Promise<PreparedIsolate> {
  const catastrophe: PreparedIsolate["catastrophe"] = {};
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: (message) => catastrophe.handler?.(message) });
  try {
    const context = await isolate.createContext();
    let boot: IvmScript & { cachedData?: unknown };
    if (cache.cachedData !== undefined) {
      boot = await isolate.compileScript(BOOT_SOURCE, { filename: PRELUDE_FILE, cachedData: cache.cachedData });
    } else {
      boot = await isolate.compileScript(BOOT_SOURCE, { filename: PRELUDE_FILE, produceCachedData: true });
      if (boot.cachedData !== undefined) cache.cachedData = boot.cachedData;
    }
    const setup = await boot.run(context, { reference: true });
    return { isolate, context, setup, memoryMb, catastrophe };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/** Frees a prepared isolate nobody used. */
export function disposeIsolate(prepared: PreparedIsolate): void {
  try {
    if (!prepared.isolate.isDisposed) prepared.isolate.dispose();
  } catch {
    // already gone
  }
}

/** One execution in its own isolate; create, {@link start}, feed tool results, wait for `done`. */
export class IsolateRun implements GuestExecution {
  private isolate: IvmIsolate | undefined;
  private deliverRef: IvmReference | undefined;
  private readonly gate: ToolGate;
  private readonly logs: LogSink;
  private readonly traits: EngineErrorTraits;
  private finished = false;
  private timedOut = false;
  private catastrophic = false;
  private delivering = 0;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly ivm: IvmModule,
    private readonly request: RunMessage,
    private readonly hooks: RunHooks,
    private readonly cache: BootCache,
    private readonly prepared?: Promise<PreparedIsolate | undefined>,
  ) {
    this.logs = new LogSink(request.limits.maxLogBytes);
    this.gate = new ToolGate(request.api, request.limits, (callId, server, tool, args) => hooks.callTool(callId, server, tool, args));
    this.traits = {
      // V8 sizes its own stack; maxStackKb does not apply to this engine.
      stackKb: undefined,
      isStackOverflow: (info) => info.name === "RangeError" && info.message === "Maximum call stack size exceeded",
      isOutOfMemory: (info) =>
        info.name === "RangeError" && (info.message === "Array buffer allocation failed" || info.message === "Invalid string length"),
      isInterrupt: () => false,
    };
  }

  /** Creates the isolate, installs the bridge, compiles and starts the guest. */
  async start(): Promise<void> {
    const { limits, code, api } = this.request;
    this.watchdog = setTimeout(() => this.onDeadline(), limits.timeoutMs);
    try {
      const isolateMb = Math.max(MIN_ISOLATE_MB, limits.memoryMb);
      // The watchdog already runs: a slow spare counts against the guest's time, not after it.
      let prepared = this.prepared === undefined ? undefined : await this.prepared;
      if (prepared !== undefined && prepared.memoryMb !== isolateMb) {
        disposeIsolate(prepared);
        prepared = undefined;
      }
      prepared ??= await prepareIsolate(this.ivm, isolateMb, this.cache);
      // V8 lost control of the isolate (e.g. one allocation far beyond any heap): report it and
      // let the worker process be replaced, as isolated-vm advises.
      prepared.catastrophe.handler = (message) => {
        this.catastrophic = true;
        const error = /memory/i.test(message) ? memoryError(limits.memoryMb) : { code: "SANDBOX_CRASHED", message: crashedMessage() };
        this.finish(this.failure(error), false);
      };
      const { isolate, context, setup } = prepared;
      this.isolate = isolate;
      if (this.finished) {
        // Ended (deadline) while the isolate was being made: nobody else will free it.
        disposeIsolate(prepared);
        return;
      }
      const modules = api.modules ?? {};
      const callbacks = [
        new this.ivm.Callback((server: string, tool: string, args: string) => this.onToolCall(server, tool, args)),
        new this.ivm.Callback((level: string, message: string) => this.logs.append(String(level), String(message))),
        new this.ivm.Callback((name: string) => {
          const key = String(name);
          const source = Object.hasOwn(modules, key) ? modules[key] : undefined;
          return source === undefined ? null : `${moduleWrapper(source)}\n//# sourceURL=${moduleFileName(key)}`;
        }),
        new this.ivm.Callback((kind: string, text: string | undefined) => this.onGuestDone(kind, text)),
      ];
      const apiJson = JSON.stringify({ globals: api.globals, hidden: api.hidden, modules: Object.keys(modules), maxJsonDepth: limits.maxJsonDepth });
      const bridge = (await setup.apply(undefined, [...callbacks, apiJson], { result: { reference: true } })) as IvmReference;
      const start = await bridge.get("start", { reference: true });
      this.deliverRef = await bridge.get("deliver", { reference: true });
      let main: IvmReference;
      try {
        const script = await isolate.compileScript(code, { filename: GUEST_FILE });
        main = await script.run(context, { reference: true });
      } catch (error) {
        return this.failWithHostError(error, "compile");
      }
      if (this.finished) return;
      await start.apply(undefined, [main.derefInto()]);
      this.checkSettled();
    } catch (error) {
      this.failWithHostError(error, "run");
    }
  }

  /** Delivers the host's answer (JSON text of a `ToolEnvelope`) to a pending tool call. */
  resolveToolCall(callId: number, envelope: string): void {
    if (this.finished || !this.gate.answered(callId)) return;
    const deliver = this.deliverRef;
    if (deliver === undefined) return;
    this.delivering += 1;
    deliver.apply(undefined, [callId, fitEnvelope(envelope, this.request.limits.memoryMb)]).then(
      () => {
        this.delivering -= 1;
        this.checkSettled();
      },
      (error: unknown) => {
        this.delivering -= 1;
        this.failWithHostError(error, "run");
      },
    );
  }

  /** Sync callback: returns the refusal envelope (string) or the call's id (number). */
  private onToolCall(server: unknown, tool: unknown, args: unknown): string | number {
    if (this.finished) {
      return JSON.stringify({ ok: false, error: { code: "SANDBOX_LIMIT", message: "The execution has ended." } });
    }
    const decision = this.gate.call(String(server), String(tool), typeof args === "string" ? args : "{}");
    return "envelope" in decision ? decision.envelope : decision.callId;
  }

  /** Sync callback: the guest's main promise settled. */
  private onGuestDone(kind: unknown, text: unknown): void {
    if (this.finished) return;
    if (kind === "ok") {
      const outcome: WorkerOutcome = { ok: true, logs: this.logs.entries, toolCalls: this.gate.accepted };
      if (typeof text === "string") outcome.value = text;
      this.finish(outcome, true);
      return;
    }
    const info = parseThrownInfo(typeof text === "string" ? text : "");
    const error: WorkerError = info === undefined
      ? { code: "GUEST_ERROR", message: "The code threw an exception that could not be described." }
      : classifyThrown(info, "run", this.source(), this.traits).error;
    this.finish(this.failure(error), true);
  }

  /** After the isolate went idle: a guest with nothing in flight whose promise is pending never finishes. */
  private checkSettled(): void {
    if (this.finished || this.delivering > 0 || this.gate.pending > 0) return;
    this.finish(this.failure(neverSettles()), true);
  }

  private failWithHostError(error: unknown, phase: Phase): void {
    if (this.finished) return;
    const { limits } = this.request;
    if (this.timedOut) return this.finish(this.failure(timeoutError(limits.timeoutMs)), false);
    const message = error instanceof Error ? error.message : String(error);
    if (/memory limit/i.test(message) || (this.isolate?.isDisposed === true && !this.catastrophic)) {
      return this.finish(this.failure(memoryError(limits.memoryMb)), false);
    }
    if (phase === "compile") {
      const info = compileErrorInfo(error);
      if (info !== undefined) return this.finish(this.failure(classifyThrown(info, "compile", this.source(), this.traits).error), true);
    }
    this.finish(this.failure({ code: "SANDBOX_CRASHED", message: crashedMessage() }), !this.catastrophic);
  }

  /**
   * The deadline passed. Disposing an isolate that is busy (collecting garbage near its heap cap,
   * say) can block this thread for seconds, so the worker is not reused: it reports, exits, and the
   * host starts a fresh one.
   */
  private onDeadline(): void {
    if (this.finished) return;
    this.timedOut = true;
    this.finish(this.failure(timeoutError(this.request.limits.timeoutMs)), false);
  }

  private finish(outcome: WorkerOutcome, reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.watchdog);
    const isolate = this.isolate;
    this.hooks.done(outcome, reusable);
    // The worker exits instead (see onDeadline); otherwise never dispose from inside one of the
    // isolate's own callbacks: defer it one turn.
    if (!reusable) return;
    setImmediate(() => {
      try {
        if (isolate !== undefined && !isolate.isDisposed) isolate.dispose();
      } catch {
        // already gone
      }
    });
  }

  private failure(error: WorkerError): WorkerOutcome {
    return { ok: false, error, logs: this.logs.entries, toolCalls: this.gate.accepted };
  }

  private source(): { code: string; lineOffset: number; api: RunMessage["api"]; timeoutMs: number; memoryMb: number } {
    const { code, lineOffset, api, limits } = this.request;
    return { code, lineOffset, api, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb };
  }
}

/** A compile error from isolated-vm (`message [guest.js:line:column]`) as the prelude would describe it. */
function compileErrorInfo(error: unknown): ThrownInfo | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = /^(.*) \[guest\.js:(\d+):(\d+)\]$/s.exec(error.message);
  if (match === null) return undefined;
  return { isError: true, name: error.name, message: match[1] ?? "", stack: `${GUEST_FILE}:${match[2]}:${match[3]}` };
}

function crashedMessage(): string {
  return "The sandbox isolate failed while running the code and was replaced. Run the code again; if it keeps failing, simplify it.";
}
