/**
 * The engine matrix every sandbox test runs against: each registered engine in each isolation
 * mode (src/sandbox/engines/registry.ts). A combination that cannot run here (isolated-vm not
 * installed, isolate in threads without --no-node-snapshot) is listed with the reason, printed
 * once, and its tests are skipped.
 */
import { createEngine, type EngineConfig, engineUnavailable } from "../../src/sandbox/create-engine.js";
import type { Engine } from "../../src/sandbox/engine.js";
import type { Isolation } from "../../src/sandbox/engines/engine-spec.js";
import { ENGINES } from "../../src/sandbox/engines/registry.js";

/** One configuration under test. */
export interface EngineCase {
  /** Test label, e.g. `quickjs/process`. */
  label: string;
  config: EngineConfig & { engine: string; isolation: Isolation };
  /** Why it cannot run here; undefined when it can. */
  skip: string | undefined;
  /**
   * Whether guest code may generate code from strings (`eval`, `Function`). The Workers runtime
   * refuses it (EvalError), which stops every attack that needs it before it starts.
   */
  codeGeneration: boolean;
}

const ISOLATIONS: readonly Isolation[] = ["process", "thread"];

/** Every engine × isolation combination. */
export const ENGINE_CASES: EngineCase[] = ENGINES.flatMap((spec) =>
  ISOLATIONS.map((isolation): EngineCase => {
    const label = `${spec.name}/${isolation}`;
    const skip = engineUnavailable({ engine: spec.name, isolation })?.message;
    if (skip !== undefined) console.warn(`[toolcode tests] skipping ${label}: ${skip}`);
    return { label, config: { engine: spec.name, isolation }, skip, codeGeneration: spec.name !== "workers" };
  }),
);

/** The main configuration of each engine (process isolation), for the long suites. */
export const ENGINE_MAIN_CASES: EngineCase[] = ENGINE_CASES.filter((c) => c.config.isolation === "process");

/** Creates the engine of a case with extra options. */
export function engineFor(c: EngineCase, extra: EngineConfig = {}): Engine {
  return createEngine({ ...c.config, ...extra });
}
