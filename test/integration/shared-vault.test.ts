/**
 * With `state.redis`, a session's PII vault is shared by the replicas: two BUILT `serve --http`
 * replicas on one real redis-server, one MCP session whose requests go to the replica the test
 * picks. A token handed out on A is turned back into the real email on B (the memory server
 * receives and stores the real value), two replicas tokenizing for the session at once never
 * give one number to two emails, and the Redis record does not hold the emails in clear.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedGraph } from "../guard/helpers.js";
import { CLI, servers, tempDir, writeConfig, servedUrl } from "../helpers.js";
import { type RedisServer, startRedis } from "../redis-server.js";

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
}

describe("two toolcode serve --http replicas share each session's PII vault through redis-server", () => {
  let redis: RedisServer | { reason: string } = { reason: "not started" };
  const children: ChildProcess[] = [];
  let client: Client | undefined;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    redis = await startRedis();
    if ("reason" in redis) return;
    dir = tempDir();
    config = writeConfig(dir, {
      mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) },
      policy: { default: "allow-all", approveDestructive: false },
      privacy: { tokenize: ["email"] },
      state: { redis: redis.url, key: "${STATE_KEY}", keyPrefix: "vault-test:" },
    });
  }, 900_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    if ("stop" in redis) await redis.stop();
  });

  const startReplica = async (): Promise<string> => {
    const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, STATE_KEY: "a shared secret of the replicas, 32+ chars" },
    });
    children.push(child);
    return servedUrl(child);
  };

  it("a token from replica A reaches a tool on replica B as the real email; concurrent tokenizing keeps numbers unique; Redis holds no email in clear", async () => {
    if ("reason" in redis) return console.log(`skipped: ${redis.reason}`);
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    const redisPort = redis.port;

    // Seeded from another session (its own vault), so the tested session starts with none.
    const seeder = new Client({ name: "seed", version: "1" });
    await seeder.connect(new StreamableHTTPClientTransport(new URL(a)));
    const seeded = (await seeder.callTool({
      name: "execute",
      arguments: {
        code: `await memory.create_entities({ entities: [
  { name: "Ada", entityType: "person", observations: ["ada@example.com"] },
  { name: "Bob", entityType: "person", observations: ["bob@example.org"] },
  { name: "Cy", entityType: "person", observations: ["cy@example.net"] },
] }); return "ok";`,
      },
    })).structuredContent as unknown as ExecuteContent;
    expect(seeded).toMatchObject({ error: null, result: "ok" });
    await seeder.close();

    // Each execute goes to the replica queued for it; everything else (initialize, GET stream) to A.
    const queue: string[] = [];
    const landed: string[] = [];
    const route = (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const target = typeof init?.body === "string" && init.body.includes('"execute"') ? (queue.shift() ?? a) : a;
      if (typeof init?.body === "string" && init.body.includes('"execute"')) landed.push(target);
      return fetch(target, init);
    };
    client = new Client({ name: "shared-vault", version: "1" });
    const transport = new StreamableHTTPClientTransport(new URL(a), { fetch: route });
    await client.connect(transport);
    const session = client;
    const execute = async (on: string, code: string): Promise<ExecuteContent> => {
      queue.push(on);
      return (await session.callTool({ name: "execute", arguments: { code } })).structuredContent as unknown as ExecuteContent;
    };
    const emailOf = (name: string): string => `const found = await memory.open_nodes({ names: [${JSON.stringify(name)}] }); return found.entities[0].observations[0];`;

    const onA = await execute(a, emailOf("Ada"));
    expect(onA).toMatchObject({ error: null, result: "<email_1>" });

    // Two replicas tokenize a new email each for this session at the same time.
    const [bob, cy] = await Promise.all([execute(a, emailOf("Bob")), execute(b, emailOf("Cy"))]);
    expect(bob.error).toBeNull();
    expect(cy.error).toBeNull();
    expect(new Set([bob.result, cy.result])).toEqual(new Set(["<email_2>", "<email_3>"]));

    // On B: every value keeps its token, and the token from A goes to the tool as the real email.
    const all = await execute(b, `const g = await memory.open_nodes({ names: ["Ada", "Bob", "Cy"] }); return Object.fromEntries(g.entities.map((e) => [e.name, e.observations[0]]));`);
    expect(all).toMatchObject({ error: null, result: { Ada: "<email_1>", Bob: bob.result, Cy: cy.result } });
    const written = await execute(b, `await memory.create_entities({ entities: [{ name: "Grace", entityType: "person", observations: ["writes to <email_1>"] }] }); return "written";`);
    expect(written).toMatchObject({ error: null, result: "written" });
    expect(landed).toEqual([a, a, b, b, b]);
    const grace = storedGraph(path.join(dir, "memory.jsonl")).entities.find((e) => e.name === "Grace");
    expect(grace?.observations).toEqual(["writes to ada@example.com"]);

    // One sealed record per session vault; no email in clear anywhere in Redis.
    const cli = (...args: string[]): string => execFileSync("/usr/bin/redis-cli", ["-p", String(redisPort), ...args], { encoding: "utf8" });
    const vaultKeys = cli("--scan", "--pattern", "vault-test:vault:*").split("\n").filter(Boolean);
    expect(vaultKeys).toHaveLength(2);
    for (const key of cli("--scan", "--pattern", "vault-test:*").split("\n").filter(Boolean)) {
      const type = cli("type", key).trim();
      if (type !== "string") continue;
      const raw = cli("get", key);
      expect(raw).not.toMatch(/example\.(com|org|net)/);
    }
    // The client ending the session (DELETE) removes its vault record; the seeder's stays until it expires.
    // (The replica removes it after answering the DELETE: wait for it, at most 5 s.)
    await transport.terminateSession();
    const vaults = (): string[] => cli("--scan", "--pattern", "vault-test:vault:*").split("\n").filter(Boolean);
    for (let i = 0; i < 50 && vaults().length > 1; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(vaults()).toHaveLength(1);
  }, 120_000);
});
