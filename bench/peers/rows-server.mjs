#!/usr/bin/env node
/**
 * The MCP server the peers benchmark calls from every system: `add({ a, b })` and `rows({ n })`
 * (n rows of `{ id, group, value }`, as JSON text), over stdio, built with the MCP SDK.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "peers-bench", version: "1.0.0" });
server.registerTool("add", { description: "Adds two numbers.", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
  content: [{ type: "text", text: JSON.stringify(a + b) }],
}));
server.registerTool("rows", { description: "Returns n rows of { id, group, value }.", inputSchema: { n: z.number().int().min(0).max(100_000) } }, async ({ n }) => ({
  content: [{ type: "text", text: JSON.stringify(makeRows(n)) }],
}));
await server.connect(new StdioServerTransport());

/** The same rows the Worker-side tools make. */
function makeRows(n) {
  return Array.from({ length: n }, (_, i) => ({ id: i, group: i % 10, value: (i * 7919) % 1000 }));
}
