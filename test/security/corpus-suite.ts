/**
 * The hostile-code corpus suite (corpus.ts), defined for a list of engine cases: every engine
 * (engines.ts, run by corpus.test.ts) and every isolation host (test/isolation/). For each case:
 * the outcome it must end with, then generic containment checks: no host path or host stack in
 * anything returned, plain data only, the host realm untouched, and a fresh execution on every
 * worker that sees nothing the attack left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import type { Engine, RunResult, SandboxLimits } from "../../src/sandbox/engine.js";
import { CORPUS, type AttackCase } from "./corpus.js";
import { CORPUS_API, CorpusHost } from "./corpus-host.js";
import { type EngineCase, engineFor } from "./engines.js";

const LIMITS: SandboxLimits = { timeoutMs: 5_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 1000, maxLogBytes: 100_000 };

/** Host paths, host stack frames or host file names in guest-visible text. */
const HOST_LEAK = /\/work\/|node_modules|file:\/\/|\/home\/|\/root\/|\.ts:\d+|src\/sandbox|pooled-engine|isolated-vm|<isolated-vm boundary>/;

/** What a fresh execution sees: must be identical before and after every attack. */
const PROBE = [
  "const g: any = globalThis;",
  "return {",
  "  globals: Object.getOwnPropertyNames(g).sort(),",
  "  objectProto: Object.getOwnPropertyNames(Object.prototype).sort(),",
  "  arrayProto: Object.getOwnPropertyNames(Array.prototype).length,",
  "  functionProto: Object.getOwnPropertyNames(Function.prototype).length,",
  "  promiseThen: String(Promise.prototype.then).length,",
  "  json: typeof JSON.stringify({ a: 1 }),",
  "  marks: [typeof g.leak, typeof g.tick, typeof g.probe, typeof g.__count, typeof ({} as any).polluted],",
  "};",
].join("\n");

function hostSnapshot(): string {
  return JSON.stringify({
    objectProto: Object.getOwnPropertyNames(Object.prototype).sort(),
    arrayProto: Object.getOwnPropertyNames(Array.prototype).sort(),
    functionProto: Object.getOwnPropertyNames(Function.prototype).sort(),
    globals: Object.getOwnPropertyNames(globalThis).sort(),
    env: Object.keys(process.env).sort(),
  });
}

function assertPlainData(value: unknown, path = "value"): void {
  if (value === null || typeof value !== "object") {
    expect(["string", "number", "boolean", "undefined"], `${path} is ${typeof value}`).toContain(value === null ? "string" : typeof value);
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  expect(proto === Object.prototype || proto === Array.prototype, `${path} has a non-plain prototype`).toBe(true);
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    expect(descriptor && "value" in descriptor, `${path}.${key} is an accessor`).toBe(true);
    assertPlainData((value as Record<string, unknown>)[key], `${path}.${key}`);
  }
}

/** Refused code generation (the Workers runtime): the attack could not even start. */
const CODE_GENERATION_REFUSED = /^EvalError: Code generation from strings disallowed/;

function assertOutcome(attack: AttackCase, result: RunResult, codeGeneration: boolean): void {
  const { outcome } = attack;
  const shown = result.ok ? `ok: ${JSON.stringify(result.value)?.slice(0, 300)}` : `${result.error.code}: ${result.error.message.slice(0, 300)}`;
  if (!codeGeneration && !result.ok && result.error.code === "GUEST_ERROR" && CODE_GENERATION_REFUSED.test(result.error.message)) return;
  if ("code" in outcome) {
    expect(result.ok, `expected ${String(outcome.code)}, got ${shown}`).toBe(false);
    if (result.ok) return;
    const codes = Array.isArray(outcome.code) ? outcome.code : [outcome.code];
    expect(codes, shown).toContain(result.error.code);
    if (outcome.message !== undefined) expect(result.error.message).toMatch(outcome.message);
    return;
  }
  if (outcome.ok === "either") return;
  expect(result.ok, `expected ok, got ${shown}`).toBe(true);
  if (result.ok && "value" in outcome) expect(result.value).toEqual(outcome.value);
}

async function run(engine: Engine, source: string, host: CorpusHost, attack?: AttackCase): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: attack?.api ?? CORPUS_API, limits: { ...LIMITS, ...attack?.limits } }, host);
}

/** Defines the corpus suite for every case (skipped cases print their reason once, in engines.ts). */
export function defineCorpusSuite(cases: readonly EngineCase[]): void {
  for (const c of cases) {
    describe.skipIf(c.skip !== undefined)(`hostile-code corpus on ${c.label}`, () => {
      let engine: Engine;
      let baseline: unknown;
      let hostBaseline: string;

      beforeAll(async () => {
        engine = engineFor(c, { poolSize: 2, graceMs: 500 });
        const probes = await Promise.all([0, 1].map(() => run(engine, PROBE, new CorpusHost())));
        baseline = probes[0]?.ok ? probes[0].value : probes[0];
        expect(probes[1]?.ok ? probes[1].value : undefined).toEqual(baseline);
        hostBaseline = hostSnapshot();
      });

      afterAll(async () => {
        await engine?.close();
      });

      for (const attack of CORPUS) {
        it(`[${attack.family}] ${attack.id}`, async () => {
          const host = new CorpusHost();
          const result = await run(engine, attack.source, host, attack);
          assertOutcome(attack, result, c.codeGeneration);
          attack.check?.(result, host, c.label);

          // Nothing host-side in anything the guest produced or received.
          const visible = JSON.stringify({ result: result.ok ? result.value : result.error, logs: result.logs });
          expect(visible, "host path or frame in the result").not.toMatch(HOST_LEAK);
          if (result.ok) assertPlainData(result.value);
          else if (result.error.details !== undefined) assertPlainData(result.error.details, "details");

          // Every tool call of the run is over, and every argument the host got is plain data.
          for (const call of host.calls) {
            expect(call.signal.aborted, `${call.tool} still running after the run ended`).toBe(true);
            assertPlainData(call.args, `${call.tool} args`);
          }

          // The host realm is untouched and a fresh execution on each worker sees nothing left behind.
          expect(hostSnapshot()).toBe(hostBaseline);
          const probes = await Promise.all([0, 1].map(() => run(engine, PROBE, new CorpusHost())));
          for (const probe of probes) {
            expect(probe.ok, probe.ok ? "" : `${probe.error.code}: ${probe.error.message}`).toBe(true);
            if (probe.ok) expect(probe.value).toEqual(baseline);
          }
        });
      }
    });
  }
}
