/**
 * Pathological texts against output accounting: 100 KB runs without pre-token breaks (one
 * letter, CJK without punctuation, zero-width spaces, spaces) read through a real MCP server,
 * logged and returned. Each is counted (exactly, within the per-execution budget), the run
 * succeeds, and a benign session running at the same time gets its answer. And pathological
 * search queries: a 1 MB one-word query is refused with SEARCH_LIMIT (library and MCP), and
 * queries within the limit made of the same runs answer without growing the process.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import { servers, tempDir } from "../helpers.js";

const TEXTS: Record<string, string> = {
  letter: "a".repeat(100_000),
  cjk: "漢字仮名交じり文".repeat(12_500),
  zeroWidth: "\u200b".repeat(100_000),
  spaces: " ".repeat(100_000),
  mixedRuns: `${"x".repeat(30_000)}${"\u200b".repeat(30_000)}${"日".repeat(30_000)}${"\t".repeat(10_000)}`,
};

describe("pathological text in tool results, logs and return values", () => {
  let tc: Toolcode;
  let data: string;

  beforeAll(async () => {
    data = tempDir("toolcode-patho-");
    for (const [name, text] of Object.entries(TEXTS)) writeFileSync(path.join(data, `${name}.txt`), text);
    tc = await createToolcode({ config: { mcpServers: { files: servers.filesystem(data) }, sandbox: { timeoutMs: 20_000 }, output: { countTimeoutMs: 30_000 } }, cwd: data });
  });

  afterAll(async () => {
    await tc.close();
  });

  for (const name of Object.keys(TEXTS)) {
    it(`counts a 100 KB ${name} tool result, log and return value; a concurrent benign session answers`, async () => {
      const file = JSON.stringify(path.join(data, `${name}.txt`));
      const attacker = tc.execute(`const { content } = await files.read_text_file({ path: ${file} }); console.log(content); return content;`, { sessionId: `attacker-${name}` });
      const victim = tc.execute("return 1", { sessionId: `victim-${name}` });
      const [hostile, benign] = await Promise.all([attacker, victim]);
      expect(benign.error).toBeNull();
      expect(benign.result).toBe(1);
      expect(benign.metadata.tokens.estimated).toBe(false);
      expect(hostile.error).toBeNull();
      expect(hostile.metadata.tokens.estimated).toBe(false);
      expect(hostile.metadata.tokens.output).toBeLessThanOrEqual(2000);
      expect(hostile.metadata.tokens.toolResults).toBeGreaterThan(0);
      // A space run compresses to ~128 spaces a token and fits the budget; the others are cut and spilled.
      if (name !== "spaces") expect(hostile.metadata.spilled.result).toBeDefined();
    });
  }

  it("estimates, and says so, when one execution's text is over output.exactCountChars", async () => {
    const file = JSON.stringify(path.join(data, "cjk.txt"));
    const run = await tc.execute(`let n = 0; for (let i = 0; i < 6; i++) n += (await files.read_text_file({ path: ${file} })).content.length; return n;`);
    expect(run.error).toBeNull();
    expect(run.result).toBe(600_000);
    expect(run.metadata.tokens.estimated).toBe(true);
    expect(run.metadata.tokens.toolResults).toBeGreaterThan(500_000);
  });
});

describe("pathological search queries", () => {
  let tc: Toolcode;
  let client: Client;

  beforeAll(async () => {
    const data = tempDir("toolcode-patho-search-");
    tc = await createToolcode({ config: { mcpServers: { files: servers.filesystem(data) } }, cwd: data });
    const server = createMcpServer(tc);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    client = new Client({ name: "attacker", version: "1" });
    await client.connect(clientTransport);
  });

  afterAll(async () => {
    await client?.close();
    await tc?.close();
  });

  it("refuses a 1 MB one-word query with SEARCH_LIMIT; the next query answers", async () => {
    expect(() => tc.search("a".repeat(1_000_000))).toThrow(expect.objectContaining({ code: "SEARCH_LIMIT" }));
    const attacked = await client.callTool({ name: "search", arguments: { query: "a".repeat(1_000_000) } });
    expect(attacked.isError).toBe(true);
    expect(JSON.stringify(attacked.content)).toContain("Error SEARCH_LIMIT");
    expect(JSON.stringify(attacked.content)).toContain("search.maxQueryChars");
    const victim = await client.callTool({ name: "search", arguments: { query: "read file" } });
    expect(victim.isError).toBeFalsy();
    expect(JSON.stringify(victim.content)).toContain("read_text_file");
  });

  it("answers queries at the limit made of runs without breaks, with the process bounded", async () => {
    const before = process.memoryUsage().rss;
    for (const query of ["a".repeat(1000), "漢".repeat(1000), "\u200b".repeat(1000), " ".repeat(1000), "ab".repeat(500), Array.from({ length: 120 }, (_, i) => `reed${i}`).join(" ")]) {
      expect(Array.isArray(tc.search(query).results)).toBe(true);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});
