/**
 * The default sandbox engine: QuickJS compiled to WebAssembly, in the pooled sandbox workers, so a
 * spinning or crashing guest never blocks the host's event loop or other executions.
 *
 * Each execution gets a fresh QuickJS runtime and context (./guest-run.ts, run by ./runner.ts in
 * the worker); the worker enforces the time, memory, stack, tool-call and log limits, and the
 * host side (../../host/pooled-engine.ts) answers late runs, kills stuck workers and replaces
 * crashed ones.
 *
 * @module
 */
import type { EngineSpec } from "../engine-spec.js";
import { maxGuestStackFor } from "./limits.js";

/** QuickJS, as the host side sees it. */
export const quickJsEngine: EngineSpec = {
  name: "quickjs",
  runner: "engines/quickjs/runner",
  packages: ["quickjs-emscripten-core", "@jitl/quickjs-wasmfile-release-sync", "@jitl/quickjs-ffi-types"],
  processFlags: [],
  maxGuestStackKb: maxGuestStackFor,
  unavailable: () => undefined,
};
