/**
 * MCP progress from `execute`, seen by a real MCP SDK client passing `onprogress`: the server
 * sends `notifications/progress` with the request's progressToken as the script's tool calls
 * start (real server-filesystem + server-memory), and nothing without a token.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfigInput } from "../../src/config/default-config.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import { tempDir } from "../helpers.js";

describe("execute sends MCP progress", () => {
  let tc: Toolcode;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `note-${i}.md`), `# note ${i}\n`);
    tc = await createToolcode({ cwd: dir, config: defaultConfigInput(dir) });
    const server = createMcpServer(tc);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    client = new Client({ name: "progress-test", version: "1" });
    await client.connect(clientTransport);
  });

  afterAll(async () => {
    await client?.close();
    await tc?.close();
  });

  it("reports tool calls to a client that passed onprogress", async () => {
    const updates: Progress[] = [];
    const code = `
      const names = [];
      for (let i = 0; i < 5; i++) {
        const text = await filesystem.read_text_file({ path: ${JSON.stringify(dir)} + "/note-" + i + ".md" });
        names.push(String(text.content ?? text).trim());
      }
      await memory.read_graph({});
      return names.length;`;
    const result = await client.callTool({ name: "execute", arguments: { code } }, undefined, { onprogress: (p) => updates.push(p), resetTimeoutOnProgress: true });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { result: unknown }).result).toBe(5);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    // The first tool call always reports; a heartbeat may come first when the machine is slow.
    expect(updates.some((u) => /\d+ tool calls?, last filesystem\.read_text_file/.test(u.message ?? ""))).toBe(true);
    expect(updates.every((u) => u.total === tc.config.sandbox.timeoutMs)).toBe(true);
    const values = updates.map((u) => u.progress);
    expect(new Set(values).size).toBe(values.length);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const last = updates.at(-1)?.message ?? "";
    const count = Number(/(\d+) tool calls?/.exec(last)?.[1]);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(6);
  });

  it("the run's own timeoutMs is the total", async () => {
    const updates: Progress[] = [];
    await client.callTool({ name: "execute", arguments: { code: "return await memory.read_graph({});", timeoutMs: 5000 } }, undefined, { onprogress: (p) => updates.push(p) });
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((u) => u.total === 5000)).toBe(true);
  });

  it("sends nothing without a progressToken", async () => {
    const seen: unknown[] = [];
    client.setNotificationHandler((await import("@modelcontextprotocol/sdk/types.js")).ProgressNotificationSchema, (n) => void seen.push(n));
    const result = await client.callTool({ name: "execute", arguments: { code: "return await memory.read_graph({});" } });
    expect(result.isError).toBeFalsy();
    expect(seen).toEqual([]);
  });
});
