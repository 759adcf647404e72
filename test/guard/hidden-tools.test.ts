/**
 * What the policy hides is said, with the real embedded default servers (server-filesystem +
 * server-memory): `search`, `types` and the `execute` description count the hidden tools; a
 * query that matches hidden tools names them with the config key that allows them; explicitly
 * denied tools are named as denied, never as something to enable; `policy.revealHidden: false`
 * leaves counts only.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfigInput } from "../../src/config/default-config.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import { tempDir } from "../helpers.js";

/** The embedded default's servers for `dir`, with a policy. */
function defaultWith(dir: string, policy: NonNullable<ConfigInput["policy"]>): ConfigInput {
  return { ...defaultConfigInput(dir), policy };
}

/** Text of one MCP tool call. */
function text(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as { type: string; text: string }[]).map((part) => part.text).join("\n");
}

describe("hidden tools under the read-only default", () => {
  let tc: Toolcode;
  let everything: Toolcode;
  let client: Client;

  beforeAll(async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "package.json"), '{ "name": "demo" }\n');
    writeFileSync(path.join(dir, "notes.md"), "# notes\n");
    [tc, everything] = await Promise.all([createToolcode({ cwd: dir }), createToolcode({ cwd: dir, config: defaultWith(dir, { default: "allow-all" }) })]);
    expect(tc.failures).toEqual([]);
    const server = createMcpServer(tc);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    client = new Client({ name: "hidden-test", version: "1" });
    await client.connect(clientTransport);
  });

  afterAll(async () => {
    await client?.close();
    await Promise.all([tc?.close(), everything?.close()]);
  });

  it("counts exactly the tools the policy takes away", () => {
    const all = everything.catalog.tools().map((t) => t.id);
    const visible = tc.catalog.tools().map((t) => t.id);
    const hidden = tc.hidden.tools.map((h) => h.tool.id);
    expect(hidden.length).toBeGreaterThan(0);
    expect([...visible, ...hidden].sort()).toEqual([...all].sort());
    expect(hidden).toContain("filesystem.write_file");
    expect(hidden).toContain("memory.create_entities");
    expect(tc.hidden.tools.every((h) => h.reason === "off")).toBe(true);
  });

  it("the search and execute descriptions say how many are off and which key enables them", async () => {
    const { tools } = await client.listTools();
    const search = tools.find((t) => t.name === "search")?.description ?? "";
    const execute = tools.find((t) => t.name === "execute")?.description ?? "";
    const count = `${tc.hidden.count} write tools are off under the read-only policy`;
    for (const description of [search, execute]) {
      expect(description).toContain(count);
      expect(description).toContain('policy.allow: ["filesystem.write_file"]');
    }
  });

  it("a query matching hidden tools names them and the config key; one that does not stays quiet", async () => {
    const write = text(await client.callTool({ name: "search", arguments: { query: "write a file", detail: "names" } }));
    expect(write).toContain("Hidden by the policy, not callable now: ");
    expect(write).toMatch(/policy\.allow: \[[^\]]*"filesystem\.write_file"/);
    const memory = text(await client.callTool({ name: "search", arguments: { query: "create entities in the knowledge graph" } }));
    expect(memory).toContain("memory.create_entities");
    const read = tc.search("read graph", { limit: 5 }).text;
    expect(read).not.toContain("Hidden by the policy");
    // The visible results are unchanged: hidden tools are only named, never listed as results.
    expect(tc.search("write a file").results.map((r) => r.id)).not.toContain("filesystem.write_file");
  });

  it("an empty query (list tools) ends with the count", () => {
    expect(tc.search("").text).toContain(`${tc.hidden.count} write tools are off`);
    expect(tc.search("", { server: "memory" }).text).toContain(`${tc.hidden.ofServer("memory").length} write tools are off`);
  });

  it("types() says what each server hides", () => {
    const memory = tc.types("memory");
    expect(memory).toContain("// Hidden by the policy: ");
    expect(memory).toMatch(/\/\/ {3}memory: .*create_entities/);
    expect(memory).not.toContain("write_file");
    expect(tc.types()).toMatch(/\/\/ {3}filesystem: .*write_file/);
  });

  it("the policy.allow the message names really enables the tool", async () => {
    const dir = tempDir();
    const allowed = await createToolcode({ cwd: dir, config: defaultWith(dir, { allow: ["filesystem.write_file"] }) });
    try {
      expect(allowed.hidden.count).toBe(tc.hidden.count - 1);
      expect(allowed.search("write a file", { detail: "names" }).text).not.toMatch(/Hidden by the policy[^\n]*filesystem\.write_file/);
      const run = await allowed.execute(`await filesystem.write_file({ path: ${JSON.stringify(path.join(dir, "out.txt"))}, content: "hi" }); return "ok";`);
      // write_file is destructive: allowed, it still asks for an approval (approveDestructive).
      expect(run.error?.code).toBe("APPROVAL_REQUIRED");
    } finally {
      await allowed.close();
    }
  });
});

describe("denied tools and revealHidden: false", () => {
  let denied: Toolcode;
  let quiet: Toolcode;
  let nothing: Toolcode;

  beforeAll(async () => {
    const dir = tempDir();
    [denied, quiet, nothing] = await Promise.all([
      createToolcode({ cwd: dir, config: defaultWith(dir, { deny: ["memory.delete*"] }) }),
      createToolcode({ cwd: dir, config: defaultWith(dir, { deny: ["memory.delete*"], revealHidden: false }) }),
      createToolcode({ cwd: dir, config: defaultWith(dir, { default: "deny-all" }) }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([denied?.close(), quiet?.close(), nothing?.close()]);
  });

  it("names operator-denied tools as denied, without advice to enable them", () => {
    const reasons = new Map(denied.hidden.tools.map((h) => [h.tool.id, h.reason]));
    expect(reasons.get("memory.delete_entities")).toBe("denied");
    expect(reasons.get("memory.create_entities")).toBe("off");
    const found = denied.search("delete entities", { detail: "names" }).text;
    const line = found.split("\n").find((l) => l.startsWith("Denied by the operator")) ?? "";
    expect(line).toContain("memory.delete_entities");
    expect(line).not.toContain("policy.allow");
    expect(found).not.toMatch(/policy\.allow: \[[^\]]*memory\.delete_entities/);
    expect(denied.hidden.summary()).toContain("3 tools are denied by the operator (policy.deny)");
  });

  it("with revealHidden false, gives counts and never a hidden tool's name", async () => {
    expect(quiet.hidden.count).toBe(denied.hidden.count);
    const summary = quiet.hidden.summary() ?? "";
    expect(summary).toContain(`${quiet.hidden.tools.filter((h) => h.reason === "off").length} write tools are off`);
    expect(summary).toContain("3 tools are denied by the operator");
    const texts = [summary, quiet.search("delete entities").text, quiet.search("write a file").text, quiet.search("").text, quiet.types(), quiet.types("memory")];
    expect(quiet.search("write a file").text).toMatch(/\(\d+ matching tools? (is|are) hidden by the policy\.\)/);
    for (const t of texts) for (const h of quiet.hidden.tools) expect(t).not.toContain(h.tool.id);
    for (const h of quiet.hidden.tools) expect(quiet.types()).not.toMatch(new RegExp(`\\b${h.tool.tool}\\b`));
  });

  it("under deny-all, a server whose every tool is hidden says so instead of 'unknown server'", () => {
    expect(nothing.catalog.tools()).toEqual([]);
    expect(nothing.types("memory")).toMatch(/^\/\/ Hidden by the policy: \d+ tools are off under policy\.default "deny-all"/);
    expect(nothing.search("read graph").text).toContain("memory.read_graph");
    expect(() => nothing.types("no_such_server")).toThrow(/Unknown server/);
  });
});
