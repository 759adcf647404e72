/**
 * `$defs` building: ref rewriting, what is dropped, and closures over arbitrary (cyclic) graphs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DefClosures, DefsBuilder, defRef } from "../../src/sources/openapi/schema-defs.js";

describe("DefsBuilder", () => {
  const doc = {
    components: {
      schemas: {
        "simple-user": { type: "object", properties: { login: { type: "string" }, $ref: { type: "string", description: "a property named $ref" } } },
        Node: { type: "object", properties: { next: { $ref: "#/components/schemas/Node" }, owner: { $ref: "#/components/schemas/simple-user" } } },
        "a/b~c": { type: "string" },
        Deep: { type: "object", properties: { inner: { type: "object", properties: { x: { type: "integer" } } } } },
      },
    },
  };

  it("rewrites refs to $defs, keeping names, and follows them lazily", () => {
    const builder = new DefsBuilder(doc, "#/components/schemas/");
    const { schema, refs } = builder.rewrite({
      type: "array",
      items: { $ref: "#/components/schemas/Node" },
      enum: [{ $ref: "#/not/a/ref" }],
      example: { big: "object" },
      "x-extension": true,
      xml: { name: "n" },
    });
    expect(schema).toEqual({ type: "array", items: { $ref: "#/$defs/Node" }, enum: [{ $ref: "#/not/a/ref" }] });
    expect([...refs]).toEqual(["Node"]);
    expect(builder.allDefinitions()).toEqual({
      Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" }, owner: { $ref: "#/$defs/simple-user" } } },
      "simple-user": doc.components.schemas["simple-user"],
    });
    expect(builder.allDeps()).toEqual({ Node: ["Node", "simple-user"] });
  });

  it("escapes odd names, names deep pointers, and reports dangling refs", () => {
    const builder = new DefsBuilder(doc, "#/components/schemas/");
    const { schema } = builder.rewrite({
      anyOf: [{ $ref: "#/components/schemas/a~1b~0c" }, { $ref: "#/components/schemas/Deep/properties/inner" }, { $ref: "#/components/schemas/Missing" }],
    });
    expect(defRef("a/b~c")).toBe("#/$defs/a~1b~0c");
    expect(schema).toEqual({ anyOf: [{ $ref: "#/$defs/a~1b~0c" }, { $ref: "#/$defs/Deep_inner" }, { $ref: "#/components/schemas/Missing" }] });
    expect(builder.allDefinitions()["Deep_inner"]).toEqual({ type: "object", properties: { x: { type: "integer" } } });
    expect([...builder.dangling]).toEqual(["#/components/schemas/Missing"]);
  });
});

describe("DefClosures", () => {
  /** Reachable set by plain DFS, for comparison. */
  function naive(graph: Record<string, string[]>, root: string): Set<string> {
    const seen = new Set<string>();
    const stack = [root];
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (seen.has(key)) continue;
      seen.add(key);
      stack.push(...(graph[key] ?? []));
    }
    return seen;
  }

  const graphs = fc
    .integer({ min: 1, max: 30 })
    .chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
        fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 6 }),
      ),
    );

  it("equals plain reachability on random graphs, cycles included, whatever the query order", () => {
    fc.assert(
      fc.property(graphs, ([n, edges, queries]) => {
        const graph: Record<string, string[]> = {};
        for (let i = 0; i < n; i++) graph[`d${i}`] = edges[i]!.map((j) => `d${j}`);
        const closures = new DefClosures((key) => graph[key] ?? []);
        for (const q of queries) {
          const got = closures.closure([`d${q}`]);
          expect(new Set(got).size).toBe(got.length);
          expect(new Set(got)).toEqual(naive(graph, `d${q}`));
        }
        const roots = queries.map((q) => `d${q}`);
        const union = new Set(roots.flatMap((r) => [...naive(graph, r)]));
        expect(new Set(closures.closure(roots))).toEqual(union);
      }),
      { numRuns: 500 },
    );
  });

  it("shares one array between the members of a cycle", () => {
    const closures = new DefClosures((key) => ({ a: ["b"], b: ["c"], c: ["a", "d"], d: [] })[key] ?? []);
    const a = closures.closure(["a"]);
    expect(closures.closure(["b"])).toBe(a);
    expect(closures.closure(["c"])).toBe(a);
    expect([...a].sort()).toEqual(["a", "b", "c", "d"]);
    expect(closures.closure(["d"])).toEqual(["d"]);
  });

  it("handles long chains without recursion limits", () => {
    const n = 50_000;
    const closures = new DefClosures((key) => {
      const i = Number(key.slice(1));
      return i + 1 < n ? [`k${i + 1}`] : [];
    });
    expect(closures.closure(["k0"])).toHaveLength(n);
  });
});
