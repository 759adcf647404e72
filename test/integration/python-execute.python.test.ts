/**
 * Python scripts end to end (issue 15, "done when"): one script calling two tools of
 * server-everything and one of server-filesystem, filtering in Python, prints exactly its line
 * through the library, `toolcode exec` (a .py file and --lang python on stdin), `toolcode serve`
 * (an MCP client's `execute` with `language: "python"`) and the agent with a scripted model.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../src/agent/create-agent.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { engineUnavailable } from "../../src/sandbox/create-engine.js";
import { startScriptedServer, textOf } from "../agent/scripted-model-server.js";
import { CLI, run, servers, tempDir, writeConfig } from "../helpers.js";

const skip = engineUnavailable({ engine: "pyodide", isolation: "process" })?.message;

const LINE = "Echo: 2 markdown files | The sum of 2 and 40 is 42.";

describe.skipIf(skip !== undefined)("Python scripts against real MCP servers", { timeout: 180_000 }, () => {
  let dir: string;
  let data: string;
  let config: string;
  let toolcode: Toolcode;
  let script: string;

  beforeAll(async () => {
    dir = tempDir("toolcode-python-");
    data = path.join(dir, "data");
    mkdirSync(data);
    for (const name of ["a.md", "b.md", "c.txt"]) writeFileSync(path.join(data, name), name);
    config = writeConfig(dir, { mcpServers: { everything: servers.everything(), files: servers.filesystem(data) } });
    script = [
      "from servers.everything import get_sum",
      `listing = await files.list_directory(path=${JSON.stringify(data)})`,
      'md = [line for line in listing["content"].split("\\n") if line.startswith("[FILE]") and line.endswith(".md")]',
      'echo = await everything.echo(message=f"{len(md)} markdown files")',
      "total = await get_sum(a=len(md), b=40)",
      'print(echo, "|", total)',
    ].join("\n");
    toolcode = await createToolcode({ configPath: config });
    // The first Python run starts the pool (and, on a fresh checkout, makes the memory snapshot).
    await toolcode.execute("1", { language: "python" });
  }, 300_000);

  afterAll(async () => {
    await toolcode?.close();
  });

  it("through the library: prints exactly its line; tools go through the guard and count", async () => {
    const result = await toolcode.execute(script, { language: "python" });
    expect(result.error).toBeNull();
    expect(result.logs).toEqual([LINE]);
    expect(result.metadata).toMatchObject({ engine: "pyodide", toolCalls: 3 });
  });

  it("search renders Python signatures for Python: the library option and the guest's own search()", async () => {
    const python = await toolcode.search("add two numbers", { language: "python", limit: 3, server: "everything" });
    expect(python.text).toContain("async def everything.get_sum(*, a: float, b: float) -> ");
    expect(python.text).not.toContain("everything.get_sum({");
    const typescript = await toolcode.search("add two numbers", { limit: 3, server: "everything" });
    expect(typescript.text).not.toContain("async def");
    const guest = await toolcode.execute('hits = await search("add two numbers", server="everything", limit=1)\nprint(hits[0]["signature"])', { language: "python" });
    expect(guest.error).toBeNull();
    expect(guest.logs.join("\n")).toContain("async def everything.get_sum(*, a: float, b: float)");
  });

  it("serves typed stubs: servers/<server>/__init__.pyi in the virtual tree", () => {
    expect(toolcode.virtualPaths()).toContain("servers/everything/__init__.pyi");
    const stub = toolcode.virtualFile("servers/everything/__init__.pyi") ?? "";
    expect(stub).toMatch(/class GetSumInput\(TypedDict\):/);
    expect(stub).toMatch(/async def get_sum\(\*, a: (float|int), b: (float|int)\) -> /);
    expect(toolcode.virtualFile("servers/files/__init__.pyi")).toContain("async def list_directory(");
  });

  it("through the library: the default policy denies write tools to Python as to JavaScript", async () => {
    const result = await toolcode.execute(`await files.write_file(path=${JSON.stringify(path.join(data, "x.md"))}, content="x")`, { language: "python" });
    expect(result.error?.code).toBe("POLICY_DENIED");
  });

  it("through the library: workspace and state persist across Python runs of a session", async () => {
    const first = await toolcode.execute('state["n"] = 41\nawait workspace.write("note.txt", "kept")', { language: "python", sessionId: "py-session" });
    expect(first.error).toBeNull();
    const second = await toolcode.execute('[state["n"] + 1, await workspace.read("note.txt")]', { language: "python", sessionId: "py-session" });
    expect(second.error).toBeNull();
    expect(second.result).toEqual([42, "kept"]);
  });

  it("through toolcode exec: a .py file, and --lang python on stdin", async () => {
    const file = path.join(dir, "count.py");
    writeFileSync(file, script);
    const fromFile = await run(process.execPath, [CLI, "exec", "--config", config, file], { cwd: dir, timeoutMs: 120_000 });
    expect(fromFile.stderr).toBe("");
    expect(fromFile.stdout).toBe(`${LINE}\n`);
    expect(fromFile.code).toBe(0);
    const fromStdin = await run(process.execPath, [CLI, "exec", "--config", config, "--lang", "python", "-"], { cwd: dir, input: script, timeoutMs: 120_000 });
    expect(fromStdin.stdout).toBe(`${LINE}\n`);
    expect(fromStdin.code).toBe(0);
  });

  it("through toolcode serve: an MCP client's execute with language python", async () => {
    const client = new Client({ name: "python-test", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "serve", "--config", config], cwd: dir, stderr: "ignore" }));
    try {
      const { tools } = await client.listTools();
      const execute = tools.find((t) => t.name === "execute");
      expect(Object.keys(execute?.inputSchema.properties ?? {})).toContain("language");
      expect(execute?.description).toContain('language: "python"');
      const searchText = async (): Promise<string> => ((await client.callTool({ name: "search", arguments: { query: "add two numbers", server: "everything", limit: 1 } })) as { content: { text: string }[] }).content[0]!.text;
      expect(await searchText()).not.toContain("async def");
      const response = (await client.callTool({ name: "execute", arguments: { code: script, language: "python" } })) as { content: { type: string; text: string }[]; isError?: boolean };
      expect(response.isError).toBeFalsy();
      expect(response.content).toEqual([{ type: "text", text: LINE }]);
      // Once the session writes Python, search answers in Python.
      expect(await searchText()).toContain("async def everything.get_sum(");
    } finally {
      await client.close();
    }
  });

  it("through the agent with a scripted model writing Python", async () => {
    const server = await startScriptedServer([
      { content: `I will count the markdown files and ask the servers.\n\`\`\`python\n${script}\n\`\`\`` },
      { content: '```python\nawait final("2 markdown files; 42")\n```' },
    ]);
    try {
      const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, language: "python" });
      const result = await agent.run("How many markdown files are there? Add 40.");
      expect(result.steps.map((s) => s.error ?? null)).toEqual([null, null]);
      expect(result.status).toBe("final");
      expect(result.answer).toBe("2 markdown files; 42");
      expect(textOf(server.requests[0]?.messages[0])).toContain("```python");
      expect(textOf(server.requests[1]?.messages.at(-1))).toContain(LINE);
    } finally {
      await server.close();
    }
  });

  it("through `toolcode run --lang python` (the built CLI) with a scripted model", async () => {
    const server = await startScriptedServer([
      { content: `\`\`\`python\n${script}\n\`\`\`` },
      { content: '```python\nawait final("2 markdown files; 42")\n```' },
    ]);
    try {
      const env = { ...process.env, OPENAI_API_KEY: "", TOOLCODE_MODEL: "", TOOLCODE_BASE_URL: "" };
      const result = await run(process.execPath, [CLI, "run", "--config", config, "--model", "openai-compatible:scripted", "--base-url", server.baseUrl, "--lang", "python", "How many markdown files? Add 40."], { cwd: dir, env, timeoutMs: 170_000 });
      expect(result.stderr).toContain("│ from servers.everything import get_sum");
      expect(result.stderr).toContain(`→ ${LINE}`);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("2 markdown files; 42\n");
      expect(textOf(server.requests[0]?.messages[0])).toContain("```python");
      const bad = await run(process.execPath, [CLI, "run", "--config", config, "--model", "openai-compatible:scripted", "--base-url", server.baseUrl, "--lang", "python", "--mode", "tools", "x"], { cwd: dir, env, timeoutMs: 60_000 });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('language "python" runs in code mode');
    } finally {
      await server.close();
    }
  });
});
