/**
 * The library pipeline end to end (config → real MCP servers → catalog → sandbox → result),
 * including every bad input issue #2 names.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { ROOT, servers, tempDir } from "../helpers.js";

describe("gateway pipeline with real MCP servers", () => {
  let tc: Toolcode;
  let data: string;

  beforeAll(async () => {
    const dir = tempDir();
    data = path.join(dir, "data");
    mkdirSync(data);
    writeFileSync(path.join(data, "hello.txt"), "hello world\n");
    tc = await createToolcode({
      config: {
        mcpServers: {
          everything: servers.everything(),
          "file-system": servers.filesystem(data),
          memory: servers.memory(path.join(dir, "memory.jsonl")),
          crashy: { command: process.execPath, args: [path.join(ROOT, "test", "fixtures", "crashy-server.mjs")] },
        },
        // Generous: these tests are about behaviour, not time (the timeout test passes its own).
        sandbox: { timeoutMs: 30_000, memoryMb: 32 },
        policy: { allow: ["memory", "crashy"] },
      },
      cwd: dir,
    });
  });

  afterAll(async () => {
    await tc.close();
  });

  it("connects every server and sanitizes names", () => {
    expect(tc.failures).toEqual([]);
    expect(tc.catalog.serverIds()).toEqual(["everything", "file_system", "memory", "crashy"]);
    expect(tc.catalog.tools().map((t) => t.id)).toContain("everything.get_sum");
  });

  it("turns tool results into values: structuredContent, text, images, JSON", async () => {
    const run = await tc.execute(`
      const weather = await everything.get_structured_content({ location: "Los Angeles" });
      const image = await everything.get_tiny_image();
      const text = await file_system.read_text_file({ path: ${JSON.stringify(path.join(data, "hello.txt"))} });
      await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["wrote code"] }] });
      const graph = await memory.read_graph();
      return { weather, imageType: Array.isArray(image) ? image.map((i) => i.type ?? typeof i) : image.type, text, people: graph.entities.map((e) => e.name) };
    `);
    expect(run.error).toBeNull();
    const value = run.result as { weather: unknown; imageType: unknown; text: unknown; people: string[] };
    expect(value.weather).toEqual({ temperature: 73, conditions: "Sunny / Clear", humidity: 48 });
    expect(JSON.stringify(value.imageType)).toContain("image");
    expect(value.text).toMatchObject({ content: "hello world\n" });
    expect(value.people).toEqual(["Ada"]);
  });

  it("imports servers as modules", async () => {
    const run = await tc.execute('import { echo } from "./servers/everything";\nreturn await echo({ message: "via import" });');
    expect(run.error).toBeNull();
    expect(run.result).toBe("Echo: via import");
  });

  it("surfaces a tool's isError as a catchable ToolError with the server's message", async () => {
    const run = await tc.execute(`
      try { await everything.get_sum({ a: "x", b: 1 }); return "no error"; }
      catch (e) { return { isToolError: e instanceof ToolError, code: e.code, message: e.message }; }
    `, { typeCheck: "off" }); // the server's own validation, not the type-check before the run
    expect(run.error).toBeNull();
    const value = run.result as { isToolError: boolean; code: string; message: string };
    expect(value.isToolError).toBe(true);
    expect(["TOOL_ERROR", "INVALID_ARGUMENTS"]).toContain(value.code);
    expect(value.message).toMatch(/expected number/);
  });

  it("an uncaught tool error fails the run with the server's message", async () => {
    const run = await tc.execute('await everything.get_sum({ a: "x", b: 1 });', { typeCheck: "off" });
    expect(run.error?.code).toMatch(/TOOL_ERROR|INVALID_ARGUMENTS/);
    expect(run.error?.message).toMatch(/expected number/);
  });

  it("unknown server and unknown tool list the valid names", async () => {
    const server = await tc.execute("return await evrything.echo({ message: 'x' });");
    expect(server.error?.code).toBe("SERVER_NOT_FOUND");
    expect(server.error?.message).toContain("everything");
    expect(server.error?.message).toContain("file_system");
    // The runtime's answer (with the type-check on, the misspelt tool is stopped before the run: test/integration/type-check.test.ts).
    const tool = await tc.execute("return await memory.create_entity({});", { typeCheck: "off" });
    expect(tool.error?.code).toBe("TOOL_NOT_FOUND");
    expect(tool.error?.message).toContain("create_entities");
  });

  it("reports syntax errors and thrown errors with the line in the user's code", async () => {
    const syntax = await tc.execute("const a = 1;\nconst b = ;\n");
    expect(syntax.error?.code).toBe("GUEST_SYNTAX_ERROR");
    expect(syntax.error?.line).toBe(2);
    const thrown = await tc.execute("const a: number = 1;\n\nthrow new RangeError('nope ' + a);");
    expect(thrown.error?.code).toBe("GUEST_ERROR");
    expect(thrown.error?.line).toBe(3);
    expect(thrown.error?.message).toContain("RangeError: nope 1");
    expect(thrown.error?.message).not.toContain(ROOT);
  });

  it("stops a spinning script at the deadline while another execution completes", async () => {
    const [spin, quick] = await Promise.all([
      tc.execute("await everything.echo({ message: 'x' }); while (true) {}", { timeoutMs: 1500 }),
      tc.execute("return await everything.echo({ message: 'quick' })"),
    ]);
    expect(spin.error?.code).toBe("SANDBOX_TIMEOUT");
    expect(quick.error).toBeNull();
    expect(quick.result).toBe("Echo: quick");
  });

  it("stops memory exhaustion with SANDBOX_MEMORY and keeps serving", async () => {
    const run = await tc.execute("const a = []; while (true) a.push('x'.repeat(1e5) + a.length);");
    expect(run.error?.code).toBe("SANDBOX_MEMORY");
    const after = await tc.execute("return 1 + 1");
    expect(after.result).toBe(2);
  });

  it("a server that crashes mid-call gives SOURCE_CRASHED, and the next call works", async () => {
    const crashed = await tc.execute("return await crashy.crash({});");
    expect(crashed.error?.code).toBe("SOURCE_CRASHED");
    expect(crashed.error?.message).toContain("crashy");
    const again = await tc.execute("return await crashy.echo({ text: 'back' });");
    expect(again.error).toBeNull();
    expect(again.result).toBe("back");
  });

  it("rejects a non-object argument clearly", async () => {
    const run = await tc.execute("return await everything.echo('hi');", { typeCheck: "off" });
    expect(run.error?.code).toBe("INVALID_ARGUMENTS");
    expect(run.error?.message).toContain("one object argument");
  });

  it("renders declarations and search over all servers", () => {
    expect(tc.types("everything")).toContain("function get_sum(");
    expect(tc.search("read a text file").results[0]?.id).toMatch(/^file_system\.read/);
    expect(() => tc.types("nope")).toThrow(/Available servers: everything, file_system, memory, crashy/);
  });
});

describe("source failures", () => {
  it("one server failing to start leaves the others working, with a clear error naming the config key", async () => {
    const tc = await createToolcode({
      config: { mcpServers: { ghost: { command: "no-such-binary-toolcode" }, everything: servers.everything() } },
    });
    try {
      expect(tc.failures.map((f) => f.name)).toEqual(["ghost"]);
      expect(tc.failures[0]?.error.code).toBe("SOURCE_UNAVAILABLE");
      expect(tc.failures[0]?.error.message).toContain("mcpServers.ghost.command");
      const run = await tc.execute("return await everything.echo({ message: 'ok' })");
      expect(run.result).toBe("Echo: ok");
    } finally {
      await tc.close();
    }
  });
});
