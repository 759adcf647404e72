/**
 * One guest execution inside a worker thread: a fresh QuickJS runtime and context on a capped
 * module, the prelude, the user's function, and the loop that runs promise jobs and feeds tool
 * results back in.
 *
 * Limits enforced here: the deadline (interrupt handler while guest code runs, a timer while it
 * awaits a tool call), memory (`setMemoryLimit` plus the module's capped linear memory), the
 * guest stack (`setMaxStackSize`, clamped to what the worker's native stack can absorb), tool
 * calls (`maxToolCalls`) and console output (`maxLogBytes`).
 *
 * Cleanup order matters (see DESIGN "Traps"): host deferred promises are disposed before the
 * context, and a module whose runtime aborted or overflowed the native stack is never reused.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import type { LogEntry } from "../engine.js";
import { codeExcerpt } from "../code-excerpt.js";
import { BRIDGE_PRELUDE } from "./bridge-prelude.js";
import {
  effectiveStackKb,
  logTruncatedMessage,
  memoryMessage,
  stackMessage,
  timeoutMessage,
  toolCallLimitMessage,
} from "./limits.js";
import type { RunMessage, ToolEnvelope, WorkerError, WorkerOutcome } from "./protocol.js";
import type { CappedModule } from "./quickjs-module.js";

/** What a {@link GuestRun} needs from the worker around it. */
export interface GuestRunHooks {
  /** Forward a tool call to the host; the answer comes back through {@link GuestRun.resolveToolCall}. */
  callTool(callId: number, server: string, tool: string, args: string): void;
  /** The run ended. `moduleHealthy` false means the module must not be reused. Called once. */
  done(outcome: WorkerOutcome, moduleHealthy: boolean): void;
}

/** File name guest frames carry in stack traces (no host paths ever appear there). */
const GUEST_FILE = "guest.js";
const PRELUDE_FILE = "toolcode-prelude.js";
/** Promise jobs run between checks of the main promise. */
const JOB_BATCH = 1000;
const MIB = 1_048_576;
/** Linear memory this close to its cap counts as exhausted. */
const MEMORY_SLACK_BYTES = 4 * MIB;
const LOG_LEVELS: ReadonlySet<string> = new Set(["log", "info", "warn", "error", "debug"]);
/** Globals people expect from Node or browsers that the sandbox deliberately lacks. */
const UNAVAILABLE_GLOBALS: ReadonlySet<string> = new Set([
  "fetch", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask",
  "process", "require", "module", "Buffer", "XMLHttpRequest", "WebSocket", "__dirname", "__filename", "Deno", "Bun",
]);

/** What the prelude's `describe` reports about a thrown value. */
interface ThrownInfo {
  isError: boolean;
  name: string;
  message: string;
  stack: string;
  code?: string;
  details?: Record<string, unknown>;
  referenceError?: boolean;
}

type Phase = "compile" | "run";

/** One execution of guest code; create, call {@link start}, feed tool results, wait for `done`. */
export class GuestRun {
  private rt: QuickJSRuntime | undefined;
  private ctx: QuickJSContext | undefined;
  private load: QuickJSHandle | undefined;
  private serialize: QuickJSHandle | undefined;
  private describe: QuickJSHandle | undefined;
  private main: QuickJSHandle | undefined;
  private readonly deferreds = new Set<QuickJSDeferredPromise>();
  private readonly pending = new Map<number, QuickJSDeferredPromise>();
  private nextCallId = 0;
  private toolCalls = 0;
  private attemptedCalls = 0;
  private readonly logs: LogEntry[] = [];
  private logBytes = 0;
  private logsFull = false;
  private deadline = 0;
  private interrupted = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly stackKb: number;

  constructor(
    private readonly capped: CappedModule,
    private readonly request: RunMessage,
    private readonly hooks: GuestRunHooks,
  ) {
    this.stackKb = effectiveStackKb(request.limits.maxStackKb);
  }

  /** Creates the runtime, evaluates prelude and guest, and runs until the guest awaits a tool call or ends. */
  start(): void {
    const { limits } = this.request;
    this.deadline = Date.now() + limits.timeoutMs;
    this.timer = setTimeout(() => this.onDeadline(), limits.timeoutMs + 1);
    this.guard(() => {
      const rt = this.capped.module.newRuntime();
      this.rt = rt;
      rt.setMemoryLimit(limits.memoryMb * MIB);
      rt.setMaxStackSize(this.stackKb * 1024);
      rt.setInterruptHandler(() => {
        if (Date.now() <= this.deadline) return false;
        this.interrupted = true;
        return true;
      });
      const ctx = rt.newContext();
      this.ctx = ctx;
      if (!this.installPrelude(ctx)) return;
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
    this.guard(() => {
      let text = envelope;
      if (Buffer.byteLength(text, "utf8") > (this.request.limits.memoryMb * MIB) / 2) {
        text = JSON.stringify({
          ok: false,
          error: {
            code: "SANDBOX_MEMORY",
            message: `The tool result is too large for the sandbox's ${this.request.limits.memoryMb} MiB memory. ` +
              "Ask the tool for less (filters, pagination, fewer fields).",
          },
        } satisfies ToolEnvelope);
      }
      this.settle(deferred, text);
      this.pump();
    });
  }

  /** Evaluates the prelude and keeps its `load`, `serialize` and `describe` functions. */
  private installPrelude(ctx: QuickJSContext): boolean {
    const evaluated = ctx.evalCode(BRIDGE_PRELUDE, PRELUDE_FILE, { type: "global" });
    if (evaluated.error) {
      this.failWith(evaluated.error, "run");
      return false;
    }
    const setup = evaluated.value;
    const hostCall = ctx.newFunction("call", (serverHandle, toolHandle, argsHandle) =>
      this.onToolCall(ctx, serverHandle, toolHandle, argsHandle),
    );
    const hostLog = ctx.newFunction("log", (levelHandle, messageHandle) => {
      const level = this.stringOf(ctx, levelHandle);
      const message = this.stringOf(ctx, messageHandle);
      return this.appendLog(LOG_LEVELS.has(level) ? (level as LogEntry["level"]) : "log", message) ? ctx.true : ctx.false;
    });
    const modules = this.request.api.modules ?? {};
    const apiJson = ctx.newString(JSON.stringify({ globals: this.request.api.globals, modules: Object.keys(modules) }));
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
    this.attemptedCalls += 1;
    const { limits, api } = this.request;
    const tools = Object.hasOwn(api.globals, server) ? api.globals[server] : undefined;
    let refusal: ToolEnvelope | undefined;
    if (tools === undefined || !tools.includes(tool)) {
      refusal = { ok: false, error: { code: "TOOL_NOT_FOUND", message: `${server}.${tool} is not a tool.` } };
    } else if (this.toolCalls >= limits.maxToolCalls) {
      refusal = {
        ok: false,
        error: { code: "TOOL_CALL_LIMIT", message: toolCallLimitMessage(limits.maxToolCalls), details: { maxToolCalls: limits.maxToolCalls } },
      };
    }
    if (refusal !== undefined) {
      this.settle(deferred, JSON.stringify(refusal));
    } else {
      this.toolCalls += 1;
      const callId = ++this.nextCallId;
      this.pending.set(callId, deferred);
      this.hooks.callTool(callId, server, tool, args);
    }
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
      if (this.pending.size > 0) return; // wait for the host (or the deadline timer)
      return this.finish(this.failure({
        code: "GUEST_ERROR",
        message:
          "The code is waiting for a promise that can never settle (no tool call is in flight). " +
          "Await tool calls; the sandbox has no timers or I/O of its own.",
      }), true);
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
    const outcome: WorkerOutcome = { ok: true, logs: this.logs, toolCalls: this.toolCalls };
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
    if (this.interrupted) return { error: this.timeoutError(), healthy: true };
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
    if (this.interrupted) return { error: this.timeoutError(), healthy: true };
    if (info === undefined) {
      if (this.memoryExhausted()) return { error: this.memoryError(), healthy: false };
      return { error: { code: "GUEST_ERROR", message: "The code threw an exception that could not be described." }, healthy: true };
    }
    return this.classify(info, phase);
  }

  private classify(info: ThrownInfo, phase: Phase): { error: WorkerError; healthy: boolean } {
    const loc = this.userLocation(info.stack);
    const where = loc === undefined ? "" : ` (at line ${loc.line}:${loc.column})`;
    const withLoc = (error: WorkerError): WorkerError => (loc === undefined ? error : { ...error, line: loc.line, column: loc.column });

    if (info.code !== undefined && /^[A-Z][A-Z_]*$/.test(info.code)) {
      const error: WorkerError = { code: info.code, message: `${info.message}${where}` };
      if (info.details !== undefined) error.details = info.details;
      return { error: withLoc(error), healthy: true };
    }
    if (info.isError && info.message === "stack overflow") {
      // InternalError from calls; SyntaxError from the parser or JSON.parse on deep nesting.
      return { error: withLoc({ code: "SANDBOX_STACK", message: `${stackMessage(this.stackKb)}${where}` }), healthy: true };
    }
    if (info.isError && info.name === "InternalError") {
      if (info.message === "out of memory") return { error: withLoc(this.memoryError(where)), healthy: false };
      if (info.message === "interrupted") return { error: this.timeoutError(), healthy: true };
    }
    if (!info.isError && info.message === "Uncaught null" && this.memoryExhausted()) {
      // QuickJS throws `null` when it runs out of memory while already handling an out-of-memory error.
      return { error: this.memoryError(), healthy: false };
    }
    if (info.isError && info.name === "SyntaxError" && phase === "compile") {
      let message = `SyntaxError: ${info.message}${where}`;
      if (loc !== undefined) {
        const excerpt = codeExcerpt(this.request.code, loc.line + this.request.lineOffset, loc.column, loc.line);
        if (excerpt) message += `\n${excerpt}`;
      }
      return { error: withLoc({ code: "GUEST_SYNTAX_ERROR", message }), healthy: true };
    }
    if (info.isError && info.referenceError === true) {
      const missing = /^'?([^'\s]+)'? is not defined$/.exec(info.message)?.[1];
      if (missing !== undefined) {
        const servers = Object.keys(this.request.api.globals);
        const list = servers.length > 0 ? servers.join(", ") : "(none configured)";
        if (UNAVAILABLE_GLOBALS.has(missing)) {
          const message =
            `ReferenceError: ${missing} is not available in the sandbox (no network, timers, process or require). ` +
            `Reach tools through the server objects: ${list}.${where}`;
          return { error: withLoc({ code: "GUEST_ERROR", message }), healthy: true };
        }
        const message = `ReferenceError: ${missing} is not defined. Available servers: ${list}.${where}`;
        return {
          error: withLoc({ code: "SERVER_NOT_FOUND", message, details: { name: missing, available: servers } }),
          healthy: true,
        };
      }
    }
    const head = info.isError ? `${info.name}: ${info.message}` : info.message;
    return { error: withLoc({ code: "GUEST_ERROR", message: `${head}${where}` }), healthy: true };
  }

  /** The first guest frame of a QuickJS stack, in the user's line numbers. */
  private userLocation(stack: string): { line: number; column: number } | undefined {
    const match = /guest\.js:(\d+)(?::(\d+))?/.exec(stack);
    if (match === null) return undefined;
    const { code, lineOffset } = this.request;
    const userLines = Math.max(1, code.split("\n").length - lineOffset - 1);
    const line = Number(match[1]) - lineOffset;
    if (line < 1) return undefined;
    return { line: Math.min(line, userLines), column: Math.max(1, Number(match[2] ?? 1)) };
  }

  private appendLog(level: LogEntry["level"], message: string): boolean {
    if (this.logsFull) return false;
    const max = this.request.limits.maxLogBytes;
    const size = Buffer.byteLength(message, "utf8") + 1;
    if (this.logBytes + size <= max) {
      this.logs.push({ level, message });
      this.logBytes += size;
      return true;
    }
    const room = max - this.logBytes - 1;
    if (room > 0) {
      let cut = message.slice(0, room);
      while (Buffer.byteLength(cut, "utf8") > room) cut = cut.slice(0, -1);
      this.logs.push({ level, message: cut });
    }
    this.logs.push({ level: "warn", message: logTruncatedMessage(max) });
    this.logsFull = true;
    return false;
  }

  private onDeadline(): void {
    if (this.finished) return;
    this.interrupted = true;
    this.finish(this.failure(this.timeoutError()), true);
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
      return { code: "SANDBOX_STACK", message: stackMessage(this.stackKb) };
    }
    if (this.interrupted) return this.timeoutError();
    if (this.memoryExhausted()) return this.memoryError();
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
    return { ok: false, error, logs: this.logs, toolCalls: this.toolCalls };
  }

  private timeoutError(): WorkerError {
    const { timeoutMs } = this.request.limits;
    return { code: "SANDBOX_TIMEOUT", message: timeoutMessage(timeoutMs), details: { timeoutMs } };
  }

  private memoryError(where = ""): WorkerError {
    const { memoryMb } = this.request.limits;
    return { code: "SANDBOX_MEMORY", message: `${memoryMessage(memoryMb)}${where}`, details: { memoryMb } };
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

/** A guest module body as an expression evaluating to `function (require, exports, module)`. */
export function moduleWrapper(source: string): string {
  return `(function (require, exports, module) {${source}\n})`;
}

/** File name a guest module's frames carry (never a host path; never matches the guest's file). */
export function moduleFileName(specifier: string): string {
  return `module:${specifier.replace(/[^\w./@-]/g, "_")}`;
}

function parseThrownInfo(text: string): ThrownInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const info: ThrownInfo = {
    isError: record.isError === true,
    name: typeof record.name === "string" ? record.name : "Error",
    message: typeof record.message === "string" ? record.message : "",
    stack: typeof record.stack === "string" ? record.stack : "",
    referenceError: record.referenceError === true,
  };
  if (typeof record.code === "string") info.code = record.code;
  if (typeof record.details === "object" && record.details !== null && !Array.isArray(record.details)) {
    info.details = record.details as Record<string, unknown>;
  }
  return info;
}
