/**
 * Runs paused for approval survive the process: the BUILT CLI `toolcode serve` (stdio, a real
 * MCP client) pauses a script for a server-memory write, is SIGKILLed, is started again, and a
 * new MCP session resumes the run with `approve` — the write happens once and the earlier call
 * is replayed from the journal, not repeated. Then the same across two `serve --http` replicas
 * sharing one real redis-server: paused on A (killed), resumed on B; another user cannot use
 * the id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditCall, AuditRecord } from "../../src/guard/audit-log.js";
import { storedGraph } from "../guard/helpers.js";
import { auditRecords } from "../guard/helpers.js";
import { CLI, servers, tempDir, writeConfig, servedUrl } from "../helpers.js";
import { type RedisServer, startRedis } from "../redis-server.js";

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
  approval?: { id: string; tool: string };
}

// Call 1 reads the graph; call 2 (a write the policy sends for approval) creates an entity.
const CODE = `const before = await memory.read_graph();
await memory.create_entities({ entities: [{ name: "Grace", entityType: "person", observations: ["wrote a compiler"] }] });
return before.entities.length;`;

const calls = (file: string, session: string | undefined): [string, boolean][] =>
  auditRecords(file)
    .filter((r: AuditRecord): r is AuditCall => r.type === "call" && (session === undefined || r.session === session))
    .map((c) => [c.tool, c.replayed]);

async function execute(client: Client, args: Record<string, unknown>): Promise<ExecuteContent> {
  return (await client.callTool({ name: "execute", arguments: args })).structuredContent as unknown as ExecuteContent;
}

function killed(child: { pid?: number | null | undefined }): Promise<void> {
  return new Promise((resolve) => {
    const pid = child.pid;
    if (pid === undefined || pid === null) return resolve();
    process.kill(pid, "SIGKILL");
    const poll = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
}

describe("toolcode serve (stdio): a paused run resumes after SIGKILL and a restart", () => {
  it("resumes in a new MCP session of a new process: one write, the read replayed", async () => {
    const dir = tempDir();
    const memoryFile = path.join(dir, "memory.jsonl");
    const auditFile = path.join(dir, "audit.jsonl");
    const config = writeConfig(dir, {
      mcpServers: { memory: servers.memory(memoryFile) },
      policy: { approve: ["memory.create_*"], approvalTtlSeconds: 600 },
      audit: { file: "audit.jsonl" },
    });
    const connect = async (): Promise<{ client: Client; transport: StdioClientTransport }> => {
      const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "serve", "--config", config], stderr: "ignore" });
      const client = new Client({ name: "durable", version: "1" });
      await client.connect(transport);
      return { client, transport };
    };

    const first = await connect();
    const paused = await execute(first.client, { code: CODE });
    expect(paused.error?.code).toBe("APPROVAL_REQUIRED");
    expect(paused.approval?.tool).toBe("memory.create_entities");
    await killed(first.transport);
    await first.client.close().catch(() => undefined);
    expect(storedGraph(memoryFile).entities).toEqual([]);

    const second = await connect();
    try {
      const resumed = await execute(second.client, { code: CODE, approve: paused.approval?.id });
      expect(resumed).toMatchObject({ error: null, result: 0 });
      expect(storedGraph(memoryFile).entities.map((e) => e.name)).toEqual(["Grace"]);
      // First process: the read ran, the write stopped. Second: the read replayed, the write ran.
      expect(calls(auditFile, undefined)).toEqual([
        ["memory.read_graph", false],
        ["memory.create_entities", false],
        ["memory.read_graph", true],
        ["memory.create_entities", false],
      ]);
      const again = await execute(second.client, { code: CODE, approve: paused.approval?.id });
      expect(again.error?.code).toBe("APPROVAL_INVALID");
      expect(storedGraph(memoryFile).entities).toHaveLength(1);
    } finally {
      await second.client.close();
    }
  });
});

describe("toolcode serve --http (file state store): an MCP session goes on after SIGKILL and a restart", () => {
  it("the same client session, with no new initialize, resumes its approval on the restarted server", async () => {
    const dir = tempDir();
    const memoryFile = path.join(dir, "memory.jsonl");
    const config = writeConfig(dir, { mcpServers: { memory: servers.memory(memoryFile) }, policy: { approve: ["memory.create_*"] } });
    const start = async (): Promise<{ child: ChildProcess; url: string }> => {
      const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
      const url = await servedUrl(child);
      return { child, url };
    };
    let server = await start();
    let initializes = 0;
    const toCurrent = (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (typeof init?.body === "string" && init.body.includes('"initialize"')) initializes++;
      return fetch(server.url, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { fetch: toCurrent });
    const client = new Client({ name: "restarts", version: "1" });
    await client.connect(transport);
    try {
      const paused = await execute(client, { code: CODE });
      expect(paused.error?.code).toBe("APPROVAL_REQUIRED");
      await killed(server.child);
      server = await start();
      const resumed = await execute(client, { code: CODE, approve: paused.approval?.id });
      expect(resumed).toMatchObject({ error: null, result: 0 });
      expect(storedGraph(memoryFile).entities.map((e) => e.name)).toEqual(["Grace"]);
      expect(initializes).toBe(1);
    } finally {
      await client.close().catch(() => undefined);
      server.child.kill("SIGTERM");
    }
  });
});

describe("two toolcode serve --http replicas sharing one redis-server", () => {
  const ALICE = "alice-token-0123456789abcdef";
  const BOB = "bob-token-fedcba9876543210xyz";
  let redis: RedisServer | { reason: string } = { reason: "not started" };
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  let dir: string;
  let config: string;

  beforeAll(async () => {
    redis = await startRedis();
    if ("reason" in redis) {
      console.log(`skipped: ${redis.reason}`);
      return;
    }
    dir = tempDir();
    config = writeConfig(dir, {
      mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) },
      policy: { approve: ["memory.create_*"], approvalTtlSeconds: 600 },
      audit: { file: "audit.jsonl" },
      auth: { users: { alice: "${ALICE_TOKEN}", bob: "${BOB_TOKEN}" } },
      state: { redis: redis.url, key: "${STATE_KEY}", keyPrefix: "replicas-test:" },
    });
  }, 900_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    if ("stop" in redis) await redis.stop();
  });

  const startReplica = async (): Promise<{ child: ChildProcess; url: string }> => {
    const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ALICE_TOKEN: ALICE, BOB_TOKEN: BOB, STATE_KEY: "a shared secret of the replicas, 32+ chars" },
    });
    children.push(child);
    const url = await servedUrl(child);
    return { child, url };
  };
  const connect = async (url: string, token: string): Promise<Client> => {
    const client = new Client({ name: "replica-user", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };

  it("pauses on replica A, which is killed; replica B resumes it for the same user only", async () => {
    if ("reason" in redis) return console.log(`skipped: ${redis.reason}`);
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    expect(a.url).not.toBe(b.url);
    const aliceOnA = await connect(a.url, ALICE);
    const paused = await execute(aliceOnA, { code: CODE });
    expect(paused.error?.code).toBe("APPROVAL_REQUIRED");
    const id = paused.approval?.id;
    await killed(a.child);

    const bobOnB = await connect(b.url, BOB);
    const stolen = await execute(bobOnB, { code: CODE, approve: id });
    expect(stolen.error?.code).toBe("APPROVAL_INVALID");
    expect(storedGraph(path.join(dir, "memory.jsonl")).entities).toEqual([]);

    const aliceOnB = await connect(b.url, ALICE);
    const resumed = await execute(aliceOnB, { code: CODE, approve: id });
    expect(resumed).toMatchObject({ error: null, result: 0 });
    expect(storedGraph(path.join(dir, "memory.jsonl")).entities.map((e) => e.name)).toEqual(["Grace"]);
    const records = auditRecords(path.join(dir, "audit.jsonl")).filter((r): r is AuditCall => r.type === "call" && r.user === "alice");
    expect(records.map((c) => [c.tool, c.replayed])).toEqual([
      ["memory.read_graph", false],
      ["memory.create_entities", false],
      ["memory.read_graph", true],
      ["memory.create_entities", false],
    ]);
    // Used up on every replica.
    expect((await execute(aliceOnB, { code: CODE, approve: id })).error?.code).toBe("APPROVAL_INVALID");
  });

  it("N concurrent resumes of one approval on two replicas: exactly one runs the write", async () => {
    if ("reason" in redis) return console.log(`skipped: ${redis.reason}`);
    const [c, d] = await Promise.all([startReplica(), startReplica()]);
    const code = CODE.replace('"Grace"', '"Hopper"');
    const paused = await execute(await connect(c.url, ALICE), { code });
    const id = paused.approval?.id;
    expect(id).toBeDefined();
    const sessions = await Promise.all([c.url, d.url, c.url, d.url, c.url, d.url].map((url) => connect(url, ALICE)));
    const results = await Promise.all(sessions.map((client) => execute(client, { code, approve: id })));
    expect(results.filter((r) => r.error === null)).toHaveLength(1);
    for (const r of results.filter((r) => r.error !== null)) expect(r.error?.code).toBe("APPROVAL_INVALID");
    expect(storedGraph(path.join(dir, "memory.jsonl")).entities.filter((e) => e.name === "Hopper")).toHaveLength(1);
  });
  it("one MCP session alternates between the replicas without a new initialize, resumes its approval on the other, and goes on when one dies", async () => {
    if ("reason" in redis) return console.log(`skipped: ${redis.reason}`);
    const [e, f] = await Promise.all([startReplica(), startReplica()]);
    const alive = [e.url, f.url];
    const landed: string[] = [];
    let next = 0;
    // A round-robin balancer in the client: each HTTP request goes to the next live replica.
    const roundRobin = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const target = alive[next++ % alive.length] as string;
      const method = init?.method ?? "GET";
      if (method === "POST") landed.push(target);
      return fetch(target, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(e.url), { fetch: roundRobin, requestInit: { headers: { Authorization: `Bearer ${ALICE}` } } });
    const client = new Client({ name: "balanced", version: "1" });
    await client.connect(transport);
    clients.push(client);
    const sessionId = transport.sessionId;
    expect(sessionId).toBeDefined();
    for (let i = 0; i < 6; i++) {
      expect(await execute(client, { code: `return ${i} * 2` })).toMatchObject({ error: null, result: i * 2 });
    }
    expect(new Set(landed)).toEqual(new Set([e.url, f.url]));
    expect(transport.sessionId).toBe(sessionId);

    const code = CODE.replace('"Grace"', '"Lovelace"');
    const paused = await execute(client, { code });
    expect(paused.error?.code).toBe("APPROVAL_REQUIRED");
    const pausedOn = landed.at(-1);
    const resumed = await execute(client, { code, approve: paused.approval?.id });
    expect(landed.at(-1)).not.toBe(pausedOn);
    expect(resumed).toMatchObject({ error: null });
    expect(storedGraph(path.join(dir, "memory.jsonl")).entities.filter((x) => x.name === "Lovelace")).toHaveLength(1);

    await killed(e.child);
    alive.splice(alive.indexOf(e.url), 1);
    for (let i = 0; i < 3; i++) expect(await execute(client, { code: `return "still here ${i}"` })).toMatchObject({ error: null, result: `still here ${i}` });
    expect(transport.sessionId).toBe(sessionId);

    // Another user presenting this session id gets no session on either replica.
    const hijack = await fetch(f.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${BOB}`, "mcp-session-id": sessionId ?? "", "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    expect(hijack.status).toBe(404);
  });
});
