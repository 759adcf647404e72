/**
 * One guest execution as a Dynamic Worker in the sandbox worker's workerd: the guest module
 * (bridge prelude + the user's code + its guest modules) goes to the runner Worker, whose stream
 * of tool calls, console lines and the outcome comes back here, where the worker's usual tool
 * gate and log sink apply. The deadline is this worker's: past it the run is reported and the
 * worker (with its workerd) is replaced, whatever the guest is doing.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import { Script } from "node:vm";
import { BRIDGE_PRELUDE, classifyThrown, fitEnvelope, GUEST_FILE, LogSink, memoryError, neverSettles, parseThrownInfo, timeoutError, ToolGate, type EngineErrorTraits, type GuestExecution, type RunHooks, type RunMessage, type WorkerError, type WorkerOutcome } from "../../worker/run-kit.js";
import { ISOLATE_HEAP_MB } from "./limits.js";
import type { WorkerdProcess } from "./workerd-process.js";

/** A line of the runner's stream. */
type RunnerLine =
  | { type: "call"; callId: number; server: string; tool: string; args: string; logs?: [string, string][] }
  | { type: "done"; kind: "ok" | "error"; text?: string; logs?: [string, string][] }
  | { type: "failed"; message: string };

/** The guest as the Worker Loader's modules: `guest.js` (main) starts with the user's code on its first line. */
export function guestModules(request: RunMessage): Record<string, string> {
  const modules = request.api.modules ?? {};
  const table = Object.entries(modules)
    .map(([name, source]) => `  ${JSON.stringify(name)}: function (require, exports, module) {${source}\n},`)
    .join("\n");
  const main =
    // The user's code stays on the line numbers the transpiler gave it (lineOffset holds).
    `import { WorkerEntrypoint } from "cloudflare:workers"; import __prelude from "./toolcode-prelude.js"; import { __modules } from "./toolcode-modules.js"; const __adopt = Promise.resolve.bind(Promise); const __main = ${request.code};\n` +
    `export default class ToolcodeGuest extends WorkerEntrypoint {
  async evaluate(host, apiJson, maxLogBytes) {
    // The guest's global object holds the language and nothing of the Workers runtime (no
    // fetch, timers, sockets, caches, crypto, performance): what the other engines' guests see.
    const keep = new Set(${JSON.stringify(LANGUAGE_GLOBALS)});
    for (let scope = globalThis; scope !== null && scope !== Object.prototype; scope = Object.getPrototypeOf(scope)) {
      for (const name of Reflect.ownKeys(scope)) {
        if (typeof name === "string" && !keep.has(name)) { try { delete scope[name]; } catch {} }
      }
    }
    let logBytes = 0;
    let calls = 0;
    // Console lines travel with the next tool call or the outcome, so they arrive in order.
    let logs = [];
    const bridge = __prelude(
      // RPC promises are thenables, not Promises: the prelude chains real ones.
      (server, tool, args) => { calls++; const sent = logs; logs = []; return __adopt(host.call(server, tool, args, sent)); },
      (level, message) => { logBytes += message.length; if (logBytes > maxLogBytes + 4096) return false; logs.push([level, message]); return logBytes <= maxLogBytes; },
      apiJson,
      (name) => {
        if (!Object.prototype.hasOwnProperty.call(__modules, name)) throw new Error("Cannot find module '" + name + "'.");
        return __modules[name];
      },
    );
    let value;
    try {
      value = await __main(bridge.load, {});
    } catch (error) {
      return { kind: "error", text: bridge.describe(error), calls, logs };
    }
    try {
      return { kind: "ok", text: bridge.serialize(value), calls, logs };
    } catch (error) {
      return { kind: "error", text: bridge.describe(error), calls, logs };
    }
  }
}
`;
  return {
    "guest.js": main,
    "toolcode-prelude.js": `export default ${BRIDGE_PRELUDE};\n`,
    "toolcode-modules.js": `export const __modules = {\n${table}\n};\n`,
  };
}

/** The ECMAScript globals a guest keeps (plus `console`); every other global of the Workers runtime is removed. */
const LANGUAGE_GLOBALS = [
  "Object", "Function", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN", "undefined", "Boolean", "String",
  "Symbol", "Date", "Promise", "RegExp", "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError",
  "TypeError", "URIError", "globalThis", "JSON", "Math", "Intl", "ArrayBuffer", "Uint8Array", "Int8Array", "Uint16Array",
  "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "Uint8ClampedArray", "BigUint64Array",
  "BigInt64Array", "DataView", "Map", "BigInt", "Set", "WeakMap", "WeakSet", "Proxy", "Reflect", "FinalizationRegistry",
  "WeakRef", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape", "eval", "isFinite",
  "isNaN", "Iterator", "Float16Array", "console", "constructor",
];

const TRAITS: EngineErrorTraits = {
  stackKb: undefined,
  isStackOverflow: (info) => info.name === "RangeError" && info.message === "Maximum call stack size exceeded",
  isOutOfMemory: (info) => info.name === "RangeError" && (info.message === "Array buffer allocation failed" || info.message === "Invalid string length"),
  isInterrupt: () => false,
};

/** One execution; create, {@link start}, feed tool results, wait for `done`. */
export class WorkersRun implements GuestExecution {
  readonly #gate: ToolGate;
  readonly #logs: LogSink;
  /** Gate call id → the runner's call id. */
  readonly #calls = new Map<number, number>();
  #finished = false;
  #gone = false;
  #watchdog: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly workerd: WorkerdProcess,
    private readonly request: RunMessage,
    private readonly hooks: RunHooks,
  ) {
    this.#logs = new LogSink(request.limits.maxLogBytes);
    this.#gate = new ToolGate(request.api, request.limits, (callId, server, tool, args) => hooks.callTool(callId, server, tool, args));
  }

  start(): void {
    const { limits, api, runId } = this.request;
    this.#watchdog = setTimeout(() => this.#finish(this.#failure(timeoutError(limits.timeoutMs)), false), limits.timeoutMs);
    this.#unsubscribe = this.workerd.onExit(() => this.#workerdGone());
    if (this.workerd.exited) return this.#workerdGone();
    const apiJson = JSON.stringify({ globals: api.globals, hidden: api.hidden, modules: Object.keys(api.modules ?? {}), maxJsonDepth: limits.maxJsonDepth });
    this.workerd.post("/run", { runId, modules: guestModules(this.request), apiJson, maxLogBytes: limits.maxLogBytes }).then(
      (response) => this.#read(response),
      () => this.#workerdGone(),
    );
  }

  resolveToolCall(callId: number, envelope: string): void {
    if (this.#finished || !this.#gate.answered(callId)) return;
    const runnerCall = this.#calls.get(callId);
    if (runnerCall === undefined) return;
    this.#calls.delete(callId);
    this.#answer(runnerCall, fitEnvelope(envelope, this.request.limits.memoryMb));
  }

  #answer(callId: number, envelope: string): void {
    this.workerd.send("/result", { runId: this.request.runId, callId, envelope }).catch(() => this.#workerdGone());
  }

  #read(response: IncomingMessage): void {
    let buffer = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf("\n"); newline !== -1; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.length > 0) this.#onLine(JSON.parse(line) as RunnerLine);
      }
    });
    response.on("end", () => {
      // The stream ends after `done`; without one, workerd went away mid-run.
      if (!this.#finished) setTimeout(() => this.#workerdGone(), 50);
    });
    response.on("error", () => this.#workerdGone());
  }

  #onLine(line: RunnerLine): void {
    if (this.#finished) return;
    switch (line.type) {
      case "call": {
        this.#appendLogs(line.logs);
        const decision = this.#gate.call(line.server, line.tool, line.args);
        if ("envelope" in decision) this.#answer(line.callId, decision.envelope);
        else this.#calls.set(decision.callId, line.callId);
        return;
      }
      case "done": {
        this.#appendLogs(line.logs);
        if (line.kind === "ok") {
          const outcome: WorkerOutcome = { ok: true, logs: this.#logs.entries, toolCalls: this.#gate.accepted };
          if (typeof line.text === "string") outcome.value = line.text;
          return this.#finish(outcome, true);
        }
        const info = parseThrownInfo(line.text ?? "");
        if (info === undefined) return this.#finish(this.#failure({ code: "GUEST_ERROR", message: "The code threw an exception that could not be described." }), true);
        // An allocation that failed leaves the runtime short of memory: a fresh workerd takes the next run.
        const { error, healthy } = classifyThrown(info, "run", this.#source(), TRAITS);
        return this.#finish(this.#failure(error), healthy);
      }
      case "failed":
        return this.#finish(this.#failure(this.#runnerFailure(line.message)), !/internal error|terminated/i.test(line.message));
    }
  }

  /** workerd exited (or its socket failed) before the run reported. */
  #appendLogs(logs: [string, string][] | undefined): void {
    for (const [level, message] of logs ?? []) this.#logs.append(String(level), String(message));
  }

  /** What the runner reported when loading or calling the guest failed. */
  #runnerFailure(message: string): WorkerError {
    if (/never (generate a response|complete|resolve)|hung/i.test(message)) return neverSettles();
    if (/SyntaxError/.test(message)) {
      // workerd names no position: V8 here finds the same error with one (compiled, never run).
      try {
        new Script(this.request.code, { filename: GUEST_FILE });
      } catch (error) {
        if (error instanceof SyntaxError) {
          const info = { isError: true, name: "SyntaxError", message: error.message, stack: String(error.stack ?? "") };
          return classifyThrown(info, "compile", this.#source(), TRAITS).error;
        }
      }
      return { code: "GUEST_SYNTAX_ERROR", message: message.replace(/^[\s\S]*?(SyntaxError)/, "$1") };
    }
    return { code: "SANDBOX_CRASHED", message: `The Workers runtime could not run the code: ${message}` };
  }

  #workerdGone(): void {
    if (this.#finished || this.#gone) return;
    this.#gone = true;
    // Classify once workerd's stderr is drained: an out-of-memory abort is said there.
    void this.workerd.settled(1_000).then(() => this.#reportGone());
  }

  #reportGone(): void {
    if (this.#finished) return;
    const error: WorkerError = this.workerd.outOfMemory
      ? memoryError(ISOLATE_HEAP_MB, ` (the Workers engine caps each isolate's heap at ${ISOLATE_HEAP_MB} MiB; sandbox.memoryMb does not apply to it)`)
      : { code: "SANDBOX_CRASHED", message: "The Workers runtime (workerd) stopped while running the code and was replaced. Run the code again; if it keeps failing, simplify it." };
    this.#finish(this.#failure(error), false);
  }

  #finish(outcome: WorkerOutcome, reusable: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#watchdog);
    this.#unsubscribe?.();
    if (!reusable) this.workerd.kill();
    this.hooks.done(outcome, reusable);
  }

  #failure(error: WorkerError): WorkerOutcome {
    return { ok: false, error, logs: this.#logs.entries, toolCalls: this.#gate.accepted };
  }

  #source(): { code: string; lineOffset: number; api: RunMessage["api"]; timeoutMs: number; memoryMb: number } {
    const { code, lineOffset, api, limits } = this.request;
    return { code, lineOffset, api, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb };
  }
}


