/**
 * MCP source over streamable HTTP against a real SDK server (test/fixtures/http-server.ts)
 * listening on 127.0.0.1 on an ephemeral port, started and stopped by this file.
 */
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectMcpSource, type McpSource } from "../../src/sources/mcp/mcp-source.js";
import { startHttpMcpServer, type HttpMcpServer } from "../fixtures/http-server.js";
import { rejection, recordingLogger, waitFor } from "./helpers.js";

const TOKEN = "s3cret-test-token";

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("streamable HTTP", () => {
  let server: HttpMcpServer;
  const opened: McpSource[] = [];

  beforeAll(async () => {
    server = await startHttpMcpServer({ token: TOKEN });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((source) => source.close()));
  });
  afterAll(async () => {
    await server?.close();
  });

  async function open(logger = recordingLogger()): Promise<McpSource> {
    const source = await connectMcpSource("remote", { url: server.url, headers: { Authorization: `Bearer ${TOKEN}` } }, { logger });
    opened.push(source);
    return source;
  }

  it("lists tools and calls them with the configured headers", async () => {
    const source = await open();
    expect(source.transportKind).toBe("http");
    expect((await source.listTools()).map((tool) => tool.name)).toEqual(["echo", "add", "fail", "add-tool"]);
    expect(await source.callTool("echo", { text: "over http" })).toBe("over http");
    expect(await source.callTool("add", { a: 2, b: 40 })).toEqual({ sum: 42 });
  });

  it("reports isError and invalid arguments with the server's message", async () => {
    const source = await open();
    const failed = await rejection(source.callTool("fail", {}));
    expect(failed).toMatchObject({ code: "TOOL_ERROR", message: "quota exceeded for this API key" });
    const invalid = await rejection(source.callTool("add", { a: "2", b: 40 }));
    expect(invalid.code).toBe("INVALID_ARGUMENTS");
    expect(invalid.message).toContain("Invalid arguments for tool add");
  });

  it("refreshes tools on list_changed sent over the session's SSE stream", async () => {
    const source = await open();
    await source.callTool("add-tool", { name: "late" });
    await waitFor(async () => (await source.listTools()).some((tool) => tool.name === "late"));
    expect(await source.callTool("late", {})).toBe("I am late");
  });

  it("ends its HTTP session on close", async () => {
    const before = server.sessions();
    const source = await open();
    expect(server.sessions()).toBe(before + 1);
    await source.close();
    await waitFor(() => server.sessions() === before);
  });

  it("names the URL and mcpServers.x.url when the connection is refused", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const error = await rejection(connectMcpSource("x", { url }));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toBe(
      `MCP server "x" could not connect to ${url}: connection refused (ECONNREFUSED). Is the server running? Check mcpServers.x.url.`,
    );
    expect(error.details).toMatchObject({ server: "x", url, key: "mcpServers.x.url" });
  });

  it("points at mcpServers.x.headers when the server answers 401", async () => {
    const error = await rejection(connectMcpSource("x", { url: server.url, headers: { Authorization: "Bearer wrong" } }));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toContain(`MCP server "x" at ${server.url} rejected the request (HTTP 401)`);
    expect(error.message).toContain("Check the credentials in mcpServers.x.headers");
  });

  it("points at mcpServers.x.url when the path is not an MCP endpoint", async () => {
    const url = server.url.replace(/\/mcp$/, "/nope");
    const error = await rejection(connectMcpSource("x", { url, headers: { Authorization: `Bearer ${TOKEN}` } }));
    expect(error.message).toBe(`MCP server "x": no MCP endpoint at ${url} (HTTP 404). Check mcpServers.x.url (the endpoint path is often /mcp).`);
  });

  it("reports an unreachable server during a call, then reconnects on the next call", async () => {
    const own = await startHttpMcpServer();
    const port = new URL(own.url).port;
    const logger = recordingLogger();
    const source = await connectMcpSource("flaky", { url: own.url }, { logger });
    opened.push(source);
    expect(await source.callTool("echo", { text: "one" })).toBe("one");

    await own.close();
    const error = await rejection(source.callTool("echo", { text: "two" }));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toContain(`MCP server "flaky" at ${own.url} could not be reached during a call to echo`);

    // The server comes back on the same port: the next call opens a new session.
    const back = await startHttpMcpServer({ port: Number(port) });
    try {
      expect(await source.callTool("echo", { text: "three" })).toBe("three");
      expect(source.restarts).toBe(1);
      expect(logger.messages).toContain('warn: MCP server "flaky" is not running; reconnecting it.');
    } finally {
      await source.close();
      await back.close();
    }
  });
});
