/**
 * Type-checking scripts before they run, against the real server-memory's declarations: a
 * misspelt argument or tool stops the run with GUEST_TYPE_ERROR (line:column, no tool called);
 * ordinary model-written JavaScript (unknown results, implicit any, top-level return and await)
 * runs; `warn` reports without stopping; `off` skips; a check past its budget lets the script
 * run unchecked.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecuteOptions, type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ExecuteResult } from "../../src/execute/execute-result.js";
import { servers, tempDir } from "../helpers.js";

describe("type-check before run", () => {
  let tc: Toolcode;
  let memoryFile: string;
  const calls: string[] = [];

  /** Executes once the checker is warm (the first scripts of an instance may run unchecked while it loads). */
  const checked = async (code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const warm = await tc.execute("return 0;", { typeCheck: "warn" });
      if (warm.metadata.typeCheck?.skipped === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return tc.execute(code, { onToolCall: (tool) => calls.push(tool), ...options });
  };

  beforeAll(async () => {
    const dir = tempDir();
    memoryFile = path.join(dir, "memory.jsonl");
    tc = await createToolcode({
      config: {
        mcpServers: { memory: servers.memory(memoryFile) },
        policy: { allow: ["memory"], approveDestructive: false },
        sandbox: { isolation: "thread", timeoutMs: 20_000, typeCheck: "error", typeCheckTimeoutMs: 10_000 },
      },
      cwd: dir,
    });
  });

  afterAll(async () => {
    await tc.close();
  });

  it("a misspelt argument name: GUEST_TYPE_ERROR at its line:column, and no tool is called", async () => {
    calls.length = 0;
    const code = `await memory.create_entities({ entities: [{ name: "A", entityType: "t", observations: [] }] });\nawait memory.delete_entities({ entityNmes: ["A"] });`;
    const run = await checked(code);
    expect(run.error?.code).toBe("GUEST_TYPE_ERROR");
    expect(run.error?.line).toBe(2);
    expect(run.error?.column).toBe(32);
    expect(run.error?.message).toContain("script.ts:2:32 - error TS2561");
    expect(run.error?.message).toContain("entityNames");
    expect(run.text).toContain("GUEST_TYPE_ERROR");
    expect(calls).toEqual([]);
    expect(existsSync(memoryFile) ? readFileSync(memoryFile, "utf8") : "").not.toContain('"A"');
    expect(run.metadata.typeCheck?.errors.map((d) => d.code)).toEqual(["TS2561"]);
  });

  it("a misspelt tool: GUEST_TYPE_ERROR that suggests the right name", async () => {
    const run = await checked("const g = await memory.read_grap({});\nreturn g;");
    expect(run.error?.code).toBe("GUEST_TYPE_ERROR");
    expect(run.error?.message).toContain("Did you mean 'read_graph'?");
    expect(run.error?.line).toBe(1);
  });

  it("a wrong argument type and a missing required argument are stopped too", async () => {
    const wrongType = await checked(`await memory.open_nodes({ names: "Ada" });`);
    expect(wrongType.error?.code).toBe("GUEST_TYPE_ERROR");
    const missing = await checked(`await memory.open_nodes({});`);
    expect(missing.error?.code).toBe("GUEST_TYPE_ERROR");
    expect(missing.error?.message).toContain("names");
  });

  it("ordinary model-written JavaScript runs: implicit any, loose locals, top-level await and return", async () => {
    const code = [
      "const graph = await memory.read_graph({});",
      "function names(list) { return list.map((e) => e.name); }",
      "let count = 0;",
      "for (const e of graph.entities) count += e.observations.length;",
      "const x = {}; x.extra = 1;",
      "if (count < 0) return 'never';",
      "return { names: names(graph.entities), count, extra: x.extra };",
    ].join("\n");
    const run = await checked(code);
    expect(run.error).toBeNull();
    expect(run.metadata.typeCheck?.mode).toBe("error");
    expect(run.metadata.typeCheck?.errors).toEqual([]);
    // `x.extra` on `{}` is a warning, not an error; the text shows warnings only when the run fails.
    expect(run.metadata.typeCheck?.warnings.some((d) => d.line === 5)).toBe(true);
    expect(run.text).not.toContain("Type-check warnings");
  });

  it("a local mistake outside tool calls is a warning: the run fails at runtime and the text lists it", async () => {
    const run = await checked("const n: number = 'x';\nundefinedFunction();");
    expect(run.error).not.toBeNull();
    expect(run.error?.code).not.toBe("GUEST_TYPE_ERROR");
    expect(run.text).toContain("Type-check warnings");
    expect(run.text).toContain("script.ts:2:1");
  });

  it("warn (per call) reports the misspelt argument and runs the script", async () => {
    calls.length = 0;
    const run = await checked(`await memory.open_nodes({ nmes: ["Ada"] });`, { typeCheck: "warn" });
    expect(run.error?.code).not.toBe("GUEST_TYPE_ERROR");
    expect(calls).toEqual(["memory.open_nodes"]);
    expect(run.metadata.typeCheck?.warnings.map((d) => d.code)).toContain("TS2561");
  });

  it("off (per call) skips the check", async () => {
    const run = await checked(`await memory.open_nodes({ nmes: ["Ada"] });`, { typeCheck: "off" });
    expect(run.error?.code).not.toBe("GUEST_TYPE_ERROR");
    expect(run.metadata.typeCheck).toBeUndefined();
  });

  it("imports of servers are checked like globals", async () => {
    const run = await checked(`import { open_nodes } from "./servers/memory";\nawait open_nodes({ nams: [] });`);
    expect(run.error?.code).toBe("GUEST_TYPE_ERROR");
    expect(run.error?.line).toBe(2);
  });
});
