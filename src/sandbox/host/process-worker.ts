/**
 * Sandbox workers as child processes: the process boundary around the engine (defence in depth
 * behind the engine's own isolation).
 *
 * Each worker is `node worker/entry.js` started with:
 * - an empty environment (no credentials, tokens or config reach it) and `/` as working directory;
 * - Node's permission model (`--experimental-permission`): reads only of its own code and the
 *   engine's package files; no writes, no child processes, no worker threads, no inspector; plus
 *   the engine's own flags (`EngineSpec.processFlags`: native addons for the isolate engine);
 * - `--disallow-code-generation-from-strings` (no `eval` in the worker's own realm);
 * - `--max-old-space-size` (the worker's heap cap) and a native stack sized for the guest stack;
 * - where Linux allows it, its own empty network namespace (`unshare -n`): no network at all, as
 *   the permission model of Node 20 does not restrict sockets.
 * IPC (a socket pair inherited at spawn) carries plain-data messages; stdout is discarded and
 * stderr kept only as the last few hundred bytes for the operator's crash reason.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EngineSpec, LaunchExtras } from "../engines/engine-spec.js";
import type { SandboxWorker, SpawnWorker, WorkerExit } from "./sandbox-worker.js";
import { workerFiles } from "./worker-files.js";

/** How workers get a network namespace: when available, always (fail otherwise), or never. */
export type NetworkNamespaceMode = "auto" | "required" | "off";

/** Options of {@link processWorkers}. */
export interface ProcessWorkerOptions {
  engine: EngineSpec;
  /** V8 heap cap of each worker process, in MiB (`--max-old-space-size`). */
  workerMemoryMb: number;
  /** Network namespace use (default "auto"). */
  networkNamespace?: NetworkNamespaceMode;
  /** CPU priority of each worker process, in nice steps below the host's (default 0). */
  nice?: number;
  /**
   * How the worker talks to the host: Node IPC (default) or newline JSON over stdin/stdout (the
   * runner protocol's stream transport, for a worker inside bubblewrap, gVisor or a VM).
   */
  transport?: "ipc" | "stdio";
}

/** What a worker process is started with, as decided once per configuration. */
export interface ProcessLaunch {
  command: string;
  args: string[];
  /** Whether the worker is in its own network namespace. */
  networkIsolated: boolean;
  /** The largest guest stack (KiB) the worker's native stack absorbs. */
  maxGuestStackKb: number;
}

/** Stack the wrapper asks for (KiB) when the hard limit allows; V8 gets a bit less. */
const WANTED_STACK_KB = 40 * 1024;
const STACK_HEADROOM_KB = 1024;
const STDERR_TAIL = 600;

/** Starts child processes running the sandbox runner. Throws when `networkNamespace` is "required" but unavailable. */
export function processWorkers(options: ProcessWorkerOptions): SpawnWorker {
  const launch = processLaunch(options);
  const nice = options.nice ?? 0;
  const extras = options.engine.launchExtras?.bind(options.engine);
  return () => {
    const worker = spawnWorker(extras === undefined ? launch : processLaunch(options, extras()));
    if (nice > 0 && worker.pid !== undefined) {
      try {
        // Relative to the host's own priority (a host started with `nice` keeps its workers below it).
        os.setPriority(worker.pid, Math.min(19, os.getPriority() + nice));
      } catch {
        // not permitted here: the worker keeps the host's priority
      }
    }
    return worker;
  };
}

/** The command line of a worker process (exported for tests and the security notes). */
export function processLaunch(options: ProcessWorkerOptions, extras?: LaunchExtras): ProcessLaunch {
  const entry = workerFiles(options.engine);
  const stack = nativeStack();
  const nodeFlags = [
    "--experimental-permission",
    ...[...entry.readPaths, ...(extras?.readPaths ?? [])].map((readable) => `--allow-fs-read=${readable}`),
    ...(extras?.writePaths ?? []).map((writable) => `--allow-fs-write=${writable}`),
    ...options.engine.processFlags,
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${Math.max(16, Math.floor(options.workerMemoryMb))}`,
    ...(stack.v8StackKb !== undefined ? [`--stack-size=${stack.v8StackKb}`] : []),
    "--no-warnings",
  ];
  const maxGuestStackKb = options.engine.maxGuestStackKb(stack.v8StackKb ?? 984);
  const runnerArgs = [
    entry.file,
    `--runner=${options.engine.runner}`,
    `--max-guest-stack-kb=${maxGuestStackKb}`,
    ...(extras?.args ?? []).map((arg) => `--engine-arg=${arg}`),
    ...(options.transport === "stdio" ? ["--transport=stdio"] : []),
  ];
  const node = [process.execPath, ...nodeFlags, ...runnerArgs];
  const unshare = networkNamespacePrefix(options.networkNamespace ?? "auto");
  const inner = [...unshare, ...node];
  if (stack.raiseToKb !== undefined) {
    // The main thread's stack size is fixed at exec time by RLIMIT_STACK: raise it in a shell first.
    const [command, ...args] = ["/bin/sh", "-c", `ulimit -s ${stack.raiseToKb} 2>/dev/null; unset PWD OLDPWD SHLVL _; exec "$@"`, "toolcode-sandbox", ...inner];
    return { command: command ?? "/bin/sh", args, networkIsolated: unshare.length > 0, maxGuestStackKb };
  }
  const [command, ...args] = inner;
  return { command: command ?? process.execPath, args, networkIsolated: unshare.length > 0, maxGuestStackKb };
}

function spawnWorker(launch: ProcessLaunch): SandboxWorker {
  const child = spawn(launch.command, launch.args, {
    env: {},
    cwd: path.parse(process.cwd()).root,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
    windowsHide: true,
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let spawnError: Error | undefined;
  child.on("error", (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // An IPC write to a worker that just died fails asynchronously; the exit handler reports it.
  child.channel?.on?.("error", () => {});
  return {
    pid: child.pid,
    send(message) {
      if (!child.connected) return;
      try {
        child.send(message, (error) => {
          if (error !== null && error !== undefined && child.exitCode === null) child.kill("SIGKILL");
        });
      } catch {
        child.kill("SIGKILL");
      }
    },
    onMessage(handler) {
      child.on("message", (message) => handler(message as Parameters<typeof handler>[0]));
    },
    onExit(handler) {
      child.once("close", (code, signal) => {
        const oom = /heap out of memory|Allocation failed/i.test(stderr);
        const reason = spawnError?.message ?? (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
        const exit: WorkerExit = { outOfMemory: oom, reason: stderr.trim() === "" ? reason : `${reason}: ${stderr.trim()}` };
        handler(exit);
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        // An idle worker is unref'd: keep the host alive until the exit is seen.
        child.ref();
        child.kill("SIGKILL");
      }
      await exited;
    },
    ref(keep) {
      if (keep) {
        child.ref();
        child.channel?.ref?.();
      } else {
        child.unref();
        child.channel?.unref?.();
      }
    },
  };
}

let stackCache: { v8StackKb?: number; raiseToKb?: number } | undefined;

/**
 * How big a native stack the worker gets: on Linux the wrapper raises RLIMIT_STACK to 40 MiB when
 * the hard limit allows; otherwise V8 gets what the soft limit offers (at most 8 MiB matters).
 */
function nativeStack(): { v8StackKb?: number; raiseToKb?: number } {
  if (stackCache !== undefined) return stackCache;
  stackCache = {};
  if (process.platform === "linux" && existsSync("/bin/sh")) {
    const limits = stackLimits();
    if (limits !== undefined) {
      if (limits.hardKb === Infinity || limits.hardKb >= WANTED_STACK_KB) {
        stackCache = { raiseToKb: WANTED_STACK_KB, v8StackKb: WANTED_STACK_KB - STACK_HEADROOM_KB };
      } else if (limits.softKb >= 2 * STACK_HEADROOM_KB) {
        stackCache = { v8StackKb: Math.min(limits.softKb, WANTED_STACK_KB) - STACK_HEADROOM_KB };
      }
    }
  } else if (process.platform === "darwin") {
    // macOS gives the main thread 8 MiB.
    stackCache = { v8StackKb: 8 * 1024 - STACK_HEADROOM_KB };
  }
  return stackCache;
}

function stackLimits(): { softKb: number; hardKb: number } | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max stack size"));
    const match = line === undefined ? null : /^Max stack size\s+(\S+)\s+(\S+)/.exec(line);
    if (match === null) return undefined;
    const kb = (value: string | undefined): number => (value === "unlimited" ? Infinity : Math.floor(Number(value) / 1024));
    return { softKb: kb(match[1]), hardKb: kb(match[2]) };
  } catch {
    return undefined;
  }
}

let namespaceCache: string[] | undefined;

/** `unshare` arguments that put the worker in an empty network namespace, if this system allows it. */
function networkNamespacePrefix(mode: NetworkNamespaceMode): string[] {
  if (mode === "off") return [];
  namespaceCache ??= probeNetworkNamespace();
  if (namespaceCache.length === 0 && mode === "required") {
    throw new Error(
      "sandbox.networkNamespace is \"required\" but this system cannot create network namespaces (unshare -n failed). " +
        "Use \"auto\" to run without one, or allow unprivileged user namespaces.",
    );
  }
  return namespaceCache;
}

function probeNetworkNamespace(): string[] {
  if (process.platform !== "linux") return [];
  const unshare = ["/usr/bin/unshare", "/bin/unshare"].find((candidate) => existsSync(candidate));
  if (unshare === undefined) return [];
  for (const flags of [["-n"], ["-r", "-n"]]) {
    const probe = spawnSync(unshare, [...flags, "--", "/bin/sh", "-c", "exit 0"], { stdio: "ignore", timeout: 5000, env: {} });
    if (probe.status === 0) return [unshare, ...flags, "--"];
  }
  return [];
}
