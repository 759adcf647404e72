/**
 * The sandbox side of every tool call, shared by all engines: checks the call against the
 * guest's API and the run's limits, then forwards it to the host or queues it.
 *
 * A refused call is answered at once with an error envelope (unknown tool, too many calls,
 * arguments too large or too deep). At most `maxConcurrentToolCalls` calls are with the host at
 * a time; later ones wait here, in order, and count against `maxToolCalls` when they are made.
 *
 * @module
 */
import { type GuestApi, apiHasTool } from "../engine.js";
import { byteLength, jsonDepthExceeds } from "../json-limits.js";
import { jsonTooDeepMessage, toolArgsTooLargeMessage, toolCallLimitMessage, type ResolvedLimits } from "../limits.js";
import type { ToolEnvelope } from "../protocol.js";

/** A call is answered at once (`envelope`, JSON text) or later through its `callId`. */
type GateDecision = { envelope: string } | { callId: number };

interface QueuedCall {
  callId: number;
  server: string;
  tool: string;
  args: string;
}

/** Tool-call admission and concurrency for one run. */
export class ToolGate {
  /** Calls accepted so far (counted against `maxToolCalls`). */
  accepted = 0;
  private nextCallId = 0;
  private inFlight = 0;
  private readonly queue: QueuedCall[] = [];
  private readonly open = new Set<number>();

  constructor(
    private readonly api: GuestApi,
    private readonly limits: ResolvedLimits,
    private readonly send: (callId: number, server: string, tool: string, args: string) => void,
  ) {}

  /** Calls waiting for an answer (queued here or with the host). */
  get pending(): number {
    return this.open.size;
  }

  /** Admits (or refuses) one call made by the guest; `args` is JSON text. */
  call(server: string, tool: string, args: string): GateDecision {
    if (!apiHasTool(this.api, server, tool)) {
      return refuse("TOOL_NOT_FOUND", `${server}.${tool} is not a tool.`);
    }
    const { maxToolCalls, maxToolArgBytes, maxJsonDepth, maxConcurrentToolCalls } = this.limits;
    if (this.accepted >= maxToolCalls) {
      return refuse("TOOL_CALL_LIMIT", toolCallLimitMessage(maxToolCalls), { maxToolCalls });
    }
    const bytes = byteLength(args);
    if (bytes > maxToolArgBytes) {
      return refuse("SANDBOX_LIMIT", toolArgsTooLargeMessage(server, tool, bytes, maxToolArgBytes), { limit: "maxToolArgBytes", max: maxToolArgBytes, bytes });
    }
    if (jsonDepthExceeds(args, maxJsonDepth)) {
      return refuse("SANDBOX_LIMIT", jsonTooDeepMessage(`The arguments of ${server}.${tool}`, maxJsonDepth), { limit: "maxJsonDepth", max: maxJsonDepth });
    }
    this.accepted += 1;
    const callId = ++this.nextCallId;
    this.open.add(callId);
    if (this.inFlight < maxConcurrentToolCalls) {
      this.inFlight += 1;
      this.send(callId, server, tool, args);
    } else {
      this.queue.push({ callId, server, tool, args });
    }
    return { callId };
  }

  /** The host answered `callId`: frees its slot and forwards the next queued call. False if unknown. */
  answered(callId: number): boolean {
    if (!this.open.delete(callId)) return false;
    this.inFlight -= 1;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.inFlight += 1;
      this.send(next.callId, next.server, next.tool, next.args);
    }
    return true;
  }
}

function refuse(code: string, message: string, details?: Record<string, unknown>): { envelope: string } {
  const error: { code: string; message: string; details?: Record<string, unknown> } = { code, message };
  if (details !== undefined) error.details = details;
  return { envelope: JSON.stringify({ ok: false, error } satisfies ToolEnvelope) };
}
