/**
 * The OAuth 2.0 authorization-code flow per user for an OpenAPI source, for real: the SDK's
 * authorization server helpers on 127.0.0.1 (pre-registered public client, PKCE), an API on
 * 127.0.0.1 that accepts only that server's access tokens and records the Authorization header;
 * `toolcode connect` authorizes two users, each user's calls carry their own token, an expired
 * token is refreshed on the host and retried, `toolcode disconnect` revokes at the server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { createToolcode, type Toolcode } from "../../src/execute/create-toolcode.js";
import { startRecorder, sendJson, type Recorder } from "../openapi/http-recorder.js";
import { CLI, run, tempDir, writeConfig } from "../helpers.js";
import { type OAuthMcpServer, startOAuthMcpServer } from "./oauth-mcp-server.js";

const KEY = "99887766554433221100ffeeddccbbaa".repeat(2);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("OAuth authorization-code flow per user (OpenAPI)", () => {
  let authServer: OAuthMcpServer;
  let api: Recorder;
  let dir: string;
  let config: string;
  let tc: Toolcode;
  const env = { ...process.env, TOOLCODE_CREDENTIALS_KEY: KEY };

  const connectAs = async (login: string): Promise<{ code: number | null; stderr: string }> => {
    const child: ChildProcess = spawn(process.execPath, [CLI, "connect", "crm", "--user", login, "--no-browser", "--config", config], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
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
    expect(new URL(url).searchParams.get("code_challenge_method")).toBe("S256");
    const authorize = await fetch(url, { redirect: "manual", headers: { "x-login": login } });
    expect(authorize.status).toBe(302);
    expect((await fetch(authorize.headers.get("location") ?? "")).status).toBe(200);
    return { code: await exited, stderr };
  };

  beforeAll(async () => {
    dir = tempDir();
    authServer = await startOAuthMcpServer();
    const base = new URL(authServer.url).origin;
    const port = await freePort();
    authServer.provider.clients.set("crm-client", { client_id: "crm-client", redirect_uris: [`http://127.0.0.1:${port}/callback`], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] } as OAuthClientInformationFull);
    api = await startRecorder((req, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const grant = authServer.provider.access.get(token);
      if (grant === undefined) sendJson(res, 401, { message: "invalid token" });
      else sendJson(res, 200, { login: grant.login });
    });
    writeFileSync(
      path.join(dir, "crm.json"),
      JSON.stringify({ openapi: "3.0.3", info: { title: "CRM", version: "1" }, paths: { "/me": { get: { operationId: "me", responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object" } } } } } } } } }),
    );
    config = writeConfig(dir, {
      openapi: {
        crm: {
          spec: "./crm.json",
          baseUrl: api.url,
          auth: { type: "oauth2", flow: "authorizationCode", authorizationUrl: `${base}/authorize`, tokenUrl: `${base}/token`, revocationUrl: `${base}/revoke`, clientId: "crm-client", scopes: ["mcp:tools"] },
        },
      },
      credentials: { callbackPort: port },
    });
    for (const login of ["alice", "bob"]) {
      const { code, stderr } = await connectAs(login);
      expect(stderr).toContain(`connected crm for user ${login}`);
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
    await api?.close();
    await authServer?.close();
  });

  it("sends each user's own access token", async () => {
    api.requests.length = 0;
    const [alice, bob] = await Promise.all([
      tc.execute("return await crm.me({});", { user: "alice", sessionId: "a" }),
      tc.execute("return await crm.me({});", { user: "bob", sessionId: "b" }),
    ]);
    expect(alice).toMatchObject({ error: null, result: { login: "alice" } });
    expect(bob).toMatchObject({ error: null, result: { login: "bob" } });
    const sent = api.requests.map((r) => r.headers.authorization ?? "");
    expect(sent).toHaveLength(2);
    expect(sent.filter((h) => h.startsWith("Bearer at-alice-"))).toHaveLength(1);
    expect(sent.filter((h) => h.startsWith("Bearer at-bob-"))).toHaveLength(1);
    const carol = await tc.execute("return await crm.me({});", { user: "carol", sessionId: "c" });
    expect(carol.error?.code).toBe("CREDENTIAL_MISSING");
  });

  it("refreshes an expired token on the host after the API's 401 and retries the call", async () => {
    const before = authServer.provider.stats.refreshes;
    authServer.provider.expireAccessTokens();
    api.requests.length = 0;
    const alice = await tc.execute("return await crm.me({});", { user: "alice", sessionId: "a" });
    expect(alice).toMatchObject({ error: null, result: { login: "alice" } });
    expect(authServer.provider.stats.refreshes).toBe(before + 1);
    expect(api.requests).toHaveLength(2); // the refused call, then the retry with the refreshed token
    expect(api.requests[1]?.headers.authorization).not.toBe(api.requests[0]?.headers.authorization);
    expect(JSON.stringify(alice)).not.toMatch(/at-alice|rt-alice/);
  });

  it("disconnect revokes at the server; a refused refresh asks to authorize again", async () => {
    const result = await run(process.execPath, [CLI, "disconnect", "crm", "--user", "alice", "--config", config], { cwd: dir, env });
    expect(result.stderr).toContain("revoked the refresh_token");
    expect((await tc.execute("return await crm.me({});", { user: "alice", sessionId: "a" })).error?.code).toBe("CREDENTIAL_MISSING");
    for (const [token, grant] of authServer.provider.refresh) if (grant.login === "bob") authServer.provider.refresh.delete(token);
    authServer.provider.expireAccessTokens();
    const bob = await tc.execute("return await crm.me({});", { user: "bob", sessionId: "b" });
    expect(bob.error?.code).toBe("CREDENTIAL_MISSING");
    expect(bob.error?.message).toContain("authorize it again");
  });
});
