/**
 * The hybrid surface (`server.directTools`): small sources' tools offered as ordinary MCP tools
 * beside search + execute, with real server-everything and server-memory behind a real SDK
 * client. A direct call returns what the tool returns, and the guard applies exactly as in a
 * script: policy (denied tools are never offered), approvals (an id, then the same call with it),
 * PII tokens, audit, and the tool's own errors.
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { classicDefinition, estimateTokens } from "../../src/server/direct-tools.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import { auditRecords } from "../guard/helpers.js";
import { servers, tempDir } from "../helpers.js";

const open: { toolcode: Toolcode; client: Client }[] = [];

async function connect(config: ConfigInput): Promise<{ toolcode: Toolcode; client: Client }> {
  const toolcode = await createToolcode({ config });
  expect(toolcode.failures).toEqual([]);
  const server = createMcpServer(toolcode);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "direct-tools-test", version: "1" });
  await client.connect(clientTransport);
  const pair = { toolcode, client };
  open.push(pair);
  return pair;
}

function text(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");
}

afterEach(async () => {
  for (const { client, toolcode } of open.splice(0)) {
    await client.close();
    await toolcode.close();
  }
});

afterAll(async () => {
  for (const { toolcode } of open.splice(0)) await toolcode.close();
});

describe("direct tools beside search and execute", () => {
  it("offers the listed tools under their own schemas and returns what the tool returns", async () => {
    const { client } = await connect({ mcpServers: { everything: servers.everything() }, server: { directTools: ["everything.get_sum", "everything.echo"] } });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["everything__echo", "everything__get_sum", "execute", "search"]);
    const sum = tools.find((t) => t.name === "everything__get_sum")!;
    expect(sum.inputSchema.properties).toMatchObject({ a: { type: "number" }, b: { type: "number" } });
    expect(sum.inputSchema.required).toEqual(["a", "b"]);
    expect(sum.description).toContain("everything.get_sum");

    const direct = await client.callTool({ name: "everything__get_sum", arguments: { a: 2, b: 40 } });
    expect(direct.isError).toBeFalsy();
    expect(text(direct)).toBe("The sum of 2 and 40 is 42.");
    const echoed = await client.callTool({ name: "everything__echo", arguments: { message: 'quotes " and `backticks` ${x} \u2028 stay data' } });
    expect(text(echoed)).toBe('Echo: quotes " and `backticks` ${x} \u2028 stay data');
    // The same tool from a script gives the same value.
    const scripted = await client.callTool({ name: "execute", arguments: { code: "return await everything.get_sum({ a: 2, b: 40 });" } });
    expect(text(scripted)).toContain("The sum of 2 and 40 is 42.");
  }, 60_000);

  it("reports the tool's own error, and bad arguments, as an error result", async () => {
    const { client } = await connect({ mcpServers: { everything: servers.everything() }, server: { directTools: ["everything.get_sum"] } });
    const bad = await client.callTool({ name: "everything__get_sum", arguments: { a: "two" } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/^Error [A-Z_]+: /);
  }, 60_000);

  it("never offers a denied tool, and an approval stops the call until the same call carries its id", async () => {
    const dir = tempDir();
    const auditFile = path.join(dir, "audit.jsonl");
    const { client } = await connect({
      mcpServers: { everything: servers.everything() },
      policy: { default: "allow-all", deny: ["everything.echo"], approve: ["everything.get_sum"] },
      audit: { file: auditFile },
      server: { directTools: ["everything.*"] },
    });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("everything__get_sum");
    expect(names).not.toContain("everything__echo");
    await expect(client.callTool({ name: "everything__echo", arguments: { message: "x" } })).resolves.toMatchObject({ isError: true });

    const stopped = await client.callTool({ name: "everything__get_sum", arguments: { a: 1, b: 2 } });
    expect(stopped.isError).toBe(true);
    const id = /"approve": "(ap_[A-Za-z0-9_-]+)"/.exec(text(stopped))?.[1];
    expect(id, text(stopped)).toBeDefined();
    const ran = await client.callTool({ name: "everything__get_sum", arguments: { a: 1, b: 2, approve: id } });
    expect(ran.isError).toBeFalsy();
    expect(text(ran)).toBe("The sum of 1 and 2 is 3.");
    // Used once: the same id again is refused.
    const again = await client.callTool({ name: "everything__get_sum", arguments: { a: 1, b: 2, approve: id } });
    expect(text(again)).toContain("APPROVAL_INVALID");
    // Audited like a script's call: asked (pending), then granted via the approval id.
    const calls = auditRecords(auditFile).flatMap((r) => (r.type === "call" && r.tool === "everything.get_sum" ? [r] : []));
    expect(calls.map((r) => [r.decision, r.approval?.via, r.approval?.granted])).toEqual([
      ["approve", "pending", false],
      ["approve", "execute", true],
    ]);
  }, 60_000);

  it("tokenizes personal data in direct results as in scripts, and fills tokens back in for the tool", async () => {
    const { client } = await connect({ mcpServers: { everything: servers.everything() }, privacy: { tokenize: ["email"] }, server: { directTools: ["everything.echo"] } });
    const first = text(await client.callTool({ name: "everything__echo", arguments: { message: "mail ada@example.com" } }));
    expect(first).not.toContain("ada@example.com");
    const token = /<email_\d+>/.exec(first)?.[0];
    expect(token, first).toBeDefined();
    // The model passes the token back; the tool gets the real value (and the answer is tokenized again).
    const second = text(await client.callTool({ name: "everything__echo", arguments: { message: `again ${token}` } }));
    expect(second).toBe(`Echo: again ${token}`);
  }, 60_000);

  it("auto offers a source only when its definitions fit the threshold, and drops search when nothing is left to find", async () => {
    const dir = tempDir();
    const mcpServers = { everything: servers.everything(), memory: servers.memory(path.join(dir, "memory.jsonl")) };
    const probe = await connect({ mcpServers, policy: { default: "allow-all" } });
    const tokens = (server: string) => probe.toolcode.catalog.tools().filter((t) => t.server === server).reduce((n, t) => n + estimateTokens(classicDefinition(t)), 0);
    const [everything, memory] = [tokens("everything"), tokens("memory")];
    expect(everything).toBeGreaterThan(0);
    expect(memory).toBeGreaterThan(0);

    // A threshold between the two: only the smaller source is direct; search stays for the other.
    const threshold = Math.min(everything, memory);
    const smaller = everything <= memory ? "everything" : "memory";
    const { client } = await connect({ mcpServers, policy: { default: "allow-all" }, server: { directTools: "auto", directToolsMaxTokens: threshold } });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("search");
    expect(names.filter((n) => n.includes("__")).every((n) => n.startsWith(`${smaller}__`))).toBe(true);
    expect(names.some((n) => n.startsWith(`${smaller}__`))).toBe(true);

    // Everything fits (the `serve` section holds the same keys): only direct tools and execute.
    const all = await connect({ mcpServers, policy: { default: "allow-all" }, serve: { directTools: "auto", directToolsMaxTokens: everything + memory } });
    const allNames = (await all.client.listTools()).tools.map((t) => t.name);
    expect(allNames).toContain("execute");
    expect(allNames).not.toContain("search");
    expect(allNames.filter((n) => n.includes("__"))).toHaveLength(all.toolcode.catalog.tools().length);
    // …and execute in its compact form (code + approve), with no instructions about search.
    const execute = (await all.client.listTools()).tools.find((t) => t.name === "execute")!;
    expect(Object.keys(execute.inputSchema.properties ?? {}).sort()).toEqual(["approve", "code"]);
    expect(execute.description).toContain("`a__b` is `a.b`");
    expect(all.client.getInstructions() ?? "").not.toContain("search");
    const viaCode = await all.client.callTool({ name: "execute", arguments: { code: "return (await everything.get_sum({ a: 20, b: 22 }));" } });
    expect(text(viaCode)).toContain("The sum of 20 and 22 is 42.");

    // Off (the default): exactly search and execute.
    const off = await connect({ mcpServers, policy: { default: "allow-all" } });
    expect((await off.client.listTools()).tools.map((t) => t.name).sort()).toEqual(["execute", "search"]);
  }, 120_000);
});
