/**
 * The runner as a network service (`toolcode runner --listen`): a WebSocket server where each
 * authenticated connection gets its own fresh sandbox worker (a worker process by default, or
 * one in bubblewrap or gVisor), and the connection carries the runner protocol (one JSON message
 * per text frame) between the gateway and that worker. When the connection closes the worker is
 * killed; when the worker ends the connection is closed. Nothing is shared between connections.
 *
 * The runner holds no credential and reaches no tool: its workers get an empty environment, and
 * a guest's only way out is a tool call over this connection, served by the gateway.
 *
 * Authentication: `Authorization: Bearer <secret>` (compared in constant time); optionally TLS
 * with client certificates (mutual TLS). Connections beyond `maxSandboxes` are refused (503).
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { DEFAULT_MAX_LINE_BYTES } from "../line-channel.js";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import type { SandboxWorker, SpawnWorker } from "../host/sandbox-worker.js";

/** Options of {@link startRunnerServer}. */
export interface RunnerServerOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (0: any free port). */
  port: number;
  /** The shared secret gateways present (at least 16 characters). */
  secret: string;
  /** Starts one sandbox worker per connection. */
  spawn: SpawnWorker;
  /** Connections (sandboxes) at once (default 16). */
  maxSandboxes?: number;
  /** TLS: PEM contents of the server's certificate and key, and the CA clients must be signed by (mutual TLS). */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

/** A running runner server. */
export interface RunnerServer {
  /** `ws://…` or `wss://…` URL gateways connect to. */
  readonly url: string;
  /** Sandboxes (connections) open now. */
  active(): number;
  /** Stops accepting, closes every connection and kills every worker. */
  close(): Promise<void>;
}

const HOST_TYPES: ReadonlySet<string> = new Set(["run", "toolResult", "cancel"]);

/** Starts a runner server; resolves once it listens. */
export async function startRunnerServer(options: RunnerServerOptions): Promise<RunnerServer> {
  if (options.secret.length < 16) throw new Error("the runner's secret must be at least 16 characters");
  const expected = digest(options.secret);
  const maxSandboxes = Math.max(1, options.maxSandboxes ?? 16);
  const workers = new Set<SandboxWorker>();
  const http: Server = options.tls === undefined
    ? createHttpServer()
    : createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...(options.tls.ca !== undefined ? { ca: options.tls.ca, requestCert: true, rejectUnauthorized: true } : {}) });
  http.on("request", (_request, response) => {
    response.writeHead(426, { "content-type": "text/plain" }).end("toolcode runner: connect with a WebSocket (runner protocol).\n");
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: DEFAULT_MAX_LINE_BYTES,
    perMessageDeflate: false,
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
      const header = info.req.headers.authorization ?? "";
      const token = header.startsWith("Bearer ") ? header.slice(7) : "";
      if (!timingSafeEqual(digest(token), expected)) return done(false, 401, "Unauthorized");
      if (workers.size >= maxSandboxes) return done(false, 503, "Too many sandboxes");
      done(true);
    },
  });
  wss.on("connection", (socket: WebSocket) => serveConnection(socket, options.spawn, workers));
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls === undefined ? "ws" : "wss"}://${host}:${address.port}`,
    active: () => workers.size,
    async close() {
      for (const client of wss.clients) client.terminate();
      await Promise.all([...workers].map((worker) => worker.kill()));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** One connection: one worker, messages relayed both ways, each end closing the other. */
function serveConnection(socket: WebSocket, spawn: SpawnWorker, workers: Set<SandboxWorker>): void {
  let worker: SandboxWorker;
  try {
    worker = spawn();
  } catch (error) {
    const startupFailed: WorkerMessage = { type: "startupFailed", message: error instanceof Error ? error.message : String(error) };
    socket.send(JSON.stringify(startupFailed), () => socket.close(1011, "cannot start a sandbox"));
    return;
  }
  workers.add(worker);
  worker.ref(true);
  worker.onMessage((message) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  });
  worker.onExit((exit) => {
    workers.delete(worker);
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(1000, exit.reason.slice(0, 120));
  });
  socket.on("message", (data, isBinary) => {
    let value: unknown;
    try {
      value = isBinary ? undefined : (JSON.parse(String(data)) as unknown);
    } catch {
      value = undefined;
    }
    if (typeof value !== "object" || value === null || !HOST_TYPES.has(String((value as { type?: unknown }).type))) {
      socket.close(1008, "not a runner-protocol message");
      return;
    }
    worker.send(value as HostMessage);
  });
  socket.on("close", () => {
    workers.delete(worker);
    void worker.kill();
  });
  socket.on("error", () => socket.terminate());
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
