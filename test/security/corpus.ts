/**
 * The hostile-code corpus: guest scripts that attack the sandbox, each with the outcome that
 * proves it was contained (a value computed inside the guest realm, or the clear error code the
 * guest gets). corpus.test.ts runs every case against every engine and adds generic
 * containment checks (no host path in the result, plain data only, host realm untouched,
 * nothing survives into the next execution, the worker still answers).
 */
import { expect } from "vitest";
import type { GuestApi, RunResult, SandboxLimits } from "../../src/sandbox/engine.js";
import type { CorpusHost } from "./corpus-host.js";

/** Attack families (SECURITY.md has one table row per family). */
export type Family =
  | "constructor-chain"
  | "prototype-pollution"
  | "proxy-symbol-thenable"
  | "poisoned-results"
  | "error-leaks"
  | "probing"
  | "wasm-sab-atomics"
  | "timers-unawaited"
  | "tool-call-flood"
  | "reentrancy"
  | "redos"
  | "infinite-loop"
  | "memory-bomb"
  | "stack"
  | "json-nesting"
  | "huge-output"
  | "huge-io"
  | "forged-errors"
  | "bridge-attacks";

/** What a case must end with. `code` may list several when engines differ legitimately. */
export type Outcome = { ok: true; value?: unknown } | { ok: "either" } | { code: string | string[]; message?: RegExp };

/** One attack. */
export interface AttackCase {
  id: string;
  family: Family;
  source: string;
  outcome: Outcome;
  limits?: Partial<SandboxLimits>;
  api?: GuestApi;
  /** Extra assertions (host calls, signals, …). */
  check?: (result: RunResult, host: CorpusHost, engine: string) => void;
}

const SPIN = { timeoutMs: 300 };

/** Every global a guest may see: ECMAScript built-ins of either engine, plus the bridge's own. */
export const ALLOWED_GLOBALS = new Set([
  "Object", "Function", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN", "undefined", "Boolean", "String",
  "Symbol", "Date", "Promise", "RegExp", "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError",
  "TypeError", "URIError", "globalThis", "JSON", "Math", "Intl", "ArrayBuffer", "Uint8Array", "Int8Array", "Uint16Array",
  "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "Uint8ClampedArray", "BigUint64Array",
  "BigInt64Array", "DataView", "Map", "BigInt", "Set", "WeakMap", "WeakSet", "Proxy", "Reflect", "FinalizationRegistry",
  "WeakRef", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape", "eval", "isFinite",
  "isNaN", "Iterator", "Float16Array", "console", "ToolError", "HttpError", "t", "u", "__toolcode_dummy",
  // QuickJS extras
  "InternalError",
]);

/** Names that must never appear on the guest's global object. */
export const FORBIDDEN_GLOBALS = [
  "process", "require", "module", "Buffer", "global", "setTimeout", "setInterval", "setImmediate", "queueMicrotask",
  "fetch", "XMLHttpRequest", "WebSocket", "WebAssembly", "SharedArrayBuffer", "Atomics", "__dirname", "__filename",
  "Deno", "Bun", "importScripts", "postMessage", "performance", "navigator", "structuredClone", "gc",
];

const probeProcess = "typeof (globalThis as any).process";

/** The corpus. */
export const CORPUS: AttackCase[] = [
  // ── constructor-chain escapes ────────────────────────────────────────────────────────────
  {
    id: "tool function's Function constructor",
    family: "constructor-chain",
    source: "return (t.echo as any).constructor('return typeof process + typeof require + typeof globalThis.process')();",
    outcome: { ok: true, value: "undefinedundefinedundefined" },
  },
  {
    id: "tool promise's constructor chain",
    family: "constructor-chain",
    source: "const p: any = t.echo({});\nawait p;\nreturn p.constructor.constructor('return typeof process')();",
    outcome: { ok: true, value: "undefined" },
  },
  {
    id: "tool result's constructor chain reaches only the guest realm",
    family: "constructor-chain",
    source: "const r: any = await t.echo({ a: 1 });\nconst g = r.constructor.constructor('return this')();\nreturn [g === globalThis, typeof g.process, Object.getPrototypeOf(r) === Object.prototype];",
    outcome: { ok: true, value: [true, "undefined", true] },
  },
  {
    id: "caught tool error's constructor chain",
    family: "constructor-chain",
    source: "try { await t.fail({}); } catch (e: any) { return [e.constructor.constructor('return typeof process')(), e instanceof Error, Object.getPrototypeOf(Object.getPrototypeOf(e)) === Error.prototype]; }",
    outcome: { ok: true, value: ["undefined", true, true] },
  },
  {
    id: "console and loader functions' constructors",
    family: "constructor-chain",
    source: "return [console.log.constructor('return typeof process')(), (require as any).constructor('return typeof Buffer')(), (ToolError as any).constructor('return typeof module')()];",
    outcome: { ok: true, value: ["undefined", "undefined", "undefined"] },
  },
  {
    id: "async and generator function constructors",
    family: "constructor-chain",
    source: "const AsyncF = (async () => {}).constructor as any;\nconst GenF = (function* () {}).constructor as any;\nreturn [await AsyncF('return typeof process')(), GenF('yield typeof require')().next().value];",
    outcome: { ok: true, value: ["undefined", "undefined"] },
  },
  {
    id: "reaching process through a fresh Function",
    family: "constructor-chain",
    source: "const f = (t.echo as any).constructor('return process');\nreturn f().env;",
    outcome: { code: "GUEST_ERROR", message: /process is not available in the sandbox/ },
  },
  {
    id: "server proxy prototype and descriptor walk",
    family: "constructor-chain",
    source: "const proto = Object.getPrototypeOf(t);\nconst d: any = Object.getOwnPropertyDescriptor(t, 'echo');\nreturn [proto === null, typeof d.value, d.value.constructor === Function, Object.getOwnPropertyNames(t)];",
    outcome: { ok: true, value: [true, "function", true, ["echo", "fail", "http", "proto", "thenable", "getter", "proxy", "bigint", "cyclic", "error_value", "function_value", "deep", "big", "bad_details", "throw_string", "slow", "count", "class_instance"]] },
  },
  {
    id: "caller chain from a sloppy toJSON into the bridge",
    family: "constructor-chain",
    source: [
      "let seen = 'none';",
      "const probe = new Function('try { return String(probe.caller) } catch (e) { return \"blocked\" }');",
      "(globalThis as any).probe = probe;",
      "await t.echo({ toJSON() { seen = (globalThis as any).probe(); return {}; } });",
      "return /hostCall|callCb|apiJson/.test(seen) ? 'reached the bridge: ' + seen.slice(0, 40) : 'contained';",
    ].join("\n"),
    outcome: { ok: true, value: "contained" },
  },

  // ── prototype pollution through bridged values ──────────────────────────────────────────
  {
    id: "tool result with __proto__ and constructor.prototype keys",
    family: "prototype-pollution",
    source: "const r: any = await t.proto({});\nreturn [typeof ({} as any).polluted, typeof ({} as any).polluted2, Object.keys(r).sort(), Object.getPrototypeOf(r) === Object.prototype];",
    outcome: { ok: true, value: ["undefined", "undefined", ["__proto__", "constructor", "ok"], true] },
  },
  {
    id: "polluting Object.prototype before a tool call",
    family: "prototype-pollution",
    source: "(Object.prototype as any).polluted = 'yes';\n(Array.prototype as any).evil = 1;\nawait t.echo({ a: [1] });\nreturn 'sent';",
    outcome: { ok: true, value: "sent" },
    check: (_result, host) => {
      expect(host.calls[0]?.args).toEqual({ a: [1] });
      expect(Object.keys(host.calls[0]?.args as object)).toEqual(["a"]);
    },
  },
  {
    id: "overriding JSON.stringify and JSON.parse before a tool call",
    family: "prototype-pollution",
    source: "(JSON as any).stringify = () => '{\"evil\":1}';\n(JSON as any).parse = () => ({ evil: 1 });\nconst r = await t.echo({ a: 1 });\nreturn r;",
    outcome: { ok: true, value: { a: 1 } },
    check: (_result, host) => expect(host.calls[0]?.args).toEqual({ a: 1 }),
  },
  {
    id: "__proto__ and constructor keys in tool arguments",
    family: "prototype-pollution",
    source: "await t.echo(JSON.parse('{\"__proto__\":{\"polluted\":1},\"constructor\":{\"prototype\":{\"polluted\":1}}}'));\nreturn 'sent';",
    outcome: { ok: true, value: "sent" },
    check: (_result, host) => {
      const args = host.calls[0]?.args as Record<string, unknown>;
      expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  {
    id: "__proto__ key in the return value",
    family: "prototype-pollution",
    source: "return JSON.parse('{\"__proto__\":{\"admin\":true},\"x\":1}');",
    outcome: { ok: "either" },
    check: (result) => {
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      if (result.ok) expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    },
  },
  {
    id: "toJSON on Object.prototype changes only what the guest sends",
    family: "prototype-pollution",
    source: "(Object.prototype as any).toJSON = function () { return 'replaced'; };\nawait t.echo({ a: 1 });\nreturn { b: 2 };",
    outcome: { ok: true, value: "replaced" },
    check: (_result, host) => expect(host.calls[0]?.args).toBe("replaced"),
  },

  // ── Proxy / Symbol / thenable tricks ─────────────────────────────────────────────────────
  {
    id: "returning a thenable",
    family: "proxy-symbol-thenable",
    source: "return { then(resolve: (v: unknown) => void) { resolve(42); } };",
    outcome: { ok: true, value: 42 },
  },
  {
    id: "returning a thenable that never settles",
    family: "proxy-symbol-thenable",
    source: "return { then() {} };",
    outcome: { code: "GUEST_ERROR", message: /can never settle/ },
  },
  {
    id: "returning a thenable that throws",
    family: "proxy-symbol-thenable",
    source: "return { then() { throw new Error('thenable exploded'); } };",
    outcome: { code: "GUEST_ERROR", message: /thenable exploded/ },
  },
  {
    id: "Proxy with throwing traps as tool arguments",
    family: "proxy-symbol-thenable",
    source: "await t.echo(new Proxy({}, { ownKeys() { throw new Error('trap fired'); } }) as any);",
    outcome: { code: "GUEST_ERROR", message: /trap fired/ },
    check: (_result, host) => expect(host.calls).toHaveLength(0),
  },
  {
    id: "Proxy return value with a lying toJSON",
    family: "proxy-symbol-thenable",
    source: "return new Proxy({ a: 1 }, { get(target: any, key) { return key === 'toJSON' ? () => ({ evil: true }) : target[key]; } });",
    outcome: { ok: true, value: { evil: true } },
  },
  {
    id: "Symbol keys and Symbol.toPrimitive in arguments",
    family: "proxy-symbol-thenable",
    source: "await t.echo({ [Symbol('hidden')]: 1, a: { [Symbol.toPrimitive]() { return 'prim'; }, b: 2 } } as any);\nreturn 'sent';",
    outcome: { ok: true, value: "sent" },
    check: (_result, host) => expect(host.calls[0]?.args).toEqual({ a: { b: 2 } }),
  },
  {
    id: "hijacking Promise.prototype.then around tool calls",
    family: "proxy-symbol-thenable",
    source: "const original = Promise.prototype.then;\n(Promise.prototype as any).then = function (this: any, a: any, b: any) { return original.call(this, a, b); };\n(Promise as any)[Symbol.species] = undefined;\nconst r = await t.echo({ a: 1 });\nreturn r;",
    outcome: { ok: "either" },
  },
  {
    id: "Proxy around a server object",
    family: "proxy-symbol-thenable",
    source: "const p: any = new Proxy(t, {});\nconst r = await p.echo({ via: 'proxy' });\nreturn [r, typeof p.then];",
    outcome: { ok: true, value: [{ via: "proxy" }, "undefined"] },
  },
  {
    id: "awaiting and serializing server objects",
    family: "proxy-symbol-thenable",
    source: "const s = await t;\nreturn [s === t, JSON.stringify(t), String(t), { server: t }];",
    outcome: { ok: true, value: [true, "{}", "[server t]", { server: "[server t]" }] },
  },

  // ── poisoned values coming back from host tools ──────────────────────────────────────────
  {
    id: "host result with a then method",
    family: "poisoned-results",
    // The host's own promise machinery adopts a thenable a tool resolves with; what reaches the
    // guest is the plain data it settled to, never the object or its method.
    source: "const r: any = await t.thenable({});\nreturn [r, typeof r.then];",
    outcome: { ok: true, value: ["hijacked", "undefined"] },
  },
  {
    id: "host result with a throwing getter",
    family: "poisoned-results",
    source: "try { await t.getter({}); return 'no error'; } catch (e: any) { return [e.code, e.message]; }",
    outcome: { ok: true, value: ["TOOL_ERROR", "t.getter returned a value that is not JSON."] },
  },
  {
    id: "host result that is a Proxy with throwing traps",
    family: "poisoned-results",
    source: "await t.proxy({});",
    outcome: { code: "TOOL_ERROR", message: /not JSON/ },
  },
  {
    id: "host result with BigInt and with a cycle",
    family: "poisoned-results",
    source: "const codes: string[] = [];\nfor (const f of [t.bigint, t.cyclic]) { try { await f({}); } catch (e: any) { codes.push(e.code); } }\nreturn codes;",
    outcome: { ok: true, value: ["TOOL_ERROR", "TOOL_ERROR"] },
  },
  {
    id: "host Error object, function and class instance as results",
    family: "poisoned-results",
    source: "const e: any = await t.error_value({});\nconst f: any = await t.function_value({});\nconst c: any = await t.class_instance({});\nreturn [e, typeof e.stack, f, c, typeof c.method];",
    outcome: { ok: true, value: [{}, "undefined", { list: [null, null] }, { token: "public-field" }, "undefined"] },
  },
  {
    id: "tool error details with functions and getters",
    family: "poisoned-results",
    source: "try { await t.bad_details({}); } catch (e: any) { return [e.code, e.details, Object.getPrototypeOf(e.details) === Object.prototype]; }",
    outcome: { ok: true, value: ["TOOL_ERROR", { nested: { secret: "leaked" }, ok: "kept" }, true] },
  },
  {
    id: "host tool throwing a non-Error",
    family: "poisoned-results",
    source: "try { await t.throw_string({}); } catch (e: any) { return [e instanceof ToolError, e.code, e.message]; }",
    outcome: { ok: true, value: [true, "TOOL_ERROR", "a thrown string"] },
  },
  {
    id: "HTTP_ERROR arrives as an HttpError with plain details",
    family: "poisoned-results",
    source: "try { await t.http({}); } catch (e: any) { return [e instanceof HttpError, e instanceof ToolError, e.status, e.details.method, Object.getPrototypeOf(e.details) === Object.prototype]; }",
    outcome: { ok: true, value: [true, true, 500, "GET", true] },
  },

  // ── error objects leaking host paths or stack frames ─────────────────────────────────────
  {
    id: "stack of a caught tool error",
    family: "error-leaks",
    source: "try { await t.fail({}); } catch (e: any) { return String(e.stack); }",
    outcome: { ok: true },
  },
  {
    id: "uncaught tool error",
    family: "error-leaks",
    source: "await t.fail({});",
    outcome: { code: "TOOL_ERROR", message: /the tool failed/ },
  },
  {
    id: "stack of a fresh guest error",
    family: "error-leaks",
    source: "function inner() { return new Error('where am I').stack; }\nreturn String(inner());",
    outcome: { ok: true },
  },
  {
    id: "Error.prepareStackTrace and captureStackTrace for call sites",
    family: "error-leaks",
    source: [
      "(Error as any).prepareStackTrace = (_e: unknown, frames: any[]) => frames.map((f) => [String(f.getFileName?.()), typeof f.getFunction?.(), typeof f.getThis?.()]);",
      "const holder: any = {};",
      "(Error as any).captureStackTrace?.(holder);",
      "let stack: unknown;",
      "await t.echo({ get x() { stack = new Error('x').stack; return 1; } });",
      "return JSON.stringify([stack, holder.stack ?? null]);",
    ].join("\n"),
    outcome: { ok: true },
    check: (result) => {
      if (result.ok) expect(String(result.value)).not.toMatch(/"function"/);
    },
  },
  {
    id: "error thrown by the module loader",
    family: "error-leaks",
    source: "try { require('./does/not/exist'); } catch (e: any) { return [e.message, String(e.stack)]; }",
    outcome: { ok: true },
  },

  // ── import() / require / process / globalThis probing ────────────────────────────────────
  {
    id: "dynamic import of a Node built-in",
    family: "probing",
    source: "const fs = await import('fs');\nreturn typeof fs;",
    outcome: { code: "GUEST_ERROR", message: /Cannot find module 'fs'.*\.\/servers\/t/s },
  },
  {
    id: "require of child_process",
    family: "probing",
    source: "const cp = require('child_process');\nreturn cp.execSync('id').toString();",
    outcome: { code: "GUEST_ERROR", message: /Cannot find module 'child_process'/ },
  },
  {
    id: "require of host files by path traversal",
    family: "probing",
    source: "const found: string[] = [];\nfor (const spec of ['/etc/passwd', '../../../package.json', './servers/../../etc/passwd', 'node:fs', 'data:text/javascript,1']) {\n  try { require(spec); found.push(spec); } catch (e: any) { /* expected */ }\n}\nreturn found;",
    outcome: { ok: true, value: [] },
  },
  {
    id: "Node and browser globals",
    family: "probing",
    source: `return [${probeProcess}, typeof (globalThis as any).global, typeof (globalThis as any).Buffer, typeof (globalThis as any).Deno, typeof (globalThis as any).Bun, typeof (globalThis as any).__dirname, typeof (globalThis as any).fetch, typeof (globalThis as any).navigator];`,
    outcome: { ok: true, value: Array(8).fill("undefined") },
  },
  {
    id: "enumerating the global object",
    family: "probing",
    source: "return Object.getOwnPropertyNames(globalThis);",
    outcome: { ok: true },
    check: (result) => {
      if (!result.ok) return;
      const names = result.value as string[];
      for (const name of FORBIDDEN_GLOBALS) expect(names, name).not.toContain(name);
      for (const name of names) expect(ALLOWED_GLOBALS.has(name), `unexpected global ${name}`).toBe(true);
    },
  },
  {
    id: "eval and indirect eval of host names",
    family: "probing",
    source: "return [eval('typeof process'), (0, eval)('typeof require'), new Function('return typeof this.process')()];",
    outcome: { ok: true, value: ["undefined", "undefined", "undefined"] },
  },
  {
    id: "referencing process directly",
    family: "probing",
    source: "return (process as any).env.HOME;",
    outcome: { code: "GUEST_ERROR", message: /process is not available in the sandbox/ },
  },
  {
    id: "the module loader's own objects",
    family: "probing",
    source: "return [typeof (require as any).cache, typeof (require as any).resolve, typeof (require as any).main, Object.keys(require)];",
    outcome: { ok: true, value: ["undefined", "undefined", "undefined", []] },
  },

  // ── WebAssembly, SharedArrayBuffer, Atomics ──────────────────────────────────────────────
  {
    id: "WebAssembly, SharedArrayBuffer and Atomics are absent",
    family: "wasm-sab-atomics",
    source: "return [typeof (globalThis as any).WebAssembly, typeof (globalThis as any).SharedArrayBuffer, typeof (globalThis as any).Atomics, typeof (globalThis as any)['Web' + 'Assembly']];",
    outcome: { ok: true, value: ["undefined", "undefined", "undefined", "undefined"] },
  },
  {
    id: "compiling WebAssembly",
    family: "wasm-sab-atomics",
    source: "const m = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));\nreturn typeof m;",
    outcome: { code: "GUEST_ERROR", message: /WebAssembly is not available/ },
  },
  {
    id: "Atomics.wait to block the worker",
    family: "wasm-sab-atomics",
    source: "const sab = new SharedArrayBuffer(16);\nAtomics.wait(new Int32Array(sab), 0, 0);\nreturn 'blocked';",
    outcome: { code: "GUEST_ERROR", message: /SharedArrayBuffer is not available/ },
  },

  // ── timers and unawaited promises outliving the execution ────────────────────────────────
  {
    id: "setTimeout and setInterval",
    family: "timers-unawaited",
    source: "setInterval(() => { (globalThis as any).tick = 1; }, 1);\nreturn 'scheduled';",
    outcome: { code: "GUEST_ERROR", message: /setInterval is not available/ },
  },
  {
    id: "an unawaited tool call is aborted when the run ends",
    family: "timers-unawaited",
    source: "void t.slow({});\nreturn 'left it running';",
    outcome: { ok: true, value: "left it running" },
    check: (_result, host) => expect(host.calls[0]?.signal.aborted).toBe(true),
  },
  {
    id: "a tool callback that would spin after the run returned",
    family: "timers-unawaited",
    source: "t.echo({}).then(() => { for (;;) {} });\nreturn 'done';",
    outcome: { ok: "either" },
    limits: SPIN,
    check: (result) => {
      if (!result.ok) expect(result.error.code).toBe("SANDBOX_TIMEOUT");
    },
  },
  {
    id: "a microtask loop queued before returning",
    family: "timers-unawaited",
    source: "Promise.resolve().then(function again(): unknown { return Promise.resolve().then(again); });\nreturn 'returned';",
    outcome: { ok: "either" },
    limits: SPIN,
    check: (result) => {
      if (!result.ok) expect(["SANDBOX_TIMEOUT", "SANDBOX_MEMORY"]).toContain(result.error.code);
    },
  },
  {
    id: "a promise that never settles",
    family: "timers-unawaited",
    source: "await new Promise(() => {});",
    outcome: { code: "GUEST_ERROR", message: /can never settle/ },
  },

  // ── tool-call floods ─────────────────────────────────────────────────────────────────────
  {
    id: "sequential flood stops at maxToolCalls",
    family: "tool-call-flood",
    source: "for (;;) await t.echo({});",
    limits: { maxToolCalls: 50 },
    outcome: { code: "TOOL_CALL_LIMIT" },
    check: (_result, host) => expect(host.calls).toHaveLength(50),
  },
  {
    id: "parallel flood is throttled to maxConcurrentToolCalls",
    family: "tool-call-flood",
    source: "const rs = await Promise.all(Array.from({ length: 200 }, () => t.count({})));\nreturn rs.length;",
    limits: { maxConcurrentToolCalls: 4, maxToolCalls: 1000 },
    outcome: { ok: true, value: 200 },
    check: (_result, host) => {
      expect(host.calls).toHaveLength(200);
      expect(host.maxInFlight).toBeLessThanOrEqual(4);
    },
  },
  {
    id: "unawaited flood of 100,000 calls",
    family: "tool-call-flood",
    source: "for (let i = 0; i < 100000; i++) t.echo({ i }).catch(() => {});\nreturn 'fired';",
    limits: { maxToolCalls: 100, timeoutMs: 3000 },
    outcome: { ok: "either" },
    check: (result, host) => {
      expect(host.calls.length).toBeLessThanOrEqual(100);
      if (!result.ok) expect(["SANDBOX_MEMORY", "SANDBOX_TIMEOUT"]).toContain(result.error.code);
    },
  },
  {
    id: "flood of calls to tools that do not exist",
    family: "tool-call-flood",
    source: "let refused = 0;\nfor (let i = 0; i < 2000; i++) { try { await (t as any)['nope' + i]({}); } catch { refused++; } }\nreturn refused;",
    outcome: { ok: true, value: 2000 },
    check: (_result, host) => expect(host.calls).toHaveLength(0),
  },

  // ── re-entrancy ──────────────────────────────────────────────────────────────────────────
  {
    id: "a getter in the arguments calls another tool",
    family: "reentrancy",
    source: "await t.echo({ get x() { void u.ping({ inner: true }); return 1; } });\nreturn 'ok';",
    outcome: { ok: true, value: "ok" },
    check: (_result, host) => expect(host.calls.map((c) => c.tool).sort()).toEqual(["echo", "ping"]),
  },
  {
    id: "toJSON recursing into tool calls",
    family: "reentrancy",
    source: "let depth = 0;\nconst evil: any = { toJSON() { if (depth++ < 500) void t.echo(evil).catch(() => {}); return {}; } };\nawait t.echo(evil);\nreturn depth;",
    limits: { maxToolCalls: 20 },
    outcome: { ok: "either" },
    check: (result, host) => {
      expect(host.calls.length).toBeLessThanOrEqual(20);
      if (!result.ok) expect(["SANDBOX_STACK", "TOOL_CALL_LIMIT"]).toContain(result.error.code);
    },
  },
  {
    id: "a thrown object whose getters call tools and spin",
    family: "reentrancy",
    source: "throw { get message() { void t.echo({}); for (;;) {} } };",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "a return value whose getter calls a tool after the script finished",
    family: "reentrancy",
    source: "return { get x() { void t.echo({ late: true }); return 1; } };",
    outcome: { ok: true, value: { x: 1 } },
  },
  {
    id: "a guest module calling tools while it loads",
    family: "reentrancy",
    api: { globals: { t: ["echo"] }, modules: { "./skills/evil": "const r = require('./servers/t'); exports.p = r.echo({ from: 'module' });" } },
    source: "const m = require('./skills/evil');\nreturn await m.p;",
    outcome: { ok: true, value: { from: "module" } },
  },

  // ── ReDoS ────────────────────────────────────────────────────────────────────────────────
  {
    id: "catastrophic backtracking (a+)+$",
    family: "redos",
    source: "return /(a+)+$/.test('a'.repeat(40) + 'b');",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "catastrophic backtracking in replace",
    family: "redos",
    source: "return ('x'.repeat(40) + 'y!').replace(/(x+x+)+y$/, 'z');",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },

  // ── infinite loops ───────────────────────────────────────────────────────────────────────
  {
    id: "while (true)",
    family: "infinite-loop",
    source: "while (true) {}",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "a loop after awaiting a tool call",
    family: "infinite-loop",
    source: "await t.echo({});\nfor (;;) {}",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "a loop inside a tool callback",
    family: "infinite-loop",
    source: "await t.echo({}).then(() => { for (;;) {} });",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "catching the interrupt and looping again",
    family: "infinite-loop",
    source: "for (;;) { try { while (true) {} } catch { /* again */ } finally { for (;;) {} } }",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "a loop inside a getter the bridge serializes",
    family: "infinite-loop",
    source: "await t.echo({ get x() { for (;;) {} } });",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },
  {
    id: "a loop inside a guest module body",
    family: "infinite-loop",
    api: { globals: { t: ["echo"] }, modules: { "./skills/spin": "for (;;) {}" } },
    source: "require('./skills/spin');",
    limits: SPIN,
    outcome: { code: "SANDBOX_TIMEOUT" },
  },

  // ── memory, string, array and typed-array bombs ──────────────────────────────────────────
  {
    id: "doubling a string",
    family: "memory-bomb",
    source: "let s = 'x';\nfor (;;) s += s;",
    limits: { memoryMb: 32 },
    outcome: { code: ["SANDBOX_MEMORY", "GUEST_ERROR"] },
    check: (result) => {
      if (!result.ok && result.error.code === "GUEST_ERROR") expect(result.error.message).toMatch(/string|length|memory/i);
    },
  },
  {
    id: "growing an array of objects",
    family: "memory-bomb",
    source: "const a: unknown[] = [];\nfor (;;) a.push({ i: a.length, s: 'item ' + a.length });",
    // A generous deadline: this case is about memory (the Workers runtime's V8 collects hard near its cap).
    limits: { memoryMb: 32, timeoutMs: 30_000 },
    outcome: { code: "SANDBOX_MEMORY" },
  },
  {
    id: "a 1 GiB typed array",
    family: "memory-bomb",
    source: "const big = new Uint8Array(1024 * 1024 * 1024);\nreturn big.length;",
    // A generous deadline: this case is about memory (the Workers runtime's V8 collects hard near its cap).
    limits: { memoryMb: 32, timeoutMs: 30_000 },
    outcome: { code: "SANDBOX_MEMORY" },
  },
  {
    id: "many 1 MiB typed arrays",
    family: "memory-bomb",
    source: "const chunks: Float64Array[] = [];\nfor (;;) chunks.push(new Float64Array(131072));",
    // A generous deadline: this case is about memory (the Workers runtime's V8 collects hard near its cap).
    limits: { memoryMb: 32, timeoutMs: 30_000 },
    outcome: { code: "SANDBOX_MEMORY" },
  },
  {
    id: "a sparse array filled and joined",
    family: "memory-bomb",
    source: "return new Array(2 ** 31).fill('x').join('').length;",
    limits: { memoryMb: 32, timeoutMs: 2000 },
    outcome: { code: ["SANDBOX_MEMORY", "GUEST_ERROR", "SANDBOX_TIMEOUT"] },
  },
  {
    id: "a Map that never stops growing",
    family: "memory-bomb",
    source: "const m = new Map();\nfor (let i = 0; ; i++) m.set(i, [i, String(i)]);",
    // V8 collects garbage ever harder near its heap limit: it may reach the deadline first.
    limits: { memoryMb: 32, timeoutMs: 3000 },
    outcome: { code: ["SANDBOX_MEMORY", "SANDBOX_TIMEOUT"] },
  },

  // ── stack exhaustion ─────────────────────────────────────────────────────────────────────
  {
    id: "unbounded recursion",
    family: "stack",
    source: "function f(n: number): number { return f(n + 1) + 1; }\nreturn f(0);",
    outcome: { code: "SANDBOX_STACK" },
  },
  {
    id: "mutual recursion through getters",
    family: "stack",
    source: "const o: any = { get a() { return o.b; }, get b() { return o.a; } };\nreturn o.a;",
    outcome: { code: "SANDBOX_STACK" },
  },
  {
    id: "recursion inside a tool callback",
    family: "stack",
    source: "function f(n: number): number { return f(n + 1) + 1; }\nreturn await t.echo({}).then(() => f(0));",
    outcome: { code: "SANDBOX_STACK" },
  },
  {
    id: "deeply nested eval",
    family: "stack",
    source: "return eval('('.repeat(100000) + '1' + ')'.repeat(100000));",
    outcome: { code: ["SANDBOX_STACK", "GUEST_SYNTAX_ERROR"] },
  },

  // ── JSON nesting bombs ───────────────────────────────────────────────────────────────────
  {
    id: "deeply nested tool arguments",
    family: "json-nesting",
    source: "let v: unknown = 1;\nfor (let i = 0; i < 100000; i++) v = [v];\nawait t.echo({ v });",
    outcome: { code: ["SANDBOX_LIMIT", "SANDBOX_STACK"] },
    check: (_result, host) => expect(host.calls).toHaveLength(0),
  },
  {
    id: "deeply nested return value",
    family: "json-nesting",
    source: "let v: unknown = 1;\nfor (let i = 0; i < 100000; i++) v = { v };\nreturn v;",
    outcome: { code: ["OUTPUT_LIMIT", "SANDBOX_STACK"] },
  },
  {
    id: "parsing a nesting bomb",
    family: "json-nesting",
    // QuickJS's parser recurses (SANDBOX_STACK); V8's does not (the value stays in the guest).
    source: "const v = JSON.parse('['.repeat(200000) + ']'.repeat(200000));\nreturn Array.isArray(v);",
    outcome: { ok: "either" },
    check: (result) => {
      if (result.ok) expect(result.value).toBe(true);
      else expect(result.error.code).toBe("SANDBOX_STACK");
    },
  },
  {
    id: "a host result nested deeper than maxJsonDepth",
    family: "json-nesting",
    source: "await t.deep({ depth: 1000 });",
    outcome: { code: "SANDBOX_LIMIT", message: /nested more than 256 levels/ },
  },
  {
    id: "a host result nested just within maxJsonDepth",
    family: "json-nesting",
    source: "let v: any = (await t.deep({ depth: 200 })) as any;\nlet n = 0;\nwhile (Array.isArray(v)) { v = v[0]; n++; }\nreturn [n, v];",
    outcome: { ok: true, value: [200, "leaf"] },
  },

  // ── huge outputs ─────────────────────────────────────────────────────────────────────────
  {
    id: "a flood of console output",
    family: "huge-output",
    source: "for (let i = 0; i < 200000; i++) console.log('line ' + i + ' ' + 'x'.repeat(100));\nreturn 'logged';",
    limits: { maxLogBytes: 10000 },
    outcome: { ok: true, value: "logged" },
    check: (result) => {
      const bytes = result.logs.slice(0, -1).reduce((sum, entry) => sum + Buffer.byteLength(entry.message) + 1, 0);
      expect(bytes).toBeLessThanOrEqual(10000);
      expect(result.logs.at(-1)?.message).toMatch(/truncated at 10000 bytes/);
    },
  },
  {
    id: "one enormous console line",
    family: "huge-output",
    source: "console.log('y'.repeat(5_000_000));\nreturn 'logged';",
    limits: { maxLogBytes: 1000 },
    outcome: { ok: true, value: "logged" },
    check: (result) => expect(result.logs.reduce((sum, entry) => sum + entry.message.length, 0)).toBeLessThan(2000),
  },
  {
    id: "a return value beyond maxResultBytes",
    family: "huge-output",
    source: "return Array.from({ length: 200000 }, (_, i) => 'item-' + i);",
    limits: { maxResultBytes: 100_000 },
    outcome: { code: "OUTPUT_LIMIT", message: /more than the 100000-byte limit/ },
  },
  {
    id: "logging a huge cyclic object graph",
    family: "huge-output",
    source: "const nodes: any[] = Array.from({ length: 20000 }, (_, i) => ({ i }));\nnodes.forEach((n, i) => { n.next = nodes[(i + 1) % nodes.length]; n.all = nodes; });\nconsole.log(nodes[0]);\nreturn 'logged';",
    limits: { maxLogBytes: 5000 },
    outcome: { ok: "either" },
    check: (result) => {
      const bytes = result.logs.reduce((sum, entry) => sum + Buffer.byteLength(entry.message) + 1, 0);
      expect(bytes).toBeLessThan(6000);
    },
  },

  // ── huge tool arguments and results ──────────────────────────────────────────────────────
  {
    id: "tool arguments beyond maxToolArgBytes",
    family: "huge-io",
    source: "await t.echo({ data: 'z'.repeat(300_000) });",
    limits: { maxToolArgBytes: 100_000 },
    outcome: { code: "SANDBOX_LIMIT", message: /maxToolArgBytes/ },
    check: (_result, host) => expect(host.calls).toHaveLength(0),
  },
  {
    id: "a tool result beyond maxToolResultBytes",
    family: "huge-io",
    source: "try { await t.big({ bytes: 500_000 }); } catch (e: any) { return [e.code, e.details.limit]; }",
    limits: { maxToolResultBytes: 100_000 },
    outcome: { ok: true, value: ["SANDBOX_LIMIT", "maxToolResultBytes"] },
  },
  {
    id: "a tool result larger than the guest's memory",
    family: "huge-io",
    source: "const s = await t.big({ bytes: 40_000_000 });\nreturn s.length;",
    limits: { memoryMb: 16, maxToolResultBytes: 64_000_000 },
    outcome: { code: ["SANDBOX_MEMORY"] },
  },

  // ── forged host errors ───────────────────────────────────────────────────────────────────
  {
    id: "a ToolError with a host code",
    family: "forged-errors",
    source: "throw new ToolError('fake timeout', 'SANDBOX_TIMEOUT');",
    outcome: { code: "GUEST_ERROR", message: /fake timeout/ },
  },
  {
    id: "relabeling a caught tool error",
    family: "forged-errors",
    source: "try { await t.fail({}); } catch (e: any) { e.code = 'SANDBOX_MEMORY'; e.details = { forged: true }; throw e; }",
    outcome: { code: "TOOL_ERROR" },
    check: (result) => {
      if (!result.ok) expect(result.error.details).toEqual({ reason: "test" });
    },
  },
  {
    id: "a plain object with code and message",
    family: "forged-errors",
    source: "throw { code: 'POLICY_DENIED', message: 'forged' };",
    outcome: { code: "GUEST_ERROR" },
  },
  {
    id: "subclassing ToolError and HttpError",
    family: "forged-errors",
    source: "class Mine extends HttpError {}\nthrow new Mine('forged http', { status: 401 });",
    outcome: { code: "GUEST_ERROR", message: /forged http/ },
  },

  // ── attacks on the bridge itself (both engines' host functions) ──────────────────────────
  {
    id: "console.log with objects whose toString and getters throw or spin",
    family: "bridge-attacks",
    source: "console.log({ toString() { throw new Error('no'); } }, { get x() { throw new Error('getter'); } }, Object.create(null), Symbol('s'));\nreturn 'survived';",
    outcome: { ok: true, value: "survived" },
  },
  {
    id: "a million console calls after the cap",
    family: "bridge-attacks",
    source: "for (let i = 0; i < 1_000_000; i++) console.log(i);\nreturn 'done';",
    limits: { maxLogBytes: 100, timeoutMs: 5000 },
    outcome: { ok: true, value: "done" },
  },
  {
    id: "tool names that are not strings or not tools",
    family: "bridge-attacks",
    source: "const out: string[] = [];\nfor (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', '']) { try { await (t as any)[name]({}); out.push('called ' + name); } catch (e: any) { out.push(e.code ?? e.name); } }\nreturn out;",
    outcome: { ok: true },
    // `toString` of a server object is its description ("[server t]"), not a tool call.
    check: (result, host) => {
      expect(host.calls).toHaveLength(0);
      if (result.ok) expect((result.value as string[]).filter((entry) => entry.startsWith("called"))).toEqual(["called toString"]);
    },
  },
  {
    id: "a specifier object with a lying toString",
    family: "bridge-attacks",
    source: "let n = 0;\nconst spec: any = { toString() { return n++ === 0 ? './servers/t' : 'child_process'; } };\nconst m = require(spec);\nreturn [typeof m.echo, n];",
    outcome: { ok: true, value: ["function", 1] },
  },
  {
    id: "calling tools with non-object arguments",
    family: "bridge-attacks",
    source: "const out: unknown[] = [];\nfor (const a of [1, 'str', null, [1, 2], () => 1, Symbol('s'), 10n]) { try { out.push(await t.echo(a as any)); } catch (e: any) { out.push(e.name); } }\nreturn out;",
    outcome: { ok: true },
    check: (result, host) => {
      for (const call of host.calls) expect(JSON.parse(JSON.stringify(call.args)) ?? null).toEqual(call.args ?? null);
    },
  },
  {
    id: "overwriting the server object and ToolError",
    family: "bridge-attacks",
    source: "(globalThis as any).t = { echo: () => 'fake' };\n(globalThis as any).ToolError = class {};\nconst real = require('./servers/t');\ntry { await real.fail({}); } catch (e: any) { return [e.code, e.constructor.name]; }",
    outcome: { ok: true, value: ["TOOL_ERROR", "ToolError"] },
  },
];
