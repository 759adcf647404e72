/**
 * A sandbox worker whose runner speaks the runner protocol as newline JSON over the stdin and
 * stdout of a host process: `bwrap …`, `runsc … run`, or `qemu-system-x86_64 …` (whose stdio is
 * the guest's virtio-serial port). The launcher (./bwrap-host.ts, ./gvisor-host.ts,
 * ./microvm-host.ts) decides the command; this file carries the messages and kills the process.
 *
 * The process is started in its own process group with an empty environment, and killed with its
 * whole group (SIGKILL) when the pool retires it or its run passed the deadline. Every message it
 * sends is checked (./worker-messages.ts); a line that is too long or not JSON kills it.
 *
 * @module
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { encodeLine, LineDecoder } from "../line-channel.js";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import type { SandboxWorker, WorkerExit } from "./sandbox-worker.js";
import { toWorkerMessage } from "./worker-messages.js";

/** How to start one stream worker. */
export interface StreamLaunch {
  command: string;
  args: string[];
  /** Environment of the launcher process (default empty). */
  env?: Record<string, string>;
  /** Runs once after the process is gone (remove a container's state, a temporary directory). */
  cleanup?: () => void;
}

const STDERR_TAIL = 600;

/** Starts `launch` and speaks the runner protocol over its stdio. */
export function streamWorker(launch: StreamLaunch): SandboxWorker {
  const child = spawn(launch.command, launch.args, {
    env: launch.env ?? {},
    cwd: path.parse(process.cwd()).root,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
    windowsHide: true,
  });
  let stderr = "";
  let protocolError: string | undefined;
  let spawnError: Error | undefined;
  const handlers: ((message: WorkerMessage) => void)[] = [];
  const killGroup = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  };
  const decoder = new LineDecoder(
    (value) => {
      const message = toWorkerMessage(value);
      if (message === undefined) {
        protocolError = "the runner sent a message that is not part of the runner protocol";
        decoder.close();
        killGroup();
        return;
      }
      for (const handler of handlers) handler(message);
    },
    (reason) => {
      protocolError = `the runner broke the protocol (${reason})`;
      killGroup();
    },
  );
  child.stdout.on("data", (chunk: Buffer) => decoder.push(chunk));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  child.stdin.on("error", () => {});
  child.on("error", (error) => {
    spawnError = error;
  });
  let cleaned = false;
  const exited = new Promise<void>((resolve) =>
    child.once("close", () => {
      if (!cleaned) {
        cleaned = true;
        try {
          launch.cleanup?.();
        } catch {
          // best effort
        }
      }
      resolve();
    }),
  );
  const streams = [child.stdout, child.stderr, child.stdin] as { ref?: () => void; unref?: () => void }[];
  const setRef = (keep: boolean): void => {
    if (keep) {
      child.ref();
      for (const stream of streams) stream.ref?.();
    } else {
      child.unref();
      for (const stream of streams) stream.unref?.();
    }
  };
  return {
    pid: child.pid,
    send(message: HostMessage) {
      if (child.stdin.writable) child.stdin.write(encodeLine(message));
    },
    onMessage(handler) {
      handlers.push(handler);
    },
    onExit(handler) {
      child.once("close", (code, signal) => {
        const oom = /heap out of memory|Allocation failed/i.test(stderr);
        const reason = protocolError ?? spawnError?.message ?? (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
        const exit: WorkerExit = { outOfMemory: oom, reason: stderr.trim() === "" ? reason : `${reason}: ${stderr.trim()}` };
        handler(exit);
      });
    },
    async kill() {
      // Whoever awaits the kill keeps the loop alive until "close" (the pipes too: an idle
      // worker's were unref'd, and "close" waits for them to end).
      setRef(true);
      if (child.exitCode === null && child.signalCode === null) killGroup();
      await exited;
    },
    ref(keep) {
      setRef(keep);
    },
  };
}
