/**
 * The Python engine: CPython in WebAssembly through Pyodide (an optional peer dependency, not
 * installed by default for its size: `npm install pyodide@314.0.8`), run only inside sandbox
 * worker processes — Pyodide is not a sandbox by itself (Python reaches JavaScript through its
 * FFI), so the worker process is the boundary: empty environment, the permission model, no code
 * generation from strings, a network namespace where available, a capped WebAssembly heap
 * (`--wasm-max-mem-pages`) and the host's SIGKILL deadline. `--allow-worker` lets the runner start
 * its deadline thread (interrupt-timer.ts). Selected per execution with `language: "python"`
 * (or `sandbox.engine: "pyodide"` for the whole pool).
 *
 * @module
 */
import { packageDir } from "../../host/worker-files.js";
import type { EngineSpec } from "../engine-spec.js";
import { PYODIDE_HEAP_MB, PYODIDE_VERSION } from "./limits.js";
import { snapshotLaunchExtras } from "./snapshot-file.js";

/** Why the Python engine cannot run here (Pyodide missing), or undefined when it looks installed. */
export function pyodideUnavailable(): string | undefined {
  try {
    packageDir("pyodide");
  } catch {
    return `Python needs Pyodide, an optional peer dependency: run \`npm install pyodide@${PYODIDE_VERSION}\``;
  }
  return undefined;
}

/** Pyodide, as the host side sees it. */
export const pyodideEngine: EngineSpec = {
  name: "pyodide",
  runner: "engines/pyodide/runner",
  packages: ["pyodide"],
  processFlags: ["--allow-worker", `--wasm-max-mem-pages=${PYODIDE_HEAP_MB * 16}`],
  // Python frames live in the WebAssembly heap; the recursion limit (limits.ts) bounds them.
  maxGuestStackKb: (nativeStackKb) => nativeStackKb,
  launchExtras() {
    return snapshotLaunchExtras(this);
  },
  unavailable(isolation) {
    const missing = pyodideUnavailable();
    if (missing !== undefined) return { key: "sandbox.engine", message: `The Python engine (pyodide) is not available: ${missing}.` };
    if (isolation === "thread") {
      return { key: "sandbox.isolation", message: 'The Python engine runs only in worker processes (Pyodide is not a sandbox by itself): use sandbox.isolation "process".' };
    }
    return undefined;
  },
};
