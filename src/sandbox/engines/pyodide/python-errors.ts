/**
 * Turns what a Python guest raised (as the prelude's `describe` reports it) into the error the
 * caller gets: a stable code, a message for the model, and the user's line.
 *
 * @module
 */
import { codeExcerpt } from "../../code-excerpt.js";
import type { GuestApi } from "../../engine.js";
import { memoryMessage, timeoutMessage } from "../../limits.js";
import type { WorkerError } from "../../protocol.js";

/** The prelude's description of a raised exception. */
interface Raised {
  phase?: string;
  name?: string;
  message?: string;
  code?: string;
  details?: unknown;
  line?: number;
  column?: number;
  text?: string;
  missing?: string | null;
  module?: string | null;
}

const CODE_PATTERN = /^[A-Z][A-Z_]*$/;
const SYNTAX_ERRORS: ReadonlySet<string> = new Set(["SyntaxError", "IndentationError", "TabError"]);

/** What a run needs to describe its errors. */
export interface PythonRunSource {
  code: string;
  api: GuestApi;
  timeoutMs: number;
  heapMb: number;
}

/** SANDBOX_TIMEOUT of a Python run. */
export function pythonTimeout(timeoutMs: number): WorkerError {
  return { code: "SANDBOX_TIMEOUT", message: timeoutMessage(timeoutMs), details: { timeoutMs } };
}

/** SANDBOX_MEMORY of a Python run. */
export function pythonMemory(heapMb: number, where = ""): WorkerError {
  return {
    code: "SANDBOX_MEMORY",
    message: `${memoryMessage(heapMb).replace("Operators can raise sandbox.memoryMb.", "(Python guests have a fixed heap.)")}${where}`,
    details: { memoryMb: heapMb },
  };
}

/** Classifies the prelude's JSON description of a raised exception. */
export function classifyPython(text: string, run: PythonRunSource): WorkerError {
  let raised: Raised;
  try {
    const parsed: unknown = JSON.parse(text);
    raised = typeof parsed === "object" && parsed !== null ? (parsed as Raised) : {};
  } catch {
    raised = {};
  }
  const name = typeof raised.name === "string" ? raised.name : "Exception";
  const message = typeof raised.message === "string" ? raised.message : "";
  const line = typeof raised.line === "number" && raised.line >= 1 ? raised.line : undefined;
  const where = line === undefined ? "" : ` (at line ${line})`;
  const at = (error: WorkerError): WorkerError => (line === undefined ? error : { ...error, line, column: typeof raised.column === "number" ? raised.column : 1 });
  const servers = Object.keys(run.api.globals).filter((s) => !s.startsWith("__"));
  const serverList = servers.length > 0 ? servers.join(", ") : "(none configured)";

  if (typeof raised.code === "string" && CODE_PATTERN.test(raised.code)) {
    const error: WorkerError = { code: raised.code, message: `${message}${where}` };
    if (typeof raised.details === "object" && raised.details !== null && !Array.isArray(raised.details)) error.details = raised.details as Record<string, unknown>;
    return at(error);
  }
  if (name === "KeyboardInterrupt") return pythonTimeout(run.timeoutMs);
  if (name === "MemoryError") return at(pythonMemory(run.heapMb, where));
  if (name === "RecursionError") {
    return at({ code: "SANDBOX_STACK", message: `RecursionError: ${message}${where}. Use a loop or an explicit stack instead of deep recursion.` });
  }
  if (SYNTAX_ERRORS.has(name) && raised.phase === "compile") {
    let text = `${name}: ${message}${where}`;
    if (line !== undefined) {
      const excerpt = codeExcerpt(run.code, line, typeof raised.column === "number" ? raised.column : 1);
      if (excerpt) text += `\n${excerpt}`;
    }
    return at({ code: "GUEST_SYNTAX_ERROR", message: text });
  }
  if (name === "ModuleNotFoundError" && typeof raised.module === "string" && raised.module.startsWith("servers.")) {
    const missing = raised.module.slice("servers.".length).split(".")[0] ?? "";
    return at({
      code: "SERVER_NOT_FOUND",
      message: `ModuleNotFoundError: there is no server "${missing}". Available servers: ${serverList}.${where}`,
      details: { name: missing, available: servers },
    });
  }
  if (name === "NameError" && typeof raised.missing === "string") {
    return at({
      code: "GUEST_ERROR",
      message: `NameError: name '${raised.missing}' is not defined. Available servers: ${serverList} (also importable: from servers.<name> import <tool>).${where}`,
      details: { name: raised.missing, available: servers },
    });
  }
  return at({ code: "GUEST_ERROR", message: `${name}: ${message}${where}` });
}
