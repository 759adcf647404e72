/**
 * Hostile HTTP clients against `serve --http` (the in-process server on 127.0.0.1, real SDK
 * clients and raw sockets, real server-memory): session floods, huge and slow bodies, slow
 * headers, oversized scripts, execution floods in one session and across a user's sessions,
 * concurrent approval replays and quota races. Each case asserts what the attacker gets (HTTP
 * status, JSON-RPC error, tool error code, exact counts) and that a victim user's concurrent
 * `execute` still succeeds.
 */
import { request } from "node:http";
import { connect as connectSocket } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { type RunningHttpServer, startHttpServer } from "../../src/server/http-server.js";
import { auditRecords, storedGraph } from "../guard/helpers.js";
import { servers, tempDir } from "../helpers.js";

const TOKENS = { alice: "alice-token-0123456789abcdef", mallory: "mallory-token-0123456789abc", bob: "bob-token-0123456789abcdefgh" };

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
  approval?: { id: string };
}

const tally = (values: string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

describe("hostile HTTP clients against serve --http", () => {
  let tc: Toolcode;
  let http: RunningHttpServer;
  let memoryFile: string;
  let auditFile: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    tc = await createToolcode({
      config: {
        mcpServers: { memory: servers.memory(memoryFile) },
        policy: { allow: ["memory"] },
        audit: { file: auditFile },
        auth: { users: TOKENS },
        sessions: { max: 20, maxPerUser: 3, maxConcurrentExecutions: 4, maxConcurrentExecutionsPerUser: 6 },
        server: { maxBodyBytes: 64 * 1024, bodyTimeoutMs: 2000 },
        sandbox: { maxCodeBytes: 16 * 1024, timeoutMs: 20_000, poolSize: 2 },
        workspace: { maxBytes: 10_000 },
      },
      cwd: dir,
    });
    http = await startHttpServer(tc, { port: 0 });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await http.close();
    await tc.close();
  });

  const connect = async (user: keyof typeof TOKENS, onElicit?: () => Promise<{ action: "decline" }>): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const transport = new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { Authorization: `Bearer ${TOKENS[user]}` } } });
    const client = new Client({ name: user, version: "1" }, onElicit ? { capabilities: { elicitation: {} } } : {});
    if (onElicit) client.setRequestHandler(ElicitRequestSchema, onElicit);
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  };
  /** Ends the MCP session (HTTP DELETE), as a well-behaved client does, then closes. */
  const disconnect = async (...connections: { client: Client; transport: StreamableHTTPClientTransport }[]): Promise<void> => {
    await Promise.all(connections.map(async ({ client, transport }) => {
      await transport.terminateSession();
      await client.close();
    }));
  };
  const execute = async (client: Client, args: Record<string, unknown>): Promise<ExecuteContent> =>
    (await client.callTool({ name: "execute", arguments: args }, undefined, { timeout: 60_000 })).structuredContent as unknown as ExecuteContent;
  const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
  const headers = (user: keyof typeof TOKENS): Record<string, string> => ({ "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${TOKENS[user]}` });
  const victim = async (): Promise<void> => {
    const alice = await connect("alice");
    expect(await execute(alice.client, { code: "return 6 * 7" })).toMatchObject({ error: null, result: 42 });
    await disconnect(alice);
  };

  it("session flood: a user gets sessions.maxPerUser sessions, then HTTP 429; closing one frees one; others are unaffected", async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => fetch(http.url, { method: "POST", headers: headers("mallory"), body: initialize })));
    const ids = responses.filter((r) => r.status === 200).map((r) => r.headers.get("mcp-session-id") as string);
    try {
      await flood(responses, ids);
    } finally {
      // The other tests start mallory with no sessions.
      await Promise.all(ids.map((id) => fetch(http.url, { method: "DELETE", headers: { ...headers("mallory"), "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" } })));
    }
  });

  const flood = async (responses: Response[], ids: string[]): Promise<void> => {
    const statuses = responses.map((r) => r.status);
    expect(tally(statuses.map(String))).toEqual({ "200": 3, "429": 7 });
    const refused = responses.find((r) => r.status === 429);
    const error = ((await refused?.json()) as { error: { code: number; message: string } }).error;
    expect(error.message).toContain("LIMIT_EXCEEDED");
    expect(error.message).toContain("sessions.maxPerUser");
    await Promise.all(responses.map((r) => (r.bodyUsed ? undefined : r.body?.cancel())));
    await victim();
    // DELETE one session: exactly one new one fits.
    const closed = await fetch(http.url, { method: "DELETE", headers: { ...headers("mallory"), "mcp-session-id": ids.shift() as string, "mcp-protocol-version": "2025-06-18" } });
    expect(closed.status).toBe(200);
    const again = await Promise.all([1, 2].map(() => fetch(http.url, { method: "POST", headers: headers("mallory"), body: initialize })));
    expect(again.map((r) => r.status).sort()).toEqual([200, 429]);
    ids.push(again.find((r) => r.status === 200)?.headers.get("mcp-session-id") as string);
    await Promise.all(again.map((r) => (r.bodyUsed ? undefined : r.body?.cancel())));
  };

  it("huge bodies get HTTP 413 with a JSON-RPC error, with or without Content-Length", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { pad: "x".repeat(1024 * 1024) } });
    const declared = await fetch(http.url, { method: "POST", headers: headers("mallory"), body: big });
    expect(declared.status).toBe(413);
    const body = (await declared.json()) as { jsonrpc: string; error: { message: string } };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.error.message).toContain("server.maxBodyBytes");
    // Chunked, no Content-Length: the server stops reading at the limit and answers.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(http.url);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { ...headers("mallory"), "transfer-encoding": "chunked" } }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      });
      req.on("error", () => undefined); // the server may drop the connection while we still write
      const chunk = "y".repeat(64 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 32 && req.write(chunk)) sent++;
        if (sent < 32) req.once("drain", pump);
        else req.end();
      };
      pump();
    });
    expect(chunked.status).toBe(413);
    expect(chunked.text).toContain("server.maxBodyBytes");
    await victim();
  });

  it("slow bodies and slow headers (slowloris) are cut off at server.bodyTimeoutMs while a victim is served", async () => {
    const url = new URL(http.url);
    const open = (payload: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connectSocket(Number(url.port), url.hostname, () => socket.write(payload));
        let received = "";
        socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
        socket.on("error", () => undefined);
        socket.on("close", () => resolve(received));
      });
    const slowBody = `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${TOKENS.mallory}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`;
    const slowHeaders = `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nX-Slow: `;
    const attacks = [...Array.from({ length: 10 }, () => open(slowBody)), ...Array.from({ length: 10 }, () => open(slowHeaders))];
    await victim();
    const answers = await Promise.all(attacks);
    // Every connection was closed by the server; slow bodies got a JSON-RPC 408.
    for (const answer of answers.slice(0, 10)) {
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(answer).toContain("server.bodyTimeoutMs");
    }
    for (const answer of answers.slice(10)) expect(answer === "" || answer.startsWith("HTTP/1.1 408")).toBe(true);
    await victim();
  });

  it("an oversized script is a tool error (LIMIT_EXCEEDED); one over the body limit is HTTP 413; the session keeps working", async () => {
    const bob = await connect("bob");
    const { client } = bob;
    const over = await execute(client, { code: `return "${"z".repeat(20 * 1024)}".length` });
    expect(over.error?.code).toBe("LIMIT_EXCEEDED");
    expect(over.error?.message).toContain("sandbox.maxCodeBytes");
    await expect(execute(client, { code: `return "${"z".repeat(100 * 1024)}".length` })).rejects.toThrow(/server\.maxBodyBytes/);
    expect(await execute(client, { code: "return 1" })).toMatchObject({ error: null, result: 1 });
    await disconnect(bob);
  });

  it("execution floods: sessions.maxConcurrentExecutions per session and per user, exact counts; the victim runs meanwhile", async () => {
    // Mallory's executions wait for an approval only the test gives, so they stay running.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const decline = async (): Promise<{ action: "decline" }> => {
      await gate;
      return { action: "decline" };
    };
    const first = await connect("mallory", decline);
    const second = await connect("mallory", decline);
    const code = `await memory.delete_entities({ entityNames: ["nobody"] }); return "ran";`;
    const settled: string[] = [];
    const track = (p: Promise<ExecuteContent>): Promise<string> => p.then((r) => (settled.push(r.error?.code ?? "ok"), r.error?.code ?? "ok"));
    const flood = [...Array.from({ length: 6 }, () => track(execute(first.client, { code }))), ...Array.from({ length: 4 }, () => track(execute(second.client, { code })))];
    // 10 sent: 4 fit session one (2 refused there), 2 more fit the user's cap of 6 (2 refused in session two).
    while (settled.length < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tally(settled)).toEqual({ LIMIT_EXCEEDED: 4 });
    // Mallory holds six executions (one on a sandbox worker, five queued behind her share): Alice still runs.
    await victim();
    open();
    const outcomes = await Promise.all(flood);
    expect(tally(outcomes)).toEqual({ LIMIT_EXCEEDED: 4, APPROVAL_DENIED: 6 });
    // Slots are given back.
    expect((await execute(first.client, { code: "return 1" })).error).toBeNull();
    await disconnect(first, second);
  });

  it("an approval id replayed by 4 concurrent requests runs the destructive call once; another user cannot use it", async () => {
    const bob = await connect("bob");
    const { client } = bob;
    expect((await execute(client, { code: `await memory.create_entities({ entities: [{ name: "Vault", entityType: "thing", observations: [] }] });` })).error).toBeNull();
    const code = `await memory.delete_entities({ entityNames: ["Vault"] }); return "gone";`;
    const pending = await execute(client, { code });
    expect(pending.error?.code).toBe("APPROVAL_REQUIRED");
    const approve = pending.approval?.id as string;
    const thief = await connect("mallory");
    expect((await execute(thief.client, { code, approve })).error?.code).toBe("APPROVAL_INVALID");
    const replays = await Promise.all(Array.from({ length: 4 }, () => execute(client, { code, approve })));
    expect(tally(replays.map((r) => r.error?.code ?? "ok"))).toEqual({ ok: 1, APPROVAL_INVALID: 3 });
    const ran = auditRecords(auditFile).filter((r) => r.type === "call" && r.tool === "memory.delete_entities" && r.approval?.id === approve && r.approval.via === "execute");
    expect(ran).toHaveLength(1);
    expect(storedGraph(memoryFile).entities.some((e) => e.name === "Vault")).toBe(false);
    await disconnect(bob, thief);
  });

  it("quota race: four concurrent executes writing in one session store exactly workspace.maxBytes", async () => {
    const bob = await connect("bob");
    const { client } = bob;
    const script = (k: number): string =>
      `const r = await Promise.all(Array.from({ length: 5 }, (_, i) => workspace.write("w${k}-" + i + ".txt", "q".repeat(1000)).then(() => 1, (e) => (e.code === "WORKSPACE_QUOTA" ? 0 : -100))));
       return r.reduce((a, b) => a + b, 0);`;
    const runs = await Promise.all([0, 1, 2, 3].map((k) => execute(client, { code: script(k) })));
    expect(runs.map((r) => r.error)).toEqual([null, null, null, null]);
    expect(runs.reduce((sum, r) => sum + (r.result as number), 0)).toBe(10);
    const used = await execute(client, { code: "return (await workspace.list()).reduce((s, f) => s + f.bytes, 0)" });
    expect(used.result).toBe(10_000);
    await victim();
    await disconnect(bob);
  });
});
