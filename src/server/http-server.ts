/**
 * Streamable HTTP transport for `toolcode serve --http`, bound to 127.0.0.1, one MCP session
 * (and one {@link McpServer}) per client, with Host/Origin checks against DNS rebinding.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Toolcode } from "../execute/create-toolcode.js";
import { createMcpServer } from "./mcp-server.js";

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Path of the MCP endpoint (default `/mcp`). */
  path?: string;
  /** Max request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
}

/** A running HTTP server. */
export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";

/** Starts the streamable HTTP MCP endpoint on 127.0.0.1. */
export async function startHttpServer(toolcode: Toolcode, options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  const endpoint = options.path ?? "/mcp";
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts: string[] = [];

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, `Internal error: ${(error as Error).message}`);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    if (url.pathname !== endpoint) {
      sendJsonRpcError(res, 404, -32601, `Not found. The MCP endpoint is ${endpoint}.`);
      return;
    }
    const sessionId = header(req, "mcp-session-id");
    if (req.method === "POST") {
      const body = await readJson(req, maxBody);
      if (!body.ok) {
        sendJsonRpcError(res, body.status, -32700, body.message);
        return;
      }
      let transport = sessionId ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId || !isInitializeRequest(body.value)) {
          sendJsonRpcError(res, sessionId ? 404 : 400, -32000, sessionId ? "Unknown or expired session; initialize a new one." : "No session: send an initialize request first.");
          return;
        }
        const newSessionId = randomUUID();
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => newSessionId,
          enableDnsRebindingProtection: true,
          allowedHosts,
          onsessioninitialized: (id) => {
            sessions.set(id, created);
          },
        });
        created.onclose = () => {
          if (created.sessionId) sessions.delete(created.sessionId);
        };
        await createMcpServer(toolcode, { sessionId: newSessionId }).connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body.value);
      return;
    }
    if (req.method === "GET" || req.method === "DELETE") {
      const transport = sessionId ? sessions.get(sessionId) : undefined;
      if (!transport) {
        sendJsonRpcError(res, 404, -32000, "Unknown or missing mcp-session-id.");
        return;
      }
      await transport.handleRequest(req, res);
      return;
    }
    res.setHeader("Allow", "GET, POST, DELETE");
    sendJsonRpcError(res, 405, -32000, "Method not allowed.");
  }

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  allowedHosts = [`${HOST}:${port}`, `localhost:${port}`];
  return {
    url: `http://${HOST}:${port}${endpoint}`,
    port,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return { ok: false, status: 413, message: `Request body over ${maxBytes} bytes.` };
    chunks.push(buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, status: 400, message: "Parse error: the body is not valid JSON." };
  }
}
