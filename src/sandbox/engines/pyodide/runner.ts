/**
 * Pyodide (CPython compiled to WebAssembly) as a sandbox worker runs it: one interpreter per
 * worker process, loaded and locked down while the worker waits, serving exactly one guest run;
 * the worker then exits and the host's pool replaces it (a Python guest can change anything in
 * its interpreter — modules, builtins, the bridge — so an interpreter is never handed to a second
 * run, nor a worker realm to a second tenant).
 *
 * Load order, before the worker says ready: Pyodide from its npm package (offline: its wasm and
 * standard library ship in the package) with an empty `js` namespace, no environment and no
 * stdout; the `js`/`pyodide_js` modules unregistered and the Python modules that reach
 * JavaScript dropped and refused (python-prelude.ts `PYTHON_LOCKDOWN`); the interrupt buffer
 * shared with the deadline thread (interrupt-timer.ts); the bridge prelude; then the worker's
 * JavaScript realm locked down (realm-lockdown.ts); then one throwaway warm-up run (`warmUp`).
 *
 * @module
 */
import { constants, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { SandboxLimits } from "../../engine.js";
import { resolveLimits } from "../../limits.js";
import type { RunMessage } from "../../protocol.js";
import type { CreateRunner, GuestExecution, RunHooks } from "../../worker/execution.js";
import { InterruptTimer } from "./interrupt-timer.js";
import { PYTHON_RECURSION_LIMIT } from "./limits.js";
import type { PyodideLike, PyodideModule, PyProxyLike } from "./pyodide-types.js";
import { PYTHON_LOCKDOWN, PYTHON_PRELUDE } from "./python-prelude.js";
import { PythonRun } from "./python-run.js";
import { lockDownRealm } from "./realm-lockdown.js";

/** Loads Pyodide under the worker's permission model (its NODEFS setup asks `process.binding` for fs constants). */
async function loadInterpreter(snapshot?: { load: Uint8Array } | { make: true }): Promise<PyodideLike> {
  const proc = process as unknown as { binding: (name: string) => unknown };
  const binding = proc.binding;
  proc.binding = (name: string) => (name === "constants" ? { fs: constants } : binding.call(process, name));
  try {
    const pyodide = (await import("pyodide")) as unknown as PyodideModule;
    const drop = (): void => {};
    return await pyodide.loadPyodide({
      jsglobals: Object.create(null) as object,
      env: { HOME: "/home/guest", PYTHONHASHSEED: "0" },
      args: [],
      stdout: drop,
      stderr: drop,
      enableRunUntilComplete: false,
      checkAPIVersion: true,
      ...(snapshot === undefined ? {} : "load" in snapshot ? { _loadSnapshot: snapshot.load } : { _makeSnapshot: true }),
    });
  } finally {
    proc.binding = binding;
  }
}

/** An interpreter from the snapshot at `file` (with the prelude already in it), or from scratch when there is none or it fails. */
async function loadFromSnapshot(file: string | undefined): Promise<PyodideLike> {
  if (file !== undefined) {
    try {
      return await loadInterpreter({ load: readFileSync(file) });
    } catch {
      // unreadable or from another build: start from scratch
    }
  }
  return loadInterpreter();
}

/** The snapshot maker's whole job (snapshot-file.ts): a fresh interpreter with the prelude, saved to `file`; then exit. */
async function makeSnapshot(file: string): Promise<never> {
  const py = await loadInterpreter({ make: true });
  py.runPython(PYTHON_PRELUDE);
  const bytes = (py as PyodideLike & { makeMemorySnapshot(): Uint8Array }).makeMemorySnapshot();
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, bytes);
  renameSync(staging, file);
  process.exit(0);
}

/** The warm-up run's script: the paths a guest run takes (compile with `return`, a tool call and its answer, print, an exception, JSON). */
const WARM_UP_SCRIPT = 'x = await w.echo(i=1)\nprint("warm", x)\ntry:\n    raise ValueError("w")\nexcept ValueError:\n    pass\nreturn {"a": [1, 2.5, "s", None, True, x]}';

/**
 * Runs one throwaway run (a {@link PythonRun} with inert hooks) before the worker says ready, so
 * the WebAssembly code, the Python paths and the worker's JavaScript a run takes are compiled and
 * warm: the first run in a fresh process otherwise pays ~25 ms of lazy compilation. It is
 * toolcode's own code; what it leaves behind is removed (`servers.*` modules) or replaced by the
 * real run's boot (stdout, the `servers` package), and no guest code has run yet.
 */
async function warmUp(py: PyodideLike, boot: PyProxyLike, timer: InterruptTimer): Promise<void> {
  const message: RunMessage = { type: "run", runId: 0, code: WARM_UP_SCRIPT, lineOffset: 0, api: { globals: { w: ["echo"] }, data: {} }, limits: resolveLimits(WARM_UP_LIMITS) };
  await new Promise<void>((resolve) => {
    const run: PythonRun = new PythonRun(boot, timer, message, {
      callTool: (callId) => setImmediate(() => run.resolveToolCall(callId, '{"ok":true,"value":1}')),
      done: () => resolve(),
    });
    run.start();
  });
  py.runPython('import sys as _s, gc as _g\n_k = None\nfor _k in [k for k in _s.modules if k == "servers" or k.startswith("servers.")]:\n    del _s.modules[_k]\n_g.collect()\ndel _s, _g, _k');
}

const WARM_UP_LIMITS: SandboxLimits = { timeoutMs: 10_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 10, maxLogBytes: 10_000 };

/** Creates the Pyodide runner engine. */
export const createRunner: CreateRunner = ({ engineArgs = [] }) => {
  let boot: PyProxyLike | undefined;
  let timer: InterruptTimer | undefined;
  let used = false;
  const option = (name: string): string | undefined => engineArgs.find((arg) => arg.startsWith(`${name}:`))?.slice(name.length + 1);
  return {
    async init() {
      const makeAt = option("make-snapshot");
      if (makeAt !== undefined) return makeSnapshot(makeAt);
      const py = await loadFromSnapshot(option("snapshot"));
      for (const name of ["js", "pyodide_js"]) {
        try {
          py.unregisterJsModule(name);
        } catch {
          // not registered in this version
        }
      }
      const drop = (): void => {};
      py.setStdout({ batched: drop });
      py.setStderr({ batched: drop });
      timer = new InterruptTimer();
      py.setInterruptBuffer(timer.interruptBuffer);
      py.runPython(PYTHON_LOCKDOWN);
      if (py.globals.get("_toolcode_boot") === undefined) py.runPython(PYTHON_PRELUDE);
      py.runPython(`import sys as _s; _s.setrecursionlimit(${PYTHON_RECURSION_LIMIT}); del _s`);
      boot = py.globals.get("_toolcode_boot") as PyProxyLike;
      py.globals.delete("_toolcode_boot");
      lockDownRealm();
      await warmUp(py, boot, timer);
    },
    async start(message: RunMessage, hooks: RunHooks): Promise<GuestExecution> {
      if (boot === undefined || timer === undefined) throw new Error("Pyodide is not loaded");
      if (used) throw new Error("this Python worker already served its run");
      used = true;
      const run = new PythonRun(boot, timer, message, hooks);
      run.start();
      return run;
    },
  };
};
