/**
 * The engine of Python executions (`language: "python"`): Pyodide in its own pool of sandbox
 * worker processes, made on the first Python run so instances that never run Python never start
 * (or install) it. When Pyodide is not installed, a Python run fails with SANDBOX_UNAVAILABLE
 * naming the install command; JavaScript runs are not affected.
 *
 * @module
 */
import type { Config } from "../config/schema.js";
import { ToolcodeError } from "../errors.js";
import { createEngine, engineUnavailable } from "../sandbox/create-engine.js";
import type { Engine } from "../sandbox/engine.js";
import { PYTHON_ENGINES } from "../sandbox/engines/registry.js";

/** The Python engine name (metadata.engine of Python runs). */
export const PYTHON_ENGINE_NAME = PYTHON_ENGINES[0]?.name ?? "pyodide";

/** A Python engine for `sandbox` settings, created on its first run. */
export function lazyPythonEngine(sandbox: Config["sandbox"]): Engine {
  let engine: Engine | undefined;
  let closed = false;
  return {
    name: PYTHON_ENGINE_NAME,
    run(request, host) {
      if (closed) return Promise.reject(new ToolcodeError("INTERNAL", "This toolcode instance is closed; create a new one."));
      if (engine === undefined) {
        const missing = engineUnavailable({ engine: PYTHON_ENGINE_NAME, isolation: "process" });
        if (missing !== undefined) {
          return Promise.reject(new ToolcodeError("SANDBOX_UNAVAILABLE", `${missing.message} Or write the script in JavaScript (language "javascript").`, { engine: PYTHON_ENGINE_NAME }));
        }
        engine = createEngine({
          engine: PYTHON_ENGINE_NAME,
          isolation: "process",
          poolSize: sandbox.poolSize,
          networkNamespace: sandbox.networkNamespace,
          workerNice: sandbox.workerNice,
        });
      }
      return engine.run(request, host);
    },
    endSession(sessionId, user) {
      return engine?.endSession?.(sessionId, user) ?? Promise.resolve();
    },
    async close() {
      closed = true;
      await engine?.close();
    },
  };
}
