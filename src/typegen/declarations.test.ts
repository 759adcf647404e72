import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { sanitizeUnique } from "../catalog/names.js";
import type { ToolSpec } from "../sources/tool-source.js";
import { MAX_NAMESPACE_TOOLS, renderServerFile, renderServerIndex, renderServerListing, renderSignature, renderToolDeclaration, toolTypeNames } from "./declarations.js";
import { buildVirtualTree } from "./virtual-tree.js";

/** Catalog tools from a captured tools/list (test/fixtures/<file>.tools.json), as the catalog builds them. */
function fixtureTools(file: string, server: string): CatalogTool[] {
  const { tools } = JSON.parse(readFileSync(new URL(`../../test/fixtures/${file}.tools.json`, import.meta.url), "utf8")) as { tools: ToolSpec[] };
  const ids = sanitizeUnique(tools.map((t) => t.name));
  return tools.map((spec, i) => ({ server, tool: ids[i]!, id: `${server}.${ids[i]!}`, sourceName: server, spec }));
}

function tool(server: string, name: string, spec: Partial<ToolSpec> = {}): CatalogTool {
  return { server, tool: name, id: `${server}.${name}`, sourceName: server, spec: { name, inputSchema: { type: "object" }, ...spec } };
}

const SERVERS = [
  { file: "everything", server: "everything" },
  { file: "filesystem", server: "fs" },
  { file: "memory", server: "memory" },
];
const ALL = SERVERS.flatMap(({ file, server }) => fixtureTools(file, server));

/** Type-checks in-memory files with a real program; returns diagnostics as `file: message`. */
function typecheck(files: Map<string, string>): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    lib: ["lib.es2022.d.ts"],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, version) : ts.createSourceFile(name, text, version);
  };
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => files.get(name) ?? ts.sys.readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("renderServerIndex on real MCP servers", () => {
  for (const { file, server } of SERVERS) {
    it(`matches the snapshot for server-${file}`, async () => {
      const text = renderServerIndex(server, fixtureTools(file, server));
      await expect(text).toMatchFileSnapshot(`./__snapshots__/${server}.d.ts.snap`);
    });
  }

  it("type-checks with zero diagnostics, and guest code is checked against it", () => {
    const files = new Map<string, string>();
    for (const [path, content] of buildVirtualTree(ALL)) if (path.endsWith("index.d.ts")) files.set(`/${path}`, content);
    files.set(
      "/guest.ts",
      [
        "export {};",
        'const text = await fs.read_text_file({ path: "notes.txt", head: 3 });',
        "const content: string = text.content;",
        "const dirs = await fs.list_allowed_directories();",
        'await fs.edit_file({ path: "a", edits: [{ oldText: "x", newText: "y" }], dryRun: true });',
        'const sorted = await fs.list_directory_with_sizes({ path: ".", sortBy: "size" });',
        "const sum: unknown = await everything.get_sum({ a: 1, b: 2 });",
        'const weather = await everything.get_structured_content({ location: "Chicago" });',
        "const humidity: number = weather.humidity;",
        "await everything.get_resource_links();",
        "await everything.get_env();",
        'await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["math"] }] });',
        "const graph = await memory.read_graph();",
        "const first = graph.entities[0]?.observations.map((o) => o.toUpperCase());",
        "// @ts-expect-error b is required",
        "await everything.get_sum({ a: 1 });",
        "// @ts-expect-error not one of the enum values",
        'await everything.get_structured_content({ location: "Paris" });',
        "// @ts-expect-error the input object is required",
        "await fs.read_text_file();",
        "// @ts-expect-error unknown tool",
        "await fs.delete_everything({});",
        "// @ts-expect-error wrong property type",
        "await fs.read_text_file({ path: 1 });",
        "void [content, dirs.content, sorted, sum, humidity, first];",
      ].join("\n"),
    );
    expect(typecheck(files)).toEqual([]);
  });

  it("renders every per-tool file as a self-contained declaration that type-checks alone", () => {
    const tree = buildVirtualTree(ALL);
    const toolFiles = [...tree].filter(([path]) => !path.endsWith("index.d.ts"));
    expect(toolFiles).toHaveLength(ALL.length);
    // One program per server keeps this fast; tools of one server have no clashing names.
    for (const { server } of SERVERS) {
      const files = new Map(toolFiles.filter(([p]) => p.startsWith(`servers/${server}/`)).map(([p, c]) => [`/${p}`, c]));
      expect(typecheck(files)).toEqual([]);
    }
  });
});

describe("renderToolDeclaration", () => {
  it("wraps one tool in its namespace with interfaces, JSDoc and annotation tags", () => {
    const readFile = ALL.find((t) => t.id === "fs.read_text_file")!;
    const text = renderToolDeclaration(readFile);
    expect(text.startsWith("declare namespace fs {\n")).toBe(true);
    expect(text).toContain("interface ReadTextFileInput {\n    path: string;");
    expect(text).toContain("function read_text_file(input: ReadTextFileInput): Promise<ReadTextFileOutput>;");
    expect(text).toContain("   * @readonly\n");
    const write = renderToolDeclaration(ALL.find((t) => t.id === "fs.write_file")!);
    expect(write).toContain("@destructive");
    expect(write).not.toContain("@readonly");
  });

  it("returns Promise<unknown> without an output schema and takes an optional {} without input properties", () => {
    const text = renderToolDeclaration(tool("s", "ping", { description: "Pings." }));
    expect(text).toBe("declare namespace s {\n  /** Pings. */\n  function ping(input?: {}): Promise<unknown>;\n}\n");
  });

  it("makes the input optional when nothing is required", () => {
    const text = renderToolDeclaration(tool("s", "list", { inputSchema: { type: "object", properties: { limit: { type: "integer" } } } }));
    expect(text).toContain("function list(input?: ListInput): Promise<unknown>;");
  });

  it("emits $ref aliases inside the namespace, once, and keeps recursive types named", () => {
    const node = { type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#/$defs/Node" } } }, required: ["name"] };
    const t = tool("tree", "put_tree", {
      inputSchema: { type: "object", properties: { root: { $ref: "#/$defs/Node" }, backup: { $ref: "#/$defs/Node" } }, required: ["root"], $defs: { Node: node } },
      outputSchema: { $ref: "#/$defs/Node", $defs: { Node: node } },
    });
    const text = renderToolDeclaration(t);
    expect(text.match(/interface Node \{/g)).toHaveLength(1);
    expect(text).toContain("interface Node2 {"); // the output schema is another document with its own Node
    expect(text).toContain("type PutTreeOutput = Node2;");
    expect(typecheck(new Map([["/t.d.ts", text]]))).toEqual([]);
  });

  it("escapes comment terminators in tool descriptions and keeps multi-line descriptions", () => {
    const text = renderToolDeclaration(tool("s", "glob", { description: "  Matches **/*.ts.\n\nSecond paragraph.  " }));
    expect(text).toContain("   * Matches **\\/*.ts.\n   *\n   * Second paragraph.\n");
    expect(typecheck(new Map([["/t.d.ts", text]]))).toEqual([]);
  });
});

describe("interface names", () => {
  it("are PascalCase and collision-free within a server", () => {
    const tools = [tool("s", "read_file"), tool("s", "readFile"), tool("s", "ReadFile"), tool("s", "read_file_2")];
    const names = toolTypeNames(tools);
    expect([...names.values()].map((n) => n.input)).toEqual(["ReadFileInput", "ReadFile2Input", "ReadFile3Input", "ReadFile22Input"]);
    const withProps = tools.map((t) => ({ ...t, spec: { ...t.spec, inputSchema: { type: "object", properties: { x: { type: "string" } } } } }));
    const index = renderServerIndex("s", withProps);
    expect(typecheck(new Map([["/s.d.ts", index]]))).toEqual([]);
    // The per-tool file names its interfaces like the server index when given the siblings.
    expect(renderToolDeclaration(withProps[1]!, withProps)).toContain("interface ReadFile2Input");
  });

  it("never lets a $ref alias take a tool's interface name", () => {
    const a = tool("s", "get", {
      inputSchema: { type: "object", properties: { x: { $ref: "#/$defs/OtherInput" } }, $defs: { OtherInput: { type: "string" } } },
    });
    const b = tool("s", "other", { inputSchema: { type: "object", properties: { y: { type: "number" } } } });
    const text = renderServerIndex("s", [a, b]);
    expect(text).toContain("x?: OtherInput2;");
    expect(text).toContain("interface OtherInput {\n    y?: number;");
    expect(typecheck(new Map([["/s.d.ts", text]]))).toEqual([]);
  });
});

describe("renderSignature", () => {
  it("renders one compact line with inline types", () => {
    const sigs = ALL.map((t) => renderSignature(t));
    expect(sigs.every((s) => !s.includes("\n"))).toBe(true);
    expect(sigs).toContain("fs.read_file(input: { path: string; tail?: number; head?: number }): Promise<{ content: string }>");
    expect(sigs).toContain("everything.get_sum(input: { a: number; b: number }): Promise<unknown>");
    expect(sigs).toContain("fs.list_allowed_directories(input?: {}): Promise<{ content: string }>");
    expect(sigs).toContain("everything.get_resource_links(input?: { count?: number }): Promise<unknown>");
  });

  it("matches the snapshot for all fixture tools", async () => {
    await expect(ALL.map((t) => renderSignature(t)).join("\n")).toMatchFileSnapshot("./__snapshots__/signatures.snap");
  });

  it("elides nested types, then trailing parameters, for huge inputs", () => {
    const nested = { type: "object", properties: { deep: { type: "object", properties: { deeper: { type: "object", properties: { x: { type: "string" } } } } } } };
    const properties = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`parameter_${i}`, i === 0 ? nested : { type: "string" }]));
    const huge = tool("api", "big", { inputSchema: { type: "object", properties, required: ["parameter_0"] }, outputSchema: nested });
    const sig = renderSignature(huge);
    expect(sig.length).toBeLessThanOrEqual(300);
    expect(sig.startsWith("api.big(input: { parameter_0: { deep?: { … } }; parameter_1?: string;")).toBe(true);
    expect(sig.endsWith("; … }): Promise<…>")).toBe(true);

    const medium = tool("api", "mid", { inputSchema: { type: "object", properties: { a: nested, b: nested, c: nested } } });
    expect(renderSignature(medium, { maxLength: 120 })).toBe("api.mid(input?: { a?: { deep?: { … } }; b?: { deep?: { … } }; c?: { deep?: { … } } }): Promise<unknown>");
  });
});

/** A tool whose output reaches `count` object types referring to each other in a cycle (like Stripe's). */
function cyclicTool(count: number): CatalogTool {
  const $defs: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const properties: Record<string, unknown> = { id: { type: "string", description: `Identifier of thing ${i}, a fairly long description.` } };
    for (let k = 1; k <= 3; k++) properties[`link${k}`] = { anyOf: [{ $ref: `#/$defs/T${(i + k) % count}` }, { type: "string" }] };
    $defs[`T${i}`] = { type: "object", description: `Thing number ${i}.`, properties, required: ["id"] };
  }
  return tool("api", "get_thing", {
    description: "Gets a thing.",
    inputSchema: { type: "object", properties: { id: { type: "string" }, filter: { $ref: "#/$defs/T5" } }, required: ["id"], $defs },
    outputSchema: { $ref: "#/$defs/T0", $defs },
  });
}

describe("big and cyclic schemas", () => {
  it("bounds one tool's declaration with named types, and it still type-checks", () => {
    const big = cyclicTool(300);
    const unbounded = renderToolDeclaration(big, [big], { maxAliasChars: Number.POSITIVE_INFINITY });
    const text = renderToolDeclaration(big);
    expect(unbounded.match(/interface T\d+ \{/g)?.length).toBeGreaterThanOrEqual(300);
    expect(text.length).toBeLessThan(unbounded.length / 5);
    expect(text).toContain("interface T0 {");
    expect(text).toContain("interface T5 {");
    expect(text).toContain("not expanded (declaration size limit)");
    expect(typecheck(new Map([["/t.d.ts", text]]))).toEqual([]);
  });

  it("renders a short signature without inlining the cycle", () => {
    const sig = renderSignature(cyclicTool(300));
    expect(sig.length).toBeLessThanOrEqual(300);
    expect(sig.startsWith("api.get_thing(input: { id: string; filter?: ")).toBe(true);
  });
});

describe("renderServerFile", () => {
  const many = (n: number): CatalogTool[] =>
    Array.from({ length: n }, (_, i) =>
      tool("big", `op_${i}`, { title: i === 0 ? "List repository */ issues" : undefined, description: `Does thing ${i}. More detail here.`, inputSchema: { type: "object", properties: { x: { type: "string" } } } }),
    );

  it(`keeps the full namespace up to ${MAX_NAMESPACE_TOOLS} tools`, () => {
    const tools = many(MAX_NAMESPACE_TOOLS);
    expect(renderServerFile("big", tools)).toBe(renderServerIndex("big", tools));
  });

  it("lists names and summaries above the threshold, as valid TypeScript", () => {
    const tools = many(MAX_NAMESPACE_TOOLS + 1);
    const text = renderServerFile("big", tools);
    expect(text).toBe(renderServerListing("big", tools));
    expect(text).toContain("Server `big` — 101 tools");
    expect(text).toContain("servers/big/<tool>.d.ts");
    expect(text).toContain(" * - op_0 — List repository *\\/ issues\n");
    expect(text).toContain(" * - op_1 — Does thing 1.\n");
    expect(text).not.toContain("interface");
    expect(text.split("\n").length).toBe(MAX_NAMESPACE_TOOLS + 1 + 8);
    expect(typecheck(new Map([["/big.d.ts", text]]))).toEqual([]);
  });
});
