/**
 * `toolcode serve --http` on 127.0.0.1, driven by the SDK's streamable-HTTP client and raw HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, servers, tempDir, writeConfig, servedUrl } from "../helpers.js";

describe("toolcode serve --http", () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    const dir = tempDir();
    const config = writeConfig(dir, { mcpServers: { everything: servers.everything() } });
    child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    url = await servedUrl(child);
  });

  afterAll(() => {
    child.kill("SIGTERM");
  });

  it("binds 127.0.0.1 and serves search + execute to an MCP client session", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["execute", "search"]);
    const result = await client.callTool({ name: "execute", arguments: { code: "const r = await everything.get_sum({ a: 1, b: 2 }); return r.length" } });
    expect(result.structuredContent).toMatchObject({ result: "The sum of 1 and 2 is 3.".length, logs: [], error: null, truncated: false });
    await client.close();
  });

  it("keeps two sessions apart and serves them concurrently", async () => {
    const a = new Client({ name: "a", version: "1" });
    const b = new Client({ name: "b", version: "1" });
    const ta = new StreamableHTTPClientTransport(new URL(url));
    const tb = new StreamableHTTPClientTransport(new URL(url));
    await Promise.all([a.connect(ta), b.connect(tb)]);
    expect(ta.sessionId).toBeDefined();
    expect(ta.sessionId).not.toBe(tb.sessionId);
    const [ra, rb] = await Promise.all([
      a.callTool({ name: "execute", arguments: { code: "return await everything.echo({ message: 'a' })" } }),
      b.callTool({ name: "execute", arguments: { code: "return await everything.echo({ message: 'b' })" } }),
    ]);
    expect(ra.structuredContent).toMatchObject({ result: "Echo: a" });
    expect(rb.structuredContent).toMatchObject({ result: "Echo: b" });
    await Promise.all([a.close(), b.close()]);
  });

  it("caps output to the token budget, spills the full value, and the next execute of the session reads it", async () => {
    const connect = async (): Promise<Client> => {
      const client = new Client({ name: "ws", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return client;
    };
    const [client, stranger] = await Promise.all([connect(), connect()]);
    const first = await client.callTool({
      name: "execute",
      arguments: { code: "return Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `row ${i}` }));", maxTokens: 300 },
    });
    const meta = first.structuredContent as { truncated: boolean; spilled: { result?: string }; tokens: { output: number }; result: unknown[] };
    expect(meta.truncated).toBe(true);
    expect(meta.tokens.output).toBeLessThanOrEqual(300);
    expect(meta.result.length).toBeLessThan(5000);
    const spillPath = meta.spilled.result;
    expect(spillPath).toMatch(/^spill\/.+\.json$/);
    const text = (first.content as { text: string }[])[0]?.text ?? "";
    expect(text).toContain(spillPath);
    expect(text).toMatch(/more items \(5,000 in total\)/);

    const second = await client.callTool({
      name: "execute",
      arguments: { code: `const rows = await workspace.read(${JSON.stringify(spillPath)});\nawait workspace.write("evens.json", rows.filter((r) => r.id % 2 === 0));\nreturn { rows: rows.length, last: rows.at(-1).name, files: (await workspace.list()).map((f) => f.path) };` },
    });
    expect(second.structuredContent).toMatchObject({ error: null, result: { rows: 5000, last: "row 4999", files: ["evens.json", spillPath] } });

    const other = await stranger.callTool({ name: "execute", arguments: { code: `return await workspace.read(${JSON.stringify(spillPath)});` } });
    expect(other.isError).toBe(true);
    expect((other.structuredContent as { error: { code: string } }).error.code).toBe("WORKSPACE_NOT_FOUND");
    await Promise.all([client.close(), stranger.close()]);
  });

  it("rejects a foreign Host header (DNS rebinding) and requests without a session", async () => {
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } };
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const { port } = new URL(url);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers: { ...headers, host: "evil.example:80" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(init));
    });
    expect(status).toBe(403);
    const noSession = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) });
    expect(noSession.status).toBe(400);
    const badJson = await fetch(url, { method: "POST", headers, body: "{not json" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toContain("not valid JSON");
  });
});
