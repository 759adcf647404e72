/**
 * Per-user credentials through the library: each user's calls to one OpenAPI source and one
 * stdio MCP server carry that user's own credential and nobody else's; a user who has not
 * connected gets CREDENTIAL_MISSING; a shared fallback applies only where the config writes one;
 * rotation and revocation apply on the next call; the audit log names user and connection only.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCredentialStore } from "../../src/credentials/memory-store.js";
import { withValues } from "../../src/credentials/credential-store.js";
import { createToolcode, type Toolcode } from "../../src/execute/create-toolcode.js";
import { startRecorder, sendJson, type Recorder } from "../openapi/http-recorder.js";
import { servers, tempDir } from "../helpers.js";

const SPEC = {
  openapi: "3.0.3",
  info: { title: "Who", version: "1" },
  paths: {
    "/whoami": { get: { operationId: "whoami", responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object" } } } } } } },
  },
};

const ALICE_TOKEN = "alice-upstream-token-1111";
const BOB_TOKEN = "bob-upstream-token-2222";

describe("per-user credentials (library)", () => {
  let recorder: Recorder;
  let tc: Toolcode;
  let store: MemoryCredentialStore;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    const specFile = path.join(dir, "who.json");
    (await import("node:fs")).writeFileSync(specFile, JSON.stringify(SPEC));
    // The API echoes the Authorization header back: the redactor must keep it from the guest.
    recorder = await startRecorder((req, res) => sendJson(res, 200, { sawAuth: typeof req.headers.authorization === "string", echo: req.headers.authorization ?? null, team: req.headers["x-team"] ?? null }));
    store = new MemoryCredentialStore({
      alice: { who: { TOKEN: ALICE_TOKEN }, everything: { SECRET: "alice-env-secret-aaaa" } },
      bob: { who: { TOKEN: BOB_TOKEN }, everything: { SECRET: "bob-env-secret-bbbb" } },
    });
    tc = await createToolcode({
      cwd: dir,
      credentialStore: store,
      config: {
        openapi: {
          who: { spec: specFile, baseUrl: recorder.url, auth: { type: "bearer", token: "${user.TOKEN}" }, headers: { "X-Team": "${user.TEAM:-shared-team}" } },
        },
        mcpServers: { everything: { ...servers.everything(), env: { UPSTREAM_SECRET: "${user.SECRET}" } } },
        audit: { file: "audit.jsonl" },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await tc?.close();
    await recorder?.close();
  });

  it("sends each user's own token, concurrently, and never another's", async () => {
    recorder.requests.length = 0;
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const user = i % 2 === 0 ? "alice" : "bob";
        return tc.execute("const r = await who.whoami({}); return r;", { user, sessionId: `s-${user}-${i}` }).then((result) => ({ user, result }));
      }),
    );
    for (const { result } of runs) {
      expect(result.error).toBeNull();
      // The token the API echoed is redacted before the guest sees it.
      expect(JSON.stringify(result.result)).not.toContain("upstream-token");
      expect(result.result).toMatchObject({ sawAuth: true, echo: "Bearer [redacted]", team: "[redacted]" }); // a fallback may be a shared secret: redacted too
    }
    const seen = recorder.requests.map((req) => req.headers.authorization).sort();
    expect(seen).toEqual([...Array(5).fill(`Bearer ${ALICE_TOKEN}`), ...Array(5).fill(`Bearer ${BOB_TOKEN}`)]);
  });

  it("gives a user without a credential CREDENTIAL_MISSING naming toolcode connect, and sends nothing", async () => {
    recorder.requests.length = 0;
    const result = await tc.execute("return await who.whoami({});", { user: "carol", sessionId: "s-carol" });
    expect(result.error?.code).toBe("CREDENTIAL_MISSING");
    expect(result.error?.message).toContain("toolcode connect who --user carol");
    expect(recorder.requests).toHaveLength(0);
    // Calls without a user run as credentials.defaultUser (the OS user), who has not connected either.
    const anonymous = await tc.execute("return await who.whoami({});");
    expect(anonymous.error?.code).toBe("CREDENTIAL_MISSING");
    expect(anonymous.error?.message).toContain("toolcode connect who`");
  });

  it("starts one MCP server process per user, each with only its own secret in its environment", async () => {
    const script = 'const r = await everything.get_env({}); const env = typeof r === "string" ? JSON.parse(r) : r; return env.UPSTREAM_SECRET;';
    const [alice, bob, alice2] = await Promise.all([
      tc.execute(script, { user: "alice", sessionId: "s-alice" }),
      tc.execute(script, { user: "bob", sessionId: "s-bob" }),
      tc.execute(script, { user: "alice", sessionId: "s-alice" }),
    ]);
    // The server returns its env; the per-user source redacts the user's own secret from errors only,
    // so the value reaches its owner (it is their tool's result) and only its owner.
    expect(alice.error).toBeNull();
    expect(alice.result).toBe("alice-env-secret-aaaa");
    expect(alice2.result).toBe("alice-env-secret-aaaa");
    expect(bob.result).toBe("bob-env-secret-bbbb");
    const carol = await tc.execute(script, { user: "carol", sessionId: "s-carol" });
    expect(carol.error?.code).toBe("CREDENTIAL_MISSING");
  }, 60_000);

  it("applies rotation and revocation on the next call", async () => {
    recorder.requests.length = 0;
    await store.update({ user: "alice", connection: "who" }, (current) => withValues(current, { TOKEN: "alice-rotated-token-3333" }));
    expect((await tc.execute("return await who.whoami({});", { user: "alice", sessionId: "s-alice" })).error).toBeNull();
    expect(recorder.requests.at(-1)?.headers.authorization).toBe("Bearer alice-rotated-token-3333");
    await store.delete({ user: "alice", connection: "who" });
    const revoked = await tc.execute("return await who.whoami({});", { user: "alice", sessionId: "s-alice" });
    expect(revoked.error?.code).toBe("CREDENTIAL_MISSING");
    expect(recorder.requests).toHaveLength(1);
    // Bob is unaffected.
    expect((await tc.execute("return await who.whoami({});", { user: "bob", sessionId: "s-bob" })).error).toBeNull();
    expect(recorder.requests.at(-1)?.headers.authorization).toBe(`Bearer ${BOB_TOKEN}`);
  });

  it("audits user and connection, never the secret", async () => {
    const text = readFileSync(path.join(dir, "audit.jsonl"), "utf8");
    for (const secret of [ALICE_TOKEN, BOB_TOKEN, "alice-rotated-token-3333", "alice-env-secret-aaaa", "bob-env-secret-bbbb"]) expect(text).not.toContain(secret);
    const calls = text.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.type === "call" && r.tool === "who.whoami" && r.error === null);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.connection).toBe("who");
      expect(call.credentialOwner).toBe(call.user);
    }
  });
});
