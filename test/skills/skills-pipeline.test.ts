/**
 * Skills through the library pipeline against real MCP servers: saved from guest code
 * (`skills.save`), type-checked against the live tool declarations, imported and called by later
 * executions, found by search, tracked under concurrent executions (one process and several).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { servers, tempDir, toolcode as cli, writeConfig } from "../helpers.js";
import { SUM_ALL } from "./fixtures.js";

const saveScript = (name: string, description: string, code: string): string =>
  `return await skills.save({ name: ${JSON.stringify(name)}, description: ${JSON.stringify(description)}, code: ${JSON.stringify(code)} });`;

describe("skills in the execute pipeline", () => {
  let tc: Toolcode;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    tc = await createToolcode({
      config: {
        mcpServers: { everything: servers.everything(), memory: servers.memory(path.join(dir, "memory.jsonl")) },
        policy: { approve: ["memory.create_entities"] },
        sandbox: { timeoutMs: 20_000 },
      },
      cwd: dir,
    });
  });

  afterAll(async () => {
    await tc.close();
  });

  it("saves a skill from guest code into <dir>/<name>/ with SKILL.md front matter", async () => {
    const run = await tc.execute(saveScript("sum-all", "Sums a list of numbers with the get_sum tool, one addition at a time.", SUM_ALL));
    expect(run.error).toBeNull();
    expect(run.result).toEqual({
      name: "sum-all",
      version: 1,
      signatures: ["sumAll(numbers: number[]): Promise<number>", "checkPositive(n: number): number"],
      import: 'import { sumAll, checkPositive } from "./skills/sum-all"',
      scope: "user",
      unchanged: false,
      language: "typescript",
    });
    const skillDir = path.join(dir, ".toolcode", "skills", "sum-all");
    expect(readFileSync(path.join(skillDir, "index.ts"), "utf8")).toBe(SUM_ALL);
    const markdown = readFileSync(path.join(skillDir, "SKILL.md"), "utf8");
    expect(markdown).toMatch(/^---\nname: sum-all\ndescription: Sums a list of numbers with the get_sum tool, one addition at a time\.\nversion: 1\ncreated: \S+\nupdated: \S+\nsignatures:\n {2}- "sumAll\(numbers: number\[\]\): Promise<number>"\n {2}- "checkPositive\(n: number\): number"\n---\n/);
  });

  it("imports the skill in a later execution and calls it; its tool calls go through the bridge", async () => {
    const run = await tc.execute(
      'import { sumAll } from "./skills/sum-all";\nconst viaImport = await sumAll([1, 2, 3]);\nconst viaGlobal = await skills.sum_all.sumAll([10, 20]);\nreturn { viaImport, viaGlobal };',
    );
    expect(run.error).toBeNull();
    expect(run.result).toEqual({ viaImport: 6, viaGlobal: 30 });
    expect(run.metadata.toolCalls).toBe(5);
  });

  it("skills see the session's workspace and can use other skills", async () => {
    const code = 'import { sumAll } from "./skills/sum-all";\nexport async function sumAndKeep(numbers: number[]): Promise<unknown> {\n  await workspace.write("sum.json", { sum: await sumAll(numbers) });\n  return workspace.read("sum.json");\n}\n';
    const saved = await tc.execute(saveScript("sum-and-keep", "Sums numbers and keeps the sum in the workspace.", code));
    expect(saved.error).toBeNull();
    const run = await tc.execute('const kept = await skills.sum_and_keep.sumAndKeep([4, 5]);\nreturn { kept, again: await workspace.read("sum.json") };', { sessionId: "keep" });
    expect(run.error).toBeNull();
    expect(run.result).toEqual({ kept: { sum: 9 }, again: { sum: 9 } });
  });

  it("refuses a skill that calls a tool that does not exist, with the compiler's error, and saves nothing", async () => {
    const broken = 'export async function wipe(): Promise<void> {\n  await everything.delete_all({});\n}\n';
    const run = await tc.execute(`try { ${saveScript("wipe", "Broken.", broken)} } catch (e) { return { code: e.code, message: e.message }; }`);
    expect(run.error).toBeNull();
    const refused = run.result as { code: string; message: string };
    expect(refused.code).toBe("SKILL_INVALID");
    expect(refused.message).toContain("skills/wipe/index.ts:2:20 - error TS2339: Property 'delete_all' does not exist on type 'typeof everything'.");
    expect(refused.message).toContain("2 |   await everything.delete_all({});");
    expect(existsSync(path.join(dir, ".toolcode", "skills", "wipe"))).toBe(false);
    // Uncaught, the refusal fails the run with the same code.
    const uncaught = await tc.execute(saveScript("wipe", "Broken.", "export const f = (): number => 'text';"));
    expect(uncaught.error?.code).toBe("SKILL_INVALID");
    expect(uncaught.error?.message).toContain("TS2322: Type 'string' is not assignable to type 'number'.");
  });

  it("limits skills.save calls per execution", async () => {
    const run = await tc.execute(
      `let saved = 0;\ntry { for (let i = 0; i < 25; i++) { await skills.save({ name: "sum-all", description: "Sums a list of numbers with the get_sum tool, one addition at a time.", code: ${JSON.stringify(SUM_ALL)} }); saved++; } }\ncatch (e) { return { saved, code: e.code, message: e.message }; }`,
    );
    expect(run.result).toEqual({ saved: 20, code: "SANDBOX_LIMIT", message: "An execution may save at most 20 skills. Save the rest in another execute." });
  });

  it("refuses bad names and an unknown skill lists the saved ones", async () => {
    const name = await tc.execute(saveScript("Sum All", "x", "export const f = () => 1;"));
    expect(name.error?.code).toBe("SKILL_INVALID");
    expect(name.error?.message).toContain('e.g. "sum-all"');
    const unknown = await tc.execute("return await skills.nope.run();");
    expect(unknown.error?.message).toContain("skills.nope is not a saved skill. Saved skills: sum_all, sum_and_keep.");
    const missing = await tc.execute('import { x } from "./skills/nope";\nreturn x;');
    expect(missing.error?.message).toContain("Cannot find module './skills/nope'");
    expect(missing.error?.message).toContain("./skills/sum-all");
  });

  it("counts imports, calls, failures and executions helped exactly under concurrent executions", async () => {
    const before = (await tc.skills.usage())["sum-all"]!;
    const ok = 'import { sumAll, checkPositive } from "./skills/sum-all";\nconst t = await sumAll([1, 2]);\ntry { checkPositive(-1); } catch {}\nreturn t;';
    const failing = "await skills.sum_all.sumAll([1]);\ntry { await skills.sum_all.sumAll(['x' as unknown as number]); } catch {}\nthrow new Error('the script fails after using the skill');";
    const runs = await Promise.all([...Array.from({ length: 8 }, () => tc.execute(ok)), tc.execute(failing), tc.execute(failing), tc.execute("return 1")]);
    expect(runs.slice(0, 8).map((r) => r.result)).toEqual(Array(8).fill(3));
    expect(runs[8]?.error?.message).toContain("the script fails after using the skill");
    const after = (await tc.skills.usage())["sum-all"]!;
    expect({
      imports: after.imports - before.imports,
      calls: after.calls - before.calls,
      failures: after.failures - before.failures,
      executions: after.executions - before.executions,
    }).toEqual({ imports: 10, calls: 8 * 2 + 2 * 2, failures: 8 + 2, executions: 8 });
    expect(Date.parse(after.lastUsed ?? "")).toBeGreaterThan(0);
    // Persisted with the store.
    const file = JSON.parse(readFileSync(path.join(dir, ".toolcode", "skills", "usage.json"), "utf8")) as { skills: Record<string, unknown> };
    expect(file.skills["sum-all"]).toEqual(after);
  });

  it("finds skills with search, lists them under the skills server, and renders their declarations", () => {
    const found = tc.search("sum a list of numbers");
    expect(found.results[0]?.id).toBe("skills.sum_all");
    expect(found.text).toContain('// Sums a list of numbers with the get_sum tool, one addition at a time. Skill: import { sumAll, checkPositive } from "./skills/sum-all"');
    expect(found.text).toContain("skills.sum_all.sumAll(numbers: number[]): Promise<number>");
    expect(tc.search("", { server: "skills" }).results.map((r) => r.id)).toEqual(["skills.sum_all", "skills.sum_and_keep"]);
    expect(tc.search("sumAll", { detail: "full" }).text).toContain("export declare function sumAll(numbers: number[]): Promise<number>;");
    expect(tc.virtualPaths()).toEqual(expect.arrayContaining(["skills/index.d.ts", "skills/sum-all/index.d.ts"]));
    expect(tc.virtualFile("skills/sum-all/index.d.ts")).toContain("/** Adds numbers one by one with the everything server's get_sum tool. */");
    expect(tc.types()).toContain("namespace sum_all {");
    expect(tc.types("skills")).toContain("function save(skill: SaveInput): Promise<Saved>;");
  });

  it("keeps the previous version when the name is saved again; the next execution runs the new one", async () => {
    const v2 = SUM_ALL.replace("let total = 0;", "let total = 100;");
    const run = await tc.execute(saveScript("sum-all", "Sums a list of numbers with the get_sum tool, starting at 100.", v2));
    expect(run.result).toMatchObject({ version: 2, unchanged: false });
    expect(readdirSync(path.join(dir, ".toolcode", "skills", "sum-all", "versions"))).toEqual(["1.ts"]);
    const used = await tc.execute("return await skills.sum_all.sumAll([1]);");
    expect(used.result).toBe(101);
  });

  it("a skill's tool calls go through the guard like the script's own", async () => {
    const code = 'export async function remember(name: string): Promise<unknown> {\n  return memory.create_entities({ entities: [{ name, entityType: "note", observations: [] }] });\n}\n';
    const saved = await tc.execute(saveScript("remember", "Stores a note entity in the memory graph.", code));
    expect(saved.error).toBeNull();
    const run = await tc.execute('import { remember } from "./skills/remember";\nreturn await remember("x");');
    expect(run.error?.code).toBe("APPROVAL_REQUIRED");
    expect(run.approval?.tool).toBe("memory.create_entities");
    const denied = await tc.execute(saveScript("forget", "Deletes entities.", 'export const forget = (n: string) => memory.delete_entities({ entityNames: [n] });'));
    expect(denied.error?.code).toBe("SKILL_INVALID");
    expect(denied.error?.message).toContain("Property 'delete_entities' does not exist on type 'typeof memory'.");
  });

  it("several processes using the same skill directory at once keep exact counts", async () => {
    const configFile = writeConfig(dir, { mcpServers: { everything: servers.everything() } }, "exec.config.json");
    const before = (await tc.skills.usage())["sum-all"]!;
    const script = "const a = await skills.sum_all.sumAll([1]);\nconst b = skills.sum_all.checkPositive(2);\nreturn a + b;";
    const results = await Promise.all(Array.from({ length: 3 }, () => cli(["exec", "--config", configFile, "--json", "-"], { input: script, cwd: dir })));
    for (const r of results) expect(JSON.parse(r.stdout)).toMatchObject({ result: 103, error: null });
    const listed = await cli(["skills", "list", "--json", "--config", configFile], { cwd: dir });
    const report = (JSON.parse(listed.stdout) as { name: string; usage: Record<string, number> }[]).find((s) => s.name === "sum-all");
    expect(report?.usage).toMatchObject({
      imports: before.imports + 3,
      calls: before.calls + 6,
      failures: before.failures,
      executions: before.executions + 3,
    });
  }, 240_000);
});
