/**
 * A tiny real HTTP server on 127.0.0.1 for OpenAPI call tests: it records every request (method,
 * path, query, headers, body bytes) and answers through a handler each test replaces.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent. */
  rawUrl: string;
  /** Decoded path. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Answers one request. */
export type Handler = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

/** A running recorder. */
export interface Recorder {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replace to change how the server answers. */
  handle: Handler;
  close(): Promise<void>;
}

/** Answers JSON. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Starts a recorder on 127.0.0.1 with a free port. */
export async function startRecorder(handle: Handler = (_req, res) => sendJson(res, 200, { ok: true })): Promise<Recorder> {
  const recorder: Recorder = { url: "", requests: [], handle, close: async () => {} };
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on("data", (chunk: Buffer) => chunks.push(chunk));
    raw.on("end", () => {
      const url = new URL(raw.url ?? "/", "http://127.0.0.1");
      const req: RecordedRequest = {
        method: raw.method ?? "",
        rawUrl: raw.url ?? "",
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        headers: raw.headers,
        body: Buffer.concat(chunks),
      };
      recorder.requests.push(req);
      Promise.resolve(recorder.handle(req, res, raw)).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: String(error) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  recorder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recorder.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return recorder;
}
