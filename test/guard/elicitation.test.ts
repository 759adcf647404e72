/**
 * Approval by MCP elicitation: a real SDK client that declares the elicitation capability is
 * asked, inside the `execute` call, before a destructive call runs; a client without it gets a
 * pending approval and approves by calling `execute` again with `approve`.
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { type RunningHttpServer, startHttpServer } from "../../src/server/http-server.js";
import { servers, tempDir } from "../helpers.js";
import { auditRecords, storedGraph } from "./helpers.js";

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
  approval?: { id: string; tool: string; arguments: unknown; reason: string };
}

describe("approvals through MCP elicitation (streamable HTTP, real SDK client)", () => {
  let tc: Toolcode;
  let http: RunningHttpServer;
  let memoryFile: string;
  let auditFile: string;

  beforeAll(async () => {
    const dir = tempDir();
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    tc = await createToolcode({
      config: { mcpServers: { memory: servers.memory(memoryFile) }, policy: { allow: ["memory"] }, audit: { file: auditFile } },
    });
    http = await startHttpServer(tc, { port: 0 });
  });

  afterAll(async () => {
    await http.close();
    await tc.close();
  });

  const connect = async (answer?: (message: string) => ElicitResult): Promise<{ client: Client; asked: string[] }> => {
    const asked: string[] = [];
    const client = new Client({ name: "elicit-test", version: "1.0.0" }, answer ? { capabilities: { elicitation: {} } } : {});
    if (answer) {
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        asked.push(request.params.message);
        return answer(request.params.message);
      });
    }
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    return { client, asked };
  };
  const execute = async (client: Client, args: Record<string, unknown>): Promise<ExecuteContent> =>
    (await client.callTool({ name: "execute", arguments: args })).structuredContent as unknown as ExecuteContent;
  const seed = `await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: [] }, { name: "Charles", entityType: "person", observations: [] }] });`;
  const names = (): string[] => storedGraph(memoryFile).entities.map((e) => e.name);

  it("asks the client; accepting runs the destructive call", async () => {
    const { client, asked } = await connect(() => ({ action: "accept", content: { approve: true } }));
    expect((await execute(client, { code: seed })).error).toBeNull();
    const run = await execute(client, { code: `await memory.delete_entities({ entityNames: ["Charles"] }); return "deleted";` });
    expect(run).toMatchObject({ error: null, result: "deleted" });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain("memory.delete_entities");
    expect(asked[0]).toContain('"Charles"');
    expect(names()).not.toContain("Charles");
    const call = auditRecords(auditFile).findLast((r) => r.type === "call" && r.tool === "memory.delete_entities");
    expect(call).toMatchObject({ decision: "approve", approval: { via: "elicitation", granted: true }, error: null });
    await client.close();
  });

  it("declining (or answering no) refuses the call with APPROVAL_DENIED", async () => {
    for (const answer of [{ action: "decline" }, { action: "accept", content: { approve: false } }] as ElicitResult[]) {
      const { client, asked } = await connect(() => answer);
      expect((await execute(client, { code: seed })).error).toBeNull();
      const run = await execute(client, { code: `await memory.delete_entities({ entityNames: ["Ada"] });` });
      expect(run.error?.code).toBe("APPROVAL_DENIED");
      expect(asked).toHaveLength(1);
      expect(names()).toContain("Ada");
      await client.close();
    }
  });

  it("without elicitation: a pending approval in the result, then execute with approve", async () => {
    const { client } = await connect();
    expect((await execute(client, { code: seed })).error).toBeNull();
    const code = `await memory.delete_entities({ entityNames: ["Ada"] }); return "gone";`;
    const first = await execute(client, { code });
    expect(first.error?.code).toBe("APPROVAL_REQUIRED");
    expect(first.approval).toMatchObject({ tool: "memory.delete_entities", arguments: { entityNames: ["Ada"] } });
    expect(names()).toContain("Ada");
    const second = await execute(client, { code, approve: first.approval?.id });
    expect(second).toMatchObject({ error: null, result: "gone" });
    expect(names()).not.toContain("Ada");
    await client.close();
  });

  it("tells the model about approvals in the execute description", async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === "execute")?.description).toContain("APPROVAL_REQUIRED");
    expect(Object.keys(tools.find((t) => t.name === "execute")?.inputSchema.properties ?? {})).toContain("approve");
    await client.close();
  });
});
