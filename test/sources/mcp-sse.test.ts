/**
 * `type: "sse"` servers (the legacy HTTP+SSE transport) through the SDK's SSE client, against a
 * real SSE MCP server: the SDK's SSEServerTransport on 127.0.0.1 (server-everything's `sse` mode
 * listens on every interface, which tests must not do). Headers from the config reach both the
 * event stream and the POSTs.
 */
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createToolcode } from "../../src/execute/create-toolcode.js";

let http: Server;
let url: string;
const seenKeys: (string | undefined)[] = [];

beforeAll(async () => {
  const transports = new Map<string, SSEServerTransport>();
  http = createServer((req: IncomingMessage, res) => {
    seenKeys.push(req.headers["x-api-key"] as string | undefined);
    const at = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && at.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      res.on("close", () => transports.delete(transport.sessionId));
      const server = new McpServer({ name: "legacy-sse", version: "1.0.0" });
      server.registerTool("shout", { description: "Upper-cases a word.", inputSchema: { word: z.string() }, annotations: { readOnlyHint: true } }, ({ word }) => ({
        content: [{ type: "text", text: JSON.stringify({ loud: word.toUpperCase() }) }],
      }));
      void server.connect(transport);
      return;
    }
    const transport = transports.get(at.searchParams.get("sessionId") ?? "");
    if (req.method === "POST" && at.pathname === "/messages" && transport) {
      void transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/sse`;
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

describe("MCP over legacy SSE", () => {
  it("lists and calls the tools of a type: \"sse\" server, sending the configured headers", async () => {
    const toolcode = await createToolcode({ config: { mcpServers: { legacy: { type: "sse", url, headers: { "X-Api-Key": "k-123" } } } } });
    try {
      expect(toolcode.failures).toEqual([]);
      expect(toolcode.catalog.tools().map((tool) => tool.id)).toEqual(["legacy.shout"]);
      const run = await toolcode.execute('const r = await legacy.shout({ word: "hi" }); return r.loud + "!"');
      expect(run.error).toBeNull();
      expect(run.result).toBe("HI!");
      expect(seenKeys.length).toBeGreaterThanOrEqual(2); // the stream's GET and at least one POST
      expect(seenKeys.every((key) => key === "k-123")).toBe(true);
    } finally {
      await toolcode.close();
    }
  });

  it("reports an SSE server that is not there as SOURCE_UNAVAILABLE naming the key", async () => {
    const toolcode = await createToolcode({ config: { mcpServers: { gone: { type: "sse", url: "http://127.0.0.1:9/sse", startupTimeoutMs: 5000 } } } });
    try {
      expect(toolcode.failures.map((failure) => failure.error.code)).toEqual(["SOURCE_UNAVAILABLE"]);
      expect(toolcode.failures[0]?.error.message).toContain("mcpServers.gone");
    } finally {
      await toolcode.close();
    }
  });
});
