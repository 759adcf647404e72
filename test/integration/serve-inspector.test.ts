/**
 * The real MCP Inspector CLI against `toolcode serve` over stdio.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, run, servers, tempDir, writeConfig } from "../helpers.js";

const INSPECTOR = path.join(ROOT, "node_modules", "@modelcontextprotocol", "inspector-cli", "build", "index.js");

describe("toolcode serve (stdio) with the MCP Inspector CLI", () => {
  let cwd: string;
  let config: string;
  let data: string;

  beforeAll(() => {
    // inspector-cli 1.0.3 reads ../package.json relative to its working directory.
    const base = tempDir();
    writeFileSync(path.join(base, "package.json"), "{}");
    cwd = path.join(base, "work");
    data = path.join(cwd, "data");
    mkdirSync(data, { recursive: true });
    for (const name of ["x.md", "y.md", "z.txt"]) writeFileSync(path.join(data, name), name);
    config = writeConfig(cwd, { mcpServers: { everything: servers.everything(), files: servers.filesystem(data) } });
  });

  const inspect = (args: string[]) => run(process.execPath, [INSPECTOR, process.execPath, CLI, "serve", ...args, "--", "--config", config], { cwd });

  it("lists exactly search and execute, with descriptions that teach the API", async () => {
    const result = await inspect(["--method", "tools/list"]);
    expect(result.code).toBe(0);
    const { tools } = JSON.parse(result.stdout) as { tools: { name: string; description: string; inputSchema: { properties: Record<string, unknown> } }[] };
    expect(tools.map((t) => t.name).sort()).toEqual(["execute", "search"]);
    const execute = tools.find((t) => t.name === "execute");
    expect(execute?.description).toContain("await server.tool(");
    expect(Object.keys(execute?.inputSchema.properties ?? {})).toContain("code");
    expect(tools.find((t) => t.name === "search")?.description).toContain("everything (");
  });

  it("runs a filtering script through tools/call execute and returns only its output", async () => {
    const code = [
      `const { content: listing } = await files.list_directory({ path: ${JSON.stringify(data)} });`,
      "const md = listing.split('\\n').filter((l) => l.endsWith('.md'));",
      "const sum = await everything.get_sum({ a: md.length, b: 40 });",
      "console.log(sum);",
    ].join("\n");
    const result = await inspect(["--method", "tools/call", "--tool-name", "execute", "--tool-arg", `code=${code}`]);
    expect(result.code).toBe(0);
    const response = JSON.parse(result.stdout) as { content: { type: string; text: string }[]; structuredContent: unknown; isError?: boolean };
    expect(response.isError).toBeFalsy();
    expect(response.content).toEqual([{ type: "text", text: "The sum of 2 and 40 is 42." }]);
    expect(response.structuredContent).toMatchObject({ logs: ["The sum of 2 and 40 is 42."], error: null, truncated: false });
  });

  it("returns guest errors as a result with isError, and keeps serving", async () => {
    const result = await inspect(["--method", "tools/call", "--tool-name", "execute", "--tool-arg", "code=const a = 1;\nnull.x;"]);
    expect(result.code).toBe(0);
    const response = JSON.parse(result.stdout) as { content: { text: string }[]; structuredContent: { error: { code: string; line: number } }; isError: boolean };
    expect(response.isError).toBe(true);
    expect(response.structuredContent.error.code).toBe("GUEST_ERROR");
    expect(response.structuredContent.error.line).toBe(2);
    expect(response.content[0]?.text).toContain("GUEST_ERROR");
  });

  it("answers search through tools/call", async () => {
    const result = await inspect(["--method", "tools/call", "--tool-name", "search", "--tool-arg", "query=echo message"]);
    expect(result.code).toBe(0);
    const response = JSON.parse(result.stdout) as { content: { text: string }[] };
    expect(response.content[0]?.text).toContain("everything.echo");
  });

  it("serves the virtual tree as resources", async () => {
    const list = await inspect(["--method", "resources/list"]);
    expect(list.code).toBe(0);
    const { resources } = JSON.parse(list.stdout) as { resources: { uri: string }[] };
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain("toolcode://servers/everything/index.d.ts");
    expect(uris).toContain("toolcode://servers/files/read_text_file.d.ts");
    const read = await inspect(["--method", "resources/read", "--uri", "toolcode://servers/everything/index.d.ts"]);
    expect(read.code).toBe(0);
    const { contents } = JSON.parse(read.stdout) as { contents: { text: string }[] };
    expect(contents[0]?.text).toContain("declare namespace everything");
  });
});
