/**
 * Entry point of a sandbox worker: a child process started by ../host/process-worker.ts (messages
 * over IPC) or a worker thread started by ../host/thread-worker.ts (messages over `postMessage`).
 * It loads one engine's runner module (`engines/<name>/runner`) and serves runs with it.
 *
 * With `--transport=stdio` it is a runner of the runner protocol over newline JSON on stdin and
 * stdout instead (inside bubblewrap, gVisor or a microVM, and `toolcode runner`).
 *
 * Options come from the command line (`--runner=engines/<name>/runner --max-guest-stack-kb=N`) or
 * `workerData`. The worker holds no secrets: it is started with an empty environment, and
 * everything a guest does outside the sandbox goes to the host as a tool call.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import type { CreateRunner, RunnerEngine, RunnerOptions } from "./execution.js";
import { serveRuns, type RunnerTransport } from "./serve.js";
import { stdioTransport } from "./stdio-transport.js";

function optionsFromArgv(argv: string[]): RunnerOptions {
  const value = (name: string): string | undefined => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const engineArgs = argv.filter((arg) => arg.startsWith("--engine-arg=")).map((arg) => arg.slice("--engine-arg=".length));
  return { runner: value("runner") ?? "", maxGuestStackKb: Number(value("max-guest-stack-kb") ?? "128"), engineArgs };
}

function processTransport(): RunnerTransport {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("worker/entry must run as a child process with an IPC channel, or as a worker thread");
  let lastSend: Promise<void> = Promise.resolve();
  process.on("disconnect", () => process.exit(0));
  return {
    send(message: WorkerMessage) {
      lastSend = new Promise((resolve) => {
        send(message, undefined, undefined, () => resolve());
      });
    },
    onMessage(handler) {
      process.on("message", (message) => handler(message as HostMessage));
    },
    exit(code) {
      void lastSend.then(() => process.exit(code));
    },
  };
}

function threadTransport(port: NonNullable<typeof parentPort>): RunnerTransport {
  return {
    send(message) {
      port.postMessage(message);
    },
    onMessage(handler) {
      port.on("message", handler);
    },
    exit(code) {
      process.exit(code);
    },
  };
}

/** Loads the runner module the host named (a path under src/sandbox/, nothing else). */
async function loadEngine(options: RunnerOptions): Promise<RunnerEngine> {
  if (!/^engines\/[a-z0-9-]+\/runner$/.test(options.runner)) throw new Error(`invalid runner module "${options.runner}"`);
  const loaded = (await import(new URL(`../${options.runner}.js`, import.meta.url).href)) as { createRunner?: CreateRunner };
  if (typeof loaded.createRunner !== "function") throw new Error(`${options.runner} does not export createRunner`);
  return loaded.createRunner(options);
}

const options: RunnerOptions = parentPort !== null ? (workerData as RunnerOptions) : optionsFromArgv(process.argv.slice(2));
const transport = parentPort !== null
  ? threadTransport(parentPort)
  : process.argv.includes("--transport=stdio") ? stdioTransport() : processTransport();
await serveRuns(transport, await loadEngine(options));
