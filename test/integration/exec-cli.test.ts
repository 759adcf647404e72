import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TWO_SERVER_LINE, notesDir, servers, tempDir, toolcode, twoServerScript, writeConfig } from "../helpers.js";

describe("toolcode exec against real MCP servers", () => {
  let dir: string;
  let config: string;
  let data: string;

  beforeAll(() => {
    dir = tempDir();
    data = notesDir(dir);
    config = writeConfig(dir, {
      mcpServers: { everything: servers.everything(), files: servers.filesystem(data) },
    });
  });

  it("runs a script that calls two everything tools and one filesystem tool, filters in code, and prints exactly one line", async () => {
    const script = twoServerScript(data);
    const result = await toolcode(["exec", "--config", config, "-"], { input: script });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${TWO_SERVER_LINE}\n`);
  });

  it("prints the return value as JSON after the logs, and --json prints one object", async () => {
    const script = "console.log('hi');\nreturn { echoed: await everything.echo({ message: 'x' }) };";
    const plain = await toolcode(["exec", "--config", config, "-"], { input: script });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('hi\n{\n  "echoed": "Echo: x"\n}\n');
    const json = await toolcode(["exec", "--json", "--config", config, "-"], { input: script });
    const parsed = JSON.parse(json.stdout) as { result: unknown; logs: string[]; error: unknown; metadata: { toolCalls: number } };
    expect(parsed).toMatchObject({ result: { echoed: "Echo: x" }, logs: ["hi"], error: null });
    expect(parsed.metadata.toolCalls).toBe(1);
  });

  it("reads a script file, and exits 1 with the code and line of a guest error on stderr", async () => {
    const file = path.join(dir, "fail.ts");
    writeFileSync(file, "const x: number = 1;\nconsole.log('before');\nthrow new Error('boom');\n");
    const result = await toolcode(["exec", "--config", config, file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("before\n");
    expect(result.stderr).toContain("GUEST_ERROR");
    expect(result.stderr).toContain("boom");
    expect(result.stderr).toContain("line 3");
  });

  it("lists valid tool names when the script calls an unknown tool", async () => {
    const result = await toolcode(["exec", "--json", "--config", config, "-"], { input: "await everything.get_summ({ a: 1, b: 2 });" });
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    // The type-check names it before the run ("Did you mean 'get_sum'?"); the bridge does if the check was skipped.
    expect(["GUEST_TYPE_ERROR", "TOOL_NOT_FOUND"]).toContain(parsed.error.code);
    expect(parsed.error.message).toContain("get_sum");
  });

  it("search ranks tools and types prints declarations", async () => {
    const search = await toolcode(["search", "--config", config, "--json", "add two numbers sum"]);
    expect(search.code).toBe(0);
    const ranked = JSON.parse(search.stdout) as { id: string }[];
    expect(ranked[0]?.id).toBe("everything.get_sum");
    const types = await toolcode(["types", "--config", config, "everything"]);
    expect(types.code).toBe(0);
    expect(types.stdout).toContain("declare namespace everything");
    expect(types.stdout).toMatch(/function get_sum\(/);
    const tree = await toolcode(["types", "--config", config, "--list"]);
    expect(tree.stdout.split("\n")).toContain("servers/files/index.d.ts");
    expect(tree.stdout.split("\n")).toContain("servers/everything/get_sum.d.ts");
  });

  it("fails with CONFIG_INVALID naming the key path, exit 2", async () => {
    const bad = writeConfig(dir, { mcpServers: { x: { command: "node", args: "oops" } } }, "bad.json");
    const result = await toolcode(["exec", "--config", bad, "-"], { input: "return 1" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("CONFIG_INVALID");
    expect(result.stderr).toContain("mcpServers.x.args");
  });

  it("keeps working when one server cannot start, and says which", async () => {
    const mixed = writeConfig(dir, { mcpServers: { broken: { command: "definitely-not-a-command-xyz" }, everything: servers.everything() } }, "mixed.json");
    const result = await toolcode(["exec", "--config", mixed, "-"], { input: "return await everything.echo({ message: 'still here' })" });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('"Echo: still here"\n');
    expect(result.stderr).toContain("SOURCE_UNAVAILABLE");
    expect(result.stderr).toContain("mcpServers.broken");
  });
});
