/**
 * One Python guest run in a worker's interpreter: the bridge's JavaScript callbacks (tool calls
 * through the shared tool gate, print lines into the log sink, the outcome), the deadline (the
 * interrupt thread for Python that never yields, a timer for Python waiting on an `await`), and
 * exactly one `done`, after which the worker exits (see runner.ts).
 *
 * @module
 */
import { fitEnvelope } from "../../envelope.js";
import type { RunMessage, WorkerError, WorkerOutcome } from "../../protocol.js";
import type { GuestExecution, RunHooks } from "../../worker/execution.js";
import { LogSink } from "../../worker/log-sink.js";
import { ToolGate } from "../../worker/tool-gate.js";
import type { InterruptTimer } from "./interrupt-timer.js";
import { PYODIDE_HEAP_MB } from "./limits.js";
import type { PyProxyLike } from "./pyodide-types.js";
import { classifyPython, pythonTimeout, type PythonRunSource } from "./python-errors.js";

/** A Python run; create, {@link start}, feed tool results, wait for `done`. */
export class PythonRun implements GuestExecution {
  private readonly gate: ToolGate;
  private readonly logs: LogSink;
  private deliver: PyProxyLike | undefined;
  private finished = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly boot: PyProxyLike,
    private readonly timer: InterruptTimer,
    private readonly request: RunMessage,
    private readonly hooks: RunHooks,
  ) {
    this.logs = new LogSink(request.limits.maxLogBytes);
    this.gate = new ToolGate(request.api, request.limits, (callId, server, tool, args) => hooks.callTool(callId, server, tool, args));
  }

  /** Installs the guest's world and starts the script (it runs on the event loop from here). */
  start(): void {
    const { limits, api, code } = this.request;
    this.timer.arm(limits.timeoutMs);
    // Fires only while Python waits (an `await`): a busy interpreter is stopped by the interrupt thread.
    this.watchdog = setTimeout(() => this.finish(this.failure(pythonTimeout(limits.timeoutMs))), limits.timeoutMs);
    try {
      const apiJson = JSON.stringify({ globals: api.globals, hidden: api.hidden ?? {}, data: api.data ?? {}, maxJsonDepth: limits.maxJsonDepth });
      const pair = this.boot(
        (server: unknown, tool: unknown, args: unknown) => this.onToolCall(server, tool, args),
        (level: unknown, line: unknown) => (this.finished ? false : this.logs.append(String(level), String(line))),
        (kind: unknown, text: unknown) => this.onDone(kind, text),
        apiJson,
      ) as PyProxyLike;
      const startScript = pair.get(0) as PyProxyLike;
      this.deliver = pair.get(1) as PyProxyLike;
      startScript(code);
    } catch (error) {
      this.onHostError(error);
    }
  }

  /** Delivers the host's answer (JSON text of a `ToolEnvelope`) to a pending tool call. */
  resolveToolCall(callId: number, envelope: string): void {
    if (this.finished || !this.gate.answered(callId) || this.deliver === undefined) return;
    try {
      this.deliver(callId, fitEnvelope(envelope, PYODIDE_HEAP_MB));
    } catch (error) {
      this.onHostError(error);
    }
  }

  /** Sync callback from Python: the refusal envelope (string) or the call's id (number). */
  private onToolCall(server: unknown, tool: unknown, args: unknown): string | number {
    if (this.finished) return JSON.stringify({ ok: false, error: { code: "SANDBOX_LIMIT", message: "The execution has ended." } });
    const decision = this.gate.call(String(server), String(tool), typeof args === "string" ? args : "{}");
    return "envelope" in decision ? decision.envelope : decision.callId;
  }

  /** Sync callback from Python: the script finished. */
  private onDone(kind: unknown, text: unknown): void {
    if (kind === "ok") {
      const outcome: WorkerOutcome = { ok: true, logs: this.logs.entries, toolCalls: this.gate.accepted };
      if (typeof text === "string") outcome.value = text;
      this.finish(outcome);
      return;
    }
    this.finish(this.failure(classifyPython(typeof text === "string" ? text : "", this.source())));
  }

  /** Pyodide itself failed (a fatal error, the WebAssembly stack, an interrupt outside Python code). */
  private onHostError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (/KeyboardInterrupt/.test(message)) return this.finish(this.failure(pythonTimeout(this.request.limits.timeoutMs)));
    if (/MemoryError|out of memory|Cannot enlarge memory/i.test(message)) return this.finish(this.failure(classifyPython(JSON.stringify({ name: "MemoryError", message: "" }), this.source())));
    if (/call stack|RecursionError/i.test(message)) return this.finish(this.failure(classifyPython(JSON.stringify({ name: "RecursionError", message: "maximum recursion depth exceeded" }), this.source())));
    this.finish(this.failure({ code: "SANDBOX_CRASHED", message: "The Python sandbox failed while running the code and was replaced. Run the code again; if it keeps failing, simplify it." }));
  }

  private finish(outcome: WorkerOutcome): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.watchdog);
    this.timer.disarm();
    // One run per interpreter: the worker exits after reporting.
    this.hooks.done(outcome, false);
  }

  private failure(error: WorkerError): WorkerOutcome {
    return { ok: false, error, logs: this.logs.entries, toolCalls: this.gate.accepted };
  }

  private source(): PythonRunSource {
    const { code, api, limits } = this.request;
    return { code, api, timeoutMs: limits.timeoutMs, heapMb: PYODIDE_HEAP_MB };
  }
}
