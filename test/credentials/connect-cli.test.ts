/**
 * `toolcode connect`, `disconnect` and `connections` with the encrypted file store, and `exec`
 * calling a per-user OpenAPI source with what they stored: real CLI processes, a real HTTP
 * server on 127.0.0.1 recording the Authorization header.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRecorder, sendJson, type Recorder } from "../openapi/http-recorder.js";
import { CLI, run, tempDir, writeConfig } from "../helpers.js";

const KEY = "0123456789abcdef".repeat(4);

describe("toolcode connect / disconnect / connections", () => {
  let recorder: Recorder;
  let dir: string;
  let config: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, TOOLCODE_CREDENTIALS_KEY: KEY, MY_TOKEN: "local-token-from-env-9999" });
  const cli = (args: string[], input = "") => run(process.execPath, [CLI, ...args, "--config", config], { cwd: dir, input, env: env(), timeoutMs: 60_000 });

  beforeAll(async () => {
    dir = tempDir();
    recorder = await startRecorder((req, res) => sendJson(res, 200, { ok: true }));
    writeFileSync(
      path.join(dir, "who.json"),
      JSON.stringify({ openapi: "3.0.3", info: { title: "Who", version: "1" }, paths: { "/whoami": { get: { operationId: "whoami", responses: { "200": { description: "ok" } } } } } }),
    );
    config = writeConfig(dir, {
      openapi: { who: { spec: "./who.json", baseUrl: recorder.url, auth: { type: "bearer", token: "${user.TOKEN}" } } },
      auth: { users: { alice: "alice-bearer-token-000001" } },
    });
  });

  afterAll(async () => {
    await recorder?.close();
  });

  it("stores a value from stdin for a named user, encrypted, and lists it without the value", async () => {
    const stored = await cli(["connect", "who", "--user", "alice"], "alice-secret-token-1234\n");
    expect(stored.stderr).toContain("connected who for user alice");
    expect(stored.code).toBe(0);
    const file = path.join(dir, ".toolcode", "credentials.enc");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).not.toContain("alice-secret-token");
    const listed = await cli(["connections", "--json"]);
    expect(listed.stdout).not.toContain("alice-secret-token");
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ user: "alice", connection: "who", fields: ["TOKEN"] })]);
  });

  it("exec as the local (OS) user fails with CREDENTIAL_MISSING until that user connects, then sends their token only", async () => {
    const before = await cli(["exec", "--json", "-"], "return await who.whoami({});");
    expect(JSON.parse(before.stdout).error.code).toBe("CREDENTIAL_MISSING");
    expect(JSON.parse(before.stdout).error.message).toContain("toolcode connect who");
    expect(recorder.requests).toHaveLength(0);

    const connected = await cli(["connect", "who", "--from-env", "TOKEN=MY_TOKEN"]);
    expect(connected.code).toBe(0);
    const after = await cli(["exec", "--json", "-"], "return await who.whoami({});");
    expect(JSON.parse(after.stdout).error).toBeNull();
    expect(recorder.requests.map((r) => r.headers.authorization)).toEqual(["Bearer local-token-from-env-9999"]);
  }, 60_000);

  it("disconnect revokes: the next exec fails again and nothing is sent", async () => {
    recorder.requests.length = 0;
    const removed = await cli(["disconnect", "who"]);
    expect(removed.stderr).toContain(`disconnected who for user ${os.userInfo().username}`);
    const after = await cli(["exec", "--json", "-"], "return await who.whoami({});");
    expect(JSON.parse(after.stdout).error.code).toBe("CREDENTIAL_MISSING");
    expect(recorder.requests).toHaveLength(0);
    const again = await cli(["disconnect", "who"]);
    expect(again.stderr).toContain("nothing to remove");
  }, 60_000);

  it("refuses sources that do not read per-user values, and wrong keys", async () => {
    const unknown = await cli(["connect", "nope"], "x\n");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No source "nope"');
    const wrongKey = await run(process.execPath, [CLI, "connections", "--config", config], { cwd: dir, env: { ...process.env, TOOLCODE_CREDENTIALS_KEY: "f".repeat(64) } });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain("CREDENTIAL_STORE_UNAVAILABLE");
  });
});
