/**
 * The runner protocol over this process's stdin and stdout, one JSON message per line
 * (../line-channel.ts): how a runner talks to its host from inside bubblewrap, gVisor or a
 * microVM (where stdio is a virtio-serial port), and as `toolcode runner`.
 *
 * Nothing else may write to stdout: console output goes to stderr. When stdin ends (the host
 * went away) the runner exits.
 *
 * @module
 */
import type { HostMessage, WorkerMessage } from "../protocol.js";
import { encodeLine, LineDecoder } from "../line-channel.js";
import type { RunnerTransport } from "./serve.js";

const HOST_TYPES: ReadonlySet<string> = new Set(["run", "toolResult", "cancel"]);

/** A {@link RunnerTransport} over stdin/stdout of the current process. */
export function stdioTransport(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): RunnerTransport {
  // Whatever a library prints must not corrupt the channel.
  for (const level of ["log", "info", "debug", "warn"] as const) console[level] = console.error.bind(console);
  let lastWrite: Promise<void> = Promise.resolve();
  let handler: ((message: HostMessage) => void) | undefined;
  const decoder = new LineDecoder(
    (value) => {
      if (typeof value === "object" && value !== null && HOST_TYPES.has(String((value as { type?: unknown }).type))) handler?.(value as HostMessage);
    },
    () => process.exit(2),
  );
  input.on("data", (chunk: Buffer | string) => decoder.push(chunk));
  input.on("end", () => process.exit(0));
  input.on("error", () => process.exit(0));
  return {
    send(message: WorkerMessage) {
      const line = encodeLine(message);
      lastWrite = new Promise((resolve) => {
        output.write(line, () => resolve());
      });
    },
    onMessage(next) {
      handler = next;
    },
    exit(code) {
      void lastWrite.then(() => process.exit(code));
    },
  };
}
