/**
 * Isolation between executions and sessions, on every engine: concurrent runs cannot observe
 * each other, nothing a guest leaves behind survives into the next run on the same worker, and
 * a hostile run never holds up a concurrent benign one beyond its own deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import type { Engine, RunResult, SandboxHost, SandboxLimits } from "../../src/sandbox/engine.js";
import { ENGINE_CASES, engineFor } from "./engines.js";

const LIMITS: SandboxLimits = { timeoutMs: 5_000, memoryMb: 32, maxStackKb: 128, maxToolCalls: 100, maxLogBytes: 10_000 };
const API = { globals: { t: ["barrier", "echo", "slow"] } };

/** `barrier` answers once `size` calls wait on it; `slow` never answers. */
class BarrierHost implements SandboxHost {
  private waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  callTool(_server: string, tool: string, args: unknown, signal: AbortSignal): Promise<unknown> {
    if (tool === "echo") return Promise.resolve(args);
    if (tool === "slow") return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    return new Promise((resolve) => {
      this.waiting.push(() => resolve("released"));
      if (this.waiting.length >= this.size) for (const release of this.waiting.splice(0)) release();
    });
  }
}

function run(engine: Engine, source: string, host: SandboxHost, limits: Partial<SandboxLimits> = {}): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: API, limits: { ...LIMITS, ...limits } }, host);
}

function value(result: RunResult): unknown {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** A guest that marks its realm with `tag`, waits for the other run, then reports every mark it sees. */
const marker = (tag: string): string => [
  "const g: any = globalThis;",
  `g.secret = '${tag}';`,
  `(Object.prototype as any)['mark_${tag}'] = true;`,
  `(Array.prototype as any).owner = '${tag}';`,
  `JSON.stringify = () => '${tag}';`,
  "await t.barrier({});",
  "const marks = Object.getOwnPropertyNames(Object.prototype).filter((k) => k.startsWith('mark_'));",
  "return { secret: g.secret, marks, owner: ([] as any).owner, json: JSON.stringify({}) };",
].join("\n");

for (const c of ENGINE_CASES) {
  describe.skipIf(c.skip !== undefined)(`isolation on ${c.label}`, () => {
    let engine: Engine;

    beforeAll(async () => {
      engine = engineFor(c, { poolSize: 2 });
      await Promise.all([run(engine, "return 1;", new BarrierHost(1)), run(engine, "return 2;", new BarrierHost(1))]);
    });

    afterAll(async () => {
      await engine?.close();
    });

    it("two sessions running at once cannot observe each other", async () => {
      const host = new BarrierHost(2);
      const [a, b] = await Promise.all([run(engine, marker("A"), host), run(engine, marker("B"), host)]);
      expect(value(a)).toEqual({ secret: "A", marks: ["mark_A"], owner: "A", json: "A" });
      expect(value(b)).toEqual({ secret: "B", marks: ["mark_B"], owner: "B", json: "B" });
    });

    it("nothing a guest sets survives into the next execution on the same worker", async () => {
      const single = engineFor(c, { poolSize: 1 });
      try {
        const dirty = [
          "const g: any = globalThis;",
          "g.leak = 1; g.console = null; (Object.prototype as any).polluted = 1; (Function.prototype as any).call = null;",
          "Object.freeze(Array.prototype); (Promise.prototype as any).then = () => 'hijacked';",
          "void t.slow({});",
          "let n = 0; const again = (): unknown => (n++ < 1000 ? Promise.resolve().then(again) : 0); void again();",
          "return 'dirty';",
        ].join("\n");
        expect(value(await run(single, dirty, new BarrierHost(1)))).toBe("dirty");
        const clean = [
          "const g: any = globalThis;",
          "(Array.prototype as any).fresh = 1;",
          "const r = await t.echo({ ok: true });",
          "console.log('console works');",
          "return [typeof g.leak, typeof ({} as any).polluted, typeof Function.prototype.call, Object.isFrozen(Array.prototype), r];",
        ].join("\n");
        const result = await run(single, clean, new BarrierHost(1));
        expect(value(result)).toEqual(["undefined", "undefined", "function", false, { ok: true }]);
        expect(result.logs).toEqual([{ level: "log", message: "console works" }]);
      } finally {
        await single.close();
      }
    });

    it("a spinning script does not delay concurrent benign ones", async () => {
      const order: string[] = [];
      // Long enough for twenty runs on the other worker (a Workers run loads a Dynamic Worker each time).
      const hostile = run(engine, "while (true) {}", new BarrierHost(1), { timeoutMs: c.config.engine === "workers" ? 15_000 : 2_000 }).then((result) => {
        order.push("hostile");
        return result;
      });
      // Twenty short runs one after another on the other worker, all while the hostile one spins.
      for (let i = 0; i < 20; i++) {
        expect(value(await run(engine, `return ${i};`, new BarrierHost(1)))).toBe(i);
        order.push("benign");
      }
      const spun = await hostile;
      expect(spun.ok ? "ok" : spun.error.code).toBe("SANDBOX_TIMEOUT");
      expect(order.indexOf("hostile")).toBe(20);
    });

    it("a script that exhausts its memory does not disturb a concurrent benign one", async () => {
      const host = new BarrierHost(2);
      const benign = run(engine, "const r = await t.barrier({});\nreturn [r, 'still here'];", host);
      const bomb = run(engine, "await t.barrier({});\nconst a: unknown[] = [];\nfor (;;) a.push({ i: a.length, s: 'x' + a.length });", host, { timeoutMs: 30_000 });
      const [good, bad] = await Promise.all([benign, bomb]);
      expect(value(good)).toEqual(["released", "still here"]);
      expect(bad.ok ? "ok" : bad.error.code).toBe("SANDBOX_MEMORY");
      expect(value(await run(engine, "return 'next';", new BarrierHost(1)))).toBe("next");
    });

    it("guest modules are evaluated per execution, never shared", async () => {
      const api = { globals: API.globals, modules: { "./skills/counter": "globalThis.__count = (globalThis.__count || 0) + 1; exports.n = globalThis.__count;" } };
      const { code, lineOffset } = transpileGuest("return require('./skills/counter').n;");
      for (let i = 0; i < 3; i++) {
        const result = await engine.run({ code, lineOffset, api, limits: LIMITS }, new BarrierHost(1));
        expect(value(result)).toBe(1);
      }
    });
  });
}
