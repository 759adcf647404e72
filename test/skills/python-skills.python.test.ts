/**
 * Skills written in Python (issue 15, item 3): saved from a Python script with `skills.save`,
 * checked on save in the Python sandbox (compiled there; tool calls checked against the catalog),
 * stored as `<name>/index.py` with `language: python`, listed with their language (the guest's
 * `skills.list()`, `toolcode skills list`), imported by later Python scripts (`from skills.<id>
 * import fn`, `skills.<id>.fn`), their usage tracked; a skill of the other language is refused
 * with SKILL_LANGUAGE_MISMATCH. Real engine (Pyodide), real MCP server (server-everything).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { engineUnavailable } from "../../src/sandbox/create-engine.js";
import { servers, tempDir, toolcode as cli, writeConfig } from "../helpers.js";
import { SUM_ALL } from "./fixtures.js";

const skip = engineUnavailable({ engine: "pyodide", isolation: "process" })?.message;

/** A Python skill: one async function calling a tool, one sync helper, one private function. */
const SUM_PAIRS = [
  "import re",
  "from servers.everything import get_sum",
  "",
  "async def sum_pairs(pairs: list[list[int]]) -> list[int]:",
  '    """Adds each pair with the everything server\'s get_sum tool."""',
  "    out = []",
  "    for a, b in pairs:",
  "        text = await get_sum(a=a, b=b)",
  "        out.append(_number(str(text)))",
  "    return out",
  "",
  "def double(n: int) -> int:",
  "    if n < 0:",
  '        raise ValueError("negative")',
  "    return 2 * n",
  "",
  "def _number(text):",
  '    return int(re.search(r"is (-?\\d+)", text).group(1))',
  "",
].join("\n");

const pySave = (name: string, description: string, code: string, extra = ""): string =>
  `return await skills.save(name=${JSON.stringify(name)}, description=${JSON.stringify(description)}, code=${JSON.stringify(code)}${extra})`;

/** A Python script that saves a skill and returns the refusal's code, message and details. */
const pyRefusal = (name: string, code: string): string =>
  `try:\n    await skills.save(name=${JSON.stringify(name)}, description="Broken.", code=${JSON.stringify(code)})\nexcept ToolError as e:\n    return {"code": e.code, "message": e.message, "details": e.details}\nreturn None`;

describe.skipIf(skip !== undefined)("Python skills", { timeout: 240_000 }, () => {
  let dir: string;
  let config: string;
  let tc: Toolcode;

  beforeAll(async () => {
    dir = tempDir("toolcode-pyskills-");
    config = writeConfig(dir, { mcpServers: { everything: servers.everything() }, sandbox: { timeoutMs: 60_000 } });
    tc = await createToolcode({ configPath: config });
  }, 300_000);

  afterAll(async () => {
    await tc?.close();
  });

  it("a Python script saves a Python skill: checked in the sandbox, stored as index.py with language: python", async () => {
    const run = await tc.execute(pySave("sum-pairs", "Adds pairs of numbers with get_sum.", SUM_PAIRS), { language: "python" });
    expect(run.error).toBeNull();
    expect(run.result).toEqual({
      name: "sum-pairs",
      version: 1,
      signatures: ["async def sum_pairs(pairs: list[list[int]]) -> list[int]", "def double(n: int) -> int"],
      import: "from skills.sum_pairs import sum_pairs, double",
      scope: "user",
      unchanged: false,
      language: "python",
    });
    const skillDir = path.join(dir, ".toolcode", "skills", "sum-pairs");
    expect(readFileSync(path.join(skillDir, "index.py"), "utf8")).toBe(SUM_PAIRS);
    expect(existsSync(path.join(skillDir, "index.ts"))).toBe(false);
    const markdown = readFileSync(path.join(skillDir, "SKILL.md"), "utf8");
    expect(markdown).toMatch(/\nlanguage: python\n---\n/);
    expect(markdown).toContain("```python\nasync def sum_pairs(pairs: list[list[int]]) -> list[int]:\n    \"Adds each pair with the everything server's get_sum tool.\"\n    ...");
  });

  it("a later Python script imports it (from skills.<id> import fn, skills.<id>.fn); its tool calls count; usage is tracked", async () => {
    const code = [
      "from skills.sum_pairs import sum_pairs",
      "import skills.sum_pairs as again",
      "first = await sum_pairs([[1, 2], [40, 2]])",
      "second = await skills.sum_pairs.sum_pairs([[5, 5]])",
      "return {'first': first, 'second': second, 'double': again.double(21), 'same': again is skills.sum_pairs}",
    ].join("\n");
    const run = await tc.execute(code, { language: "python" });
    expect(run.error).toBeNull();
    expect(run.result).toEqual({ first: [3, 42], second: [10], double: 42, same: true });
    expect(run.metadata.toolCalls).toBe(3);
    const failing = await tc.execute("from skills import sum_pairs\nsum_pairs.double(-1)", { language: "python" });
    expect(failing.error?.code).toBe("GUEST_ERROR");
    const usage = (await tc.skills.usage())["sum-pairs"];
    expect(usage).toMatchObject({ imports: 2, calls: 4, failures: 1, executions: 1 });
  });

  it("a Python skill imports another Python skill; a script naming only the first gets both", async () => {
    const code = "from skills.sum_pairs import sum_pairs\n\nasync def total(pairs: list[list[int]]) -> int:\n    return sum(await sum_pairs(pairs))\n";
    const saved = await tc.execute(pySave("pairs-total", "Adds up pairs of numbers.", code), { language: "python" });
    expect(saved.error).toBeNull();
    const run = await tc.execute("from skills.pairs_total import total\nreturn await total([[1, 2], [3, 4]])", { language: "python" });
    expect(run.error).toBeNull();
    expect(run.result).toBe(10);
    expect((await tc.skills.remove("pairs-total")).name).toBe("pairs-total");
  });

  it("lists skills with their language: the guest's skills.list(), the virtual tree, search", async () => {
    const saved = await tc.execute(`return await skills.save({ name: "sum-all", description: "Sums numbers one by one.", code: ${JSON.stringify(SUM_ALL)} })`);
    expect(saved.error).toBeNull();
    expect(saved.result).toMatchObject({ language: "typescript", import: 'import { sumAll, checkPositive } from "./skills/sum-all"' });
    const listed = await tc.execute("return [(s['name'], s['language']) for s in await skills.list()]", { language: "python" });
    expect(listed.error).toBeNull();
    expect(listed.result).toEqual([["sum-all", "typescript"], ["sum-pairs", "python"]]);
    expect(tc.virtualPaths()).toContain("skills/sum_pairs/__init__.pyi");
    expect(tc.virtualPaths()).not.toContain("skills/sum-pairs/index.d.ts");
    const stub = tc.virtualFile("skills/sum_pairs/__init__.pyi") ?? "";
    expect(stub).toContain("from skills.sum_pairs import sum_pairs, double");
    expect(stub).toContain("async def sum_pairs(pairs: list[list[int]]) -> list[int]:");
    const found = await tc.search("adds pairs of numbers with get_sum", { language: "python", limit: 5 });
    expect(found.text).toContain("async def skills.sum_pairs.sum_pairs(pairs: list[list[int]]) -> list[int]");
    expect(found.text).toContain("Skill (Python): from skills.sum_pairs import sum_pairs, double");
    // TypeScript declarations do not offer a Python skill to JavaScript.
    expect(tc.virtualFile("skills/index.d.ts")).not.toContain("sum_pairs");
  });

  it("a skill runs only in its own language: SKILL_LANGUAGE_MISMATCH both ways", async () => {
    const fromJs = await tc.execute("return await skills.sum_pairs.double(2);");
    expect(fromJs.error?.code).toBe("SKILL_LANGUAGE_MISMATCH");
    expect(fromJs.error?.message).toContain('Skill "sum-pairs" is written in Python');
    const fromPy = await tc.execute("from skills.sum_all import sumAll\nawait sumAll([1])", { language: "python" });
    expect(fromPy.error?.code).toBe("SKILL_LANGUAGE_MISMATCH");
    expect(fromPy.error?.message).toContain("Skill sum-all is written in TypeScript");
    // A Python skill importing a TypeScript one is refused when saved.
    const refused = await tc.execute(pyRefusal("uses-ts", "from skills.sum_all import sumAll\n\nasync def f():\n    return await sumAll([1])\n"), { language: "python" });
    expect(refused.result).toMatchObject({ code: "SKILL_INVALID" });
    expect((refused.result as { message: string }).message).toContain("skills/uses-ts/index.py:1:1 - error PY_SKILL: skills.sum_all is a TypeScript skill");
  });

  it("a syntax error is refused with SKILL_INVALID, PY_SYNTAX and line:column; nothing is saved", async () => {
    const run = await tc.execute(pyRefusal("broken", "def f(x):\n    return x +\n"), { language: "python" });
    expect(run.error).toBeNull();
    const refused = run.result as { code: string; message: string; details: { line: number; column: number; diagnostics: { code: string }[] } };
    expect(refused.code).toBe("SKILL_INVALID");
    expect(refused.details).toMatchObject({ line: 2, column: 15, language: "python" });
    expect(refused.details.diagnostics[0]?.code).toBe("PY_SYNTAX");
    expect(refused.message).toContain("skills/broken/index.py:2:15 - error PY_SYNTAX: invalid syntax");
    expect(existsSync(path.join(dir, ".toolcode", "skills", "broken"))).toBe(false);
    const awaitAtTop = await tc.execute(pyRefusal("top-await", "x = await everything.echo(message='hi')\n"), { language: "python" });
    expect((awaitAtTop.result as { message: string }).message).toMatch(/index\.py:1:5 - error PY_SYNTAX: 'await' outside function .*no top-level await/);
  });

  it("tool calls are checked against the catalog: unknown tools, unknown and missing parameters", async () => {
    const code = [
      "from servers.everything import nope",
      "",
      "async def f():",
      "    await everything.delete_all()",
      "    await everything.get_sum(a=1, c=2)",
      "",
    ].join("\n");
    const run = await tc.execute(pyRefusal("bad-calls", code), { language: "python" });
    const message = (run.result as { message: string }).message;
    expect(message).toContain("skills/bad-calls/index.py:1:1 - error PY_TOOL: Unknown tool everything.nope; everything has: ");
    expect(message).toContain("skills/bad-calls/index.py:4:11 - error PY_TOOL: Unknown tool everything.delete_all;");
    expect(message).toContain("skills/bad-calls/index.py:5:35 - error PY_TOOL: everything.get_sum has no parameter c; its parameters: a, b.");
    expect(message).toContain("skills/bad-calls/index.py:5:11 - error PY_TOOL: everything.get_sum needs b.");
    expect(existsSync(path.join(dir, ".toolcode", "skills", "bad-calls"))).toBe(false);
  });

  it("a JavaScript script may save a Python skill with language: \"python\"; a module without public functions is refused", async () => {
    const run = await tc.execute(`return await skills.save({ name: "py-from-js", description: "Echoes.", language: "python", code: "async def shout(text: str) -> str:\\n    return text.upper()\\n" })`);
    expect(run.error).toBeNull();
    expect(run.result).toMatchObject({ language: "python", signatures: ["async def shout(text: str) -> str"] });
    // Saved again in TypeScript: a new version; the Python source is kept under versions/.
    const again = await tc.execute(`return await skills.save({ name: "py-from-js", description: "Echoes.", code: "export function shout(text: string): string { return text.toUpperCase(); }\\n" })`);
    expect(again.result).toMatchObject({ version: 2, language: "typescript" });
    const skillDir = path.join(dir, ".toolcode", "skills", "py-from-js");
    expect(existsSync(path.join(skillDir, "index.py"))).toBe(false);
    expect(readFileSync(path.join(skillDir, "versions", "1.py"), "utf8")).toContain("async def shout");
    expect((await tc.execute('return skills.py_from_js.shout("hi")')).result).toBe("HI");
    const empty = await tc.execute(pyRefusal("empty", "X = 1\n"), { language: "python" });
    expect((empty.result as { code: string; message: string })).toMatchObject({ code: "SKILL_INVALID" });
    expect((empty.result as { message: string }).message).toContain("defines no public function");
  });

  it("toolcode skills list and show print the language and the Python source", async () => {
    const list = await cli(["skills", "list", "--config", config], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+LANGUAGE\s+VERSION/m);
    expect(list.stdout).toMatch(/^sum-pairs\s+python\s+1\s/m);
    expect(list.stdout).toMatch(/^sum-all\s+typescript\s+1\s/m);
    const json = await cli(["skills", "list", "--config", config, "--json"], { cwd: dir });
    expect((JSON.parse(json.stdout) as { name: string; language: string }[]).map((s) => [s.name, s.language])).toContainEqual(["sum-pairs", "python"]);
    const show = await cli(["skills", "show", "sum-pairs", "--config", config], { cwd: dir });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("/index.py)\n\n```python\nimport re\n");
  });
});
