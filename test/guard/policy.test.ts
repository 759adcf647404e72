/**
 * Least privilege with real MCP servers: under the default `read-only` policy, write and
 * destructive tools are absent from search, declarations, the virtual tree, the MCP resources
 * and the guest's globals; calling one anyway gets POLICY_DENIED naming the config key that
 * would allow it, checked in the host on every call.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import { servers, tempDir } from "../helpers.js";
import { auditRecords } from "./helpers.js";

const WRITE_TOOLS = ["files.write_file", "files.edit_file", "files.create_directory", "files.move_file", "memory.create_entities", "memory.create_relations", "memory.add_observations", "memory.delete_entities", "memory.delete_observations", "memory.delete_relations"];

describe("read-only by default", () => {
  let tc: Toolcode;
  let data: string;
  let auditFile: string;

  beforeAll(async () => {
    const dir = tempDir();
    data = path.join(dir, "data");
    mkdirSync(data);
    writeFileSync(path.join(data, "hello.txt"), "hello\n");
    auditFile = path.join(dir, "audit.jsonl");
    tc = await createToolcode({
      config: { mcpServers: { files: servers.filesystem(data), memory: servers.memory(path.join(dir, "memory.jsonl")) }, audit: { file: auditFile } },
    });
    expect(tc.failures).toEqual([]);
  });

  afterAll(async () => {
    await tc.close();
  });

  it("keeps only read tools in the catalog, search, declarations and the virtual tree", () => {
    const ids = tc.catalog.tools().map((t) => t.id);
    expect(ids).toContain("files.read_text_file");
    expect(ids).toContain("memory.read_graph");
    for (const id of WRITE_TOOLS) expect(ids).not.toContain(id);
    const search = tc.search("write edit move create delete file entities", { limit: 50, detail: "full" });
    for (const id of WRITE_TOOLS) expect(search.results.map((r) => r.id)).not.toContain(id);
    const types = tc.types();
    for (const id of WRITE_TOOLS) expect(types).not.toContain(`function ${id.split(".")[1]}(`);
    expect(tc.virtualPaths()).not.toContain("servers/files/write_file.d.ts");
    expect(tc.virtualFile("servers/files/write_file.d.ts")).toBeUndefined();
    expect(tc.virtualFile("servers/files/index.d.ts")).not.toContain("write_file");
  });

  it("hides them from the MCP resources too", async () => {
    const server = createMcpServer(tc);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: "policy-test", version: "1" });
    await client.connect(clientTransport);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.name)).toContain("servers/files/read_text_file.d.ts");
    expect(resources.map((r) => r.name)).not.toContain("servers/files/write_file.d.ts");
    const all = await Promise.all(resources.filter((r) => r.name.endsWith("index.d.ts")).map((r) => client.readResource({ uri: r.uri })));
    expect(JSON.stringify(all)).not.toContain("delete_entities");
    await client.close();
  });

  it("the guest's server objects list no denied tool", async () => {
    const run = await tc.execute("return { files: Object.keys(files), memory: Object.keys(memory), has: 'write_file' in files };");
    expect(run.error).toBeNull();
    const value = run.result as { files: string[]; memory: string[]; has: boolean };
    expect(value.files).toContain("read_text_file");
    expect(value.files).not.toContain("write_file");
    expect(value.memory).toEqual(["read_graph", "search_nodes", "open_nodes"]);
    expect(value.has).toBe(false);
    const unknown = await tc.execute("return await memory.no_such_tool({});");
    // Caught by the type-check before the run, or by the bridge when the checker is still warming up.
    expect(["GUEST_TYPE_ERROR", "TOOL_NOT_FOUND"]).toContain(unknown.error?.code);
    expect(unknown.error?.message).not.toContain("delete_entities");
  });

  it("a denied call fails with POLICY_DENIED naming the config key, and nothing runs", async () => {
    const target = path.join(data, "written.txt");
    const run = await tc.execute(`await files.write_file({ path: ${JSON.stringify(target)}, content: "x" });`);
    expect(run.error?.code).toBe("POLICY_DENIED");
    expect(run.error?.message).toContain('policy.allow: ["files.write_file"]');
    expect(existsSync(target)).toBe(false);
    const imported = await tc.execute(`import { delete_entities } from "./servers/memory";\ntry { await delete_entities({ entityNames: ["x"] }); } catch (e) { return [e.code, e.details.allowWith]; }`);
    expect(imported.result).toEqual(["POLICY_DENIED", 'policy.allow: ["memory.delete_entities"]']);
    const denied = auditRecords(auditFile).filter((r) => r.type === "call" && r.decision === "deny");
    expect(denied.map((r) => (r.type === "call" ? [r.tool, r.rule, r.error] : []))).toEqual([
      ["files.write_file", 'policy.default "read-only"', "POLICY_DENIED"],
      ["memory.delete_entities", 'policy.default "read-only"', "POLICY_DENIED"],
    ]);
  });
});

describe("policy patterns", () => {
  it("allow, approve and deny by source and tool globs; unmatched patterns are warnings", async () => {
    expect(() => parseConfig({ policy: { allow_typo: [] } })).toThrow(/policy\.allow_typo: unknown key/);
    expect(() => parseConfig({ policy: { allow: ["file-system/write"] } })).toThrow(/policy\.allow\[0\]: a "<source>\.<tool>" pattern/);
    expect(() => parseConfig({ privacy: { tokenize: ["emails"] } })).toThrow(/privacy\.tokenize\[0\]/);
    const dir = tempDir();
    const ok = await createToolcode({
      config: {
        mcpServers: { files: servers.filesystem(dir), memory: servers.memory(path.join(dir, "memory.jsonl")) },
        policy: { allow: ["files.create_directory", "memory", "fils.*"], deny: ["*.delete_relations", "files.read_media_file"], approve: ["memory.add_*"] },
      },
    });
    try {
      const ids = ok.catalog.tools().map((t) => t.id);
      expect(ids).toContain("files.create_directory");
      expect(ids).not.toContain("files.write_file");
      expect(ids).not.toContain("files.read_media_file");
      expect(ids).toContain("memory.delete_entities");
      expect(ids).not.toContain("memory.delete_relations");
      expect(ok.warnings).toEqual(['policy.allow[2] "fils.*" matches no tool; check the <source>.<tool> names with `toolcode search`.']);
      const made = await ok.execute(`await files.create_directory({ path: ${JSON.stringify(path.join(dir, "made"))} }); return "ok";`);
      expect(made.error).toBeNull();
      expect(existsSync(path.join(dir, "made"))).toBe(true);
      const denied = await ok.execute(`await memory.delete_relations({ relations: [] });`);
      expect(denied.error?.code).toBe("POLICY_DENIED");
      expect(denied.error?.message).toContain('policy.deny[0] "*.delete_relations"');
      const approve = await ok.execute(`await memory.add_observations({ observations: [] });`);
      expect(approve.error?.code).toBe("APPROVAL_REQUIRED");
    } finally {
      await ok.close();
    }
  });
});
