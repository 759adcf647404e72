import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../sources/tool-source.js";
import { RenderBudgetError, TypeEmitter, formatDoc, pascalCase, schemaDoc, schemaToDeclarations, schemaToType } from "./schema-to-ts.js";

const one = (schema: JsonSchema | boolean): string => schemaToType(schema, { multiline: false, comments: false });

/** Type-checks declaration text (plus optional usage code) and returns the diagnostics as text. */
function typecheck(declarations: string, usage = ""): string[] {
  const files = new Map([
    ["/decl.d.ts", declarations],
    ["/usage.ts", `export {};\n${usage}`],
  ]);
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, lib: ["lib.es2022.d.ts"], types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, version) : ts.createSourceFile(name, text, version);
  };
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("schemaToType: primitives and literals", () => {
  it("maps JSON Schema types", () => {
    expect(one({ type: "string" })).toBe("string");
    expect(one({ type: "integer" })).toBe("number");
    expect(one({ type: "number" })).toBe("number");
    expect(one({ type: "boolean" })).toBe("boolean");
    expect(one({ type: "null" })).toBe("null");
    expect(one({})).toBe("unknown");
    expect(one(true)).toBe("unknown");
    expect(one(false)).toBe("never");
    expect(one({ type: "madeup" })).toBe("unknown");
  });

  it("renders enum as a literal union and const as a literal", () => {
    expect(one({ type: "string", enum: ["a", "b", 'q"uote'] })).toBe('"a" | "b" | "q\\"uote"');
    expect(one({ enum: [1, -2.5, true, null, "x", "x"] })).toBe('1 | -2.5 | true | null | "x"');
    expect(one({ enum: [] })).toBe("never");
    expect(one({ const: "resource" })).toBe('"resource"');
    expect(one({ const: { a: [1, "b"] } })).toBe('{ a: [1, "b"] }');
  });

  it("renders type arrays and OpenAPI nullable", () => {
    expect(one({ type: ["string", "null"] })).toBe("string | null");
    expect(one({ type: ["integer", "number"] })).toBe("number");
    expect(one({ type: "string", nullable: true })).toBe("string | null");
    expect(one({ type: ["string", "null"], nullable: true })).toBe("string | null");
    expect(one({ type: ["object", "null"], properties: { a: { type: "string" } } })).toBe("{ a?: string } | null");
  });
});

describe("schemaToType: combinators", () => {
  it("anyOf / oneOf → union, allOf → intersection", () => {
    expect(one({ anyOf: [{ type: "string" }, { type: "number" }] })).toBe("string | number");
    expect(one({ oneOf: [{ const: "a" }, { const: "b" }] })).toBe('"a" | "b"');
    const allOf = { allOf: [{ type: "object", properties: { a: { type: "string" } }, required: ["a"] }, { type: "object", properties: { b: { type: "number" } } }] };
    expect(one(allOf)).toBe("{ a: string } & { b?: number }");
  });

  it("parenthesizes unions inside arrays and intersections", () => {
    expect(one({ type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } })).toBe("(string | number)[]");
    expect(one({ allOf: [{ anyOf: [{ const: 1 }, { const: 2 }] }, { type: "number" }] })).toBe("(1 | 2) & number");
    expect(one({ type: "array", items: { type: "string", nullable: true } })).toBe("(string | null)[]");
  });

  it("an unknown member absorbs a union and disappears from an intersection", () => {
    expect(one({ anyOf: [{ type: "string" }, {}] })).toBe("unknown");
    expect(one({ allOf: [{ type: "string" }, { description: "just a note" }] })).toBe("string");
  });

  it("intersects a base type with its combinators", () => {
    const schema = { type: "object", properties: { kind: { type: "string" } }, oneOf: [{ properties: { a: { type: "string" } }, required: ["a"] }, { properties: { b: { type: "string" } }, required: ["b"] }] };
    expect(one(schema)).toBe("{ kind?: string } & ({ a: string } | { b: string })");
  });
});

describe("schemaToType: arrays and tuples", () => {
  it("renders arrays", () => {
    expect(one({ type: "array", items: { type: "string" } })).toBe("string[]");
    expect(one({ type: "array" })).toBe("unknown[]");
    expect(one({ items: { type: "number" } })).toBe("number[]");
    expect(one({ type: "array", items: { type: "array", items: { type: "boolean" } } })).toBe("boolean[][]");
  });

  it("renders 2020-12 prefixItems and draft-7 item arrays as tuples", () => {
    expect(one({ type: "array", prefixItems: [{ type: "string" }, { type: "number" }] })).toBe("[string, number]");
    expect(one({ type: "array", prefixItems: [{ type: "string" }], items: { type: "boolean" } })).toBe("[string, ...boolean[]]");
    expect(one({ type: "array", prefixItems: [{ type: "string" }], items: false })).toBe("[string]");
    expect(one({ type: "array", items: [{ type: "string" }, { const: 1 }] })).toBe("[string, 1]");
    expect(one({ type: "array", items: [{ type: "string" }], additionalItems: { anyOf: [{ type: "string" }, { type: "null" }] } })).toBe(
      "[string, ...(string | null)[]]",
    );
  });
});

describe("schemaToType: objects", () => {
  it("marks required and optional properties, in schema order", () => {
    const schema = { type: "object", properties: { z: { type: "string" }, a: { type: "number" } }, required: ["a"] };
    expect(one(schema)).toBe("{ z?: string; a: number }");
  });

  it("adds required names missing from properties as unknown", () => {
    expect(one({ type: "object", properties: { a: { type: "string" } }, required: ["a", "b"] })).toBe("{ a: string; b: unknown }");
  });

  it("renders objects without properties as records", () => {
    expect(one({ type: "object" })).toBe("Record<string, unknown>");
    expect(one({ type: "object", properties: {} })).toBe("Record<string, unknown>");
    expect(one({ type: "object", additionalProperties: false })).toBe("Record<string, never>");
    expect(one({ type: "object", additionalProperties: { type: "number" } })).toBe("Record<string, number>");
    expect(one({ type: "object", patternProperties: { "^x-": { type: "string" } } })).toBe("Record<string, string>");
  });

  it("renders additionalProperties beside properties as an index signature that admits the properties", () => {
    expect(one({ type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: true })).toBe(
      "{ a: string; [key: string]: unknown }",
    );
    expect(one({ type: "object", properties: { a: { type: "string" } }, additionalProperties: { type: "number" } })).toBe(
      "{ a?: string; [key: string]: number | string | undefined }",
    );
    expect(one({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false })).toBe("{ a?: string }");
  });

  it("quotes property names that are not identifiers", () => {
    const schema = { type: "object", properties: { "x-y": {}, "1a": {}, "with space": {}, $ok: {}, _ok: {}, "é": {}, 'q"': {} } };
    expect(one(schema)).toBe('{ "x-y"?: unknown; "1a"?: unknown; "with space"?: unknown; $ok?: unknown; _ok?: unknown; "é"?: unknown; "q\\""?: unknown }');
  });

  it("indents nested objects by 2 spaces per level and documents properties", () => {
    const schema = {
      type: "object",
      properties: {
        user: { type: "object", description: "The user", properties: { name: { type: "string", minLength: 1 } }, required: ["name"] },
      },
    };
    expect(schemaToType(schema)).toBe(["{", "  /** The user */", "  user?: {", "    /** @minLength 1 */", "    name: string;", "  };", "}"].join("\n"));
  });
});

describe("JSDoc", () => {
  it("keeps description and constraint tags", () => {
    const doc = schemaDoc({
      description: "  Page size.  ",
      minimum: 1,
      maximum: 100,
      exclusiveMinimum: 0,
      minLength: 2,
      maxLength: 9,
      pattern: "^[a-z]+$",
      format: "uri",
      default: 30,
      minItems: 1,
      maxItems: 3,
      deprecated: true,
      examples: [10, "x"],
    });
    expect(doc.split("\n")).toEqual([
      "Page size.",
      "@minimum 1",
      "@maximum 100",
      "@exclusiveMinimum 0",
      "@minLength 2",
      "@maxLength 9",
      "@pattern ^[a-z]+$",
      "@format uri",
      "@minItems 1",
      "@maxItems 3",
      "@default 30",
      "@deprecated",
      "@example 10",
      '@example "x"',
    ]);
  });

  it("handles draft-4 boolean exclusive bounds and OpenAPI example", () => {
    expect(schemaDoc({ minimum: 0, exclusiveMinimum: true, example: { a: 1 } })).toBe('@exclusiveMinimum 0\n@example {"a":1}');
  });

  it("escapes comment terminators", () => {
    const text = schemaToDeclarations("X", { type: "object", properties: { a: { type: "string", description: "ends */ here", pattern: "a*/" } } });
    expect(text).toContain("ends *\\/ here");
    expect(text).not.toMatch(/ends \*\/ here/);
    expect(typecheck(text)).toEqual([]);
  });

  it("puts short docs on one line and long or multi-paragraph docs in a block", () => {
    expect(formatDoc("Short @minimum 1")).toEqual(["/** Short @minimum 1 */"]);
    expect(formatDoc("Line one\n@default 3", "  ")).toEqual(["  /** Line one @default 3 */"]);
    expect(formatDoc("Para one.\n\nPara two.")).toEqual(["/**", " * Para one.", " *", " * Para two.", " */"]);
    expect(formatDoc("x".repeat(120))).toHaveLength(3);
    expect(formatDoc("   ")).toEqual([]);
  });
});

describe("$ref", () => {
  const pet = {
    type: "object",
    properties: { owner: { $ref: "#/$defs/Person" }, vet: { $ref: "#/$defs/Person" }, legacy: { $ref: "#/definitions/old-thing" } },
    $defs: { Person: { type: "object", description: "A person", properties: { name: { type: "string" } }, required: ["name"] } },
    definitions: { "old-thing": { type: "string", enum: ["a", "b"] } },
  };

  it("turns $defs and definitions into named aliases, each emitted once", () => {
    expect(schemaToDeclarations("Pet", pet)).toBe(
      [
        "interface Pet {",
        "  owner?: Person;",
        "  vet?: Person;",
        "  legacy?: OldThing;",
        "}",
        "/** A person */",
        "interface Person {",
        "  name: string;",
        "}",
        'type OldThing = "a" | "b";',
      ].join("\n"),
    );
  });

  it("inlines refs in schemaToType", () => {
    expect(one(pet)).toBe('{ owner?: { name: string }; vet?: { name: string }; legacy?: "a" | "b" }');
  });

  it("keeps circular refs named and never recurses", () => {
    const tree = {
      type: "object",
      properties: { root: { $ref: "#/$defs/Node" } },
      $defs: {
        Node: { type: "object", properties: { children: { type: "array", items: { $ref: "#/$defs/Node" } }, next: { $ref: "#/$defs/Edge" } } },
        Edge: { type: "object", properties: { to: { $ref: "#/$defs/Node" } }, required: ["to"] },
      },
    };
    const text = schemaToDeclarations("Tree", tree);
    expect(text).toBe(
      [
        "interface Tree {",
        "  root?: Node;",
        "}",
        "interface Node {",
        "  children?: Node[];",
        "  next?: Edge;",
        "}",
        "interface Edge {",
        "  to: Node;",
        "}",
      ].join("\n"),
    );
    expect(typecheck(text, "declare const t: Tree; const n: Node | undefined = t.root?.next?.to.children?.[0];")).toEqual([]);
    expect(one(tree)).toBe("{ root?: { children?: unknown /* recursive Node */[]; next?: { to: unknown /* recursive Node */ } } }");
  });

  it('maps `$ref: "#"` to the declared name', () => {
    const list = { type: "object", properties: { value: { type: "number" }, next: { $ref: "#" } }, required: ["value"] };
    expect(schemaToDeclarations("List", list)).toBe("interface List {\n  value: number;\n  next?: List;\n}");
    expect(one(list)).toBe("{ value: number; next?: unknown /* recursive Root */ }");
  });

  it("names refs to other places after their path, and resolves escaped pointers", () => {
    const schema = {
      type: "object",
      properties: {
        users: { type: "array", items: { type: "object", properties: { id: { type: "string" } } } },
        first: { $ref: "#/properties/users/items" },
        "a/b": { type: "boolean" },
        flag: { $ref: "#/properties/a~1b" },
      },
    };
    const text = schemaToDeclarations("Root", schema, { comments: false });
    expect(text).toContain("first?: UsersItem;");
    expect(text).toContain("flag?: AB;");
    expect(text).toContain("interface UsersItem {\n  id?: string;\n}");
    expect(text).toContain("type AB = boolean;");
  });

  it("survives cycles of pure refs and bare self-references", () => {
    const schema = {
      type: "object",
      properties: { a: { $ref: "#/$defs/A" }, s: { $ref: "#/$defs/S" } },
      $defs: { A: { $ref: "#/$defs/B" }, B: { $ref: "#/$defs/A" }, S: { anyOf: [{ $ref: "#/$defs/S" }, { type: "string" }] } },
    };
    const text = schemaToDeclarations("X", schema);
    expect(typecheck(text)).toEqual([]);
    expect(text).toContain("type S = unknown;");
  });

  it("combines a $ref with sibling keywords (2020-12, OpenAPI nullable)", () => {
    const defs = { $defs: { Pet: { type: "object", properties: { id: { type: "string" } } } } };
    expect(one({ ...defs, type: "object", properties: { p: { $ref: "#/$defs/Pet", type: "object", description: "Pet" } } })).toBe("{ p?: { id?: string } }");
    expect(one({ ...defs, type: "object", properties: { p: { $ref: "#/$defs/Pet", nullable: true } } })).toBe("{ p?: { id?: string } | null }");
    const extended = { ...defs, type: "object", properties: { p: { $ref: "#/$defs/Pet", properties: { age: { type: "number" } } } } };
    expect(one(extended)).toBe("{ p?: { id?: string } & { age?: number } }");
  });

  it("renders unresolvable refs as unknown with a comment", () => {
    expect(one({ $ref: "#/$defs/Missing" })).toBe("unknown /* unresolved $ref #/$defs/Missing */");
    expect(one({ $ref: "https://example.com/x.json" })).toBe("unknown /* unresolved $ref https://example.com/x.json */");
  });

  it("uses a caller-provided resolver for external refs, naming and emitting each once", () => {
    const external: Record<string, JsonSchema> = {
      "https://example.com/pet.json": { type: "object", properties: { tag: { $ref: "#/$defs/Tag" } }, $defs: { Tag: { type: "string" } } },
    };
    const schema = { type: "object", properties: { a: { $ref: "https://example.com/pet.json" }, b: { $ref: "https://example.com/pet.json" } } };
    const resolveRef = (ref: string) => (external[ref] ? { schema: external[ref] } : undefined);
    expect(schemaToDeclarations("Owner", schema, { resolveRef, comments: false })).toBe(
      ["interface Owner {", "  a?: Pet;", "  b?: Pet;", "}", "interface Pet {", "  tag?: Tag;", "}", "type Tag = string;"].join("\n"),
    );
    expect(schemaToType(schema, { resolveRef, multiline: false })).toBe("{ a?: { tag?: string }; b?: { tag?: string } }");
  });

  it("resolves refs against a caller-given root document (OpenAPI components)", () => {
    const spec = { components: { schemas: { Pet: { type: "object", properties: { id: { type: "integer", format: "int64" } } } } } };
    const emitter = new TypeEmitter();
    const t1 = emitter.type({ type: "array", items: { $ref: "#/components/schemas/Pet" } }, { root: spec });
    const t2 = emitter.type({ $ref: "#/components/schemas/Pet" }, { root: spec });
    expect([t1, t2]).toEqual(["Pet[]", "Pet"]);
    expect(emitter.takeAliases()).toEqual(["interface Pet {\n  /** @format int64 */\n  id?: number;\n}"]);
    expect(emitter.takeAliases()).toEqual([]);
  });

  it("gives aliases unique names that avoid reserved ones", () => {
    const emitter = new TypeEmitter({ comments: false });
    emitter.reserve("Person");
    const a = { $ref: "#/$defs/Person", $defs: { Person: { type: "string" } } };
    const b = { $ref: "#/$defs/Person", $defs: { Person: { type: "number" } } };
    expect([emitter.type(a), emitter.type(b)]).toEqual(["Person2", "Person3"]);
    expect(emitter.takeAliases()).toEqual(["type Person2 = string;", "type Person3 = number;"]);
  });
});

describe("depth cap", () => {
  const nest = (levels: number): JsonSchema => (levels === 0 ? { type: "string" } : { type: "object", properties: { x: nest(levels - 1) } });

  it("renders unknown with a comment beyond maxDepth", () => {
    expect(one(nest(2))).toBe("{ x?: { x?: string } }");
    expect(schemaToType(nest(3), { multiline: false, maxDepth: 2 })).toBe("{ x?: { x?: unknown /* nested deeper than 2 levels */ } }");
    expect(schemaToType({ type: "array", items: { type: "array", items: {} } }, { maxDepth: 1 })).toBe("unknown /* nested deeper than 1 levels */[]");
  });

  it("elides for display when asked", () => {
    expect(schemaToType(nest(3), { multiline: false, maxDepth: 1, elide: true })).toBe("{ x?: { … } }");
  });

  it("keeps deep schemas bounded by default", () => {
    const text = schemaToType(nest(50));
    expect(text).toContain("nested deeper than 8 levels");
    expect(text.split("\n").length).toBeLessThan(30);
  });
});

/** A graph of `count` object types where each refers to the next three (cyclically), like Stripe's. */
function cyclicGraph(count: number): JsonSchema {
  const $defs: Record<string, JsonSchema> = {};
  for (let i = 0; i < count; i++) {
    const properties: Record<string, JsonSchema> = { id: { type: "string", description: `Identifier of thing ${i}.` } };
    for (let k = 1; k <= 3; k++) properties[`link${k}`] = { anyOf: [{ $ref: `#/$defs/T${(i + k) % count}` }, { type: "null" }] };
    $defs[`T${i}`] = { type: "object", description: `Thing number ${i}.`, properties, required: ["id"] };
  }
  return { type: "object", properties: { root: { $ref: "#/$defs/T0" } }, required: ["root"], $defs };
}

describe("alias budget (maxAliasChars)", () => {
  const graph = cyclicGraph(300);

  it("declares every reachable alias without a budget", () => {
    const text = schemaToDeclarations("Root", graph);
    expect(text.match(/^interface T\d+ \{/gm)).toHaveLength(300);
  });

  it("stops declaring aliases past the budget and renders the rest as commented stand-ins", () => {
    const text = schemaToDeclarations("Root", graph, { maxAliasChars: 2_000 });
    const declared = text.match(/^interface T\d+ \{/gm) ?? [];
    expect(declared.length).toBeGreaterThan(1);
    expect(declared.length).toBeLessThan(20);
    expect(text).toContain("interface T0 {"); // referred to directly: always declared
    expect(text).toMatch(/link\d\?: Record<string, unknown> \/\* T\d+: not expanded \(declaration size limit\) \*\/ \| null;/);
    expect(typecheck(text, "declare const r: Root; const id: string = r.root.id; void id;")).toEqual([]);
  });

  it("always declares the aliases the rendered types refer to directly", () => {
    const text = schemaToDeclarations("Root", graph, { maxAliasChars: 0 });
    expect(text).toContain("interface T0 {");
    expect(text.match(/^interface T\d+ \{/gm)).toHaveLength(1);
    expect(typecheck(text)).toEqual([]);
  });
});

describe("node budget (maxNodes)", () => {
  it("throws RenderBudgetError instead of inlining a cyclic graph exponentially", () => {
    expect(() => schemaToType(cyclicGraph(50), { maxNodes: 1_000 })).toThrow(RenderBudgetError);
    expect(schemaToType({ type: "object", properties: { a: { type: "string" } } }, { maxNodes: 10, multiline: false })).toBe("{ a?: string }");
  });
});

describe("declarations", () => {
  it("declares plain objects as interfaces and everything else as type aliases", () => {
    expect(schemaToDeclarations("A", { type: "object", properties: { a: { type: "string" } } })).toBe("interface A {\n  a?: string;\n}");
    expect(schemaToDeclarations("B", { type: "string", description: "A name" })).toBe("/** A name */\ntype B = string;");
    expect(schemaToDeclarations("C", { type: "object" })).toBe("type C = Record<string, unknown>;");
  });

  it("is deterministic", () => {
    const schema = { type: "object", properties: { b: { $ref: "#/$defs/Y" }, a: { $ref: "#/$defs/X" } }, $defs: { X: { type: "string" }, Y: { type: "number" } } };
    const first = schemaToDeclarations("D", schema);
    expect(schemaToDeclarations("D", structuredClone(schema))).toBe(first);
    expect(first.indexOf("type Y")).toBeLessThan(first.indexOf("type X")); // first-use order, not alphabetical
  });

  it("produces declarations the TypeScript compiler accepts", () => {
    const kitchenSink = {
      type: "object",
      description: "Everything at once",
      properties: {
        id: { type: "integer", minimum: 1 },
        "content-type": { type: ["string", "null"] },
        tags: { type: "array", items: { type: "string" }, minItems: 1 },
        point: { type: "array", prefixItems: [{ type: "number" }, { type: "number" }] },
        mode: { enum: ["a", "b"] },
        meta: { type: "object", additionalProperties: { type: "string" } },
        extra: { type: "object", properties: { n: { type: "number" } }, additionalProperties: { type: "string" } },
        either: { oneOf: [{ $ref: "#/$defs/Cat" }, { $ref: "#/$defs/Dog" }] },
        both: { allOf: [{ $ref: "#/$defs/Cat" }, { type: "object", properties: { age: { type: "number" } } }] },
        old: { type: "string", nullable: true, deprecated: true },
      },
      required: ["id", "mode"],
      $defs: {
        Cat: { type: "object", properties: { kind: { const: "cat" }, friends: { type: "array", items: { $ref: "#/$defs/Dog" } } }, required: ["kind"] },
        Dog: { type: "object", properties: { kind: { const: "dog" }, chases: { $ref: "#/$defs/Cat" } }, required: ["kind"] },
      },
    };
    const text = schemaToDeclarations("Sink", kitchenSink);
    const usage = [
      'const s: Sink = { id: 1, mode: "a", "content-type": null, extra: { n: 1, other: "x" }, either: { kind: "dog", chases: { kind: "cat" } } };',
      "// @ts-expect-error mode must be a or b",
      'const bad: Sink = { id: 1, mode: "c" };',
      "void s; void bad;",
    ].join("\n");
    expect(typecheck(text, usage)).toEqual([]);
  });
});

describe("pascalCase", () => {
  it("builds PascalCase identifiers", () => {
    expect(pascalCase("read_file")).toBe("ReadFile");
    expect(pascalCase("get-sum")).toBe("GetSum");
    expect(pascalCase("getSum")).toBe("GetSum");
    expect(pascalCase("issues/list-for-repo")).toBe("IssuesListForRepo");
    expect(pascalCase("2fa")).toBe("_2fa");
    expect(pascalCase("___")).toBe("Type");
  });
});
