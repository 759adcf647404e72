/**
 * The "done when", end to end through `toolcode serve` with the real SDK client:
 * a skill saved by one MCP session is found by `search` and imported by a script in a new session
 * after the server restarts; its usage counts are right after concurrent use (sessions of one
 * HTTP server and of a stdio server process sharing the directory); a broken skill is refused
 * with the compiler's error. Also the skill resources and `toolcode skills list|show|remove`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, servers, tempDir, toolcode, writeConfig, servedUrl } from "../helpers.js";
import { SUM_ALL } from "./fixtures.js";

interface Serving {
  child: ChildProcess;
  url: string;
}

async function serveHttp(config: string): Promise<Serving> {
  const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
  const url = await servedUrl(child);
  return { child, url };
}

async function stop(serving: Serving): Promise<void> {
  if (serving.child.exitCode !== null) return;
  const exited = once(serving.child, "exit");
  serving.child.kill("SIGTERM");
  await exited;
}

async function httpClient(url: string, name: string): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function execute(client: Client, code: string): Promise<{ result?: unknown; error: { code: string; message: string } | null; isError: boolean }> {
  const response = (await client.callTool({ name: "execute", arguments: { code } })) as CallToolResult;
  const structured = response.structuredContent as { result?: unknown; error: { code: string; message: string } | null };
  return { ...structured, isError: response.isError === true };
}

function text(response: unknown): string {
  return ((response as CallToolResult).content as { type: string; text: string }[]).map((c) => c.text).join("\n");
}

describe("skills through toolcode serve", () => {
  let dir: string;
  let config: string;
  let first: Serving | undefined;
  let second: Serving | undefined;

  beforeAll(() => {
    dir = tempDir();
    config = writeConfig(dir, { mcpServers: { everything: servers.everything() } });
  });

  afterAll(async () => {
    await Promise.all([first, second].map((s) => (s ? stop(s) : undefined)));
  }, 180_000);

  it("session A saves a skill over MCP; a broken skill is refused with the compiler's error", async () => {
    first = await serveHttp(config);
    const a = await httpClient(first.url, "session-a");
    const saved = await execute(
      a,
      `return await skills.save({ name: "sum-all", description: "Sums a list of numbers with the get_sum tool, one addition at a time.", code: ${JSON.stringify(SUM_ALL)} });`,
    );
    expect(saved).toMatchObject({ error: null, isError: false, result: { name: "sum-all", version: 1 } });

    const broken = await execute(
      a,
      `return await skills.save({ name: "broken", description: "Calls a tool that does not exist.", code: ${JSON.stringify('import { get_product } from "./servers/everything";\nexport const times = (a: number, b: number) => get_product({ a, b });\n')} });`,
    );
    expect(broken.isError).toBe(true);
    expect(broken.error?.code).toBe("SKILL_INVALID");
    expect(broken.error?.message).toContain(`skills/broken/index.ts:1:10 - error TS2305: Module '"./servers/everything"' has no exported member 'get_product'.`);
    await a.close();
    await stop(first);
  }, 180_000);

  it("after a restart, a new session finds the skill with search, reads it as a resource and imports it", async () => {
    second = await serveHttp(config);
    const b = await httpClient(second.url, "session-b");
    const { tools } = await b.listTools();
    expect(tools.find((t) => t.name === "search")?.description).toContain("Saved skills: 1");
    expect(tools.find((t) => t.name === "execute")?.description).toContain("skills.save");

    const found = await b.callTool({ name: "search", arguments: { query: "add up a list of numbers" } });
    expect(text(found)).toContain('Skill: import { sumAll, checkPositive } from "./skills/sum-all"');

    const { resources } = await b.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(["toolcode://skills/sum-all/SKILL.md", "toolcode://skills/sum-all/index.ts", "toolcode://skills/sum-all/index.d.ts"]));
    const skillMd = await b.readResource({ uri: "toolcode://skills/sum-all/SKILL.md" });
    expect(skillMd.contents[0]).toMatchObject({ mimeType: "text/markdown" });
    expect((skillMd.contents[0] as { text: string }).text).toMatch(/^---\nname: sum-all\n/);
    const source = await b.readResource({ uri: "toolcode://skills/sum-all/index.ts" });
    expect((source.contents[0] as { text: string }).text).toBe(SUM_ALL);
    const dts = await b.readResource({ uri: "toolcode://skills/sum-all/index.d.ts" });
    expect((dts.contents[0] as { text: string }).text).toContain("export declare function sumAll(numbers: number[]): Promise<number>;");

    const used = await execute(b, 'import { sumAll } from "./skills/sum-all";\nreturn await sumAll([1, 2, 3]);');
    expect(used).toMatchObject({ error: null, result: 6 });
    await b.close();
  }, 180_000);

  it("usage counts are exact after concurrent use by HTTP sessions and a stdio server process", async () => {
    const script = 'import { sumAll, checkPositive } from "./skills/sum-all";\nconst t = await sumAll([2, 3]);\ntry { checkPositive(-t); } catch {}\nreturn t;';
    const [c, d] = await Promise.all([httpClient(second!.url, "session-c"), httpClient(second!.url, "session-d")]);
    const stdio = new Client({ name: "session-e", version: "1.0.0" });
    await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "serve", "--config", config], cwd: dir, stderr: "ignore" }));
    const runs = await Promise.all([c, d, stdio].flatMap((client) => Array.from({ length: 4 }, () => execute(client, script))));
    expect(runs.map((r) => r.result)).toEqual(Array(12).fill(5));
    await Promise.all([c.close(), d.close(), stdio.close()]);

    const listed = await toolcode(["skills", "list", "--json", "--config", config]);
    expect(listed.code).toBe(0);
    const [report] = JSON.parse(listed.stdout) as { name: string; version: number; usage: Record<string, unknown> }[];
    // Session B's import (1 execution, 1 call) plus 12 concurrent executions with 2 calls (1 failing) each.
    expect(report).toMatchObject({ name: "sum-all", version: 1, usage: { imports: 13, calls: 25, failures: 12, executions: 13 } });
  }, 180_000);

  it("toolcode skills list, show and remove work on the same directory", async () => {
    const table = await toolcode(["skills", "list", "--config", config]);
    expect(table.stdout).toMatch(/^NAME\s+LANGUAGE\s+VERSION\s+IMPORTS\s+CALLS\s+FAILURES\s+HELPED\s+LAST USED\s+DESCRIPTION\nsum-all\s+typescript\s+1\s+13\s+25\s+12\s+13\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+Sums a list/);
    const unused = await toolcode(["skills", "list", "--unused", "30", "--config", config]);
    expect(unused.stdout.trim()).toBe("No skills unused for 30 days.");

    const shown = await toolcode(["skills", "show", "sum-all", "--config", config]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("name: sum-all");
    expect(shown.stdout).toContain("imports 13 · calls 25 · failures 12 · executions helped 13");
    expect(shown.stdout).toContain("export async function sumAll(numbers: number[]): Promise<number> {");

    const missing = await toolcode(["skills", "show", "nope", "--config", config]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error SKILL_NOT_FOUND: No skill "nope". Skills: sum-all.');

    const removed = await toolcode(["skills", "remove", "sum-all", "--config", config]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Removed skill sum-all (version 1) from ${path.join(dir, ".toolcode", "skills", "sum-all")}.`);
    const after = await toolcode(["skills", "list", "--json", "--config", config]);
    expect(JSON.parse(after.stdout)).toEqual([]);

    // The server still running notices the removal by the other process without a restart.
    const f = await httpClient(second!.url, "session-f");
    const found = await f.callTool({ name: "search", arguments: { query: "", server: "skills" } });
    expect(text(found)).toContain("No tools match");
    const gone = await execute(f, 'import { sumAll } from "./skills/sum-all";\nreturn await sumAll([1]);');
    expect(gone.error?.message).toContain("Cannot find module './skills/sum-all'");
    await f.close();
  }, 180_000);
});
