import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolcodeError, ToolError } from "../errors.js";
import { createEngine, engineUnavailable } from "./create-engine.js";
import type { Engine, GuestApi, RunResult, SandboxHost, SandboxLimits } from "./engine.js";
import { PYTHON_ENGINES } from "./engines/registry.js";

// The engine contract for Python guests (engine-contract.test.ts is the JavaScript side): the same
// fake host, the same limits, the same outcomes, written in Python.

const API: GuestApi = { globals: { fs: ["read_file", "write_file", "slow"], github: ["list_issues", "http_fail"] }, hidden: { fs: ["secret_tool"] } };

const LIMITS: SandboxLimits = { timeoutMs: 5_000, memoryMb: 32, maxStackKb: 256, maxToolCalls: 50, maxLogBytes: 100_000 };

/** A fake host: read_file echoes, write_file fails, slow never answers (until aborted). */
class FakeHost implements SandboxHost {
  readonly calls: { server: string; tool: string; args: unknown; signal: AbortSignal }[] = [];

  callTool(server: string, tool: string, args: unknown, signal: AbortSignal): Promise<unknown> {
    this.calls.push({ server, tool, args, signal });
    if (tool === "write_file") return Promise.reject(new ToolError("EACCES: permission denied", { path: "x" }, "TOOL_ERROR"));
    if (tool === "list_issues") return Promise.reject(new ToolError("owner is required", { field: "owner" }, "INVALID_ARGUMENTS"));
    if (tool === "http_fail") return Promise.reject(new ToolcodeError("HTTP_ERROR", "GET /x → 404 Not Found", { status: 404, statusText: "Not Found" }));
    if (tool === "slow") return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    return Promise.resolve({ server, tool, args, nested: { list: [1, 2, 3] } });
  }
}

function expectError(result: RunResult, code: string): { message: string; line?: number } {
  if (result.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(result.value)}`);
  expect(result.error.code, result.error.message).toBe(code);
  return result.error;
}

function expectValue(result: RunResult): unknown {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

for (const spec of PYTHON_ENGINES) {
  const skip = engineUnavailable({ engine: spec.name, isolation: "process" })?.message;
  if (skip !== undefined) console.warn(`[toolcode tests] skipping python ${spec.name}: ${skip}`);

  describe.skipIf(skip !== undefined)(`python engine ${spec.name}`, () => {
    let engine: Engine;
    const run = (code: string, options: { limits?: Partial<SandboxLimits>; host?: SandboxHost; api?: GuestApi } = {}): Promise<RunResult> =>
      engine.run({ code, lineOffset: 0, api: options.api ?? API, limits: { ...LIMITS, ...options.limits } }, options.host ?? new FakeHost());

    beforeAll(() => {
      engine = createEngine({ engine: spec.name, poolSize: 2, graceMs: 1_000 });
    });
    afterAll(async () => {
      await engine?.close();
    });

    it("returns the last expression, an explicit top-level return, or nothing", async () => {
      expect(expectValue(await run("x = 20\nx * 2 + 2"))).toBe(42);
      expect(expectValue(await run("for i in range(10):\n    if i == 3:\n        return {'found': i, 'list': (1, 2)}\n'not reached'"))).toEqual({ found: 3, list: [1, 2] });
      const none = await run("y = 1");
      expect(none.ok && none.value).toBeUndefined();
    });

    it("captures print like console.log, stderr as errors, and caps it", async () => {
      const result = await run("import sys\nprint('a', 1, [2])\nprint('no newline', end='')\nsys.stderr.write('oops\\n')");
      expect(result.logs).toEqual([
        { level: "log", message: "a 1 [2]" },
        { level: "error", message: "oops" },
        { level: "log", message: "no newline" },
      ]);
      const capped = await run("for i in range(100000):\n    print('x' * 100)", { limits: { maxLogBytes: 1_000 } });
      expect(capped.ok).toBe(true);
      expect(capped.logs.at(-1)?.message).toMatch(/console output truncated at 1000 bytes/);
      expect(capped.logs.length).toBeLessThan(20);
    });

    it("calls tools with keyword arguments, a dict, by import, concurrently", async () => {
      const host = new FakeHost();
      const value = await run(
        [
          "import asyncio",
          "from servers.fs import read_file",
          "import servers.github as gh",
          "a = await fs.read_file(path='a')",
          "b = await read_file({'path': 'b'})",
          "c = await asyncio.gather(*[fs.read_file(path=str(i)) for i in range(5)])",
          "return [a['args'], b['args']['path'], len(c), gh.__name__]",
        ].join("\n"),
        { host },
      );
      expect(expectValue(value)).toEqual([{ path: "a" }, "b", 5, "servers.github"]);
      expect(host.calls).toHaveLength(7);
      expect(host.calls.every((c) => c.server === "fs" && c.tool === "read_file")).toBe(true);
    });

    it("raises ToolError and HttpError (with .status) for failed calls; uncaught, the code reaches the caller", async () => {
      const caught = await run(
        "out = []\ntry:\n    await fs.write_file(path='x')\nexcept ToolError as e:\n    out.append([type(e).__name__, e.code, str(e)])\ntry:\n    await github.http_fail()\nexcept HttpError as e:\n    out.append([type(e).__name__, e.code, e.status, isinstance(e, ToolError)])\nout",
      );
      expect(expectValue(caught)).toEqual([["ToolError", "TOOL_ERROR", "EACCES: permission denied"], ["HttpError", "HTTP_ERROR", 404, true]]);
      const uncaught = expectError(await run("x = 1\nawait github.list_issues(repo='r')"), "INVALID_ARGUMENTS");
      expect(uncaught.message).toMatch(/owner is required/);
      expect(uncaught.line).toBe(2);
    });

    it("names the valid tools for an unknown one; hidden tools are callable but not listed", async () => {
      const unknown = expectError(await run("await fs.nope()"), "TOOL_NOT_FOUND");
      expect(unknown.message).toContain("read_file, write_file, slow");
      const host = new FakeHost();
      expect(expectValue(await run("r = await fs.secret_tool()\n[r['tool'], 'secret_tool' in dir(fs)]", { host }))).toEqual(["secret_tool", false]);
      expect(host.calls.map((c) => c.tool)).toEqual(["secret_tool"]);
      expectError(await run("from servers.nothere import x"), "SERVER_NOT_FOUND");
    });

    it("stops at maxToolCalls", async () => {
      const host = new FakeHost();
      const error = expectError(await run("for i in range(100):\n    await fs.read_file(path=str(i))", { host, limits: { maxToolCalls: 5 } }), "TOOL_CALL_LIMIT");
      expect(error.message).toMatch(/at most 5 tool calls/);
      expect(host.calls).toHaveLength(5);
    });

    it("stops a busy loop, a loop after an await, and a script waiting forever, at the deadline", async () => {
      for (const code of ["while True:\n    pass", "await fs.read_file(path='a')\nwhile True:\n    pass", "await fs.slow()", "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass"]) {
        const result = await run(code, { limits: { timeoutMs: 500 } });
        expectError(result, "SANDBOX_TIMEOUT");
      }
    });

    it("aborts the signal of a tool call still running when the run ends", async () => {
      const host = new FakeHost();
      await run("await fs.slow()", { host, limits: { timeoutMs: 2_000 } });
      expect(host.calls[0]?.signal.aborted).toBe(true);
    });

    it("ends the script, not the sandbox, on sys.exit(), before and after an await", async () => {
      for (const code of ["import sys\nsys.exit(3)", "import sys\nawait fs.read_file(path='a')\nsys.exit(3)"]) {
        expect(expectError(await run(code), "GUEST_ERROR").message).toMatch(/ScriptExit: sys\.exit\(3\) ends only this script/);
      }
    });

    it("maps memory and recursion bombs to limit errors, and reports syntax errors with their line", async () => {
      expectError(await run("x = ['a' * (2 ** 20) for i in range(1000)]"), "SANDBOX_MEMORY");
      expectError(await run("def f(n):\n    return f(n + 1)\nf(0)"), "SANDBOX_STACK");
      const syntax = expectError(await run("x = 1\ndef (:\n"), "GUEST_SYNTAX_ERROR");
      expect(syntax.line).toBe(2);
      expect(syntax.message).toMatch(/2 \| def \(:/);
      const runtime = expectError(await run("x = 1\n1 / 0"), "GUEST_ERROR");
      expect(runtime.message).toMatch(/ZeroDivisionError: division by zero \(at line 2\)/);
    });

    it("refuses a return value over maxResultBytes and arguments over maxToolArgBytes", async () => {
      expectError(await run("'x' * 5000", { limits: { maxResultBytes: 1_000 } }), "OUTPUT_LIMIT");
      const host = new FakeHost();
      expectError(await run("await fs.read_file(path='x' * 5000)", { host, limits: { maxToolArgBytes: 1_000 } }), "SANDBOX_LIMIT");
      expect(host.calls).toHaveLength(0);
    });

    it("gives every run a fresh interpreter: nothing one run changes reaches the next", async () => {
      await run("import builtins, json\nbuiltins.leak = 'tenant A'\njson.dumps = lambda *a, **k: 'poisoned'\nimport sys\nsys.modules['servers.fs'].read_file = None");
      const value = await run("import builtins\n[getattr(builtins, 'leak', None), (await fs.read_file(path='p'))['args']]");
      expect(expectValue(value)).toEqual([null, { path: "p" }]);
    });
  });
}
