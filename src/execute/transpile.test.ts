import { describe, expect, it } from "vitest";
import { ToolcodeError } from "../errors.js";
import { transpileGuest } from "./transpile.js";

function syntaxErrorOf(source: string): ToolcodeError {
  try {
    transpileGuest(source);
  } catch (error) {
    if (error instanceof ToolcodeError) return error;
    throw error;
  }
  throw new Error("expected a syntax error");
}

/** Evaluates the wrapper with a stub loader, as an engine would. */
async function runTranspiled(source: string, modules: Record<string, unknown> = {}): Promise<unknown> {
  const { code } = transpileGuest(source);
  const fn = (0, eval)(code) as (require: (id: string) => unknown, exports: object) => Promise<unknown>;
  return fn((id) => {
    if (!(id in modules)) throw new Error(`no module ${id}`);
    return modules[id];
  }, {});
}

describe("transpileGuest", () => {
  it("strips types and keeps the user's line numbers after the wrapper line", () => {
    const source = "const a: number = 1;\ninterface X { y: string }\nconst b = a as number;\nreturn b;";
    const { code, lineOffset } = transpileGuest(source);
    expect(lineOffset).toBe(1);
    const lines = code.split("\n");
    expect(lines[0]).toMatch(/^\(async function \(require, exports\) \{/);
    expect(lines[1 + lineOffset - 1]).toBe("const a = 1;");
    expect(lines[3 + lineOffset - 1]).toContain("const b = a");
    expect(lines[4 + lineOffset - 1]).toBe("return b;");
    expect(lines.at(-1)).toBe("})");
  });

  it("supports top-level await and top-level return", async () => {
    await expect(runTranspiled("const x = await Promise.resolve(2);\nif (x === 2) return 'early';\nreturn 'late';")).resolves.toBe("early");
  });

  it("turns named, namespace and default imports into calls of the loader", async () => {
    const fs = { read: (p: string) => `read ${p}`, __esModule: true, default: undefined as unknown };
    fs.default = fs;
    const source = [
      'import { read } from "./servers/fs";',
      'import * as ns from "./servers/fs";',
      'import dflt from "./servers/fs";',
      "return [read('a'), ns.read('b'), dflt.read('c')];",
    ].join("\n");
    await expect(runTranspiled(source, { "./servers/fs": fs })).resolves.toEqual(["read a", "read b", "read c"]);
  });

  it("keeps modern syntax (optional chaining, nullish coalescing, class fields) as written", () => {
    const { code } = transpileGuest("class A { x = 1 }\nconst a: { b?: { c: number } } = {};\nreturn a.b?.c ?? new A().x;");
    expect(code).toContain("a.b?.c ?? new A().x");
    expect(code).toContain("class A { x = 1 }");
  });

  it("runs a prelude in the user's scope without shifting the user's lines", async () => {
    const oneLine = transpileGuest("return [helper(), 'line 1'];", { prelude: "const helper = () => 'from prelude';" });
    expect(oneLine.lineOffset).toBe(1);
    expect(oneLine.code.split("\n")[oneLine.lineOffset]).toBe("return [helper(), 'line 1'];");
    const fn = (0, eval)(oneLine.code) as (require: unknown, exports: object) => Promise<unknown>;
    await expect(fn(undefined, {})).resolves.toEqual(["from prelude", "line 1"]);

    const twoLines = transpileGuest("return helper();", { prelude: "const helper = () =>\n  'two lines'" });
    expect(twoLines.lineOffset).toBe(2);
    expect(twoLines.code.split("\n")[twoLines.lineOffset]).toBe("return helper();");
    // The prologue's "use strict" stays the first statement of the body.
    expect(twoLines.code).toMatch(/^\(async function \(require, exports\) \{"use strict";/);
  });

  it("reports syntax errors with the user's line:column, an excerpt and details", () => {
    const error = syntaxErrorOf("const a = 1;\nconst b = a +;\nreturn b;");
    expect(error.code).toBe("GUEST_SYNTAX_ERROR");
    expect(error.details).toEqual({ line: 2, column: 14 });
    expect(error.message).toContain("(at line 2:14)");
    expect(error.message).toContain("2 | const b = a +;");
    expect(error.message).toMatch(/\n {2}\| {14}\^$/);
  });

  it("gives a repeated script the same output (cached), with and without a prelude, and a bad one the same error again", async () => {
    const source = "const n: number = 2;\nreturn n * 3;";
    const first = transpileGuest(source);
    expect(transpileGuest(source)).toEqual(first);
    const withPrelude = transpileGuest(source, { prelude: "const k = 1;\nconst j = 2;" });
    expect(withPrelude.lineOffset).toBe(first.lineOffset + 1);
    expect(withPrelude.code).toContain("const k = 1;");
    expect(await runTranspiled(source)).toBe(6);
    const bad = "let x = 1;\nlet = ;";
    const again = [syntaxErrorOf(bad), syntaxErrorOf(bad)];
    expect(again[1]!.message).toBe(again[0]!.message);
    expect(again[1]!.details).toEqual(again[0]!.details);
  });

  it("reports a syntax error on the first line at line 1", () => {
    const error = syntaxErrorOf(")");
    expect(error.details).toEqual({ line: 1, column: 1 });
    expect(error.message).toContain("1 | )");
  });

  it("turns parser recursion overflow into a syntax error, not a crash", () => {
    const error = syntaxErrorOf("(".repeat(50_000));
    expect(error.code).toBe("GUEST_SYNTAX_ERROR");
    expect(error.message).toMatch(/nested too deeply/);
  });
});
