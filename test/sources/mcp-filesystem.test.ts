/**
 * MCP source against the real `@modelcontextprotocol/server-filesystem` over stdio, on a temp dir.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcpSource, type McpSource } from "../../src/sources/mcp/mcp-source.js";
import { bin, rejection } from "./helpers.js";

describe("server-filesystem over stdio", () => {
  let root: string;
  let data: string;
  let source: McpSource;

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "toolcode-fs-")));
    data = join(root, "data");
    mkdirSync(data);
    writeFileSync(join(data, "hello.txt"), "Hello, toolcode!\nsecond line\n");
    // "./data" is resolved against options.cwd, the way a config file's relative paths are.
    source = await connectMcpSource("files", { command: bin("mcp-server-filesystem"), args: ["./data"] }, { cwd: root });
  });
  afterAll(async () => {
    await source?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("lists its tools with output schemas and annotations", async () => {
    const tools = await source.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["read_text_file", "write_file", "list_directory", "search_files", "list_allowed_directories"]));
    const write = tools.find((tool) => tool.name === "write_file");
    expect(write).toMatchObject({ title: "Write File", annotations: { readOnlyHint: false, destructiveHint: true } });
    expect(write?.outputSchema).toMatchObject({ type: "object", properties: { content: { type: "string" } } });
  });

  it("reads, writes and lists files (structuredContent values)", async () => {
    expect(await source.callTool("read_text_file", { path: join(data, "hello.txt") })).toEqual({
      content: "Hello, toolcode!\nsecond line\n",
    });
    await source.callTool("write_file", { path: join(data, "new.json"), content: '{"written":true}' });
    expect(readFileSync(join(data, "new.json"), "utf8")).toBe('{"written":true}');
    const listing = (await source.callTool("list_directory", { path: data })) as { content: string };
    expect(listing.content).toContain("[FILE] hello.txt");
    expect(listing.content).toContain("[FILE] new.json");
  });

  it("reports access outside the allowed directory as a TOOL_ERROR with the server's message", async () => {
    const error = await rejection(source.callTool("read_text_file", { path: join(root, "..", "etc-passwd") }));
    expect(error.code).toBe("TOOL_ERROR");
    expect(error.message).toMatch(/access denied|outside allowed directories/i);
    expect(error.details).toMatchObject({ server: "files", tool: "read_text_file" });
  });
});
