/**
 * Step 2 of `execute`: the host side of the bridge for one run. A call on a built-in's bridge
 * goes to that built-in; every other call resolves in the catalog (denied tools included, so
 * they get `POLICY_DENIED`) and goes through the execution's guard to its source.
 *
 * @module
 */
import type { Context } from "@opentelemetry/api";
import type { Catalog } from "../../catalog/catalog.js";
import { ToolcodeError, toErrorInfo } from "../../errors.js";
import type { ExecutionGuard } from "../../guard/guard.js";
import type { SandboxHost } from "../../sandbox/engine.js";
import { inSpan } from "../../telemetry/telemetry.js";
import type { BuiltinRun } from "../builtins/guest-builtin.js";
import type { ExecutionWatch } from "../execution-observer.js";
import type { HostScrubber } from "../host-scrub.js";

/** What {@link guardedHost} needs. */
export interface GuardedHostOptions {
  /** Every tool, denied ones included. */
  allTools: Catalog;
  guard: ExecutionGuard;
  /** This run's built-ins by bridge global. */
  builtins: ReadonlyMap<string, BuiltinRun>;
  /** Receives each raw tool result as JSON text (token accounting). */
  onToolResult: (json: string) => void;
  /** Called as each tool call starts (`server.tool`); must not throw. */
  onToolCall?: (tool: string) => void;
  /** Rewrites host paths in the errors the guest gets. */
  scrubber?: HostScrubber;
  /** The execution's trace context: each tool call is a span under it. */
  trace?: Context;
  /** The user the run is for: per-user sources call upstream with this user's credential only. */
  user?: string;
  /** Sees each tool call with the guest-side arguments and result (the console's timeline). */
  watch?: ExecutionWatch;
}

/** The {@link SandboxHost} of one run. */
export function guardedHost({ allTools, guard, builtins, onToolResult, onToolCall, scrubber, trace, user, watch }: GuardedHostOptions): SandboxHost {
  const call: SandboxHost["callTool"] = async (server, tool, args, signal) => {
    const builtin = builtins.get(server);
    if (builtin) return builtin.call(tool, args);
    const { tool: found, source } = allTools.resolve(server, tool);
    onToolCall?.(found.id);
    const input = args === undefined || args === null ? {} : args;
    if (typeof input !== "object" || Array.isArray(input)) {
      throw new ToolcodeError("INVALID_ARGUMENTS", `${found.id} takes one object argument, e.g. ${found.id}({ … }); got ${Array.isArray(input) ? "an array" : typeof input}.`);
    }
    const decision = guard.policyFor(found);
    const attributes = { "toolcode.source": found.server, "toolcode.tool": found.id, "toolcode.policy.decision": decision.action, "toolcode.policy.kind": decision.kind };
    return inSpan("toolcode.tool_call", { attributes, ...(trace ? { parent: trace } : {}) }, async (span) => {
      if (span.isRecording()) span.setAttribute("toolcode.arguments.bytes", Buffer.byteLength(JSON.stringify(input) ?? ""));
      let sourceCalled = false;
      const watched = watch?.toolCall({ tool: found.id, arguments: input, decision: decision.action, kind: decision.kind });
      // The guard checks the policy, asks for approval, replays, and swaps PII tokens.
      const value = await guard.call(found, input as Record<string, unknown>, signal, async (realArgs, onCredential, idempotencyKey) => {
        sourceCalled = true;
        const result = await source.callTool(found.spec.name, realArgs, { signal, onCredential, ...(user !== undefined ? { user } : {}), ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
        const json = typeof result === "string" ? result : (JSON.stringify(result) ?? "");
        onToolResult(json);
        if (span.isRecording()) {
          const bytes = Buffer.byteLength(json);
          span.setAttributes({ "toolcode.result.bytes": bytes, "toolcode.result.tokens": Math.ceil(json.length / 4), "toolcode.result.tokens.estimated": true });
        }
        return result;
      }).catch((error: unknown) => {
        watched?.end({ ok: false, error: toErrorInfo(error) });
        throw error;
      });
      watched?.end({ ok: true, value, replayed: !sourceCalled });
      span.setAttribute("toolcode.replayed", !sourceCalled);
      return value;
    });
  };
  if (!scrubber) return { callTool: call };
  return {
    callTool: async (server, tool, args, signal) => {
      try {
        return await call(server, tool, args, signal);
      } catch (error) {
        throw scrubber.error(error);
      }
    },
  };
}
