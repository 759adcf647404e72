/**
 * Small pieces of guest-facing code and text every engine's in-worker run uses the same way.
 *
 * @module
 */
import type { WorkerError } from "../protocol.js";

/** GUEST_ERROR for a guest whose main promise can never settle. */
export function neverSettles(): WorkerError {
  return {
    code: "GUEST_ERROR",
    message:
      "The code is waiting for a promise that can never settle (no tool call is in flight). " +
      "Await tool calls; the sandbox has no timers or I/O of its own.",
  };
}

/** A guest module body as an expression evaluating to `function (require, exports, module)`. */
export function moduleWrapper(source: string): string {
  return `(function (require, exports, module) {${source}\n})`;
}

/** File name a guest module's frames carry (never a host path; never matches the guest's file). */
export function moduleFileName(specifier: string): string {
  return `module:${specifier.replace(/[^\w./@-]/g, "_")}`;
}
