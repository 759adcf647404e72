import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { sanitizeUnique } from "../catalog/names.js";
import type { ToolSpec } from "../sources/tool-source.js";
import { DeclarationStore, type DeclarationDiskCache, toolList } from "./declaration-store.js";
import { renderServerIndex, renderServerListing, renderSignature, renderToolDeclaration, toolTypeNames } from "./declarations.js";
import { describeResults } from "./search-render.js";
import { renderServersIndex } from "./virtual-tree.js";

function fixtureTools(file: string, server: string): CatalogTool[] {
  const { tools } = JSON.parse(readFileSync(new URL(`../../test/fixtures/${file}.tools.json`, import.meta.url), "utf8")) as { tools: ToolSpec[] };
  const ids = sanitizeUnique(tools.map((t) => t.name));
  return tools.map((spec, i) => ({ server, tool: ids[i]!, id: `${server}.${ids[i]!}`, sourceName: server, spec }));
}

const FS = fixtureTools("filesystem", "fs");
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "toolcode-decl-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const big = (n: number): CatalogTool[] =>
  Array.from({ length: n }, (_, i) => ({
    server: "api",
    tool: `op_${i}`,
    id: `api.op_${i}`,
    sourceName: "api",
    spec: { name: `op-${i}`, title: `Operation ${i}`, inputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] } },
  }));

describe("DeclarationStore", () => {
  it("renders each tool once, with the server's interface names, and serves the virtual tree", () => {
    const store = new DeclarationStore(() => toolList(FS));
    const tool = FS.find((t) => t.tool === "read_text_file")!;
    const expected = renderToolDeclaration(tool, FS, { typeNames: toolTypeNames(FS) });
    expect(store.declaration(tool)).toBe(expected);
    expect(store.declaration(tool)).toBe(expected);
    expect(store.file("servers/fs/read_text_file.d.ts")).toBe(expected);
    expect(store.stats).toEqual({ rendered: 1, diskHits: 0 });
    expect(store.signature(tool)).toBe(renderSignature(tool));
    expect(store.server("fs")).toBe(renderServerIndex("fs", FS));
    expect(store.file("servers/fs/index.d.ts")).toBe(renderServerIndex("fs", FS));
    expect(store.file("servers/index.d.ts")).toBe(renderServersIndex(FS));
    expect(store.file("servers/fs/nope.d.ts")).toBeUndefined();
    expect(store.file("servers/nope/index.d.ts")).toBeUndefined();
    expect(store.server("nope")).toBeUndefined();
  });

  it("shows a big server as a listing and renders only the tools asked for", () => {
    const tools = big(150);
    const store = new DeclarationStore(() => toolList(tools));
    expect(store.server("api")).toBe(renderServerListing("api", tools));
    expect(store.file("servers/api/op_7.d.ts")).toContain("function op_7(input: Op7Input): Promise<unknown>;");
    expect(store.stats.rendered).toBe(1);
    // search "full" goes through the same cache
    expect(describeResults([{ tool: tools[7]!, score: 1 }], "full", store)).toBe(store.declaration(tools[7]!).trimEnd());
    expect(store.stats.rendered).toBe(1);
  });

  it("reads what another process rendered from the disk cache", () => {
    const dir = tempDir();
    const disk = (server: string): DeclarationDiskCache => ({ dir: path.join(dir, server), key: "spec-hash-1" });
    const tools = big(150);
    const first = new DeclarationStore(() => toolList(tools), { diskCache: disk });
    const text = first.declaration(tools[3]!);
    const signature = first.signature(tools[3]!);
    expect(first.stats).toEqual({ rendered: 2, diskHits: 0 });
    const files = readdirSync(path.join(dir, "api"));
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.startsWith("op_3."))).toBe(true);

    const second = new DeclarationStore(() => toolList(tools), { diskCache: disk });
    expect(second.declaration(tools[3]!)).toBe(text);
    expect(second.signature(tools[3]!)).toBe(signature);
    expect(second.stats).toEqual({ rendered: 0, diskHits: 2 });

    // The text really comes from the file.
    const file = files.find((f) => f.endsWith(".d.ts"))!;
    writeFileSync(path.join(dir, "api", file), "// from disk\n");
    expect(new DeclarationStore(() => toolList(tools), { diskCache: disk }).declaration(tools[3]!)).toBe("// from disk\n");
  });

  it("renders again when anything the text depends on changed", () => {
    const dir = tempDir();
    const tools = big(3);
    const store = (key: string, list: CatalogTool[]): DeclarationStore => new DeclarationStore(() => toolList(list), { diskCache: () => ({ dir, key }) });
    store("a", tools).declaration(tools[0]!);
    const again = store("b", tools); // another spec
    again.declaration(tools[0]!);
    expect(again.stats.rendered).toBe(1);
    const described = tools.map((t, i) => (i === 0 ? { ...t, spec: { ...t.spec, description: "Changed." } } : t));
    const changed = store("a", described);
    expect(changed.declaration(described[0]!)).toContain("Changed.");
    expect(changed.stats.rendered).toBe(1);
    const renamed = tools.map((t) => ({ ...t, server: "other", id: `other.${t.tool}` }));
    const moved = store("a", renamed);
    expect(moved.declaration(renamed[0]!)).toContain("declare namespace other {");
    expect(moved.stats.rendered).toBe(1);
  });

  it("follows changes of the tool list", () => {
    let tools = big(2);
    let view = toolList(tools);
    const store = new DeclarationStore(() => view);
    expect(store.server("api")).toContain("function op_1(");
    tools = big(1);
    view = toolList(tools);
    expect(store.server("api")).not.toContain("function op_1(");
    expect(store.file("servers/api/op_1.d.ts")).toBeUndefined();
  });

  it("keeps working when the cache directory cannot be written", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "file"), "not a directory");
    const tools = big(1);
    const store = new DeclarationStore(() => toolList(tools), { diskCache: () => ({ dir: path.join(dir, "file", "sub"), key: "k" }) });
    expect(store.declaration(tools[0]!)).toContain("function op_0(");
    expect(store.stats.rendered).toBe(1);
  });
});
