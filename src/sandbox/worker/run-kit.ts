/**
 * What every engine's in-worker run is built from, in one import: the bridge prelude the guest
 * realm starts with, error classification, the tool gate and log sink, guest-code helpers, the
 * result envelope check, and the types of the worker protocol.
 *
 * @module
 */
export { BRIDGE_PRELUDE } from "../guest/bridge-prelude.js";
export { fitEnvelope } from "../envelope.js";
export { stackMessage } from "../limits.js";
export type { RunMessage, WorkerError, WorkerOutcome } from "../protocol.js";
export { classifyThrown, GUEST_FILE, memoryError, parseThrownInfo, timeoutError, type EngineErrorTraits, type Phase, type ThrownInfo } from "./classify.js";
export type { GuestExecution, RunHooks } from "./execution.js";
export { moduleFileName, moduleWrapper, neverSettles } from "./guest-code.js";
export { LogSink } from "./log-sink.js";
export { ToolGate } from "./tool-gate.js";

/** File name the bridge prelude's frames carry. */
export const PRELUDE_FILE = "toolcode-prelude.js";
