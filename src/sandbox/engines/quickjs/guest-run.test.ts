import { describe, expect, it } from "vitest";
import { transpileGuest } from "../../../execute/transpile.js";
import type { SandboxLimits } from "../../engine.js";
import { GuestRun } from "./guest-run.js";
import { resolveLimits } from "../../limits.js";
import type { ToolEnvelope, WorkerOutcome } from "../../protocol.js";
import { QuickJsModuleCache } from "./quickjs-module.js";

// In-process tests of one run (no worker): they check that QuickJS cleanup succeeds, i.e. that
// the module stays reusable after each kind of ending. Deep recursion is not tested here: the
// test thread's native stack is smaller than a worker's.

const LIMITS: SandboxLimits = { timeoutMs: 2_000, memoryMb: 16, maxStackKb: 64, maxToolCalls: 5, maxLogBytes: 10_000 };

interface Ended {
  outcome: WorkerOutcome;
  moduleHealthy: boolean;
  calls: { callId: number; server: string; tool: string; args: string }[];
}

const modules = new QuickJsModuleCache();

async function runGuest(
  source: string,
  options: { limits?: Partial<SandboxLimits>; answer?: (call: { tool: string; args: string }) => ToolEnvelope | undefined } = {},
): Promise<Ended> {
  const limits = resolveLimits({ ...LIMITS, ...options.limits });
  const capped = await modules.get(limits.memoryMb);
  const { code, lineOffset } = transpileGuest(source);
  const calls: Ended["calls"] = [];
  return new Promise<Ended>((resolve) => {
    const run: GuestRun = new GuestRun(capped, { type: "run", runId: 1, code, lineOffset, api: { globals: { t: ["echo", "never"] } }, limits }, {
      callTool(callId, server, tool, args) {
        calls.push({ callId, server, tool, args });
        const envelope = options.answer?.({ tool, args });
        if (envelope !== undefined) setImmediate(() => run.resolveToolCall(callId, JSON.stringify(envelope)));
      },
      done(outcome, moduleHealthy) {
        if (!moduleHealthy) modules.discard(capped);
        resolve({ outcome, moduleHealthy, calls });
      },
    });
    run.start();
  });
}

const echo = ({ tool, args }: { tool: string; args: string }): ToolEnvelope | undefined =>
  tool === "echo" ? { ok: true, value: JSON.parse(args) as unknown } : undefined;

describe("GuestRun", () => {
  it("returns a value as JSON text and keeps the module healthy", async () => {
    const ended = await runGuest("const r = await t.echo({ x: 1 });\nreturn [r, 2n];", { answer: echo });
    expect(ended.outcome).toMatchObject({ ok: true, value: '[{"x":1},"2"]', toolCalls: 1 });
    expect(ended.calls).toEqual([{ callId: 1, server: "t", tool: "echo", args: '{"x":1}' }]);
    expect(ended.moduleHealthy).toBe(true);
  });

  it("cleans up after a timeout while a tool call is pending (deferred disposed before the context)", async () => {
    const ended = await runGuest("await Promise.all([t.never({}), t.never({})]);", { limits: { timeoutMs: 100 } });
    expect(ended.outcome).toMatchObject({ ok: false, error: { code: "SANDBOX_TIMEOUT" } });
    expect(ended.calls).toHaveLength(2);
    expect(ended.moduleHealthy).toBe(true);
  });

  it("cleans up after an interrupted loop, a refused call and a guest error", async () => {
    const loop = await runGuest("await t.echo({});\nwhile (true) {}", { answer: echo, limits: { timeoutMs: 100 } });
    expect(loop.outcome).toMatchObject({ ok: false, error: { code: "SANDBOX_TIMEOUT" } });
    expect(loop.moduleHealthy).toBe(true);

    const limited = await runGuest("for (let i = 0; i < 9; i++) await t.echo({ i });", { answer: echo, limits: { maxToolCalls: 2 } });
    expect(limited.outcome).toMatchObject({ ok: false, error: { code: "TOOL_CALL_LIMIT" }, toolCalls: 2 });
    expect(limited.moduleHealthy).toBe(true);

    const thrown = await runGuest("const p = t.never({});\nthrow new RangeError('nope');");
    expect(thrown.outcome).toMatchObject({ ok: false, error: { code: "GUEST_ERROR", line: 2 } });
    expect(thrown.outcome.ok ? "" : thrown.outcome.error.message).toMatch(/^RangeError: nope \(at line 2:\d+\)$/);
    expect(thrown.moduleHealthy).toBe(true);
  });

  it("reports memory exhaustion and asks for a fresh module", async () => {
    // A generous deadline: the assertion is about memory, not time.
    const ended = await runGuest("const a: string[] = [];\nwhile (true) a.push('x' + a.length);", { limits: { timeoutMs: 30_000 } });
    expect(ended.outcome).toMatchObject({ ok: false, error: { code: "SANDBOX_MEMORY" } });
    expect(ended.moduleHealthy).toBe(false);
    const next = await runGuest("return 'fresh module';");
    expect(next.outcome).toMatchObject({ ok: true, value: '"fresh module"' });
  });
});
