import { readFileSync, readdirSync, existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { sanitizeUnique } from "../catalog/names.js";
import { WORKSPACE_DECLARATION } from "../execute/builtins/workspace-builtin.js";
import type { ToolSpec } from "../sources/tool-source.js";
import { SkillChecker } from "./skill-checker.js";
import { SkillLibrary } from "./skill-library.js";
import { parseSkillFile, renderSkillFile } from "./skill-file.js";
import { MAX_VERSIONS_KEPT, SkillStore } from "./skill-store.js";
import { validateSkillName } from "./skill-name.js";

/** Catalog tools from a captured tools/list (test/fixtures/<file>.tools.json). */
function fixtureTools(file: string, server: string): CatalogTool[] {
  const { tools } = JSON.parse(readFileSync(new URL(`../../test/fixtures/${file}.tools.json`, import.meta.url), "utf8")) as { tools: ToolSpec[] };
  const ids = sanitizeUnique(tools.map((t) => t.name));
  return tools.map((spec, i) => ({ server, tool: ids[i]!, id: `${server}.${ids[i]!}`, sourceName: server, spec }));
}

const TOOLS = [...fixtureTools("filesystem", "fs"), ...fixtureTools("memory", "memory")];

const opened: SkillLibrary[] = [];
/** One type-checker worker for the whole file (each library would otherwise start its own). */
const checker = new SkillChecker();
afterEach(async () => {
  await Promise.all(opened.splice(0).map((lib) => lib.close()));
});
afterAll(async () => {
  await checker.close();
});

async function open(dir?: string, extra: { shared?: string; allowSharedWrite?: boolean; checkTimeoutMs?: number } = {}): Promise<SkillLibrary> {
  return track({
    dir: dir ?? (await mkdtemp(path.join(tmpdir(), "toolcode-skills-"))),
    ...(extra.checkTimeoutMs === undefined ? { checker } : {}),
    ...extra,
    tools: () => TOOLS,
    builtinDeclarations: WORKSPACE_DECLARATION,
  });
}

function track(options: Parameters<typeof SkillLibrary.open>[0]): SkillLibrary {
  const lib = SkillLibrary.open(options);
  opened.push(lib);
  return lib;
}

const COUNT_LINES = `import { read_text_file } from "./servers/fs";

/** Counts the lines of a text file. */
export async function countLines(path: string): Promise<number> {
  const file = (await read_text_file({ path })) as { content: string };
  return file.content.split("\\n").length;
}
`;

describe("skill names", () => {
  it("accepts kebab-case and refuses the rest with a suggestion", () => {
    expect(validateSkillName("normalize-address")).toBe("normalize-address");
    expect(() => validateSkillName("normalizeAddress")).toThrow(/e\.g\. "normalize-address"/);
    expect(() => validateSkillName("../etc")).toThrow(/Invalid skill name/);
    expect(() => validateSkillName("save")).toThrow(/reserved/);
    expect(() => validateSkillName("a".repeat(65))).toThrow(/longer than 64/);
  });
});

describe("SkillStore and SKILL.md", () => {
  it("keeps at most MAX_VERSIONS_KEPT earlier versions", async () => {
    const store = new SkillStore(await mkdtemp(path.join(tmpdir(), "toolcode-store-")), "user");
    for (let i = 1; i <= MAX_VERSIONS_KEPT + 3; i++) {
      await store.write({ name: "v", description: "d", source: `export const v = () => ${i};`, signatures: ["v(): number"], identifier: "v", declaration: "" });
    }
    expect(await store.versions("v")).toEqual(Array.from({ length: MAX_VERSIONS_KEPT }, (_, i) => i + 3));
    expect(store.read("v")).toMatchObject({ skill: { version: MAX_VERSIONS_KEPT + 3 } });
  });

  it("reads the declarations block toolcode wrote, not one a description smuggles in", () => {
    const meta = { name: "x", description: "## Declarations\n\n```ts\nexport declare function fake(): void;\n```", version: 1, created: "c", updated: "u", signatures: ["real(): void"] };
    const text = renderSkillFile(meta, { identifier: "x", declaration: "export declare function real(): void;\n" });
    expect(parseSkillFile(text)).toMatchObject({ meta: { description: meta.description }, declaration: "export declare function real(): void;\n" });
  });
});

describe("SkillLibrary", () => {
  it("saves a skill that type-checks: index.ts, SKILL.md with front matter, signatures", async () => {
    const lib = await open();
    const saved = await lib.save({ name: "count-lines", description: "Counts the lines of a text file.", code: COUNT_LINES });
    expect(saved).toMatchObject({
      name: "count-lines",
      version: 1,
      unchanged: false,
      signatures: ["countLines(path: string): Promise<number>"],
      import: 'import { countLines } from "./skills/count-lines"',
    });
    const dir = path.join(lib.dir, "count-lines");
    expect(readFileSync(path.join(dir, "index.ts"), "utf8")).toBe(COUNT_LINES);
    const markdown = readFileSync(path.join(dir, "SKILL.md"), "utf8");
    const parsed = parseSkillFile(markdown);
    expect(parsed).toMatchObject({ meta: { name: "count-lines", description: "Counts the lines of a text file.", version: 1, signatures: saved.signatures } });
    expect(markdown).toContain("export declare function countLines(path: string): Promise<number>;");
    expect(lib.virtualFile("skills/count-lines/index.d.ts")).toContain("/** Counts the lines of a text file. */");
    expect(lib.namespaceDeclaration()).toMatch(/namespace count_lines \{\n\s+\/\*\* Counts the lines of a text file\. \*\/\n\s+function countLines\(path: string\): Promise<number>;/);
  });

  it("refuses code that calls a tool that does not exist, with the compiler's message and position", async () => {
    const lib = await open();
    const code = 'export async function wipe(): Promise<void> {\n  await fs.delete_everything({ path: "/" });\n}\n';
    const error = await lib.save({ name: "wipe", description: "Nope.", code }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "SKILL_INVALID" });
    const message = (error as Error).message;
    expect(message).toContain("skills/wipe/index.ts:2:12 - error TS2339: Property 'delete_everything' does not exist on type 'typeof fs'.");
    expect(message).toContain('2 |   await fs.delete_everything({ path: "/" });');
    expect(message).toContain("Servers: fs, memory");
    expect(existsSync(path.join(lib.dir, "wipe"))).toBe(false);
    expect(lib.list()).toEqual([]);
  });

  it("refuses unknown servers and modules, wrong argument types, top-level await, syntax errors and modules without functions", async () => {
    const lib = await open();
    const refused = async (code: string): Promise<string> => {
      const error = await lib.save({ name: "bad", description: "Bad.", code }).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ code: "SKILL_INVALID" });
      return (error as Error).message;
    };
    expect(await refused("export const f = () => github.list({});")).toContain("TS2304: Cannot find name 'github'.");
    expect(await refused('import { x } from "./servers/nope";\nexport const f = () => x;')).toContain("TS2307: Cannot find module './servers/nope'");
    expect(await refused("export const f = () => fs.read_text_file({ path: 42 });")).toContain("TS2322: Type 'number' is not assignable to type 'string'.");
    expect(await refused('await fs.list_allowed_directories();\nexport const f = () => 1;')).toContain("Top-level await is not allowed in a skill");
    expect(await refused("export const f = () => {")).toMatch(/TS1005: '}' expected/);
    expect(await refused("export const answer = 42;")).toContain("exports no function");
  });

  it("keeps the previous version when a name is saved again; identical saves change nothing", async () => {
    const lib = await open();
    await lib.save({ name: "greet", description: "Greets.", code: 'export const greet = (name: string) => "hi " + name;' });
    const again = await lib.save({ name: "greet", description: "Greets.", code: 'export const greet = (name: string) => "hi " + name;' });
    expect(again).toMatchObject({ version: 1, unchanged: true });
    const v2 = await lib.save({ name: "greet", description: "Greets politely.", code: 'export const greet = (name: string, polite = true) => (polite ? "hello " : "hi ") + name;' });
    expect(v2).toMatchObject({ version: 2, unchanged: false, signatures: ["greet(name: string, polite?: boolean): string"] });
    expect(readdirSync(path.join(lib.dir, "greet", "versions"))).toEqual(["1.ts"]);
    expect(readFileSync(path.join(lib.dir, "greet", "versions", "1.ts"), "utf8")).toContain('"hi " + name');
    expect(await lib.versions("greet")).toEqual([1]);
    const reopened = await open(lib.dir);
    expect(reopened.get("greet")).toMatchObject({ version: 2, description: "Greets politely.", created: lib.get("greet")?.created });
  });

  it("type-checks imports of other skills and skills.<id> access", async () => {
    const lib = await open();
    await lib.save({ name: "count-lines", description: "Counts lines.", code: COUNT_LINES });
    const code = 'import { countLines } from "./skills/count-lines";\nexport async function total(paths: string[]): Promise<number> {\n  let n = 0;\n  for (const p of paths) n += await countLines(p) + (await skills.count_lines.countLines(p));\n  return n;\n}\n';
    await expect(lib.save({ name: "total-lines", description: "Sums lines.", code })).resolves.toMatchObject({ version: 1 });
    const wrong = 'import { countLines } from "./skills/count-lines";\nexport const f = () => countLines(1);';
    await expect(lib.save({ name: "wrong", description: "Wrong.", code: wrong })).rejects.toThrow(/Argument of type 'number' is not assignable to parameter of type 'string'/);
  });

  it("hands a run only the skills its code can reach (transitively), all of them for dynamic picks", async () => {
    const lib = await open();
    await lib.save({ name: "base-one", description: "One.", code: "export const one = (): number => 1;" });
    await lib.save({ name: "uses-one", description: "Two.", code: 'import { one } from "./skills/base-one";\nexport const two = (): number => one() + 1;' });
    await lib.save({ name: "other", description: "Other.", code: "export const other = (): number => 3;" });
    const keys = (code: string): string[] => Object.keys(lib.beginRun(code).modules).sort();
    expect(keys('import { two } from "./skills/uses-one";\nreturn two();')).toEqual(["./skills", "./skills/base-one", "./skills/uses-one"]);
    expect(keys("return skills.other.other();")).toEqual(["./skills", "./skills/other"]);
    expect(keys("return 1;")).toEqual(["./skills"]);
    const all = ["./skills", "./skills/base-one", "./skills/other", "./skills/uses-one"];
    expect(keys("const n = 'other'; return skills[n].other();")).toEqual(all);
    expect(keys('import { x } from "./skills/nope";')).toEqual(all);
  });

  it("notices skills saved or removed by another process (another library on the same directory)", async () => {
    const lib = await open();
    const other = await open(lib.dir);
    let changes = 0;
    lib.onChange(() => changes++);
    await other.save({ name: "from-elsewhere", description: "Saved by another process.", code: "export const hi = (): string => 'hi';" });
    expect(lib.get("from-elsewhere")).toBeUndefined();
    lib.refresh();
    expect(lib.get("from-elsewhere")).toMatchObject({ version: 1 });
    expect(changes).toBe(1);
    lib.refresh();
    expect(changes).toBe(1);
    await other.remove("from-elsewhere");
    lib.refresh();
    expect(lib.get("from-elsewhere")).toBeUndefined();
  });

  it("shared skills are read-only unless allowed; user skills shadow them", async () => {
    const shared = await mkdtemp(path.join(tmpdir(), "toolcode-shared-"));
    const writer = await open(undefined, { shared, allowSharedWrite: true });
    await writer.save({ name: "team-greet", description: "Team greeting.", code: "export const greet = () => 'team';", shared: true });
    expect(writer.get("team-greet")).toMatchObject({ scope: "shared" });

    const reader = await open(undefined, { shared });
    expect(reader.get("team-greet")).toMatchObject({ scope: "shared" });
    await expect(reader.save({ name: "other", description: "x", code: "export const f = () => 1;", shared: true })).rejects.toMatchObject({ code: "SKILL_READ_ONLY" });
    await expect(reader.remove("team-greet")).rejects.toMatchObject({ code: "SKILL_READ_ONLY" });
    await reader.save({ name: "team-greet", description: "Mine.", code: "export const greet = () => 'mine';" });
    expect(reader.get("team-greet")).toMatchObject({ scope: "user", description: "Mine." });
    await reader.remove("team-greet");
    expect(reader.get("team-greet")).toMatchObject({ scope: "shared" });
  });

  it("stops a type-check over its time limit in the worker; the next check starts a fresh worker", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "toolcode-skills-"));
    const hasty = await open(dir, { checkTimeoutMs: 1 });
    await expect(hasty.save({ name: "slow", description: "x", code: "export const f = () => 1;" })).rejects.toThrow(/took longer than 0 s and was stopped/);
    await expect(hasty.save({ name: "slow", description: "x", code: "export const f = () => 1;" })).rejects.toMatchObject({ code: "SKILL_INVALID" });
    const patient = await open(dir);
    await expect(patient.save({ name: "slow", description: "x", code: "export const f = () => 1;" })).resolves.toMatchObject({ version: 1 });
  });

  it("skips broken directories with a warning and reports not-found with the valid names", async () => {
    const lib = await open();
    await lib.save({ name: "ok", description: "Fine.", code: "export const ok = () => true;" });
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(path.join(lib.dir, "no-front-matter"));
    writeFileSync(path.join(lib.dir, "no-front-matter", "index.ts"), "export const f = () => 1;");
    writeFileSync(path.join(lib.dir, "no-front-matter", "SKILL.md"), "# nothing\n");
    const reopened = await open(lib.dir);
    expect(reopened.list().map((s) => s.name)).toEqual(["ok"]);
    expect(reopened.warnings.join("\n")).toContain("no-front-matter");
    await expect(reopened.remove("nope")).rejects.toThrow('No skill "nope". Skills: ok.');
  });
});
