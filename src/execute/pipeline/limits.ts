/**
 * Step 1 of `execute`: the limits of one run, from `sandbox` config and the call's options.
 *
 * @module
 */
import type { Config } from "../../config/schema.js";
import type { SandboxLimits } from "../../sandbox/engine.js";

/** The sandbox limits of one run: the configured ones, with `timeoutMs` lowered (never raised) by the call. */
export function runLimits(sandbox: Config["sandbox"], timeoutMs?: number): SandboxLimits {
  return {
    timeoutMs: Math.min(timeoutMs ?? sandbox.timeoutMs, sandbox.timeoutMs),
    memoryMb: sandbox.memoryMb,
    maxStackKb: sandbox.maxStackKb,
    maxToolCalls: sandbox.maxToolCalls,
    maxLogBytes: sandbox.maxLogBytes,
    maxConcurrentToolCalls: sandbox.maxConcurrentToolCalls,
    maxToolArgBytes: sandbox.maxToolArgBytes,
    maxToolResultBytes: sandbox.maxToolResultBytes,
    maxResultBytes: sandbox.maxResultBytes,
    maxJsonDepth: sandbox.maxJsonDepth,
  };
}
