/**
 * `sandbox.isolation: "remote"`: each sandbox worker is one WebSocket connection to a runner
 * server (`toolcode runner --listen`, ../runner/runner-server.ts) on another machine or process.
 * The server starts a fresh sandboxed worker for every connection and ends it when the
 * connection closes, so closing the socket is how the host kills a remote sandbox (at a deadline,
 * on recycle, on close).
 *
 * Every text frame is one runner-protocol message (JSON). The connection authenticates with a
 * shared secret (`Authorization: Bearer …`, compared in constant time by the server) and, with a
 * `wss://` URL, optionally mutual TLS (`ca`, `cert`, `key`). Nothing the runner sends is trusted
 * (./worker-messages.ts); frames over the size cap or not JSON end the connection.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { DEFAULT_MAX_LINE_BYTES } from "../line-channel.js";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import type { SandboxWorker, SpawnWorker, WorkerExit } from "./sandbox-worker.js";
import { toWorkerMessage } from "./worker-messages.js";

/** Where the runner server is and how to authenticate (`sandbox.remote`). */
export interface RemoteRunnerConfig {
  /** `ws://host:port` or `wss://host:port` of `toolcode runner --listen`. */
  url: string;
  /** The shared secret the runner was started with (`--secret-file`). */
  secret: string;
  /** PEM file of the CA that signed the runner's certificate (wss). */
  ca?: string;
  /** PEM files of this gateway's client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  /** How long to wait for the connection and the runner's `ready` (default 10 s). */
  connectTimeoutMs?: number;
}

/** Starts remote workers: one WebSocket connection (one sandbox on the runner) each. */
export function remoteWorkers(config: RemoteRunnerConfig): SpawnWorker {
  if (!/^wss?:\/\//.test(config.url)) throw new Error(`sandbox.remote.url must be a ws:// or wss:// URL (got "${config.url}")`);
  if (config.secret.length < 16) throw new Error("sandbox.remote.secret must be at least 16 characters (the runner's --secret-file)");
  const tls = {
    ...(config.ca !== undefined ? { ca: readFileSync(config.ca) } : {}),
    ...(config.cert !== undefined ? { cert: readFileSync(config.cert) } : {}),
    ...(config.key !== undefined ? { key: readFileSync(config.key) } : {}),
  };
  return () => remoteWorker(config, tls);
}

function remoteWorker(config: RemoteRunnerConfig, tls: Record<string, Buffer>): SandboxWorker {
  const socket = new WebSocket(config.url, {
    headers: { authorization: `Bearer ${config.secret}` },
    maxPayload: DEFAULT_MAX_LINE_BYTES,
    handshakeTimeout: config.connectTimeoutMs ?? 10_000,
    perMessageDeflate: false,
    ...tls,
  });
  const handlers: ((message: WorkerMessage) => void)[] = [];
  const outbox: string[] = [];
  let failure: string | undefined;
  let ready = false;
  const readyTimer = setTimeout(() => {
    if (!ready) {
      failure = "the runner did not become ready in time";
      socket.terminate();
    }
  }, (config.connectTimeoutMs ?? 10_000) * 2);
  socket.on("open", () => {
    for (const frame of outbox.splice(0)) socket.send(frame);
  });
  socket.on("message", (data, isBinary) => {
    let value: unknown;
    try {
      value = isBinary ? undefined : (JSON.parse(String(data)) as unknown);
    } catch {
      value = undefined;
    }
    const message = toWorkerMessage(value);
    if (message === undefined) {
      failure = "the runner sent a message that is not part of the runner protocol";
      socket.terminate();
      return;
    }
    if (message.type === "ready") {
      ready = true;
      clearTimeout(readyTimer);
    }
    for (const handler of handlers) handler(message);
  });
  socket.on("unexpected-response", (_request, response) => {
    failure = `the runner refused the connection (HTTP ${String(response.statusCode)}${response.statusCode === 401 ? ": wrong sandbox.remote.secret" : ""})`;
    socket.terminate();
  });
  socket.on("error", (error) => {
    failure ??= error.message;
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    pid: undefined,
    send(message: HostMessage) {
      const frame = JSON.stringify(message);
      if (socket.readyState === WebSocket.CONNECTING) outbox.push(frame);
      else if (socket.readyState === WebSocket.OPEN) socket.send(frame);
    },
    onMessage(handler) {
      handlers.push(handler);
    },
    onExit(handler) {
      socket.once("close", (code, reason) => {
        clearTimeout(readyTimer);
        const text = reason.toString().slice(0, 300);
        const exit: WorkerExit = {
          outOfMemory: /heap out of memory|Allocation failed/i.test(text),
          reason: failure ?? `the runner closed the connection (${code}${text === "" ? "" : `: ${text}`})`,
        };
        handler(exit);
      });
    },
    async kill() {
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
      await closed;
    },
    ref() {
      // The socket keeps the event loop alive while open; an idle warm connection is fine to keep.
    },
  };
}
