/**
 * `sandbox.reuse: "session"`: each session keeps its own sandbox across its executions
 * (`metadata.sandbox.id` is the same), no other session or user ever gets it, and the bounds of
 * `sandbox.sessionSandboxes` hold: past `max` / `maxPerUser` (or while the session's sandbox is
 * busy) an execution gets a fresh sandbox of its own, a sandbox is replaced after `maxRuns`, and
 * it is stopped when its session ends or it idles `idleMs`. Run with isolation `process` and
 * `bwrap` (skipped with the reason where bubblewrap cannot run).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ExecuteResult } from "../../src/execute/execute-result.js";
import { transpileGuest } from "../../src/execute/transpile.js";
import { createEngine, engineUnavailable } from "../../src/sandbox/create-engine.js";
import type { RunResult, SandboxHost } from "../../src/sandbox/engine.js";
import type { Isolation } from "../../src/sandbox/engines/engine-spec.js";
import type { PooledEngine } from "../../src/sandbox/host/pooled-engine.js";
import { tempDir } from "../helpers.js";

const ISOLATIONS: readonly Isolation[] = ["process", "bwrap"];
const LIMITS = { timeoutMs: 10_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100, maxLogBytes: 100_000 };
const ECHO: SandboxHost = { callTool: (_server, _tool, args) => Promise.resolve(args) };

function sandboxOf(result: ExecuteResult): { id: string; reuse: string | undefined } {
  expect(result.error).toBeNull();
  const sandbox = result.metadata.sandbox;
  expect(sandbox?.id).toMatch(/^[0-9a-f]{16}$/);
  return { id: sandbox?.id ?? "", reuse: sandbox?.reuse };
}

function runIn(engine: PooledEngine, session: { id: string; user: string | null } | undefined, source = "return 1;"): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: LIMITS, ...(session ? { session } : {}) }, ECHO);
}

function idOf(result: RunResult): string {
  expect(result.ok ? "ok" : result.error).toBe("ok");
  return result.stats.sandbox?.id ?? "";
}

for (const isolation of ISOLATIONS) {
  const skip = engineUnavailable({ isolation })?.message;
  if (skip !== undefined) console.warn(`[toolcode tests] skipping session sandboxes on ${isolation}: ${skip}`);

  describe.skipIf(skip !== undefined)(`session sandboxes (${isolation})`, () => {
    describe("through execute", () => {
      let tc: Toolcode;

      beforeAll(async () => {
        tc = await createToolcode({
          config: { mcpServers: {}, sandbox: { isolation, reuse: "session", poolSize: 2, typeCheck: "off", timeoutMs: 20_000 } },
          cwd: tempDir(),
        });
      });

      afterAll(async () => {
        await tc?.close();
      });

      it("keeps one sandbox per session, and two sessions of two users never share one", async () => {
        const a1 = sandboxOf(await tc.execute("return 1;", { sessionId: "alice-1", user: "alice" }));
        const b1 = sandboxOf(await tc.execute("return 1;", { sessionId: "bob-1", user: "bob" }));
        const a2 = sandboxOf(await tc.execute("return 2;", { sessionId: "alice-1", user: "alice" }));
        const b2 = sandboxOf(await tc.execute("return 2;", { sessionId: "bob-1", user: "bob" }));
        const a3 = sandboxOf(await tc.execute("return 3;", { sessionId: "alice-1", user: "alice" }));
        expect(a1.reuse).toBe("session");
        expect(a2.id).toBe(a1.id);
        expect(a3.id).toBe(a1.id);
        expect(b2.id).toBe(b1.id);
        expect(b1.id).not.toBe(a1.id);
        expect(b1.reuse).toBe("session");
        // Another session of the same user gets its own, too.
        const a4 = sandboxOf(await tc.execute("return 4;", { sessionId: "alice-2", user: "alice" }));
        expect(new Set([a1.id, b1.id, a4.id]).size).toBe(3);
      });

      it("stops a session's sandbox when the session ends; the session's next execution gets a fresh one", async () => {
        const before = sandboxOf(await tc.execute("return 1;", { sessionId: "carol-1", user: "carol" }));
        const engine = (tc as unknown as { parts: { engine: PooledEngine } }).parts.engine;
        expect(engine.sandboxIds()).toContain(before.id);
        await tc.endSession("carol-1");
        await vi.waitFor(() => expect(engine.sandboxIds()).not.toContain(before.id), { timeout: 10_000 });
        const after = sandboxOf(await tc.execute("return 1;", { sessionId: "carol-1", user: "carol" }));
        expect(after.id).not.toBe(before.id);
        expect(after.reuse).toBe("session");
      });
    });

    describe("the engine's bounds", () => {
      const engines: PooledEngine[] = [];
      const make = (sessionSandboxes: Record<string, number>): PooledEngine => {
        const engine = createEngine({ isolation, reuse: "session", poolSize: 2, sessionSandboxes });
        engines.push(engine);
        return engine;
      };

      afterEach(async () => {
        await Promise.all(engines.splice(0).map((engine) => engine.close()));
      });

      it("past max, a session gets a fresh per-execution sandbox that no one else gets", async () => {
        const engine = make({ max: 2, maxPerUser: 8 });
        const s1 = idOf(await runIn(engine, { id: "s1", user: "u1" }));
        const s2 = idOf(await runIn(engine, { id: "s2", user: "u2" }));
        expect(engine.sessionSandboxCount()).toBe(2);
        const third = await runIn(engine, { id: "s3", user: "u3" });
        expect(third.stats.sandbox?.reuse).toBe("execution");
        const s3a = idOf(third);
        const s3b = idOf(await runIn(engine, { id: "s3", user: "u3" }));
        expect(new Set([s1, s2, s3a, s3b]).size).toBe(4);
        expect(engine.sessionSandboxCount()).toBe(2);
        // The sessions that hold one keep it.
        expect(idOf(await runIn(engine, { id: "s1", user: "u1" }))).toBe(s1);
      });

      it("past maxPerUser, that user's next session falls back; other users still get theirs", async () => {
        const engine = make({ max: 8, maxPerUser: 1 });
        const first = idOf(await runIn(engine, { id: "a", user: "mallory" }));
        const second = await runIn(engine, { id: "b", user: "mallory" });
        expect(second.stats.sandbox?.reuse).toBe("execution");
        expect(idOf(second)).not.toBe(first);
        const other = await runIn(engine, { id: "c", user: "trent" });
        expect(other.stats.sandbox?.reuse).toBe("session");
        expect(idOf(other)).not.toBe(first);
        expect(engine.sessionSandboxCount()).toBe(2);
      });

      it("replaces a session's sandbox after maxRuns executions", async () => {
        const engine = make({ maxRuns: 2 });
        const session = { id: "s", user: "u" };
        const one = idOf(await runIn(engine, session));
        const two = idOf(await runIn(engine, session));
        const three = idOf(await runIn(engine, session));
        expect(two).toBe(one);
        expect(three).not.toBe(one);
        expect(engine.sandboxIds()).not.toContain(one);
      });

      it("stops a sandbox idle for idleMs", async () => {
        const engine = make({ idleMs: 200 });
        const id = idOf(await runIn(engine, { id: "s", user: "u" }));
        expect(engine.sandboxIds()).toContain(id);
        await vi.waitFor(() => expect(engine.sandboxIds()).not.toContain(id), { timeout: 10_000, interval: 50 });
        expect(engine.sessionSandboxCount()).toBe(0);
        expect(idOf(await runIn(engine, { id: "s", user: "u" }))).not.toBe(id);
      });

      it("gives a concurrent execution of the same session a fresh sandbox instead of waiting, and runs without a session never get a session's", async () => {
        const engine = make({});
        const session = { id: "s", user: "u" };
        const owned = idOf(await runIn(engine, session));
        // The first run waits in a tool call until the second has finished: the second cannot wait for it.
        let open: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => (open = resolve));
        const held: SandboxHost = { callTool: async (_s, _t, args) => { await gate; return args; } };
        const { code, lineOffset } = transpileGuest("return (await t.echo({ n: 1 })).n;");
        const first = engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: LIMITS, session }, held);
        const concurrent = await runIn(engine, session);
        open();
        expect(idOf(await first)).toBe(owned);
        expect(concurrent.stats.sandbox?.reuse).toBe("execution");
        expect(idOf(concurrent)).not.toBe(owned);
        const anonymous = await runIn(engine, undefined);
        expect(anonymous.stats.sandbox?.reuse).toBe("execution");
        expect(idOf(anonymous)).not.toBe(owned);
        // The same session id of another user is another session.
        expect(idOf(await runIn(engine, { id: "s", user: "v" }))).not.toBe(owned);
      });
    });
  });
}
