/**
 * The engine matrix every sandbox test runs against: each engine in each isolation mode that
 * can run here. An engine that cannot (isolated-vm not installed) is listed with the reason,
 * printed once, and its tests are skipped.
 */
import { createEngine, type EngineConfig } from "../../src/sandbox/create-engine.js";
import type { Engine } from "../../src/sandbox/engine.js";
import { isolateEngineUnavailable } from "../../src/sandbox/isolate/isolate-engine.js";

/** One configuration under test. */
export interface EngineCase {
  /** Test label, e.g. `quickjs/process`. */
  label: string;
  config: EngineConfig;
  /** Why it cannot run here; undefined when it can. */
  skip: string | undefined;
}

const isolateSkip = isolateEngineUnavailable();
if (isolateSkip !== undefined) console.warn(`[toolcode tests] skipping sandbox.engine "isolate": ${isolateSkip}`);

/** Every engine × isolation combination the project supports on Node 20. */
export const ENGINE_CASES: EngineCase[] = [
  { label: "quickjs/process", config: { engine: "quickjs", isolation: "process" }, skip: undefined },
  { label: "quickjs/thread", config: { engine: "quickjs", isolation: "thread" }, skip: undefined },
  { label: "isolate/process", config: { engine: "isolate", isolation: "process" }, skip: isolateSkip },
];

/** The main configuration of each engine (process isolation), for the long suites. */
export const ENGINE_MAIN_CASES: EngineCase[] = ENGINE_CASES.filter((c) => c.config.isolation === "process");

/** Creates the engine of a case with extra options. */
export function engineFor(c: EngineCase, extra: EngineConfig = {}): Engine {
  return createEngine({ ...c.config, ...extra });
}
