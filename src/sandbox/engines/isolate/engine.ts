/**
 * The second engine: V8 isolates through `isolated-vm` (an optional peer dependency: installed
 * only by those who choose it, since it compiles C++ at install), one fresh
 * isolate per execution (./isolate-run.ts, run by ./runner.ts in the worker), in the pooled
 * sandbox workers started with `--no-node-snapshot` (which isolated-vm needs on Node 20) under the
 * same permission model as the QuickJS workers plus `--allow-addons`. Selected with
 * `sandbox.engine: "isolate"`.
 *
 * @module
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { packageDir } from "../../host/worker-files.js";
import type { EngineSpec } from "../engine-spec.js";

/**
 * Why the isolate engine cannot run here, or undefined when it looks installed (the package
 * resolves and its native binary was built). The addon is never loaded into the host: only
 * sandbox workers load it.
 */
export function isolateEngineUnavailable(): string | undefined {
  let dir: string;
  try {
    dir = packageDir("isolated-vm");
  } catch {
    return "isolated-vm is not installed: run `npm install isolated-vm@5.0.4` (an optional peer dependency, not installed by default because it compiles from source: needs python3, make and a C++ compiler)";
  }
  const binary = path.join(dir, "out", "isolated_vm.node");
  if (!existsSync(binary)) return "isolated-vm is installed but its native addon was not built (its install script did not run or failed)";
  return undefined;
}

/** V8 isolates, as the host side sees it. */
export const isolateEngine: EngineSpec = {
  name: "isolate",
  runner: "engines/isolate/runner",
  packages: ["isolated-vm"],
  processFlags: ["--allow-addons", "--no-node-snapshot"],
  // V8 checks its own stack; the guest shares the worker's.
  maxGuestStackKb: (nativeStackKb) => nativeStackKb,
  unavailable(isolation) {
    const missing = isolateEngineUnavailable();
    if (missing !== undefined) return { key: "sandbox.engine", message: `sandbox.engine "isolate" is not available: ${missing}. Use sandbox.engine "quickjs".` };
    if (isolation === "thread" && !process.execArgv.includes("--no-node-snapshot")) {
      return {
        key: "sandbox.isolation",
        message: 'sandbox.engine "isolate" with sandbox.isolation "thread" needs the host started with node --no-node-snapshot; use sandbox.isolation "process".',
      };
    }
    return undefined;
  },
};
