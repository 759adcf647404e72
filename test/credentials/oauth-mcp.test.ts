/**
 * OAuth per user to a remote MCP server, for real: an authorization server and an MCP server
 * behind `requireBearerAuth` (the SDK's server auth helpers) on 127.0.0.1; `toolcode connect`
 * runs discovery, dynamic client registration and the authorization-code flow with PKCE, with
 * the callback on a loopback port; each user's calls carry their own access token; an expired
 * token is refreshed on the host; `toolcode disconnect` revokes at the server; a refused refresh
 * asks the user to authorize again. Tokens never reach the guest, the audit log or the file in
 * plaintext.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EncryptedFileCredentialStore } from "../../src/credentials/encrypted-file-store.js";
import { createToolcode, type Toolcode } from "../../src/execute/create-toolcode.js";
import { CLI, run, tempDir, writeConfig, servedUrl } from "../helpers.js";
import { type OAuthMcpServer, startOAuthMcpServer } from "./oauth-mcp-server.js";

const KEY = "00112233445566778899aabbccddeeff".repeat(2);

describe("OAuth per user to a remote MCP server", () => {
  let remote: OAuthMcpServer;
  let dir: string;
  let config: string;
  let tc: Toolcode;
  const env = { ...process.env, TOOLCODE_CREDENTIALS_KEY: KEY };

  /** Runs `toolcode connect remote --user <login>` and plays the browser: opens the printed URL as that login. */
  const connectAs = async (login: string): Promise<{ code: number | null; stderr: string }> => {
    const child: ChildProcess = spawn(process.execPath, [CLI, "connect", "remote", "--user", login, "--no-browser", "--config", config], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`connect exited with ${code}: ${stderr}`)));
    });
    const authorize = await fetch(url, { redirect: "manual", headers: { "x-login": login } });
    expect(authorize.status).toBe(302);
    const callback = await fetch(authorize.headers.get("location") ?? "");
    expect(callback.status).toBe(200);
    const code = await exited;
    return { code, stderr };
  };

  beforeAll(async () => {
    dir = tempDir();
    remote = await startOAuthMcpServer();
    config = writeConfig(dir, { mcpServers: { remote: { url: remote.url, oauth: true } }, audit: { file: "audit.jsonl" } });
    for (const login of ["alice", "bob"]) {
      const { code, stderr } = await connectAs(login);
      expect(stderr).toContain(`connected remote for user ${login}`);
      expect(code).toBe(0);
    }
    const previous = process.env.TOOLCODE_CREDENTIALS_KEY;
    process.env.TOOLCODE_CREDENTIALS_KEY = KEY;
    try {
      tc = await createToolcode({ configPath: config, cwd: dir });
    } finally {
      if (previous === undefined) delete process.env.TOOLCODE_CREDENTIALS_KEY;
      else process.env.TOOLCODE_CREDENTIALS_KEY = previous;
    }
  }, 120_000);

  afterAll(async () => {
    await tc?.close();
    await remote?.close();
  });

  it("registered one client per user, and keeps tokens only encrypted", async () => {
    expect(remote.provider.stats.registrations).toBe(2);
    expect(remote.provider.stats.codeExchanges).toBe(2);
    const file = readFileSync(path.join(dir, ".toolcode", "credentials.enc"), "utf8");
    expect(file).not.toMatch(/at-alice|rt-alice|at-bob/);
    const store = new EncryptedFileCredentialStore({ file: path.join(dir, ".toolcode", "credentials.enc"), key: KEY });
    expect(String((await store.get({ user: "alice", connection: "remote" }))?.oauth?.tokens?.access_token)).toMatch(/^at-alice-/);
  });

  it("calls with each user's own access token; a user who has not connected gets CREDENTIAL_MISSING", async () => {
    expect(tc.catalog.serverIds()).toContain("remote");
    const [alice, bob] = await Promise.all([
      tc.execute("return await remote.whoami({});", { user: "alice", sessionId: "a" }),
      tc.execute("return await remote.whoami({});", { user: "bob", sessionId: "b" }),
    ]);
    expect(alice).toMatchObject({ error: null, result: { login: "alice" } });
    expect(bob).toMatchObject({ error: null, result: { login: "bob" } });
    expect(remote.seenTokens.some((t) => t.startsWith("at-alice-"))).toBe(true);
    expect(remote.seenTokens.some((t) => t.startsWith("at-bob-"))).toBe(true);
    const carol = await tc.execute("return await remote.whoami({});", { user: "carol", sessionId: "c" });
    expect(carol.error?.code).toBe("CREDENTIAL_MISSING");
    expect(carol.error?.message).toContain("toolcode connect remote --user carol");
  });

  it("refreshes an expired access token on the host, and the guest never sees a token", async () => {
    const before = remote.provider.stats.refreshes;
    remote.provider.expireAccessTokens();
    const alice = await tc.execute("return await remote.whoami({});", { user: "alice", sessionId: "a" });
    expect(alice).toMatchObject({ error: null, result: { login: "alice" } });
    expect(remote.provider.stats.refreshes).toBe(before + 1);
    expect(JSON.stringify(alice)).not.toMatch(/at-alice|rt-alice/);
  });

  it("serve --http gives an MCP client a connect link; opening it authorizes that user on the gateway", async () => {
    const serveConfig = writeConfig(dir, { mcpServers: { remote: { url: remote.url, oauth: true } }, auth: { users: { carol: "carol-gateway-token-0000001" } } }, "serve.config.json");
    const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", serveConfig], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await servedUrl(child);
      const client = new Client({ name: "carol", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: "Bearer carol-gateway-token-0000001" } } }));
      const call = async () => (await client.callTool({ name: "execute", arguments: { code: "return await remote.whoami({});" } })).structuredContent as { result?: unknown; error: { code: string; message: string } | null };
      const missing = await call();
      expect(missing.error?.code).toBe("CREDENTIAL_MISSING");
      const link = /(http:\/\/127\.0\.0\.1:\d+\/connect\?ticket=[\w-]+)/.exec(missing.error?.message ?? "")?.[1];
      expect(link).toBeDefined();
      // The browser: the gateway sends it to the authorization server, which sends it back to the gateway.
      const toServer = await fetch(link ?? "", { redirect: "manual" });
      expect(toServer.status).toBe(302);
      const toGateway = await fetch(toServer.headers.get("location") ?? "", { redirect: "manual", headers: { "x-login": "carol" } });
      expect(toGateway.status).toBe(302);
      const done = await fetch(toGateway.headers.get("location") ?? "");
      expect(done.status).toBe(200);
      expect(await done.text()).toContain("remote is connected for carol");
      // The link was single-use.
      expect((await fetch(link ?? "", { redirect: "manual" })).status).toBe(410);
      expect(await call()).toMatchObject({ error: null, result: { login: "carol" } });
      await client.close();
    } finally {
      child.kill("SIGTERM");
    }
  }, 60_000);

  it("disconnect revokes at the authorization server; the user's next call asks to connect, the other user's works", async () => {
    const result = await run(process.execPath, [CLI, "disconnect", "remote", "--user", "alice", "--config", config], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("revoked the refresh_token and access_token");
    expect([...remote.provider.refresh.values()].some((grant) => grant.login === "alice")).toBe(false);
    const alice = await tc.execute("return await remote.whoami({});", { user: "alice", sessionId: "a" });
    expect(alice.error?.code).toBe("CREDENTIAL_MISSING");
    const bob = await tc.execute("return await remote.whoami({});", { user: "bob", sessionId: "b" });
    expect(bob).toMatchObject({ error: null, result: { login: "bob" } });
  });

  it("a refresh the server refuses (revoked there) asks the user to authorize again", async () => {
    for (const [token, grant] of remote.provider.refresh) if (grant.login === "bob") remote.provider.refresh.delete(token);
    remote.provider.expireAccessTokens();
    const bob = await tc.execute("return await remote.whoami({});", { user: "bob", sessionId: "b" });
    expect(bob.error?.code).toBe("CREDENTIAL_MISSING");
    expect(bob.error?.message).toContain("authorize it again");
  });

  it("audits user and connection, never a token", () => {
    const text = readFileSync(path.join(dir, "audit.jsonl"), "utf8");
    expect(text).not.toMatch(/at-(alice|bob)-|rt-(alice|bob)-/);
    const ok = text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.type === "call" && r.error === null);
    expect(new Set(ok.map((r) => `${String(r.user)}:${String(r.connection)}:${String(r.credentialOwner)}`))).toEqual(new Set(["alice:remote:alice", "bob:remote:bob"]));
  });
});
