/**
 * Per-user isolation of `toolcode serve --http`: bearer tokens from the config (`${ENV}`) name
 * the users; two users on one server cannot reach each other's sessions, workspace files, PII
 * tokens or approvals; Host and Origin are checked; the audit log says who did what and
 * `toolcode audit` filters it by user and tool.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/guard/audit-log.js";
import { CLI, servers, tempDir, toolcode, writeConfig, servedUrl } from "../helpers.js";
import { storedGraph } from "./helpers.js";

const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-fedcba9876543210xyz";

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
  approval?: { id: string };
}

describe("toolcode serve --http with bearer-token users", () => {
  let child: ChildProcess;
  let url: string;
  let dir: string;
  let config: string;
  let memoryFile: string;
  let auditFile: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = tempDir();
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    writeFileSync(path.join(dir, "alice.json"), JSON.stringify({ owner: "alice@example.com", phone: "+1 202 555 0143" }));
    config = writeConfig(dir, {
      mcpServers: { files: servers.filesystem(dir), memory: servers.memory(memoryFile) },
      policy: { allow: ["memory"] },
      privacy: { tokenize: ["email", "phone"] },
      audit: { file: "audit.jsonl" },
      auth: { users: { alice: "${ALICE_TOKEN}", bob: "${BOB_TOKEN}" } },
    });
    child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ALICE_TOKEN: ALICE, BOB_TOKEN: BOB },
    });
    url = await servedUrl(child);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    child.kill("SIGTERM");
  });

  const connect = async (token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: "user", version: "1" });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  };
  const execute = async (client: Client, args: Record<string, unknown>): Promise<ExecuteContent> =>
    (await client.callTool({ name: "execute", arguments: args })).structuredContent as unknown as ExecuteContent;
  const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };

  it("requires a valid bearer token", async () => {
    const none = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize) });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain("AUTH_REQUIRED");
    const wrong = await fetch(url, { method: "POST", headers: { ...headers, authorization: `Bearer ${ALICE}x` }, body: JSON.stringify(initialize) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("invalid_token");
    const { client } = await connect(ALICE);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["execute", "search"]);
  });

  it("rejects a foreign Origin (DNS rebinding) even with a valid token", async () => {
    const response = await fetch(url, { method: "POST", headers: { ...headers, authorization: `Bearer ${ALICE}`, origin: "http://evil.example" }, body: JSON.stringify(initialize) });
    expect(response.status).toBe(403);
  });

  it("two users cannot see each other's sessions, workspace files, PII tokens or approvals", async () => {
    const alice = await connect(ALICE);
    const bob = await connect(BOB);

    // Sessions: Bob's token with Alice's session id is an unknown session.
    const hijack = await fetch(url, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${BOB}`, "mcp-session-id": alice.transport.sessionId ?? "", "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "execute", arguments: { code: "return await workspace.list()" } } }),
    });
    expect(hijack.status).toBe(404);

    // Workspace.
    expect((await execute(alice.client, { code: 'await workspace.write("secret.txt", "alice only"); return "ok";' })).error).toBeNull();
    expect((await execute(bob.client, { code: 'return await workspace.read("secret.txt");' })).error?.code).toBe("WORKSPACE_NOT_FOUND");

    // PII tokens: Alice's token means nothing in Bob's session.
    const read = await execute(alice.client, { code: `return JSON.parse((await files.read_text_file({ path: ${JSON.stringify(path.join(dir, "alice.json"))} })).content);` });
    expect(read.result).toEqual({ owner: "<email_1>", phone: "<phone_1>" });
    expect((await execute(bob.client, { code: 'await memory.create_entities({ entities: [{ name: "bob probe", entityType: "probe", observations: ["<email_1>"] }] });' })).error).toBeNull();
    expect(storedGraph(memoryFile).entities.find((e) => e.name === "bob probe")?.observations).toEqual(["<email_1>"]);
    expect((await execute(alice.client, { code: 'await memory.create_entities({ entities: [{ name: "alice probe", entityType: "probe", observations: ["<email_1>"] }] });' })).error).toBeNull();
    expect(storedGraph(memoryFile).entities.find((e) => e.name === "alice probe")?.observations).toEqual(["alice@example.com"]);

    // Approvals: Bob cannot use Alice's approval id.
    const code = 'await memory.delete_entities({ entityNames: ["alice probe"] }); return "deleted";';
    const pending = await execute(alice.client, { code });
    expect(pending.error?.code).toBe("APPROVAL_REQUIRED");
    const stolen = await execute(bob.client, { code, approve: pending.approval?.id });
    expect(stolen.error?.code).toBe("APPROVAL_INVALID");
    expect(storedGraph(memoryFile).entities.map((e) => e.name)).toContain("alice probe");
    expect(await execute(alice.client, { code, approve: pending.approval?.id })).toMatchObject({ error: null, result: "deleted" });
  });

  it("logs who did what, and `toolcode audit` filters by user and tool", async () => {
    const bobJson = await toolcode(["audit", "--config", config, "--user", "bob", "--json"]);
    expect(bobJson.code).toBe(0);
    const bobRecords = JSON.parse(bobJson.stdout) as AuditRecord[];
    expect(bobRecords.length).toBeGreaterThan(0);
    expect(new Set(bobRecords.map((r) => r.user))).toEqual(new Set(["bob"]));
    const deletes = await toolcode(["audit", "--file", path.join(dir, "audit.jsonl"), "--tool", "memory.delete*", "--json"]);
    const records = JSON.parse(deletes.stdout) as AuditRecord[];
    const calls = records.filter((r) => r.type === "call");
    expect(calls.map((r) => (r.type === "call" ? [r.user, r.decision, r.approval?.via, r.error] : []))).toEqual([
      ["alice", "approve", "pending", "APPROVAL_REQUIRED"],
      ["alice", "approve", "execute", null],
    ]);
    // Bob's refused attempt never reached the tool: his execution failed before any call.
    expect(records.filter((r) => r.type === "execution").every((r) => r.user === "alice")).toBe(true);
    const text = await toolcode(["audit", "--file", auditFile, "--user", "alice", "--tool", "memory.delete*"]);
    expect(text.stdout).toMatch(/alice .*#1 memory\.delete_entities approve approval=pending:not granted .*APPROVAL_REQUIRED/);
    expect(text.stdout).not.toContain("alice@example.com");
  });

  it("refuses to bind a non-loopback address without users", async () => {
    const open = writeConfig(tempDir(), { mcpServers: {} });
    const result = await toolcode(["serve", "--http", "--host", "0.0.0.0", "--port", "0", "--config", open]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("AUTH_REQUIRED");
    expect(result.stderr).toContain("auth.users");
  });
});
