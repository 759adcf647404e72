/**
 * Small pieces of guest-facing code and text every engine uses the same way.
 *
 * @module
 */
import { byteLength } from "../json-limits.js";
import type { ToolEnvelope, WorkerError } from "../protocol.js";

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

/** Replaces file paths and file URLs in a host message (which a guest may read) with `<path>`. */
export function scrubHostPaths(message: string): string {
  return message.replace(/(?:file:\/\/)?(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?/g, "<path>");
}

/**
 * A tool result envelope the guest can hold: parsing JSON takes a few times its size in guest
 * memory, so a result over half of `memoryMb` becomes a SANDBOX_MEMORY error instead.
 */
export function fitEnvelope(envelope: string, memoryMb: number): string {
  if (byteLength(envelope) <= (memoryMb * 1_048_576) / 2) return envelope;
  return JSON.stringify({
    ok: false,
    error: {
      code: "SANDBOX_MEMORY",
      message: `The tool result is too large for the sandbox's ${memoryMb} MiB memory. Ask the tool for less (filters, pagination, fewer fields).`,
      details: { memoryMb },
    },
  } satisfies ToolEnvelope);
}
