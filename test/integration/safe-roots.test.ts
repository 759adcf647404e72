/**
 * Safe roots out of the box: `toolcode serve` with the embedded default never exposes `/` or the
 * home directory by accident. Directories come from `--root`, a project working directory, or
 * the MCP roots the client sends (passed on to server-filesystem, which confines itself to them).
 * Real CLI, real server-filesystem, the real MCP SDK client over stdio.
 */
import { existsSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type CallToolResult, ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, tempDir } from "../helpers.js";

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

interface Started {
  client: Client;
  stderr: () => string;
  setRoots: (dirs: string[]) => Promise<void>;
}

/** Starts `toolcode serve` with `args` in `cwd` (HOME: a temp dir), as a client that may declare roots. */
async function serve(cwd: string, args: string[] = [], roots?: string[]): Promise<Started> {
  const home = tempDir("toolcode-home-");
  let current = (roots ?? []).map((dir) => ({ uri: pathToFileURL(dir).href }));
  const client = new Client({ name: "roots-test", version: "1" }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  if (roots) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: current }));
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "serve", ...args], cwd, env: { ...process.env, HOME: home } as Record<string, string>, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await client.connect(transport);
  clients.push(client);
  return {
    client,
    stderr: () => stderr,
    setRoots: async (dirs) => {
      current = dirs.map((dir) => ({ uri: pathToFileURL(dir).href }));
      await client.sendRootsListChanged();
    },
  };
}

async function execute(client: Client, code: string): Promise<string> {
  const response = (await client.callTool({ name: "execute", arguments: { code } })) as CallToolResult;
  return (response.content as { type: string; text: string }[]).map((c) => c.text).join("\n");
}

/** The allowed directories as a JSON array (the tool answers "Allowed directories:\n<dir>\n…"). */
const ALLOWED = 'return (await filesystem.list_allowed_directories()).content.split("\\n").slice(1).filter(Boolean)';

/** Polls (at most 50 times, 100 ms apart) until the allowed directories satisfy `ok`. */
async function allowedUntil(client: Client, ok: (text: string) => boolean): Promise<string> {
  let text = "";
  for (let attempt = 0; attempt < 50; attempt++) {
    text = await execute(client, ALLOWED);
    if (ok(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return text;
}

describe("serve: safe roots", () => {
  it("started from / it exposes nothing, creates no /.toolcode, and says so on stderr", async () => {
    const hadStateDir = existsSync("/.toolcode");
    const { client, stderr } = await serve("/");
    const allowed = await execute(client, ALLOWED);
    expect(JSON.parse(allowed)).toEqual([]);
    const read = await execute(client, 'return await filesystem.read_text_file({ path: "/etc/hostname" })');
    expect(read).toMatch(/TOOL_ERROR|denied|outside/i);
    expect(stderr()).toMatch(/filesystem exposes no directory: \/ is the file system root\. Pass --root DIR/);
    // The client snippet shows where the directory to expose goes.
    expect(stderr()).toContain(`"args":["${CLI}","serve","--root","/path/to/project"]`);
    if (!hadStateDir) expect(existsSync("/.toolcode")).toBe(false);
  });

  it("passes on the MCP roots the client sends, and their changes", async () => {
    const a = realpathSync(tempDir());
    const b = realpathSync(tempDir());
    writeFileSync(path.join(a, "in-a.txt"), "hello from a");
    const { client, stderr, setRoots } = await serve("/", [], [a]);
    expect(await allowedUntil(client, (text) => text.includes(a))).toContain(a);
    expect(await execute(client, `return await filesystem.read_text_file({ path: ${JSON.stringify(path.join(a, "in-a.txt"))} })`)).toContain("hello from a");
    await setRoots([b]);
    const after = await allowedUntil(client, (text) => text.includes(b) && !text.includes(a));
    expect(after).toContain(b);
    expect(after).not.toContain(a);
    expect(stderr()).toContain("MCP roots from the client passed on to the servers");
  });

  it("--root DIR (repeatable) exposes those directories, and the client's roots do not replace them", async () => {
    const a = realpathSync(tempDir());
    const b = realpathSync(tempDir());
    const other = realpathSync(tempDir());
    const { client, stderr } = await serve("/", ["--root", a, "--root", b], [other]);
    const allowed = await allowedUntil(client, (text) => text.includes(a) && text.includes(b));
    expect(allowed).toContain(a);
    expect(allowed).toContain(b);
    expect(allowed).not.toContain(other);
    expect(stderr()).toContain(`filesystem exposes ${a}, ${b} (--root)`);
    expect(stderr()).toContain(`"--root","${a}","--root","${b}"`);
  });

  it("started from a project directory it exposes that directory and keeps state in its .toolcode", async () => {
    const project = realpathSync(tempDir());
    mkdirSync(path.join(project, ".git"));
    const { client, stderr } = await serve(project);
    expect(await execute(client, ALLOWED)).toContain(project);
    expect(stderr()).toContain(`filesystem exposes ${project} (the working directory is a project directory)`);
    expect(stderr()).toContain(`"args":["${CLI}","serve","--root","${project}"]`);
    expect(existsSync(path.join(project, ".toolcode"))).toBe(true);
  });
});
