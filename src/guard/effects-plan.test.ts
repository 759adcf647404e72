import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { policySchema } from "../config/guard-schema.js";
import type { ToolAnnotations } from "../sources/tool-source.js";
import { planEffects, scanToolCalls } from "./effects-plan.js";
import { Policy } from "./policy.js";

const servers = new Set(["memory", "files"]);
const scan = (code: string) => scanToolCalls(ts, code, servers);

const tool = (id: string, annotations?: ToolAnnotations): CatalogTool => {
  const [server = "", name = ""] = id.split(".");
  return { server, tool: name, id, sourceName: server, spec: { name, inputSchema: { type: "object" }, ...(annotations ? { annotations } : {}) } };
};
const tools = [
  tool("memory.read_graph", { readOnlyHint: true }),
  tool("memory.create_entities", { readOnlyHint: false, destructiveHint: false }),
  tool("memory.delete_entities", { readOnlyHint: false, destructiveHint: true }),
  tool("files.write_file", { readOnlyHint: false, destructiveHint: true }),
];
const resolve = (server: string, name: string): CatalogTool | undefined => tools.find((t) => t.server === server && t.tool === name);
const policy = new Policy(policySchema.parse({ allow: ["memory", "files"] }));

describe("scanToolCalls", () => {
  it("finds member, element and imported calls with literal arguments", () => {
    const found = scan(`
      import { delete_entities as del } from "./servers/memory";
      import * as fs from "./servers/files";
      await memory.create_entities({ entities: [{ name: "a", entityType: "t", observations: [] }] });
      await memory["read_graph"]();
      await del({ entityNames: ["x", "y"] });
      await fs.write_file({ path: "/tmp/a", content: "hi", n: -1, ok: true, none: null });`);
    expect(found.dynamic).toEqual([]);
    expect(found.sites.map((s) => [s.server, s.tool, s.arguments, s.repeats])).toEqual([
      ["memory", "create_entities", { entities: [{ name: "a", entityType: "t", observations: [] }] }, false],
      ["memory", "read_graph", {}, false],
      ["memory", "delete_entities", { entityNames: ["x", "y"] }, false],
      ["files", "write_file", { path: "/tmp/a", content: "hi", n: -1, ok: true, none: null }, false],
    ]);
  });

  it("marks computed arguments and call sites in loops or functions", () => {
    const found = scan(`
      const names = ["a", "b"];
      for (const n of names) await memory.delete_entities({ entityNames: [n] });
      await Promise.all(names.map((n) => files.write_file({ path: n, content: "" })));
      await memory.create_entities({ entities, ...more });`);
    expect(found.dynamic).toEqual([]);
    expect(found.sites.map((s) => [s.tool, s.arguments === undefined ? "dynamic" : "static", s.repeats])).toEqual([
      ["delete_entities", "dynamic", true],
      ["write_file", "dynamic", true],
      ["create_entities", "dynamic", false],
    ]);
  });

  it.each([
    ["computed member", `const t = "delete_entities"; await memory[t]({});`],
    ["aliased namespace", `const m = memory; await m.delete_entities({});`],
    ["namespace passed on", `await run(memory);`],
    ["aliased tool", `const d = memory.delete_entities; await d({});`],
    ["globalThis", `await globalThis["mem" + "ory"].delete_entities({});`],
    ["eval", `await eval("memory").delete_entities({});`],
    ["require", `await require("./servers/memory").delete_entities({});`],
    ["dynamic import", `const m = await import("./servers/memory");`],
    ["shadowing", `const memory = { delete_entities: async () => 1 }; await memory.delete_entities({});`],
  ])("reports dynamic tool access: %s", (_what, code) => {
    expect(scan(code).dynamic).not.toEqual([]);
  });

  it("ignores property names and keys that look like servers", () => {
    const found = scan(`const x = { memory: 1 }; console.log(x.memory, state.files); await memory.read_graph();`);
    expect(found.dynamic).toEqual([]);
    expect(found.sites).toHaveLength(1);
  });

  it("notes skills", () => {
    expect(scan(`await skills.cleanup.run();`).usesSkills).toBe(true);
    expect(scan(`import { run } from "./skills/cleanup"; await run();`).usesSkills).toBe(true);
  });
});

describe("planEffects", () => {
  it("keeps write and destructive calls with their decision, drops reads and unknown tools", async () => {
    const plan = planEffects(
      `await memory.read_graph(); await memory.create_entities({ entities: [] }); await memory.delete_entities({ entityNames: ["a"] }); await memory.nope({});`,
      servers,
      resolve,
      policy,
    );
    expect(plan).toEqual({
      ok: true,
      notes: [],
      calls: [
        { tool: "memory.create_entities", arguments: { entities: [] }, needsApproval: false, line: 1 },
        { tool: "memory.delete_entities", arguments: { entityNames: ["a"] }, needsApproval: true, line: 1 },
      ],
    });
  });

  it("gives no plan for dynamic access, saying why", async () => {
    const plan = planEffects(`const t = "delete_entities"; await memory[t]({});`, servers, resolve, policy);
    expect(plan).toMatchObject({ ok: false, reason: expect.stringContaining("computed member memory[…] (line 1)") });
  });
});
