/**
 * Property tests (fast-check) of the bridge and of guest inputs, on every engine: whatever
 * crosses the bridge in either direction arrives as the plain JSON data it stands for (or as a
 * clear error), and no guest input, however malformed, crashes the host, hangs it, or produces
 * anything but a result with a known error code.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../../src/errors.js";
import { transpileGuest } from "../../src/execute/transpile.js";
import type { Engine, RunResult, SandboxHost, SandboxLimits } from "../../src/sandbox/engine.js";
import { ENGINE_MAIN_CASES, engineFor } from "./engines.js";

const LIMITS: SandboxLimits = { timeoutMs: 2_000, memoryMb: 32, maxStackKb: 128, maxToolCalls: 50, maxLogBytes: 10_000 };
const API = { globals: { t: ["give", "take"] } };
const RUNS = Number(process.env.TOOLCODE_FUZZ_RUNS ?? 40);
const HOST_LEAK = /\/work\/|node_modules|file:\/\/|\.ts:\d+|src\/sandbox|isolated-vm/;

const KNOWN_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "GUEST_ERROR", "GUEST_SYNTAX_ERROR", "SANDBOX_TIMEOUT", "SANDBOX_MEMORY", "SANDBOX_STACK", "SANDBOX_LIMIT", "OUTPUT_LIMIT",
  "TOOL_CALL_LIMIT", "TOOL_ERROR", "TOOL_NOT_FOUND", "SERVER_NOT_FOUND", "INVALID_ARGUMENTS",
]);

/** `give` returns the value it was built with; `take` records its arguments. */
class FuzzHost implements SandboxHost {
  taken: unknown[] = [];
  constructor(private readonly give: () => unknown = () => null) {}
  callTool(_server: string, tool: string, args: unknown): Promise<unknown> {
    if (tool === "take") {
      this.taken.push(args);
      return Promise.resolve(null);
    }
    return Promise.resolve(this.give());
  }
}

/** What JSON makes of a value (undefined when JSON has no representation for it). */
function asJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function assertSane(result: RunResult): void {
  const text = JSON.stringify(result);
  expect(text).not.toMatch(HOST_LEAK);
  if (!result.ok) {
    expect(KNOWN_CODES.has(result.error.code), `unknown code ${result.error.code}: ${result.error.message}`).toBe(true);
    expect(typeof result.error.message).toBe("string");
  }
}

/** Strings of arbitrary UTF-16 code units, lone surrogates included. */
const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 });

/** Snippets guest code is made of: values, poisoned objects, tool calls, control flow, garbage. */
const snippet = fc.constantFrom(
  "1", "'s'", "null", "undefined", "[1, [2]]", "({ a: 1 })", "10n", "Symbol('x')", "() => 1", "new Map([[1, 2]])", "new Set([1])",
  "new Proxy({}, { get() { throw new Error('p'); } })", "({ get g() { throw 1; } })", "({ then(r: any) { r(1); } })",
  "({ toJSON() { return { j: 1 }; } })", "(() => { const o: any = {}; o.o = o; return o; })()", "new Error('e')",
  "await t.give({})", "await t.take({ x: 1 })", "t.give({})", "(t as any).nope", "require('./servers/t')", "require('fs')",
  "JSON.parse('[1,2')", "globalThis", "Object.prototype", "(t.give as any).constructor('return 1')()",
  "'x'.repeat(1000)", "new Uint8Array(8)", "new Date(0)", "eval('1+')", "throw new Error('boom')", "null.x",
);
const guestProgram = fc.array(snippet, { minLength: 1, maxLength: 4 }).chain((parts) =>
  fc.constantFrom("return", "console.log(", "await t.take(", "throw").map((head) => {
    const expr = parts.length === 1 ? parts[0] ?? "1" : `[${parts.map((p) => (p.startsWith("throw") ? `(() => { ${p} })()` : p)).join(", ")}]`;
    if (head === "console.log(" || head === "await t.take(") return `${head}${expr});`;
    return `${head} ${expr};`;
  }),
);

for (const c of ENGINE_MAIN_CASES) {
  describe.skipIf(c.skip !== undefined)(`bridge fuzzing on ${c.label}`, () => {
    let engine: Engine;
    const run = async (source: string, host: SandboxHost): Promise<RunResult> => {
      let transpiled;
      try {
        transpiled = transpileGuest(source);
      } catch {
        return { ok: false, error: { code: "GUEST_SYNTAX_ERROR", message: "transpile" }, logs: [], stats: { durationMs: 0, toolCalls: 0 } };
      }
      return engine.run({ ...transpiled, api: API, limits: LIMITS }, host);
    };

    beforeAll(() => {
      engine = engineFor(c, { poolSize: 2 });
    });

    afterAll(async () => {
      await engine?.close();
    });

    it("tool results of any shape reach the guest as the JSON data they stand for", async () => {
      const value = fc.anything({
        maxDepth: 3, maxKeys: 5, withBigInt: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true,
        withSparseArray: true, withBoxedValues: true, withTypedArray: true, withObjectString: true,
      });
      await fc.assert(fc.asyncProperty(value, async (given) => {
        const result = await run("return await t.give({});", new FuzzHost(() => given));
        assertSane(result);
        let expected: unknown;
        try {
          expected = asJson({ value: given });
        } catch {
          expect(result.ok ? "ok" : result.error.code).toBe("TOOL_ERROR");
          return;
        }
        if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
        expect({ value: result.value }).toEqual(expected);
      }), { numRuns: RUNS });
    });

    it("tool arguments of any JSON shape reach the host unchanged", async () => {
      await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (given) => {
        const host = new FuzzHost();
        const result = await run(`await t.take(JSON.parse(${JSON.stringify(JSON.stringify(given))}));\nreturn 'sent';`, host);
        assertSane(result);
        expect(result.ok).toBe(true);
        expect(host.taken).toEqual([asJson(given)]);
      }), { numRuns: RUNS });
    });

    it("strings of arbitrary code units survive the round trip through the bridge", async () => {
      await fc.assert(fc.asyncProperty(anyCodeUnits, async (text) => {
        const host = new FuzzHost(() => ({ back: text }));
        const result = await run(`const s = ${JSON.stringify(text)};\nawait t.take({ s });\nconst r: any = await t.give({});\nreturn [r.back === s, s];`, host);
        assertSane(result);
        if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
        expect(result.value).toEqual([true, text]);
        expect(host.taken).toEqual([{ s: text }]);
      }), { numRuns: RUNS });
    });

    it("random guest programs never crash the host and always end with a known outcome", async () => {
      await fc.assert(fc.asyncProperty(guestProgram, async (source) => {
        const host = new FuzzHost(() => ({ ok: 1 }));
        const result = await run(source, host);
        assertSane(result);
        for (const args of host.taken) expect(asJson(args)).toEqual(args);
        if (result.ok) expect(asJson(result.value)).toEqual(result.value);
      }), { numRuns: RUNS * 2 });
    });

    it("arbitrary text as guest code never crashes the host", async () => {
      await fc.assert(fc.asyncProperty(fc.string({ maxLength: 80 }), async (source) => {
        assertSane(await run(source, new FuzzHost()));
      }), { numRuns: RUNS });
      // The engine still works after all of that.
      const after = await run("return 'alive';", new FuzzHost());
      expect(after.ok ? after.value : after.error).toBe("alive");
    });
  });
}
