/**
 * `sandbox.isolation: "e2b"`: each sandbox worker is an E2B sandbox (a Firecracker microVM in
 * E2B's cloud) started with the `e2b` SDK (an optional peer dependency, imported on first use).
 * The runner needs no toolcode install there: the worker's code and the engine's packages
 * (./runner-bundle.ts) are written into the sandbox, and the worker is started with the SDK's
 * process API; the runner protocol runs as newline JSON over that process's stdin and stdout.
 *
 * What goes there: guest code, the run's limits and tool results. What never does: the E2B API
 * key (the gateway's SDK calls use it; the sandbox gets an empty environment), tool credentials
 * (tool calls run in the gateway), the network (`allowInternetAccess: false`). Killing the
 * worker kills the sandbox; a sandbox also ends by itself after `sandbox.e2b.timeoutMs`.
 *
 * The stream plumbing ({@link remoteProcessWorker}) takes any {@link StartRemoteProcess}, so it is
 * tested with a local process standing in for the E2B one; the E2B path itself runs only with an
 * API key.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { EngineSpec } from "../engines/engine-spec.js";
import { encodeLine, LineDecoder } from "../line-channel.js";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import { type RunnerBundle, runnerBundle } from "./runner-bundle.js";
import type { SandboxWorker, SpawnWorker, WorkerExit } from "./sandbox-worker.js";
import { toWorkerMessage } from "./worker-messages.js";

/** `sandbox.e2b`. */
export interface E2bConfig {
  /** E2B template with Node ≥ 20 on its PATH (default `base`). */
  template?: string;
  /** Environment variable of the gateway holding the E2B API key (default `E2B_API_KEY`). */
  apiKeyEnv?: string;
  /** Lifetime of one E2B sandbox, ms (default 600000); E2B ends it then, and the pool starts another. */
  timeoutMs?: number;
}

/** Options of {@link e2bWorkers}. */
export interface E2bOptions {
  engine: EngineSpec;
  workerMemoryMb: number;
  config: E2bConfig;
}

/** The version of the `e2b` SDK this adapter is written and tested against. */
export const E2B_SDK_VERSION = "2.51.0";
/** Where the runner bundle goes inside the sandbox. */
export const E2B_ROOT = "/tmp/toolcode-runner";
const V8_STACK_KB = 39 * 1024;
const DEFAULT_TIMEOUT_MS = 600_000;
const STDERR_TAIL = 600;

/** Why E2B sandboxes cannot be used here (what to do), or undefined. */
export function e2bUnavailable(config: E2bConfig = {}): string | undefined {
  try {
    createRequire(import.meta.url).resolve("e2b");
  } catch {
    return `the e2b package is not installed (npm install e2b@${E2B_SDK_VERSION})`;
  }
  const env = config.apiKeyEnv ?? "E2B_API_KEY";
  const key = process.env[env];
  if (key === undefined || key.trim() === "") return `no E2B API key in the environment variable ${env} (set it, or name another one in sandbox.e2b.apiKeyEnv)`;
  return undefined;
}

/** Starts workers, each in its own E2B sandbox. Throws when E2B cannot be used here. */
export function e2bWorkers(options: E2bOptions): SpawnWorker {
  const reason = e2bUnavailable(options.config);
  if (reason !== undefined) throw new Error(reason);
  let bundle: RunnerBundle | undefined;
  return () => {
    bundle ??= runnerBundle(options.engine, { root: E2B_ROOT, node: "node", workerMemoryMb: options.workerMemoryMb, v8StackKb: V8_STACK_KB });
    // The SDK's first sandbox takes seconds to create; ready within the sandbox's lifetime at most.
    return remoteProcessWorker(e2bProcess(bundle, options.config), { readyTimeoutMs: Math.min(options.config.timeoutMs ?? DEFAULT_TIMEOUT_MS, 180_000) });
  };
}

/**
 * The shell line that starts the bundle's worker in `root`: Node found on the PATH, a native
 * stack larger than the worker's V8 stack, an empty environment. Exit 96: no node; 97: the stack
 * limit cannot be raised.
 */
export function runnerShellCommand(bundle: RunnerBundle, root: string): string {
  const [, ...args] = bundle.command;
  const stackKb = V8_STACK_KB + 1024;
  return `cd ${quote(root)} && NODE=$(command -v node) || exit 96; ulimit -s ${stackKb} 2>/dev/null || exit 97; exec env -i "$NODE" ${args.map(quote).join(" ")}`;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A process in a sandbox elsewhere whose stdin and stdout carry the runner protocol. */
export interface RemoteProcess {
  /** Writes to the process's stdin. */
  write(data: string): Promise<void>;
  /** Resolves (never rejects) with why the process or its sandbox ended. */
  readonly ended: Promise<string>;
  /** Ends the process and its sandbox. */
  kill(): Promise<void>;
}

/** Starts one {@link RemoteProcess}; its output goes to the callbacks as text. */
export type StartRemoteProcess = (output: { stdout(chunk: string): void; stderr(chunk: string): void }) => Promise<RemoteProcess>;

/** The E2B process: create a sandbox, write the bundle, start the worker with its stdin open. */
function e2bProcess(bundle: RunnerBundle, config: E2bConfig): StartRemoteProcess {
  return async (output) => {
    const { Sandbox } = await import("e2b");
    const apiKey = process.env[config.apiKeyEnv ?? "E2B_API_KEY"];
    const sandbox = await Sandbox.create(config.template ?? "base", {
      ...(apiKey !== undefined ? { apiKey } : {}),
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      allowInternetAccess: false,
      envs: {},
      metadata: { purpose: "toolcode-runner" },
    });
    try {
      await sandbox.files.write(bundle.files.map((file) => ({ path: `${E2B_ROOT}/${file.path}`, data: new Blob([file.data]) })));
      const handle = await sandbox.commands.run(runnerShellCommand(bundle, E2B_ROOT), {
        background: true,
        stdin: true,
        envs: {},
        timeoutMs: 0,
        onStdout: (chunk) => output.stdout(chunk),
        onStderr: (chunk) => output.stderr(chunk),
      });
      const ended = handle.wait().then(
        (result) => `exit code ${result.exitCode}`,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      return {
        write: (data) => handle.sendStdin(data),
        ended,
        kill: async () => {
          await sandbox.kill().catch(() => false);
        },
      };
    } catch (error) {
      await sandbox.kill().catch(() => false);
      throw error;
    }
  };
}

/**
 * A sandbox worker over a {@link RemoteProcess}: messages wait until the process is started, go
 * out in order, and every line that comes back is checked (./worker-messages.ts); a line that is
 * not part of the protocol, too long, or a runner not ready in `readyTimeoutMs` ends the process.
 */
export function remoteProcessWorker(start: StartRemoteProcess, options: { readyTimeoutMs: number }): SandboxWorker {
  const handlers: ((message: WorkerMessage) => void)[] = [];
  const exitHandlers: ((exit: WorkerExit) => void)[] = [];
  let stderr = "";
  let failure: string | undefined;
  let exit: WorkerExit | undefined;
  let proc: RemoteProcess | undefined;
  let killed = false;
  let ready = false;
  let writing: Promise<void> = Promise.resolve();
  const outbox: string[] = [];
  let resolveGone: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (resolveGone = resolve));

  const finish = (reason: string): void => {
    if (exit !== undefined) return;
    clearTimeout(readyTimer);
    const tail = stderr.trim();
    const why = failure ?? reason;
    exit = { outOfMemory: /heap out of memory|Allocation failed/i.test(tail), reason: tail === "" ? why : `${why}: ${tail}` };
    for (const handler of exitHandlers) handler(exit);
    resolveGone();
  };
  const stop = (why: string): void => {
    failure ??= why;
    killed = true;
    if (proc !== undefined) void proc.kill();
  };
  const decoder = new LineDecoder(
    (value) => {
      const message = toWorkerMessage(value);
      if (message === undefined) {
        decoder.close();
        stop("the runner sent a message that is not part of the runner protocol");
        return;
      }
      if (message.type === "ready") {
        ready = true;
        clearTimeout(readyTimer);
      }
      for (const handler of handlers) handler(message);
    },
    (reason) => stop(`the runner broke the protocol (${reason})`),
  );
  const readyTimer = setTimeout(() => {
    if (!ready) stop(`the runner was not ready within ${options.readyTimeoutMs} ms`);
  }, options.readyTimeoutMs);
  readyTimer.unref();
  const write = (line: string): void => {
    const target = proc;
    if (target === undefined) return;
    writing = writing.then(() => target.write(line)).catch((error: unknown) => stop(`writing to the runner failed: ${error instanceof Error ? error.message : String(error)}`));
  };

  start({
    stdout: (chunk) => decoder.push(Buffer.from(chunk, "utf8")),
    stderr: (chunk) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    },
  }).then(
    (started) => {
      proc = started;
      void started.ended.then((reason) => finish(killed && failure === undefined ? "killed" : reason));
      if (killed) {
        void started.kill();
        return;
      }
      for (const line of outbox.splice(0)) write(line);
    },
    (error: unknown) => finish(`the sandbox could not be started: ${error instanceof Error ? error.message : String(error)}`),
  );

  return {
    pid: undefined,
    send(message: HostMessage) {
      if (exit !== undefined || killed) return;
      const line = encodeLine(message);
      if (proc === undefined) outbox.push(line);
      else write(line);
    },
    onMessage(handler) {
      handlers.push(handler);
    },
    onExit(handler) {
      if (exit !== undefined) handler(exit);
      else exitHandlers.push(handler);
    },
    async kill() {
      if (exit === undefined) {
        killed = true;
        // A sandbox whose process never reports its end after the kill is gone all the same.
        setTimeout(() => finish("killed"), 5000).unref();
        if (proc !== undefined) await proc.kill();
      }
      await gone;
    },
    ref() {
      // The SDK's connection keeps the event loop alive while a sandbox is open; nothing to toggle.
    },
  };
}
