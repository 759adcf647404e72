/**
 * Where engines are registered: the one list per guest language. Adding an engine is a folder
 * `engines/<name>/` (engine.ts, runner.ts, limits.ts) and one line here, plus (for a JavaScript
 * engine) its name in the config schema's `sandbox.engine` enum.
 *
 * @module
 */
import type { EngineSpec } from "./engine-spec.js";
import { isolateEngine } from "./isolate/engine.js";
import { pyodideEngine } from "./pyodide/engine.js";
import { quickJsEngine } from "./quickjs/engine.js";
import { workersEngine } from "./workers/engine.js";

/** Every JavaScript engine (`sandbox.engine`), the default first. */
export const ENGINES: readonly EngineSpec[] = [quickJsEngine, isolateEngine, workersEngine];

/** Every Python engine (executions with `language: "python"`), the default first. */
export const PYTHON_ENGINES: readonly EngineSpec[] = [pyodideEngine];

/** The engine named `name` (either language); the default (QuickJS) for undefined. Throws for an unknown name. */
export function engineSpec(name: string | undefined): EngineSpec {
  const all = [...ENGINES, ...PYTHON_ENGINES];
  const spec = name === undefined ? ENGINES[0] : all.find((e) => e.name === name);
  if (spec === undefined) throw new Error(`unknown sandbox engine "${name}"; known: ${all.map((e) => e.name).join(", ")}`);
  return spec;
}
