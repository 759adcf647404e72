/**
 * Pyodide memory snapshots on the host side: where the snapshot of a ready interpreter (Pyodide
 * loaded, the bridge prelude compiled, no guest code ever run) lives, and the one-off process that
 * makes it. Workers then start from the snapshot (about 0.5 s instead of 2.5 s here); until it
 * exists, or when it cannot be written, they load Pyodide from scratch.
 *
 * The maker is a worker process like the others (empty environment, permission model, network
 * namespace) that may also write the cache directory; it runs no guest code and exits once the
 * file is written (atomically: temporary name, then rename).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { processLaunch } from "../../host/process-worker.js";
import { packageDir } from "../../host/worker-files.js";
import type { EngineSpec, LaunchExtras } from "../engine-spec.js";
import { PYODIDE_VERSION } from "./limits.js";
import { PYTHON_PRELUDE } from "./python-prelude.js";

/** The longest a snapshot maker may run before it is killed. */
const MAKER_TIMEOUT_MS = 180_000;

let file: string | null | undefined;
let maker: "running" | "done" | undefined;

/** The snapshot's path for this Pyodide, prelude and Node (null when there is nowhere to keep it). */
export function snapshotPath(): string | null {
  if (file !== undefined) return file;
  try {
    const dir = path.join(path.resolve(packageDir("pyodide"), ".."), ".cache", "toolcode-sandbox");
    const hash = createHash("sha256").update(PYODIDE_VERSION).update("\0").update(process.version).update("\0").update(PYTHON_PRELUDE).digest("hex").slice(0, 16);
    file = path.join(dir, `pyodide-${hash}.snapshot`);
  } catch {
    file = null;
  }
  return file;
}

/**
 * The runner arguments of the next Python worker: load the snapshot when it exists; otherwise
 * (once per host process) start making it in the background, and load from scratch meanwhile.
 */
export function snapshotLaunchExtras(spec: EngineSpec): LaunchExtras {
  const snapshot = snapshotPath();
  if (snapshot === null) return { args: [], readPaths: [] };
  if (existsSync(snapshot)) return { args: [`snapshot:${snapshot}`], readPaths: [snapshot] };
  if (maker === undefined) startMaker(spec, snapshot);
  return { args: [], readPaths: [] };
}

function startMaker(spec: EngineSpec, snapshot: string): void {
  maker = "running";
  const dir = path.dirname(snapshot);
  try {
    mkdirSync(dir, { recursive: true });
    const launch = processLaunch({ engine: { ...spec, launchExtras: undefined }, workerMemoryMb: 512, networkNamespace: "auto" }, {
      args: [`make-snapshot:${snapshot}`],
      readPaths: [dir],
      writePaths: [dir],
    });
    const child = spawn(launch.command, launch.args, { env: {}, cwd: path.parse(process.cwd()).root, stdio: ["ignore", "ignore", "ignore", "ipc"], serialization: "json", windowsHide: true });
    const timer = setTimeout(() => child.kill("SIGKILL"), MAKER_TIMEOUT_MS);
    timer.unref();
    child.on("error", () => {});
    child.once("exit", () => {
      clearTimeout(timer);
      maker = "done";
    });
    child.unref();
    child.channel?.unref?.();
  } catch {
    maker = "done";
  }
}
