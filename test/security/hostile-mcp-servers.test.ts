/**
 * Hostile MCP servers (test/fixtures/hostile-server.mjs, a real stdio server built with the SDK):
 * huge, deep, slow, garbage and crashing results. Each case asserts the error code the attacker's
 * script gets, that a concurrent benign session answers, and that the next call to the same
 * server works (reconnected where the connection had to go) — never the next caller's failure.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { ROOT, tempDir } from "../helpers.js";

const hostile = { command: process.execPath, args: [path.join(ROOT, "test", "fixtures", "hostile-server.mjs")] };

describe("hostile MCP servers", () => {
  let tc: Toolcode;

  beforeAll(async () => {
    const dir = tempDir("toolcode-hostile-");
    tc = await createToolcode({
      config: {
        mcpServers: { hostile, bystander: hostile },
        policy: { default: "allow-all", approveDestructive: false },
        sandbox: { timeoutMs: 15_000, maxToolResultBytes: 2 * 1024 * 1024 },
      },
      cwd: dir,
    });
  });

  afterAll(async () => {
    await tc.close();
  });

  /** Runs the attacker's script and, at the same time, a benign session's script on another server. */
  async function attack(code: string, options: { timeoutMs?: number } = {}) {
    const [attacker, victim] = await Promise.all([
      tc.execute(code, { sessionId: "attacker", ...options }),
      tc.execute('return await bystander.echo({ text: "still here" })', { sessionId: "victim" }),
    ]);
    expect(victim.error).toBeNull();
    expect(victim.result).toBe("still here");
    return attacker;
  }

  const pid = async (): Promise<unknown> => (await tc.execute("return await hostile.pid()", { sessionId: "probe" })).result;

  it("a result over the MCP client's 10 MiB message limit fails that call with SANDBOX_LIMIT; the server is reconnected", async () => {
    const before = await pid();
    const run = await attack("return await hostile.huge({ bytes: 11 * 1024 * 1024 })");
    expect(run.error?.code).toBe("SANDBOX_LIMIT");
    expect(run.error?.message).toContain("size limit");
    expect(run.error?.message).toContain("Ask for less");
    const next = await tc.execute('return await hostile.echo({ text: "next caller" })', { sessionId: "next" });
    expect(next.error).toBeNull();
    expect(next.result).toBe("next caller");
    expect(await pid()).not.toBe(before);
  });

  it("a result over sandbox.maxToolResultBytes fails with SANDBOX_LIMIT and keeps the server", async () => {
    const before = await pid();
    const run = await attack("return await hostile.huge({ bytes: 3 * 1024 * 1024 })");
    expect(run.error?.code).toBe("SANDBOX_LIMIT");
    expect(await pid()).toBe(before);
  });

  it("JSON text nested 100,000 deep fails with SANDBOX_LIMIT before anything parses it", async () => {
    const run = await attack("return await hostile.deep({ depth: 100000 })");
    expect(run.error?.code).toBe("SANDBOX_LIMIT");
    expect(run.error?.message).toContain("sandbox.maxJsonDepth");
    const ok = await tc.execute("return await hostile.deep({ depth: 3 })", { sessionId: "next" });
    expect(ok.result).toEqual([[[1]]]);
  });

  it("structuredContent nested 2,000 deep fails with SANDBOX_LIMIT", async () => {
    const run = await attack("return await hostile.deep_structured({ depth: 2000 })");
    expect(run.error?.code).toBe("SANDBOX_LIMIT");
  });

  it("a call that never answers ends at the script's deadline with SANDBOX_TIMEOUT", async () => {
    const run = await attack("return await hostile.slow()", { timeoutMs: 1500 });
    expect(run.error?.code).toBe("SANDBOX_TIMEOUT");
    const next = await tc.execute('return await hostile.echo({ text: "after slow" })', { sessionId: "next" });
    expect(next.result).toBe("after slow");
  });

  it("garbage on the server's stdout does not break the call or the connection", async () => {
    const run = await attack("return await hostile.garbage()");
    expect(run.error).toBeNull();
    expect(run.result).toBe("after garbage");
    const next = await tc.execute('return await hostile.echo({ text: "after garbage too" })', { sessionId: "next" });
    expect(next.result).toBe("after garbage too");
  });

  it("a server that crashes during the call gives SOURCE_CRASHED; the next call restarts it", async () => {
    const run = await attack("return await hostile.crash()");
    expect(run.error?.code).toBe("SOURCE_CRASHED");
    const next = await tc.execute('return await hostile.echo({ text: "restarted" })', { sessionId: "next" });
    expect(next.error).toBeNull();
    expect(next.result).toBe("restarted");
  });

  it("the host stays bounded after all of it", () => {
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3);
  });
});
