/**
 * `sandbox.isolation: "gvisor"`: each sandbox worker is the usual worker process (Node's
 * permission model, no eval, heap cap; ./process-worker.ts) inside its own gVisor sandbox
 * (`runsc run` of a generated OCI bundle): the guest's system calls go to gVisor's user-space
 * kernel (Sentry), not to the host's; no network (`--network=none`, own network namespace); an
 * empty, read-only root with read-only binds of the system's `/usr` (Node and its libraries), the
 * worker's code and the engine's packages; a tmpfs `/tmp`; uid/gid 65534; no capabilities; an
 * empty environment. The sandbox runs attached to its `runsc run` process, which the host kills
 * (with its process group) when the worker is retired or its run passed the deadline.
 *
 * Runs as root, or rootless (`--rootless`) when the host is not root and user namespaces allow it.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { EngineSpec } from "../engines/engine-spec.js";
import { processLaunch } from "./process-worker.js";
import type { SpawnWorker } from "./sandbox-worker.js";
import { type StreamLaunch, streamWorker } from "./stream-worker.js";
import { workerFiles } from "./worker-files.js";

/** Options of {@link gvisorWorkers}. */
export interface GvisorOptions {
  engine: EngineSpec;
  /** V8 heap cap of each worker, in MiB. */
  workerMemoryMb: number;
}

const RUNSC_CANDIDATES = ["/usr/bin/runsc", "/usr/local/bin/runsc", "/usr/sbin/runsc"];
const STACK_BYTES = 64 * 1024 * 1024;

/** The runsc binary, or undefined when gVisor is not installed. */
export function runscBinary(): string | undefined {
  return RUNSC_CANDIDATES.find((candidate) => existsSync(candidate));
}

/** Global runsc flags: no network, no cgroups (the worker caps its own heap), rootless when not root. */
function runscFlags(stateRoot: string): string[] {
  const rootless = typeof process.getuid === "function" && process.getuid() !== 0;
  return [`--root=${stateRoot}`, "--network=none", "--ignore-cgroups", ...(rootless ? ["--rootless"] : [])];
}

let probed: string | undefined | null = null;

/** Why gVisor cannot run sandboxes here, or undefined. Boots one probe sandbox the first time. */
export function gvisorUnavailable(): string | undefined {
  if (probed !== null) return probed;
  const runsc = runscBinary();
  if (process.platform !== "linux") probed = "gVisor runs on Linux only";
  else if (runsc === undefined) probed = "gVisor is not installed (apt-get install runsc)";
  else {
    const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-gvisor-probe-"));
    try {
      writeBundle(dir, ["/bin/sh", "-c", "exit 0"], []);
      const probe = spawnSync(runsc, [...runscFlags(path.join(dir, "state")), "run", "--bundle", dir, `toolcode-probe-${randomBytes(4).toString("hex")}`], {
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 30_000,
        env: {},
      });
      probed = probe.status === 0 ? undefined : `runsc cannot start a sandbox here (${probe.stderr.toString().trim().split("\n").slice(-2).join(" ") || `exit ${String(probe.status)}`})`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return probed;
}

/** Starts workers, each in its own gVisor sandbox. Throws when gVisor cannot run here. */
export function gvisorWorkers(options: GvisorOptions): SpawnWorker {
  const reason = gvisorUnavailable();
  const runsc = runscBinary();
  if (reason !== undefined || runsc === undefined) throw new Error(reason ?? "gVisor is not installed");
  return () => streamWorker(gvisorLaunch(options));
}

/**
 * The `runsc run` command of one worker sandbox (a fresh OCI bundle in a temporary directory,
 * removed by `cleanup`); `command` replaces the worker's command line inside the same sandbox
 * (tests probe the sandbox with it).
 */
export function gvisorLaunch(options: GvisorOptions, command?: readonly string[]): StreamLaunch {
  const runsc = runscBinary();
  if (runsc === undefined) throw new Error("gVisor is not installed (apt-get install runsc)");
  const extras = options.engine.launchExtras?.();
  const launch = processLaunch({ engine: options.engine, workerMemoryMb: options.workerMemoryMb, networkNamespace: "off", transport: "stdio" }, extras);
  const binds = new Set<string>([...workerFiles(options.engine).readPaths, ...(extras?.readPaths ?? [])]);
  if (!process.execPath.startsWith("/usr/")) binds.add(process.execPath);
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-gvisor-"));
  const id = `toolcode-${process.pid}-${randomBytes(6).toString("hex")}`;
  writeBundle(dir, command !== undefined ? [...command] : [launch.command, ...launch.args], [...binds]);
  return {
    command: runsc,
    args: [...runscFlags(path.join(dir, "state")), "run", "--bundle", dir, id],
    // The sandbox runs attached: it dies with its runsc process. Only its state files remain.
    cleanup: () => void rm(dir, { recursive: true, force: true }).catch(() => {}),
  };
}

/** Writes an OCI bundle (config.json and an empty read-only rootfs) into `dir`. */
function writeBundle(dir: string, args: string[], binds: string[]): void {
  mkdirSync(path.join(dir, "rootfs"), { recursive: true });
  const bind = (source: string, destination = source): Record<string, unknown> => ({ destination, type: "bind", source, options: ["rbind", "ro"] });
  const mounts: Record<string, unknown>[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=16m"] },
    bind("/usr"),
  ];
  for (const dirName of ["/lib", "/lib64", "/bin"]) {
    if (!existsSync(dirName)) continue;
    // Merged /usr: /lib is a link into /usr; bind its target at the link's place.
    mounts.push(bind(lstatSync(dirName).isSymbolicLink() ? realpathSync(dirName) : dirName, dirName));
  }
  for (const source of binds) mounts.push(bind(source));
  const config = {
    ociVersion: "1.0.0",
    process: {
      terminal: false,
      user: { uid: 65534, gid: 65534 },
      args,
      env: [],
      cwd: "/",
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      noNewPrivileges: true,
      rlimits: [{ type: "RLIMIT_STACK", hard: STACK_BYTES, soft: STACK_BYTES }],
    },
    root: { path: "rootfs", readonly: true },
    hostname: "sandbox",
    mounts,
    linux: { namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }] },
  };
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
}
