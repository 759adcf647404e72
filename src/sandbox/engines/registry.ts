/**
 * Where engines are registered: the one list. Adding an engine is a folder `engines/<name>/`
 * (engine.ts, runner.ts, limits.ts) and one line here, plus its name in the config schema's
 * `sandbox.engine` enum.
 *
 * @module
 */
import type { EngineSpec } from "./engine-spec.js";
import { isolateEngine } from "./isolate/engine.js";
import { quickJsEngine } from "./quickjs/engine.js";

/** Every engine, the default first. */
export const ENGINES: readonly EngineSpec[] = [quickJsEngine, isolateEngine];

/** The engine named `name`; the default (QuickJS) for undefined. Throws for an unknown name. */
export function engineSpec(name: string | undefined): EngineSpec {
  const spec = name === undefined ? ENGINES[0] : ENGINES.find((e) => e.name === name);
  if (spec === undefined) throw new Error(`unknown sandbox engine "${name}"; known: ${ENGINES.map((e) => e.name).join(", ")}`);
  return spec;
}
