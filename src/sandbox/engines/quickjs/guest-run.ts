/**
 * One guest execution on QuickJS: a fresh runtime and context on a capped module, the prelude,
 * the user's function, and the loop that runs promise jobs and feeds tool results back in.
 *
 * Limits enforced here: the deadline (interrupt handler while guest code runs, a timer while it
 * awaits a tool call), memory (`setMemoryLimit` plus the module's capped linear memory), the
 * guest stack (`setMaxStackSize`, clamped to what the native stack can absorb), tool calls
 * (through the shared {@link ToolGate}) and console output ({@link LogSink}).
 *
 * Cleanup order matters (see DESIGN "Traps"): host deferred promises are disposed before the
 * context, and a module whose runtime aborted or overflowed the native stack is never reused.
 *
 * @module
 */
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { BRIDGE_PRELUDE, classifyThrown, fitEnvelope, GUEST_FILE, LogSink, memoryError, moduleFileName, moduleWrapper, neverSettles, parseThrownInfo, PRELUDE_FILE, stackMessage, timeoutError, ToolGate, type EngineErrorTraits, type GuestExecution, type Phase, type RunHooks, type RunMessage, type ThrownInfo, type WorkerError, type WorkerOutcome } from "../../worker/run-kit.js";
import { effectiveStackKb, MAX_GUEST_STACK_KB } from "./limits.js";
import type { CappedModule } from "./quickjs-module.js";

/** What a {@link GuestRun} needs from the worker around it (the module is its own to report on). */
type GuestRunHooks = RunHooks;

/** Promise jobs run between checks of the main promise. */
const JOB_BATCH = 1000;
const MIB = 1_048_576;
/** Linear memory this close to its cap counts as exhausted. */
const MEMORY_SLACK_BYTES = 4 * MIB;

/** One execution of guest code; create, call {@link start}, feed tool results, wait for `done`. */
export class GuestRun implements GuestExecution {
  private rt: QuickJSRuntime | undefined;
  private ctx: QuickJSContext | undefined;
  private load: QuickJSHandle | undefined;
  private serialize: QuickJSHandle | undefined;
  private describe: QuickJSHandle | undefined;
  private main: QuickJSHandle | undefined;
  private readonly deferreds = new Set<QuickJSDeferredPromise>();
  private readonly pending = new Map<number, QuickJSDeferredPromise>();
  private readonly gate: ToolGate;
  private readonly logs: LogSink;
  private deadline = 0;
  private interrupted = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly traits: EngineErrorTraits;
  private readonly stackKb: number;

  constructor(
    private readonly capped: CappedModule,
    private readonly request: RunMessage,
    private readonly hooks: GuestRunHooks,
    private readonly maxStackKb: number = MAX_GUEST_STACK_KB,
    private readonly prepared?: PreparedContext,
  ) {
    const stackKb = effectiveStackKb(request.limits.maxStackKb, maxStackKb);
    this.stackKb = stackKb;
    this.traits = {
      stackKb,
      maxStackKb,
      // InternalError from calls; SyntaxError from the parser or JSON.parse on deep nesting.
      isStackOverflow: (info) => info.message === "stack overflow",
      isOutOfMemory: (info) => info.name === "InternalError" && info.message === "out of memory",
      isInterrupt: (info) => info.name === "InternalError" && info.message === "interrupted",
    };
    this.logs = new LogSink(request.limits.maxLogBytes);
    this.gate = new ToolGate(request.api, request.limits, (callId, server, tool, args) => hooks.callTool(callId, server, tool, args));
  }

  /** Creates the runtime, evaluates prelude and guest, and runs until the guest awaits a tool call or ends. */
  start(): void {
    const { limits } = this.request;
    this.deadline = Date.now() + limits.timeoutMs;
    this.timer = setTimeout(() => this.onDeadline(), limits.timeoutMs + 1);
    this.guard(() => {
      const prepared = this.prepared !== undefined && this.prepared.capped === this.capped ? this.prepared : undefined;
      if (this.prepared !== undefined && prepared === undefined) disposePrepared(this.prepared);
      const rt = prepared?.rt ?? this.capped.module.newRuntime();
      this.rt = rt;
      rt.setMemoryLimit(limits.memoryMb * MIB);
      rt.setMaxStackSize(this.stackKb * 1024);
      rt.setInterruptHandler(() => {
        if (Date.now() <= this.deadline) return false;
        this.interrupted = true;
        return true;
      });
      const ctx = prepared?.ctx ?? rt.newContext();
      this.ctx = ctx;
      if (!this.installPrelude(ctx, prepared?.setup)) return;
      const compiled = ctx.evalCode(this.request.code, GUEST_FILE, { type: "global" });
      if (compiled.error) return this.failWith(compiled.error, "compile");
      const fn = compiled.value;
      if (ctx.typeof(fn) !== "function") {
        fn.dispose();
        return this.finish(this.failure({
          code: "INTERNAL",
          message: "RunRequest.code must evaluate to a function; pass the output of transpileGuest().",
        }), true);
      }
      const exportsObject = ctx.newObject();
      const called = ctx.callFunction(fn, ctx.undefined, this.load ?? ctx.undefined, exportsObject);
      fn.dispose();
      exportsObject.dispose();
      if (called.error) return this.failWith(called.error, "run");
      this.main = called.value;
      this.pump();
    });
  }

  /** Delivers the host's answer (JSON text of a {@link ToolEnvelope}) to a pending tool call. */
  resolveToolCall(callId: number, envelope: string): void {
    if (this.finished) return;
    const deferred = this.pending.get(callId);
    if (deferred === undefined) return;
    this.pending.delete(callId);
    this.gate.answered(callId);
    this.guard(() => {
      this.settle(deferred, fitEnvelope(envelope, this.request.limits.memoryMb));
      this.pump();
    });
  }

  /** Evaluates the prelude and keeps its `load`, `serialize` and `describe` functions. */
  private installPrelude(ctx: QuickJSContext, prepared: QuickJSHandle | undefined): boolean {
    let setup = prepared;
    if (setup === undefined) {
      const evaluated = ctx.evalCode(BRIDGE_PRELUDE, PRELUDE_FILE, { type: "global" });
      if (evaluated.error) {
        this.failWith(evaluated.error, "run");
        return false;
      }
      setup = evaluated.value;
    }
    const hostCall = ctx.newFunction("call", (serverHandle, toolHandle, argsHandle) =>
      this.onToolCall(ctx, serverHandle, toolHandle, argsHandle),
    );
    const hostLog = ctx.newFunction("log", (levelHandle, messageHandle) =>
      this.logs.append(this.stringOf(ctx, levelHandle), this.stringOf(ctx, messageHandle)) ? ctx.true : ctx.false,
    );
    const modules = this.request.api.modules ?? {};
    const apiJson = ctx.newString(JSON.stringify({ globals: this.request.api.globals, hidden: this.request.api.hidden, modules: Object.keys(modules), maxJsonDepth: this.request.limits.maxJsonDepth }));
    const hostCompile = ctx.newFunction("compile", (nameHandle) => {
      const name = this.stringOf(ctx, nameHandle);
      const source = Object.hasOwn(modules, name) ? modules[name] : undefined;
      if (source === undefined) return { error: ctx.newError(`Cannot find module '${name}'.`) };
      const compiled = ctx.evalCode(moduleWrapper(source), moduleFileName(name), { type: "global" });
      if (compiled.error) return { error: compiled.error };
      return compiled.value;
    });
    const result = ctx.callFunction(setup, ctx.undefined, hostCall, hostLog, apiJson, hostCompile);
    setup.dispose();
    hostCall.dispose();
    hostLog.dispose();
    hostCompile.dispose();
    apiJson.dispose();
    if (result.error) {
      this.failWith(result.error, "run");
      return false;
    }
    this.load = ctx.getProp(result.value, "load");
    this.serialize = ctx.getProp(result.value, "serialize");
    this.describe = ctx.getProp(result.value, "describe");
    result.value.dispose();
    return true;
  }

  private onToolCall(ctx: QuickJSContext, serverHandle: QuickJSHandle, toolHandle: QuickJSHandle, argsHandle: QuickJSHandle): QuickJSHandle {
    const server = this.stringOf(ctx, serverHandle);
    const tool = this.stringOf(ctx, toolHandle);
    const args = this.stringOf(ctx, argsHandle);
    const deferred = ctx.newPromise();
    this.deferreds.add(deferred);
    const decision = this.gate.call(server, tool, args);
    if ("envelope" in decision) this.settle(deferred, decision.envelope);
    else this.pending.set(decision.callId, deferred);
    // The bridge takes ownership of the returned handle; the deferred keeps its resolvers.
    return deferred.handle;
  }

  /**
   * Resolves a tool call's promise with envelope text. Resolving frees the deferred's resolver
   * handles; its promise handle was handed to QuickJS (which freed our reference), so nothing
   * else is left to dispose.
   */
  private settle(deferred: QuickJSDeferredPromise, envelope: string): void {
    const ctx = this.context();
    const text = ctx.newString(envelope);
    deferred.resolve(text);
    text.dispose();
    this.deferreds.delete(deferred);
  }

  /** Runs promise jobs until the main promise settles or the guest waits on the host. */
  private pump(): void {
    const rt = this.runtime();
    const ctx = this.context();
    const main = this.main;
    if (main === undefined) return;
    while (!this.finished) {
      const jobs = rt.executePendingJobs(JOB_BATCH);
      if (jobs.error) return this.failWith(jobs.error, "run");
      const state = ctx.getPromiseState(main);
      if (state.type === "fulfilled") return this.finishWithValue(state.value);
      if (state.type === "rejected") return this.failWith(state.error, "run");
      if (rt.hasPendingJob()) continue;
      if (this.gate.pending > 0) return; // wait for the host (or the deadline timer)
      return this.finish(this.failure(neverSettles()), true);
    }
  }

  /** Finishes with the guest's return value (the handle is disposed here, before the context). */
  private finishWithValue(value: QuickJSHandle): void {
    const ctx = this.context();
    const serialize = this.serialize;
    if (serialize === undefined) return;
    const result = ctx.callFunction(serialize, ctx.undefined, value);
    value.dispose();
    if (result.error) return this.failWith(result.error, "run");
    const json = ctx.typeof(result.value) === "string" ? ctx.getString(result.value) : undefined;
    result.value.dispose();
    const outcome: WorkerOutcome = { ok: true, logs: this.logs.entries, toolCalls: this.gate.accepted };
    if (json !== undefined) outcome.value = json;
    this.finish(outcome, true);
  }

  /** Finishes with an error built from a guest exception handle (which it disposes). */
  private failWith(errorHandle: QuickJSHandle, phase: Phase): void {
    const { error, healthy } = this.describeThrown(errorHandle, phase);
    if (errorHandle.alive) errorHandle.dispose();
    this.finish(this.failure(error), healthy);
  }

  private describeThrown(errorHandle: QuickJSHandle, phase: Phase): { error: WorkerError; healthy: boolean } {
    const ctx = this.context();
    const { limits } = this.request;
    if (this.interrupted) return { error: timeoutError(limits.timeoutMs), healthy: true };
    const describe = this.describe;
    let info: ThrownInfo | undefined;
    if (describe !== undefined) {
      const described = ctx.callFunction(describe, ctx.undefined, errorHandle);
      if (described.error) {
        described.error.dispose();
      } else {
        info = parseThrownInfo(ctx.typeof(described.value) === "string" ? ctx.getString(described.value) : "");
        described.value.dispose();
      }
    } else {
      // Only the prelude itself can fail before `describe` exists (e.g. a tiny memory limit).
      info = { isError: true, name: "InternalError", message: String(ctx.dump(errorHandle)), stack: "" };
    }
    if (this.interrupted) return { error: timeoutError(limits.timeoutMs), healthy: true };
    if (info === undefined) {
      if (this.memoryExhausted()) return { error: memoryError(limits.memoryMb), healthy: false };
      return { error: { code: "GUEST_ERROR", message: "The code threw an exception that could not be described." }, healthy: true };
    }
    if (!info.isError && info.message === "Uncaught null" && this.memoryExhausted()) {
      // QuickJS throws `null` when it runs out of memory while already handling an out-of-memory error.
      return { error: memoryError(limits.memoryMb), healthy: false };
    }
    return classifyThrown(info, phase, this.source(), this.traits);
  }

  private source(): { code: string; lineOffset: number; api: RunMessage["api"]; timeoutMs: number; memoryMb: number } {
    const { code, lineOffset, api, limits } = this.request;
    return { code, lineOffset, api, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb };
  }

  private onDeadline(): void {
    if (this.finished) return;
    this.interrupted = true;
    this.finish(this.failure(timeoutError(this.request.limits.timeoutMs)), true);
  }

  /** Runs host-side QuickJS calls; any exception there means the runtime is no longer trustworthy. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.finish(this.failure(this.hostFailure(error)), false);
    }
  }

  private hostFailure(error: unknown): WorkerError {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      return { code: "SANDBOX_STACK", message: stackMessage(this.stackKb, this.maxStackKb) };
    }
    const { limits } = this.request;
    if (this.interrupted) return timeoutError(limits.timeoutMs);
    if (this.memoryExhausted()) return memoryError(limits.memoryMb);
    return {
      code: "SANDBOX_CRASHED",
      message: "The sandbox runtime failed while running the code and was replaced. Run the code again; if it keeps failing, simplify it.",
    };
  }

  private finish(outcome: WorkerOutcome, healthy: boolean): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    const moduleHealthy = healthy && this.dispose();
    this.hooks.done(outcome, moduleHealthy);
  }

  /** Frees everything this run allocated; false if QuickJS failed doing so (drop the module). */
  private dispose(): boolean {
    try {
      for (const deferred of this.deferreds) if (deferred.alive) deferred.dispose();
      this.deferreds.clear();
      this.pending.clear();
      for (const handle of [this.main, this.load, this.serialize, this.describe]) if (handle?.alive) handle.dispose();
      this.ctx?.dispose();
      this.rt?.dispose();
      return true;
    } catch {
      return false;
    }
  }

  private failure(error: WorkerError): WorkerOutcome {
    return { ok: false, error, logs: this.logs.entries, toolCalls: this.gate.accepted };
  }

  private memoryExhausted(): boolean {
    return this.capped.memory.buffer.byteLength >= this.capped.maxBytes - MEMORY_SLACK_BYTES;
  }

  private stringOf(ctx: QuickJSContext, handle: QuickJSHandle): string {
    return ctx.typeof(handle) === "string" ? ctx.getString(handle) : "";
  }

  private context(): QuickJSContext {
    if (this.ctx === undefined) throw new Error("QuickJS context not created");
    return this.ctx;
  }

  private runtime(): QuickJSRuntime {
    if (this.rt === undefined) throw new Error("QuickJS runtime not created");
    return this.rt;
  }
}

/**
 * A runtime and context with the bridge prelude already compiled, made while the worker is idle
 * so that a run starts without parsing the prelude. Used by at most one run, then disposed with it.
 */
export interface PreparedContext {
  capped: CappedModule;
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  /** The prelude's setup function (not yet called: it takes the run's API). */
  setup: QuickJSHandle;
}

/** Prepares the next run's context; undefined if QuickJS fails (the run then makes its own). */
export function prepareContext(capped: CappedModule): PreparedContext | undefined {
  let rt: QuickJSRuntime | undefined;
  try {
    rt = capped.module.newRuntime();
    const ctx = rt.newContext();
    const evaluated = ctx.evalCode(BRIDGE_PRELUDE, PRELUDE_FILE, { type: "global" });
    if (evaluated.error) {
      evaluated.error.dispose();
      ctx.dispose();
      rt.dispose();
      return undefined;
    }
    return { capped, rt, ctx, setup: evaluated.value };
  } catch {
    try {
      rt?.dispose();
    } catch {
      // the module is then replaced on the next failure
    }
    return undefined;
  }
}

/** Frees a prepared context nobody used. */
function disposePrepared(prepared: PreparedContext): void {
  try {
    if (prepared.setup.alive) prepared.setup.dispose();
    prepared.ctx.dispose();
    prepared.rt.dispose();
  } catch {
    // ignore: the module is dropped if it is damaged
  }
}
