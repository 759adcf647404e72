/**
 * The E2B adapter against real E2B sandboxes (Firecracker microVMs in E2B's cloud): runs only
 * when E2B_API_KEY is set (TOOLCODE_TEST_E2B_TEMPLATE names a template other than "base"), and
 * skips with the reason otherwise. The corpus and the host guarantees run on it too
 * (test/isolation/hosts.ts lists "e2b"); this file adds what is E2B's own: the runner the adapter
 * uploads reports the sandbox's kernel, a session keeps its E2B sandbox, and a guest cannot see
 * the gateway's API key.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import { createEngine, engineUnavailable } from "../../src/sandbox/create-engine.js";
import type { RunResult, SandboxHost } from "../../src/sandbox/engine.js";
import type { PooledEngine } from "../../src/sandbox/host/pooled-engine.js";
import { hostConfig } from "./hosts.js";

const LIMITS = { timeoutMs: 60_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100, maxLogBytes: 100_000 };
const ECHO: SandboxHost = { callTool: (_server, _tool, args) => Promise.resolve(args) };
const config = { ...hostConfig("e2b"), reuse: "session" as const, poolSize: 1 };
const skip = engineUnavailable(config)?.message;
if (skip !== undefined) console.warn(`[toolcode tests] skipping the E2B adapter against E2B: ${skip}`);

function run(engine: PooledEngine, source: string, session?: { id: string; user: string | null }): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: LIMITS, ...(session ? { session } : {}) }, ECHO);
}

describe.skipIf(skip !== undefined)("E2B sandboxes", () => {
  let engine: PooledEngine;

  beforeAll(() => {
    engine = createEngine(config);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it("runs a script that calls a tool in an E2B sandbox, whose kernel is not the host's", async () => {
    const result = await run(engine, "const r = await t.echo({ n: 41 }); return r.n + 1;");
    expect(result.ok ? result.value : result.error).toBe(42);
    expect(result.stats.sandbox?.isolation).toBe("e2b");
    expect(result.stats.sandbox?.kernel).toMatch(/^\d+\.\d+/);
    expect(result.stats.sandbox?.kernel).not.toBe(os.release());
  });

  it("keeps a session's E2B sandbox for its executions and gives another session its own", async () => {
    const a1 = await run(engine, "return 1;", { id: "a", user: "alice" });
    const a2 = await run(engine, "return 2;", { id: "a", user: "alice" });
    const b1 = await run(engine, "return 3;", { id: "b", user: "bob" });
    expect([a1.ok, a2.ok, b1.ok]).toEqual([true, true, true]);
    expect(a2.stats.sandbox?.id).toBe(a1.stats.sandbox?.id);
    expect(b1.stats.sandbox?.id).not.toBe(a1.stats.sandbox?.id);
  });

  it("gives the guest no process, no environment and so no API key", async () => {
    const result = await run(engine, "return [typeof process, typeof require, typeof fetch];", { id: "c", user: "carol" });
    expect(result.ok ? result.value : result.error).toEqual(["undefined", "undefined", "undefined"]);
  });
});
