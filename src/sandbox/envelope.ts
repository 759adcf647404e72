/**
 * Data crossing the process boundary, checked the same way on both sides: host paths scrubbed
 * from messages a guest may read, and tool-result envelopes cut to what guest memory can hold.
 *
 * @module
 */
import { byteLength } from "./json-limits.js";
import type { ToolEnvelope } from "./protocol.js";

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
