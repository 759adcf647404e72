/**
 * `sandbox.isolation: "bwrap"`: each sandbox worker is the usual worker process (Node's
 * permission model, no eval, heap cap; ./process-worker.ts) inside a bubblewrap sandbox:
 * `--unshare-all` (own user, mount, PID, IPC, UTS, cgroup and network namespaces: no network at
 * all), uid/gid 65534 and no capabilities, `--die-with-parent`, `--new-session`, an empty environment, and a filesystem of read-only
 * binds only: the system's `/usr` (the Node binary and the libraries it links), the worker's own
 * code and the engine's packages; `/tmp` is an empty tmpfs. It shares the host's kernel (the
 * boundary is namespaces and seccomp-free syscalls), so it is the cheap layer, not a kernel
 * boundary; see docs/isolation.md.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import type { EngineSpec } from "../engines/engine-spec.js";
import { processLaunch } from "./process-worker.js";
import type { SpawnWorker } from "./sandbox-worker.js";
import { streamWorker } from "./stream-worker.js";
import { workerFiles } from "./worker-files.js";

/** Options of {@link bwrapWorkers}. */
export interface BwrapOptions {
  engine: EngineSpec;
  /** V8 heap cap of each worker, in MiB. */
  workerMemoryMb: number;
}

const BWRAP_CANDIDATES = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"];

/** The bubblewrap binary, or undefined when it is not installed. */
export function bwrapBinary(): string | undefined {
  return BWRAP_CANDIDATES.find((candidate) => existsSync(candidate));
}

let probed: string | undefined | null = null;

/** Why bubblewrap cannot run sandboxes here (not installed, namespaces not allowed), or undefined. */
export function bwrapUnavailable(): string | undefined {
  if (probed !== null) return probed;
  const binary = bwrapBinary();
  if (process.platform !== "linux") probed = "bubblewrap runs on Linux only";
  else if (binary === undefined) probed = "bubblewrap is not installed (apt-get install bubblewrap)";
  else {
    const probe = spawnSync(binary, [...systemBinds(), "--unshare-all", "--die-with-parent", "--", "/bin/sh", "-c", "exit 0"], { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000, env: {} });
    probed = probe.status === 0 ? undefined : `bubblewrap cannot create namespaces here (${probe.stderr.toString().trim() || `exit ${String(probe.status)}`}); allow unprivileged user namespaces or run as root`;
  }
  return probed;
}

/**
 * The bwrap arguments for one worker (exported for tests and the security notes); `command`
 * replaces the worker's command line inside the same sandbox (tests probe the sandbox with it).
 */
export function bwrapArgs(options: BwrapOptions, command?: readonly string[]): string[] {
  const extras = options.engine.launchExtras?.();
  const launch = processLaunch({ engine: options.engine, workerMemoryMb: options.workerMemoryMb, networkNamespace: "off", transport: "stdio" }, extras);
  const inner = command ?? [launch.command, ...launch.args];
  const binds = new Set<string>([...workerFiles(options.engine).readPaths, ...(extras?.readPaths ?? [])]);
  if (!process.execPath.startsWith("/usr/")) binds.add(process.execPath);
  return [
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    "--uid", "65534",
    "--gid", "65534",
    "--cap-drop", "ALL",
    // Mounts apply in order: /tmp before the binds, so a checkout under /tmp stays visible.
    "--proc", "/proc",
    "--dev", "/dev",
    "--tmpfs", "/tmp",
    ...systemBinds(),
    ...[...binds].flatMap((bind) => ["--ro-bind", bind, bind]),
    "--chdir", "/",
    "--",
    ...inner,
  ];
}

/** Starts workers inside bubblewrap. Throws when bubblewrap cannot run here. */
export function bwrapWorkers(options: BwrapOptions): SpawnWorker {
  const reason = bwrapUnavailable();
  const binary = bwrapBinary();
  if (reason !== undefined || binary === undefined) throw new Error(reason ?? "bubblewrap is not installed");
  const args = options.engine.launchExtras === undefined ? bwrapArgs(options) : undefined;
  return () => streamWorker({ command: binary, args: args ?? bwrapArgs(options) });
}

/** `/usr` read-only, and `/lib`, `/lib64`, `/bin` as the links (merged /usr) or binds they are on the host. */
function systemBinds(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const dir of ["/lib", "/lib64", "/bin"]) {
    if (!existsSync(dir)) continue;
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  return args;
}
