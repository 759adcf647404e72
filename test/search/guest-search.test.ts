/**
 * Guest code calls `search(query)` inside `execute` and calls what it found in the same run,
 * against the real filesystem and memory MCP servers.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { servers, tempDir } from "../helpers.js";

let dir: string;
let toolcode: Toolcode;

beforeAll(async () => {
  dir = tempDir("toolcode-guest-search-");
  writeFileSync(path.join(dir, "notes.txt"), "remember the milk\n");
  toolcode = await createToolcode({
    cwd: dir,
    config: {
      mcpServers: { files: servers.filesystem(dir), memory: servers.memory(path.join(dir, "memory.jsonl")) },
      sandbox: { maxToolCalls: 5 },
    },
  });
}, 60_000);

afterAll(async () => {
  await toolcode?.close();
});

describe("search() from guest code", () => {
  it("returns ranked tools as data and the script calls the first one", async () => {
    const run = await toolcode.execute(`
      const hits = await search("show me what a text file says", { limit: 3 });
      const [first] = hits;
      const text = await files[first.tool]({ path: ${JSON.stringify(path.join(dir, "notes.txt"))} });
      return { ids: hits.map((h) => h.id), first, text };
    `);
    expect(run.error).toBeNull();
    const value = run.result as { ids: string[]; first: { id: string; server: string; tool: string; score: number; signature: string }; text: unknown };
    expect(value.ids).toHaveLength(3);
    expect(value.first).toMatchObject({ id: "files.read_text_file", server: "files", tool: "read_text_file" });
    expect(value.first.score).toBeGreaterThan(0);
    expect(value.first.signature).toContain("read_text_file");
    expect(JSON.stringify(value.text)).toContain("remember the milk");
  });

  it("ranks like the search tool, respects server and limit, and counts as a tool call", async () => {
    const outside = toolcode.search("dump everything you remember", { limit: 2 }).results.map((r) => r.id);
    const run = await toolcode.execute(`
      const a = await search("dump everything you remember", { limit: 2 });
      const b = await search("read", { server: "files", limit: 100 });
      return { a: a.map((h) => h.id), b: b.map((h) => h.server), names: (await search("graph", { detail: "names", limit: 1 }))[0].signature };
    `);
    expect(run.error).toBeNull();
    const value = run.result as { a: string[]; b: string[]; names: string };
    expect(value.a).toEqual(outside);
    expect(value.a[0]).toBe("memory.read_graph"); // the default read-only policy hides the write tools from search too
    expect(value.b.length).toBeGreaterThan(0);
    expect(value.b.every((s) => s === "files")).toBe(true);
    expect(value.names).toMatch(/^memory\./);
    expect(run.metadata.toolCalls).toBe(3);
  });

  it("is bounded by sandbox.maxToolCalls like any tool call", async () => {
    const run = await toolcode.execute(`for (let i = 0; i < 10; i++) await search("file"); return "done";`);
    expect(run.error?.code).toBe("TOOL_CALL_LIMIT");
  });

  it("is declared for the model", () => {
    expect(toolcode.virtualPaths()).toContain("search.d.ts");
    expect(toolcode.virtualFile("search.d.ts")).toContain("declare function search(query: string");
  });
});
