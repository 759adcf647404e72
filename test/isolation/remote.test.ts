/**
 * The remote host against runner servers: the one global-setup.ts started in another process
 * (loopback WebSocket), and one in this process where the test can count its sandboxes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import { createEngine } from "../../src/sandbox/create-engine.js";
import type { Engine, RunResult } from "../../src/sandbox/engine.js";
import { quickJsEngine } from "../../src/sandbox/engines/quickjs/engine.js";
import { processWorkers } from "../../src/sandbox/host/process-worker.js";
import { type RunnerServer, startRunnerServer } from "../../src/sandbox/runner/runner-server.js";
import { hostConfig } from "./hosts.js";

const LIMITS = { timeoutMs: 5_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100, maxLogBytes: 100_000 };

function run(engine: Engine, source: string, timeoutMs = LIMITS.timeoutMs): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: { ...LIMITS, timeoutMs } }, { callTool: (_s, _t, args) => Promise.resolve(args) });
}

const external = process.env.TOOLCODE_TEST_RUNNER_URL;

describe.skipIf(external === undefined)("a runner in another process over loopback WebSocket", () => {
  it("runs executions with tool calls, several at once", async () => {
    const engine = createEngine({ ...hostConfig("remote"), poolSize: 3 });
    try {
      const results = await Promise.all([1, 2, 3, 4].map((n) => run(engine, `const r = await t.echo({ n: ${n} }); return r.n * 10;`)));
      expect(results.map((r) => (r.ok ? r.value : r.error.code))).toEqual([10, 20, 30, 40]);
      expect(results.every((r) => r.stats.sandbox?.isolation === "remote")).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it("refuses a gateway with the wrong secret (the run fails to start, naming the secret)", async () => {
    const engine = createEngine({ engine: "quickjs", isolation: "remote", remote: { url: external ?? "", secret: "not-the-right-secret-at-all" } });
    try {
      await expect(run(engine, "return 1;")).rejects.toThrow(/401|secret/);
    } finally {
      await engine.close();
    }
  });
});

describe("a runner server's sandboxes", () => {
  let server: RunnerServer;
  const secret = "a-test-secret-of-enough-length";

  beforeAll(async () => {
    server = await startRunnerServer({ port: 0, secret, spawn: processWorkers({ engine: quickJsEngine, workerMemoryMb: 128 }), maxSandboxes: 2 });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("end when the gateway closes the connection: at its deadline, and when the engine closes", async () => {
    const engine = createEngine({ engine: "quickjs", isolation: "remote", remote: { url: server.url, secret }, poolSize: 1, graceMs: 200 });
    try {
      const stuck = await run(engine, "while (true) {}", 300);
      expect(stuck.ok ? "ok" : stuck.error.code).toBe("SANDBOX_TIMEOUT");
      const next = await run(engine, "return 2;");
      expect(next.ok ? next.value : next.error).toBe(2);
      expect(server.active()).toBeLessThanOrEqual(2);
    } finally {
      await engine.close();
    }
    for (let i = 0; i < 100 && server.active() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.active()).toBe(0);
  });

  it("refuses connections beyond maxSandboxes instead of starting more", async () => {
    const engine = createEngine({ engine: "quickjs", isolation: "remote", remote: { url: server.url, secret }, poolSize: 4, reuse: "shared" });
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => run(engine, "return 1;").catch((error: unknown) => error)));
      expect(server.active()).toBeLessThanOrEqual(2);
      expect(results.some((r) => typeof r === "object" && r !== null && "ok" in r && r.ok)).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
