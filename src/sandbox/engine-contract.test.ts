import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINE_CASES, engineFor } from "../../test/security/engines.js";
import { ToolcodeError, ToolError } from "../errors.js";
import { transpileGuest, transpileGuestModule } from "../execute/transpile.js";
import type { Engine, GuestApi, RunResult, SandboxHost, SandboxLimits } from "./engine.js";

// The engine contract, for every engine and isolation mode (test/security/engines.ts).

const API: GuestApi = { globals: { fs: ["read_file", "write_file", "slow"], github: ["list_issues", "http_fail"] } };

const LIMITS: SandboxLimits = { timeoutMs: 5_000, memoryMb: 32, maxStackKb: 256, maxToolCalls: 50, maxLogBytes: 100_000 };

interface RecordedCall {
  server: string;
  tool: string;
  args: unknown;
  signal: AbortSignal;
}

/** A fake host: read_file echoes, write_file fails, slow never answers (until aborted). */
class FakeHost implements SandboxHost {
  readonly calls: RecordedCall[] = [];
  /** When set, read_file waits until this many calls are in flight before answering any. */
  holdUntil = 0;
  private waiting: (() => void)[] = [];

  callTool(server: string, tool: string, args: unknown, signal: AbortSignal): Promise<unknown> {
    this.calls.push({ server, tool, args, signal });
    if (tool === "write_file") return Promise.reject(new ToolError("EACCES: permission denied", { path: "x" }, "TOOL_ERROR"));
    if (tool === "list_issues") return Promise.reject(new ToolError("owner is required", { field: "owner" }, "INVALID_ARGUMENTS"));
    if (tool === "http_fail") {
      const details = { server, tool, status: 404, statusText: "Not Found", method: "GET", url: "https://api.example.com/x", bodyExcerpt: "{\"message\":\"Not Found\"}" };
      const error = new ToolcodeError("HTTP_ERROR", "GET /x → 404 Not Found", details);
      return Promise.reject(error);
    }
    if (tool === "slow") {
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    }
    const answer = { server, tool, args, nested: { list: [1, 2, 3] } };
    if (this.holdUntil === 0) return Promise.resolve(answer);
    return new Promise((resolve) => {
      this.waiting.push(() => resolve(answer));
      if (this.waiting.length >= this.holdUntil) for (const release of this.waiting.splice(0)) release();
    });
  }
}

async function run(
  engine: Engine,
  source: string,
  options: { limits?: Partial<SandboxLimits>; host?: SandboxHost; api?: GuestApi } = {},
): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: options.api ?? API, limits: { ...LIMITS, ...options.limits } }, options.host ?? new FakeHost());
}

function expectError(result: RunResult, code: string): { message: string; line?: number; column?: number; details?: Record<string, unknown> } {
  if (result.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(result.value)}`);
  expect(result.error.code, result.error.message).toBe(code);
  return result.error;
}

function expectValue(result: RunResult): unknown {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

for (const c of ENGINE_CASES) describe.skipIf(c.skip !== undefined)(`engine ${c.label}`, () => {
  let engine: Engine;
  const quickjs = c.config.engine === "quickjs";
  /** A deadline the guest must reach a tool call within (a Dynamic Worker takes tens of ms to load, more under load). */
  const SHORT_TIMEOUT_MS = c.config.engine === "workers" ? 3_000 : 300;
  /** The Workers runtime has no `eval` (code generation from strings is disallowed there). */
  const noEval = c.config.engine === "workers";

  beforeAll(async () => {
    if (c.skip !== undefined) return;
    engine = engineFor(c, { poolSize: 2 });
    // Start both workers so concurrency tests do not measure worker startup.
    await Promise.all([run(engine, "return 1"), run(engine, "return 2")]);
  });

  afterAll(async () => {
    await engine?.close();
  });

  describe("values and logs", () => {
    it("returns the value and captures console output at each level", async () => {
      const result = await run(
        engine,
        'console.log("hi", { a: 1, b: [1, 2] }, 3, undefined);\nconsole.info("i");\nconsole.warn("w");\nconsole.error(new TypeError("bad"));\nconsole.debug(5n, null, () => 1);\nreturn { n: 1 };',
      );
      expect(expectValue(result)).toEqual({ n: 1 });
      expect(result.logs).toEqual([
        { level: "log", message: 'hi {"a":1,"b":[1,2]} 3 undefined' },
        { level: "info", message: "i" },
        { level: "warn", message: "w" },
        { level: "error", message: "TypeError: bad" },
        { level: "debug", message: "5n null [Function: anonymous]" },
      ]);
    });

    it("formats cyclic objects safely in logs and return values", async () => {
      const result = await run(engine, "const o: any = { name: 'o' };\no.self = o;\nconsole.log(o);\nreturn { o, list: [o, o] };");
      expect(result.logs).toEqual([{ level: "log", message: '{"name":"o","self":"[Circular]"}' }]);
      // Repeated (non-cyclic) references are kept; only cycles are cut.
      expect(expectValue(result)).toEqual({
        o: { name: "o", self: "[Circular]" },
        list: [{ name: "o", self: "[Circular]" }, { name: "o", self: "[Circular]" }],
      });
    });

    it("serializes return values as JSON: undefined omitted, BigInt as string, functions dropped", async () => {
      const result = await run(engine, "return { a: undefined, b: 10n, f() {}, d: new Date(0), m: new Map([['k', 1]]), s: new Set([1, 2]), arr: [undefined, 1] };");
      expect(expectValue(result)).toEqual({ b: "10", d: "1970-01-01T00:00:00.000Z", m: { k: 1 }, s: [1, 2], arr: [null, 1] });
    });

    it("returns undefined when the code returns nothing", async () => {
      const result = await run(engine, "console.log('only logs');");
      expect(result.ok).toBe(true);
      expect(expectValue(result)).toBeUndefined();
      expect(result.logs).toHaveLength(1);
    });

    it("caps console output at maxLogBytes with a truncation marker", async () => {
      const result = await run(engine, "for (let i = 0; i < 1000; i++) console.log('line ' + i + ' ' + 'x'.repeat(40));\nreturn 'done';", {
        limits: { maxLogBytes: 500 },
      });
      expect(expectValue(result)).toBe("done");
      const last = result.logs.at(-1);
      expect(last?.message).toMatch(/truncated at 500 bytes/);
      const kept = result.logs.slice(0, -1).reduce((sum, entry) => sum + Buffer.byteLength(entry.message) + 1, 0);
      expect(kept).toBeLessThanOrEqual(500);
      expect(result.logs.length).toBeLessThan(20);
    });

    it("supports top-level await and an early top-level return", async () => {
      const result = await run(engine, "const x = await Promise.resolve(2);\nif (x === 2) return 'early';\nreturn 'late';");
      expect(expectValue(result)).toBe("early");
    });

    it("offers no process, fetch, timers or require global", async () => {
      const result = await run(
        engine,
        "return [typeof process, typeof fetch, typeof setTimeout, typeof globalThis.require, typeof ToolError, typeof fs, typeof github];",
      );
      expect(expectValue(result)).toEqual(["undefined", "undefined", "undefined", "undefined", "function", "object", "object"]);
    });

    it("starts every run in a fresh context", async () => {
      const first = await run(engine, "globalThis.leak = 42;\n(Array.prototype as any).evil = 1;\nreturn typeof leak;");
      expect(expectValue(first)).toBe("number");
      // Both workers must be checked: run the probe twice concurrently.
      const probes = await Promise.all([0, 1].map(() => run(engine, "return [typeof (globalThis as any).leak, typeof ([] as any).evil];")));
      for (const probe of probes) expect(expectValue(probe)).toEqual(["undefined", "undefined"]);
    });
  });

  describe("tool calls", () => {
    it("calls the host with parsed arguments and gives the guest plain objects", async () => {
      const host = new FakeHost();
      const result = await run(
        engine,
        "const r = await fs.read_file({ path: 'a.txt', n: 2 });\nreturn [r.args, Object.getPrototypeOf(r) === Object.prototype, Array.isArray(r.nested.list)];",
        { host },
      );
      expect(expectValue(result)).toEqual([{ path: "a.txt", n: 2 }, true, true]);
      expect(host.calls.map(({ server, tool, args }) => ({ server, tool, args }))).toEqual([
        { server: "fs", tool: "read_file", args: { path: "a.txt", n: 2 } },
      ]);
      expect(result.stats.toolCalls).toBe(1);
    });

    it("keeps several tool calls in flight at once (Promise.all)", async () => {
      const host = new FakeHost();
      // The host answers only once all three calls have arrived: sequential calls would time out.
      host.holdUntil = 3;
      const result = await run(engine, "const rs = await Promise.all([1, 2, 3].map((i) => fs.read_file({ i })));\nreturn rs.map((r) => r.args.i);", {
        host,
        limits: { timeoutMs: 3_000 },
      });
      expect(expectValue(result)).toEqual([1, 2, 3]);
      expect(host.calls).toHaveLength(3);
    });

    it("works through imports: named, namespace, default and per-tool modules", async () => {
      const source = [
        'import { read_file } from "./servers/fs";',
        'import * as gh from "./servers/github";',
        'import fsDefault from "./servers/fs";',
        'import { write_file } from "./servers/fs/write_file";',
        "const r = await read_file({ p: 1 });",
        "return [r.args.p, typeof gh.list_issues, typeof fsDefault.read_file, typeof write_file];",
      ].join("\n");
      expect(expectValue(await run(engine, source))).toEqual([1, "function", "function", "function"]);
    });

    it("rejects failed tool calls with a ToolError carrying the host's code, message and details", async () => {
      const result = await run(
        engine,
        "try {\n  await fs.write_file({ path: 'x' });\n} catch (e) {\n  return [e instanceof ToolError, e instanceof Error, e.name, e.code, e.message, e.details];\n}",
      );
      expect(expectValue(result)).toEqual([true, true, "ToolError", "TOOL_ERROR", "EACCES: permission denied", { path: "x" }]);
    });

    it("keeps the tool's error code when the guest does not catch it, with the user's line", async () => {
      const result = await run(engine, "const a = 1;\n\nawait github.list_issues({});");
      const error = expectError(result, "INVALID_ARGUMENTS");
      expect(error.message).toContain("owner is required");
      expect(error.line).toBe(3);
      expect(error.details).toEqual({ field: "owner" });
    });

    it("does not let the guest forge error codes", async () => {
      const forged = await run(engine, "throw new ToolError('fake', 'SANDBOX_TIMEOUT');");
      expectError(forged, "GUEST_ERROR");
      const relabeled = await run(engine, "try { await fs.write_file({}); } catch (e) { e.code = 'SANDBOX_MEMORY'; throw e; }");
      expectError(relabeled, "TOOL_ERROR");
    });

    it("throws TOOL_NOT_FOUND listing the valid tools for an unknown tool", async () => {
      const result = await run(engine, "const x = 1;\nawait fs.delete_everything({});");
      const error = expectError(result, "TOOL_NOT_FOUND");
      expect(error.message).toContain("fs.delete_everything is not a tool");
      expect(error.message).toContain("read_file, write_file, slow");
      expect(error.line).toBe(2);
      expect(error.details).toMatchObject({ server: "fs", tool: "delete_everything", available: ["read_file", "write_file", "slow"] });
    });

    it("lets the guest await or inspect a server object harmlessly", async () => {
      const result = await run(
        engine,
        "const s = await fs;\nconsole.log(fs);\nreturn [s === fs, typeof (fs as any).then, Object.keys(fs), 'read_file' in fs, JSON.stringify(fs), { fs }];",
      );
      expect(expectValue(result)).toEqual([true, "undefined", ["read_file", "write_file", "slow"], true, "{}", { fs: "[server fs]" }]);
      expect(result.logs).toEqual([{ level: "log", message: "[server fs: read_file, write_file, slow]" }]);
    });

    it("enriches an unknown server identifier with the available servers (SERVER_NOT_FOUND)", async () => {
      const result = await run(engine, "\nconst issues = await gitlab.list_issues({});");
      const error = expectError(result, "SERVER_NOT_FOUND");
      expect(error.message).toContain("gitlab is not defined");
      expect(error.message).toContain("Available servers: fs, github");
      expect(error.line).toBe(2);
    });

    it("lists valid module paths for an unknown import", async () => {
      const unknownModule = expectError(await run(engine, 'import { x } from "node:fs";\nreturn x;'), "GUEST_ERROR");
      expect(unknownModule.message).toContain("Cannot find module 'node:fs'");
      expect(unknownModule.message).toContain("./servers/fs, ./servers/github");
      const unknownServer = expectError(await run(engine, 'import { x } from "./servers/gitlab";\nreturn x;'), "SERVER_NOT_FOUND");
      expect(unknownServer.message).toContain("Available servers: fs, github");
      const unknownTool = expectError(await run(engine, 'import { x } from "./servers/fs/nope";\nreturn x;'), "TOOL_NOT_FOUND");
      expect(unknownTool.message).toContain("read_file");
    });

    it("rejects HTTP_ERROR failures with an HttpError (a ToolError) carrying status and plain-data details", async () => {
      const result = await run(
        engine,
        [
          "try {",
          "  await github.http_fail({});",
          "} catch (e) {",
          "  return [e instanceof HttpError, e instanceof ToolError, e instanceof Error, e.name, e.code, e.status, e.details.method,",
          "    Object.getPrototypeOf(e.details) === Object.prototype, e.details.bodyExcerpt];",
          "}",
        ].join("\n"),
      );
      expect(expectValue(result)).toEqual([true, true, true, "HttpError", "HTTP_ERROR", 404, "GET", true, '{"message":"Not Found"}']);
      const uncaught = expectError(await run(engine, "await github.http_fail({});"), "HTTP_ERROR");
      expect(uncaught.details).toMatchObject({ status: 404, url: "https://api.example.com/x" });
    });

    it("rejects calls beyond maxToolCalls with TOOL_CALL_LIMIT", async () => {
      const host = new FakeHost();
      const result = await run(
        engine,
        "let done = 0;\ntry {\n  for (let i = 0; i < 10; i++) { await fs.read_file({ i }); done++; }\n} catch (e) {\n  return [done, e.code];\n}",
        { host, limits: { maxToolCalls: 3 } },
      );
      expect(expectValue(result)).toEqual([3, "TOOL_CALL_LIMIT"]);
      expect(host.calls).toHaveLength(3);
      const uncaught = await run(engine, "for (let i = 0; i < 10; i++) await fs.read_file({ i });", { limits: { maxToolCalls: 2 } });
      expect(expectError(uncaught, "TOOL_CALL_LIMIT").message).toMatch(/at most 2 tool calls/);
    });
  });

  describe("guest modules", () => {
    const modules = {
      "./skills/normalize-address": transpileGuestModule(
        [
          'import { read_file } from "./servers/fs";',
          'import { upper } from "./strings";',
          "export let loads = 0;",
          "loads++;",
          "export function normalize(a: string): string { return upper(a.trim()); }",
          "export async function readBack(p: string) { return (await read_file({ p })).args.p; }",
        ].join("\n"),
        "./skills/normalize-address",
      ),
      "./skills/strings": transpileGuestModule("export const upper = (s: string): string => s.toUpperCase();", "./skills/strings"),
      "./skills/counter": "module.exports = { n: (globalThis.__count = (globalThis.__count || 0) + 1) };",
      "./skills/broken": transpileGuestModule("export const x = 1;\nthrow new Error('broken module');", "./skills/broken"),
    };
    const api: GuestApi = { ...API, modules };

    it("imports a guest module that requires a server and another module", async () => {
      const source = [
        'import { normalize, readBack } from "./skills/normalize-address";',
        'import * as again from "./skills/normalize-address.ts";',
        "return [normalize('  main st '), await readBack('q'), again.loads];",
      ].join("\n");
      expect(expectValue(await run(engine, source, { api }))).toEqual(["MAIN ST", "q", 1]);
    });

    it("evaluates a module lazily, once, and supports module.exports", async () => {
      const source = [
        "const before = typeof (globalThis as any).__count;",
        'const a = require("./skills/counter");',
        'const b = require("skills/counter");',
        "return [before, a.n, a === b];",
      ].join("\n");
      expect(expectValue(await run(engine, source, { api }))).toEqual(["undefined", 1, true]);
    });

    it("lists guest modules among the valid module paths", async () => {
      const error = expectError(await run(engine, 'import { x } from "./skills/nope";\nreturn x;', { api }), "GUEST_ERROR");
      expect(error.message).toContain("Cannot find module './skills/nope'");
      expect(error.message).toContain("./servers/fs, ./servers/github, ./skills/normalize-address, ./skills/strings");
    });

    it("reports an exception thrown while a module evaluates, and evaluates it again on the next require", async () => {
      const source = [
        "let first = '';",
        'try { require("./skills/broken"); } catch (e) { first = e.message; }',
        'try { require("./skills/broken"); } catch (e) { return [first, e.message]; }',
      ].join("\n");
      expect(expectValue(await run(engine, source, { api }))).toEqual(["broken module", "broken module"]);
    });

    it("reports a module's syntax error at transpile time with the module's name and line", () => {
      expect(() => transpileGuestModule("const a = 1;\nconst = 2;", "./skills/bad")).toThrow(/In module \.\/skills\/bad: SyntaxError: .*line 2/);
    });
  });

  describe("errors", () => {
    it("maps runtime errors to the user's line and column", async () => {
      const result = await run(engine, "const a: any = null;\n\n  a.foo;");
      const error = expectError(result, "GUEST_ERROR");
      expect(error.message).toMatch(/^TypeError: .*foo.* \(at line 3:\d+\)$/);
      expect(error.line).toBe(3);
      // QuickJS points at the object, V8 at the property.
      expect(error.column).toBe(quickjs ? 4 : 5);
    });

    it("maps syntax errors QuickJS finds (but sucrase does not) to the user's line", async () => {
      const result = await run(engine, "let a = 1;\nlet a = 2;\nreturn a;");
      const error = expectError(result, "GUEST_SYNTAX_ERROR");
      expect(error.line).toBe(2);
      expect(error.message).toContain("(at line 2:");
      expect(error.message).toContain("2 | let a = 2;");
    });

    it("reports thrown non-errors and never leaks host paths", async () => {
      const thrown = expectError(await run(engine, "throw 'oops';"), "GUEST_ERROR");
      expect(thrown.message).toBe('Uncaught "oops"');
      const deep = await run(engine, "function f() { return (null as any).x; }\nreturn f();");
      const error = expectError(deep, "GUEST_ERROR");
      expect(error.message).not.toMatch(/\/work\/|node_modules|file:|\.ts:/);
    });

    it("refuses writes to server objects", async () => {
      const error = expectError(await run(engine, "(fs as any).read_file = () => 'mine';"), "GUEST_ERROR");
      expect(error.message).toMatch(/^TypeError/);
    });

    it("explains missing Node globals", async () => {
      const error = expectError(await run(engine, "await fetch('http://example.com');"), "GUEST_ERROR");
      expect(error.message).toMatch(/fetch is not available in the sandbox/);
    });

    it("reports a promise that can never settle instead of waiting for the timeout", async () => {
      const error = expectError(await run(engine, "await new Promise(() => {});"), "GUEST_ERROR");
      expect(error.message).toMatch(/can never settle/);
    });
  });

  describe("limits", () => {
    it("stops while(true){} at timeoutMs", async () => {
      const result = await run(engine, "while (true) {}", { limits: { timeoutMs: 300 } });
      expect(expectError(result, "SANDBOX_TIMEOUT").message).toMatch(/300 ms/);
    });

    it("cannot catch the timeout interrupt", async () => {
      const result = await run(engine, "for (;;) {\n  try { while (true) {} } catch { /* keep going */ }\n}", { limits: { timeoutMs: 300 } });
      expectError(result, "SANDBOX_TIMEOUT");
    });

    it("stops a loop that starts after awaiting a tool call", async () => {
      const host = new FakeHost();
      const result = await run(engine, "await fs.read_file({});\nwhile (true) {}", { host, limits: { timeoutMs: SHORT_TIMEOUT_MS } });
      expectError(result, "SANDBOX_TIMEOUT");
      expect(host.calls).toHaveLength(1);
    });

    it("times out a guest waiting on a tool call that never answers, and aborts the call", async () => {
      const host = new FakeHost();
      const result = await run(engine, "await fs.slow({});", { host, limits: { timeoutMs: SHORT_TIMEOUT_MS } });
      expectError(result, "SANDBOX_TIMEOUT");
      expect(host.calls).toHaveLength(1);
      expect(host.calls[0]?.signal.aborted).toBe(true);
    });

    it("aborts in-flight tool calls when the guest finishes without awaiting them", async () => {
      const host = new FakeHost();
      const result = await run(engine, "void fs.slow({});\nreturn 'left it running';", { host });
      expect(expectValue(result)).toBe("left it running");
      expect(host.calls[0]?.signal.aborted).toBe(true);
    });

    it("stops growing arrays at the memory limit (SANDBOX_MEMORY), then runs the next guest normally", async () => {
      // A generous deadline: the assertion is about memory, not time (V8 collects hard near a heap cap).
      const grow = await run(engine, "const a: unknown[] = [];\nwhile (true) a.push({ i: a.length, s: 'item ' + a.length });", { limits: { timeoutMs: 30_000 } });
      expectError(grow, "SANDBOX_MEMORY");
      expect(expectValue(await run(engine, "return [1, 2, 3].length;"))).toBe(3);
    });

    it("stops a big typed array at the memory limit", async () => {
      expectError(await run(engine, "const t = new Uint8Array(512 * 1024 * 1024);\nreturn t.length;", { limits: { timeoutMs: 30_000 } }), "SANDBOX_MEMORY");
      expectError(await run(engine, "const chunks = [];\nwhile (true) chunks.push(new Float64Array(1024 * 1024));", { limits: { timeoutMs: 30_000 } }), "SANDBOX_MEMORY");
      expect(expectValue(await run(engine, "return 'still fine';"))).toBe("still fine");
    });

    it("stops deep recursion with SANDBOX_STACK without breaking the worker", async () => {
      const result = await run(engine, "function f(n: number): number { return f(n + 1) + 1; }\nreturn f(0);");
      expect(expectError(result, "SANDBOX_STACK").line).toBe(1);
      // QuickJS overflows parsing it; V8 parses it iteratively, and the bridge refuses to return it.
      const parse = await run(engine, "return JSON.parse('['.repeat(200000) + ']'.repeat(200000));");
      expectError(parse, quickjs ? "SANDBOX_STACK" : "OUTPUT_LIMIT");
      expect(expectValue(await run(engine, "return 'alive';"))).toBe("alive");
    });

    it("clamps an oversized maxStackKb so deep nesting cannot overflow the worker's native stack", async () => {
      const limits = { maxStackKb: 4096 };
      // QuickJS itself must report the overflow (guest frames carry a line); a native overflow of
      // the worker would surface without one, from the host-side fallback.
      const nested = await run(engine, "return eval('('.repeat(200000));", { limits });
      if (noEval) {
        // Workers refuse code generation from strings outright.
        expect(expectError(nested, "GUEST_ERROR").message).toMatch(/^EvalError: Code generation from strings disallowed/);
      } else {
        expect(expectError(nested, "SANDBOX_STACK").line).toBe(1);
      }
      const recursion = await run(engine, "function f(n: number): number { return f(n + 1) + 1; }\nreturn f(0);", { limits });
      expect(expectError(recursion, "SANDBOX_STACK").line).toBe(1);
      expect(expectValue(await run(engine, "return 'alive';", { limits }))).toBe("alive");
    });

    it("does not block the host: a concurrent run completes and host timers tick while a guest spins", async () => {
      let ticks = 0;
      const interval = setInterval(() => {
        ticks += 1;
      }, 5);
      const order: string[] = [];
      let ticksWhenSpinEnded = 0;
      let ticksWhenQuickEnded = 0;
      try {
        const spinning = run(engine, "while (true) {}", { limits: { timeoutMs: 1_500 } }).then((result) => {
          order.push("spin");
          ticksWhenSpinEnded = ticks;
          return result;
        });
        const quick = run(engine, "return 42;").then((result) => {
          order.push("quick");
          ticksWhenQuickEnded = ticks;
          return result;
        });
        const [spin, trivial] = await Promise.all([spinning, quick]);
        expectError(spin, "SANDBOX_TIMEOUT");
        expect(expectValue(trivial)).toBe(42);
        expect(order).toEqual(["quick", "spin"]);
        // Host timers fired while the guest was still spinning (behaviour, not a rate).
        expect(ticksWhenSpinEnded).toBeGreaterThan(ticksWhenQuickEnded);
      } finally {
        clearInterval(interval);
      }
    });

    it("queues runs beyond the pool size and completes all of them", async () => {
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => run(engine, `return ${i} * 2;`)));
      expect(results.map(expectValue)).toEqual([2, 4, 6, 8, 10]);
    });
  });
});

for (const c of ENGINE_CASES) describe.skipIf(c.skip !== undefined)(`engine ${c.label} lifecycle`, () => {
  it.runIf(c.config.engine === "quickjs")("kills and replaces a worker stuck in an uninterruptible operation; the caller is answered at the deadline", async () => {
    const engine = engineFor(c, { poolSize: 1, graceMs: 200 });
    try {
      await run(engine, "return 0;");
      const before = workerPids(engine);
      // Calls of native string functions that QuickJS cannot interrupt: ~40 calls, each scanning 40 MB.
      const stuck = Array.from({ length: 20 }, () => "s.repeat(2e7).indexOf('c')").join(" + ");
      const result = await run(engine, `const s = 'ab';\nreturn ${stuck};`, { limits: { timeoutMs: 100, memoryMb: 128 } });
      expectError(result, "SANDBOX_TIMEOUT");
      expect(expectValue(await run(engine, "return 'replacement works';"))).toBe("replacement works");
      if (c.config.isolation === "process") expect(workerPids(engine)).not.toEqual(before);
    } finally {
      await engine.close();
    }
  });

  it.runIf(c.config.isolation === "process")("answers SANDBOX_CRASHED when the worker process dies mid-run, and replaces it", async () => {
    const engine = engineFor(c, { poolSize: 1 });
    try {
      const host = new FakeHost();
      const running = run(engine, "await fs.slow({});", { host });
      while (host.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const [pid] = workerPids(engine);
      process.kill(pid ?? 0, "SIGKILL");
      expectError(await running, "SANDBOX_CRASHED");
      expect(host.calls[0]?.signal.aborted).toBe(true);
      expect(expectValue(await run(engine, "return 'replacement works';"))).toBe("replacement works");
      expect(workerPids(engine)).not.toContain(pid);
    } finally {
      await engine.close();
    }
  });

  it("recycles a worker after recycleAfter runs", async () => {
    const engine = engineFor(c, { poolSize: 1, recycleAfter: 2 });
    try {
      for (let i = 0; i < 5; i++) expect(expectValue(await run(engine, `return ${i};`))).toBe(i);
      if (c.config.isolation === "process") {
        const first = workerPids(engine);
        await run(engine, "return 1;");
        await run(engine, "return 2;");
        expect(workerPids(engine)).not.toEqual(first);
      }
    } finally {
      await engine.close();
    }
  });

  it("resolves runs cut off by close() and rejects runs after it; close is idempotent", async () => {
    const engine = engineFor(c, { poolSize: 1 });
    const host = new FakeHost();
    const running = run(engine, "await fs.slow({});", { host });
    const queued = run(engine, "return 1;");
    // Wait until the first run is really inside the worker (its tool call reached the host).
    while (host.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all([engine.close(), engine.close()]);
    expectError(await running, "SANDBOX_CRASHED");
    expectError(await queued, "SANDBOX_CRASHED");
    expect(host.calls[0]?.signal.aborted).toBe(true);
    await expect(run(engine, "return 1;")).rejects.toBeInstanceOf(ToolcodeError);
    await expect(run(engine, "return 1;")).rejects.toThrow(/closed/);
  });

  it("rejects invalid limits as a host error", async () => {
    const engine = engineFor(c);
    try {
      await expect(run(engine, "return 1;", { limits: { timeoutMs: -1 } })).rejects.toThrow(/sandbox.timeoutMs/);
    } finally {
      await engine.close();
    }
  });
});

function workerPids(engine: Engine): number[] {
  return (engine as Engine & { workerPids(): number[] }).workerPids();
}
