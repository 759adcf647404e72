import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { sanitizeUnique } from "../catalog/names.js";
import type { ToolSpec } from "../sources/tool-source.js";
import { renderServerIndex, renderToolDeclaration } from "./declarations.js";
import { buildVirtualTree, renderServersIndex, renderVirtualFile, toolFilePath, virtualTreePaths } from "./virtual-tree.js";

function fixtureTools(file: string, server: string): CatalogTool[] {
  const { tools } = JSON.parse(readFileSync(new URL(`../../test/fixtures/${file}.tools.json`, import.meta.url), "utf8")) as { tools: ToolSpec[] };
  const ids = sanitizeUnique(tools.map((t) => t.name));
  return tools.map((spec, i) => ({ server, tool: ids[i]!, id: `${server}.${ids[i]!}`, sourceName: server, spec }));
}

const tool = (server: string, name: string): CatalogTool => ({
  server,
  tool: name,
  id: `${server}.${name}`,
  sourceName: server,
  spec: { name, inputSchema: { type: "object" } },
});

// Deliberately not in alphabetical order: the tree must sort.
const ALL = [...fixtureTools("memory", "memory"), ...fixtureTools("filesystem", "fs")];

describe("buildVirtualTree", () => {
  it("has the servers index, one index per server and one file per tool, in sorted path order", () => {
    const tree = buildVirtualTree(ALL);
    const paths = [...tree.keys()];
    expect(paths).toEqual([...paths].sort());
    expect(paths).toHaveLength(1 + 2 + ALL.length);
    expect(paths).toContain("servers/index.d.ts");
    expect(paths).toContain("servers/fs/index.d.ts");
    expect(paths).toContain("servers/fs/read_text_file.d.ts");
    expect(paths).toContain("servers/memory/create_entities.d.ts");
    expect(virtualTreePaths(ALL)).toEqual(paths);
  });

  it("puts the namespace and the single-tool declarations in their files", () => {
    const tree = buildVirtualTree(ALL);
    const fsTools = ALL.filter((t) => t.server === "fs");
    expect(tree.get("servers/fs/index.d.ts")).toBe(renderServerIndex("fs", fsTools));
    const readFile = fsTools.find((t) => t.tool === "read_file")!;
    expect(tree.get("servers/fs/read_file.d.ts")).toBe(renderToolDeclaration(readFile, fsTools));
  });

  it("lists servers with tool counts, a preview of tool names and how to call them", () => {
    const text = renderServersIndex(ALL);
    expect(text).toContain("- `fs` — 14 tools: read_file, read_text_file, read_media_file, read_multiple_files, write_file, …");
    expect(text).toContain("- `memory` — 9 tools: create_entities,");
    expect(text.indexOf("`fs`")).toBeLessThan(text.indexOf("`memory`"));
    expect(text).toContain('/// <reference path="./fs/index.d.ts" />');
    expect(text).toContain("await <server>.<tool>({ … })");
    expect(renderServersIndex([tool("one", "ping")])).toContain("- `one` — 1 tool: ping\n");
    expect(renderServersIndex([])).toContain("(no servers connected)");
  });

  it("names interfaces in per-tool files like the server index when identifiers collide", () => {
    const withInput = (t: CatalogTool): CatalogTool => ({ ...t, spec: { ...t.spec, inputSchema: { type: "object", properties: { x: { type: "string" } } } } });
    const tools = [withInput(tool("s", "read_file")), withInput(tool("s", "readFile"))];
    const tree = buildVirtualTree(tools);
    expect(tree.get("servers/s/index.d.ts")).toContain("interface ReadFile2Input");
    expect(tree.get("servers/s/readFile.d.ts")).toContain("function readFile(input?: ReadFile2Input)");
    expect(renderVirtualFile("servers/s/readFile.d.ts", tools)).toBe(tree.get("servers/s/readFile.d.ts"));
  });

  it("is deterministic", () => {
    expect([...buildVirtualTree([...ALL].reverse()).keys()]).toEqual([...buildVirtualTree(ALL).keys()]);
    expect(buildVirtualTree(ALL)).toEqual(buildVirtualTree(ALL));
  });
});

describe("renderVirtualFile (lazy)", () => {
  it("renders exactly what the full tree holds, one file at a time", () => {
    const tree = buildVirtualTree(ALL);
    for (const [path, content] of tree) expect(renderVirtualFile(path, ALL)).toBe(content);
  });

  it("returns undefined for paths outside the tree", () => {
    for (const path of ["servers/nope/index.d.ts", "servers/fs/nope.d.ts", "servers/fs", "other/index.d.ts", "servers/fs/a/b.d.ts"]) {
      expect(renderVirtualFile(path, ALL)).toBeUndefined();
    }
  });

  it("keeps a tool named index from shadowing the server index", () => {
    const tools = [tool("s", "index"), tool("s", "other")];
    expect(toolFilePath(tools[0]!)).toBe("servers/s/index.tool.d.ts");
    const tree = buildVirtualTree(tools);
    expect(tree.get("servers/s/index.d.ts")).toContain("declare namespace s {");
    expect(tree.get("servers/s/index.tool.d.ts")).toContain("function index(");
    expect(renderVirtualFile("servers/s/index.tool.d.ts", tools)).toBe(tree.get("servers/s/index.tool.d.ts"));
  });
});
