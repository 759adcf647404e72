/**
 * Pathological texts against output accounting: 100 KB runs without pre-token breaks (one
 * letter, CJK without punctuation, zero-width spaces, spaces) read through a real MCP server,
 * logged and returned. Each is counted (exactly, within the per-execution budget), the run
 * succeeds, and a benign session running at the same time gets its answer.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
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
