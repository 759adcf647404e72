/**
 * Two users on one `toolcode serve --http` calling the same OpenAPI source and the same stdio MCP
 * server with their own credentials, stored by `toolcode connect` in the encrypted file store:
 * the loopback API records the Authorization header of every request (each user's requests carry
 * only their token), each user's MCP server process holds only their secret, a third user gets
 * CREDENTIAL_MISSING, `toolcode disconnect` on the running gateway revokes one user only, and the
 * audit log names users and connections, never a secret.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRecorder, sendJson, type Recorder } from "../openapi/http-recorder.js";
import { CLI, run, servers, tempDir, writeConfig, servedUrl } from "../helpers.js";

const KEY = "fedcba9876543210".repeat(4);
const BEARER = { alice: "alice-gateway-token-000001", bob: "bob-gateway-token-0000002", carol: "carol-gateway-token-00003" };
const UPSTREAM = { alice: "alice-github-token-AAAA1111", bob: "bob-github-token-BBBB2222" };
const SECRET = { alice: "alice-mcp-secret-aaaa", bob: "bob-mcp-secret-bbbb" };

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
}

describe("serve --http: two users, their own upstream credentials", () => {
  let recorder: Recorder;
  let dir: string;
  let config: string;
  let child: ChildProcess;
  let url: string;
  const clients: Client[] = [];
  const env = { ...process.env, TOOLCODE_CREDENTIALS_KEY: KEY, ALICE: BEARER.alice, BOB: BEARER.bob, CAROL: BEARER.carol };
  const cli = (args: string[], input = "") => run(process.execPath, [CLI, ...args, "--config", config], { cwd: dir, input, env, timeoutMs: 60_000 });

  beforeAll(async () => {
    dir = tempDir();
    recorder = await startRecorder((req, res) => sendJson(res, 200, { login: req.headers.authorization === `Bearer ${UPSTREAM.alice}` ? "alice" : req.headers.authorization === `Bearer ${UPSTREAM.bob}` ? "bob" : "unknown" }));
    writeFileSync(
      path.join(dir, "gh.json"),
      JSON.stringify({ openapi: "3.0.3", info: { title: "GH", version: "1" }, paths: { "/user": { get: { operationId: "me", responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object" } } } } } } } } }),
    );
    config = writeConfig(dir, {
      openapi: { github: { spec: "./gh.json", baseUrl: recorder.url, auth: { type: "bearer", token: "${user.GITHUB_TOKEN}" } } },
      mcpServers: { everything: { ...servers.everything(), env: { UPSTREAM_SECRET: "${user.SECRET}" } } },
      auth: { users: { alice: "${ALICE}", bob: "${BOB}", carol: "${CAROL}" } },
      audit: { file: "audit.jsonl" },
    });
    for (const user of ["alice", "bob"] as const) {
      expect((await cli(["connect", "github", "--user", user], `${UPSTREAM[user]}\n`)).code).toBe(0);
      expect((await cli(["connect", "everything", "--user", user], `SECRET=${SECRET[user]}\n`)).code).toBe(0);
    }
    child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env });
    url = await servedUrl(child);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    child?.kill("SIGTERM");
    await recorder?.close();
  });

  const connect = async (token: string): Promise<Client> => {
    const client = new Client({ name: "user", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };
  const execute = async (client: Client, code: string): Promise<ExecuteContent> => (await client.callTool({ name: "execute", arguments: { code } })).structuredContent as unknown as ExecuteContent;

  it("each user's API calls carry only their own token, under concurrency", async () => {
    const alice = await connect(BEARER.alice);
    const bob = await connect(BEARER.bob);
    recorder.requests.length = 0;
    const code = "const logins = []; for (let i = 0; i < 5; i++) logins.push((await github.me({})).login); return logins;";
    const [a, b] = await Promise.all([execute(alice, code), execute(bob, code)]);
    expect(a).toMatchObject({ error: null, result: ["alice", "alice", "alice", "alice", "alice"] });
    expect(b).toMatchObject({ error: null, result: ["bob", "bob", "bob", "bob", "bob"] });
    const sent = recorder.requests.map((r) => r.headers.authorization);
    expect(sent.filter((h) => h === `Bearer ${UPSTREAM.alice}`)).toHaveLength(5);
    expect(sent.filter((h) => h === `Bearer ${UPSTREAM.bob}`)).toHaveLength(5);
    expect(sent).toHaveLength(10);
  });

  it("each user's MCP server process sees only their own secret; an unconnected user gets CREDENTIAL_MISSING", async () => {
    const code = 'const r = await everything.get_env({}); const env = typeof r === "string" ? JSON.parse(r) : r; return { mine: env.UPSTREAM_SECRET, leaked: Object.values(env).filter((v) => String(v).includes("mcp-secret")).length };';
    const [a, b] = await Promise.all([execute(await connect(BEARER.alice), code), execute(await connect(BEARER.bob), code)]);
    expect(a).toMatchObject({ error: null, result: { mine: SECRET.alice, leaked: 1 } });
    expect(b).toMatchObject({ error: null, result: { mine: SECRET.bob, leaked: 1 } });
    const carol = await connect(BEARER.carol);
    recorder.requests.length = 0;
    const missing = await execute(carol, "return await github.me({});");
    expect(missing.error?.code).toBe("CREDENTIAL_MISSING");
    expect(missing.error?.message).toContain("toolcode connect github --user carol");
    expect(recorder.requests).toHaveLength(0);
    expect((await execute(carol, code)).error?.code).toBe("CREDENTIAL_MISSING");
  }, 60_000);

  it("disconnect on the running gateway revokes one user and not the other", async () => {
    expect((await cli(["disconnect", "github", "--user", "bob"])).code).toBe(0);
    const bob = await execute(await connect(BEARER.bob), "return await github.me({});");
    expect(bob.error?.code).toBe("CREDENTIAL_MISSING");
    const alice = await execute(await connect(BEARER.alice), "return (await github.me({})).login;");
    expect(alice).toMatchObject({ error: null, result: "alice" });
  });

  it("audits user and connection, never a secret", () => {
    const text = readFileSync(path.join(dir, "audit.jsonl"), "utf8");
    for (const secret of [...Object.values(UPSTREAM), ...Object.values(SECRET)]) expect(text).not.toContain(secret);
    const calls = text.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.type === "call" && r.error === null);
    expect(new Set(calls.map((c) => `${String(c.user)}:${String(c.connection)}:${String(c.credentialOwner)}`))).toEqual(
      new Set(["alice:github:alice", "bob:github:bob", "alice:everything:alice", "bob:everything:bob"]),
    );
  });
});
