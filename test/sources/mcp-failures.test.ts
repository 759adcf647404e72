/**
 * MCP source failure handling against real processes: missing commands, servers that die at
 * startup or mid-call, restarts, tool errors, timeouts, list changes and pagination.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SourceError, ToolError, ToolcodeError } from "../../src/errors.js";
import { connectMcpSource, type McpSource } from "../../src/sources/mcp/mcp-source.js";
import { fixture, recordingLogger, rejection, waitFor } from "./helpers.js";

const node = process.execPath;
const opened: McpSource[] = [];

/** Connects and remembers the source so that afterEach stops it. */
async function open(...args: Parameters<typeof connectMcpSource>): Promise<McpSource> {
  const source = await connectMcpSource(...args);
  opened.push(source);
  return source;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((source) => source.close()));
});

describe("startup failures", () => {
  it("reports a command that does not exist at once, naming the config key", async () => {
    const error = await rejection(connectMcpSource("x", { command: "nope-no-such-command", args: [] }));
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toMatch(
      /^MCP server "x" could not start: command "nope-no-such-command" not found \(ENOENT\)\. Check mcpServers\.x\.command/,
    );
    expect(error.details).toMatchObject({ server: "x", key: "mcpServers.x.command" });
  });

  it("reports a working directory that does not exist", async () => {
    const error = await rejection(connectMcpSource("x", { command: node, args: ["-e", ""], cwd: "/no/such/dir" }));
    expect(error.message).toBe('MCP server "x" could not start: working directory "/no/such/dir" does not exist. Check mcpServers.x.cwd.');
  });

  it("reports a server that exits during startup with its exit code and stderr", async () => {
    const script = "console.error('loading config'); console.error('fatal: MISSING_TOKEN is not set'); process.exit(2)";
    const error = await rejection(connectMcpSource("api", { command: node, args: ["-e", script] }));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toContain('MCP server "api" exited during startup (exit code 2).');
    expect(error.message).toContain("loading config\nfatal: MISSING_TOKEN is not set");
    expect(error.message).toContain("mcpServers.api.command");
    expect(error.details).toMatchObject({ exit: { code: 2, signal: null } });
  });

  it("gives up after startupTimeoutMs on a process that never speaks MCP, and stops it", async () => {
    const error = await rejection(
      connectMcpSource("mute", { command: node, args: ["-e", "console.error('hello?'); setInterval(() => {}, 1000)"], startupTimeoutMs: 500 }),
    );
    expect(error.message).toContain('MCP server "mute" did not complete the MCP handshake within 500 ms.');
    expect(error.message).toContain("hello?");
    expect(error.message).toContain("mcpServers.mute.startupTimeoutMs");
  });
});

describe("a server that crashes", () => {
  const dir = mkdtempSync(join(tmpdir(), "toolcode-crashy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rejects the pending call with SOURCE_CRASHED, then restarts on the next call", async () => {
    const logger = recordingLogger();
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] }, { logger });
    const firstPid = (await source.callTool("pid", {})) as number;

    const error = await rejection(source.callTool("crash", {}));
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe("SOURCE_CRASHED");
    expect(error.message).toContain('MCP server "crashy" exited during a call to crash (exit code 3). Last stderr:');
    expect(error.message).toContain("crashy: fatal: simulated crash in tool handler");
    expect(error.details).toMatchObject({ server: "crashy", tool: "crash", exit: { code: 3 } });

    // Calls arriving together share one restart.
    const [secondPid, ...others] = (await Promise.all([1, 2, 3].map(() => source.callTool("pid", {})))) as number[];
    expect(secondPid).not.toBe(firstPid);
    expect(others).toEqual([secondPid, secondPid]);
    expect(source.restarts).toBe(1);
    expect(logger.messages.some((m) => m.startsWith('warn: MCP server "crashy" exited (exit code 3)'))).toBe(true);
    expect(logger.messages).toContain('warn: MCP server "crashy" is not running; restarting it.');
    expect(await source.callTool("echo", { text: "back again" })).toBe("back again");
  });

  it("restarts a server that died while idle", async () => {
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] }, { logger: recordingLogger() });
    const pid = source.pid as number;
    process.kill(pid, "SIGKILL");
    await waitFor(() => !isAlive(pid));
    expect(await source.callTool("echo", { text: "hi" })).toBe("hi");
    expect(source.restarts).toBe(1);
  });

  it("reports SOURCE_UNAVAILABLE when the restart fails, with the server's stderr", async () => {
    const marker = join(dir, "broken");
    const logger = recordingLogger();
    const source = await open(
      "crashy",
      { command: node, args: [fixture("crashy-server.mjs")], env: { FAIL_START_IF_EXISTS: marker } },
      { logger },
    );
    writeFileSync(marker, "");
    expect((await rejection(source.callTool("crash", {}))).code).toBe("SOURCE_CRASHED");

    const error = await rejection(source.callTool("echo", { text: "hi" }));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toContain('MCP server "crashy" stopped and could not be restarted.');
    expect(error.message).toContain("exited during startup (exit code 1)");
    expect(error.message).toContain(`crashy: cannot start: ${marker} exists`);

    // Within the back-off window the same error comes back without another restart attempt.
    const attempts = (): number => logger.messages.filter((m) => m.includes("is not running; restarting it.")).length;
    const before = attempts();
    const again = await rejection(source.callTool("echo", { text: "hi" }));
    expect(again).toBe(error);
    expect(attempts()).toBe(before);
  });

  it("stops the child process on close", async () => {
    const source = await connectMcpSource("crashy", { command: node, args: [fixture("crashy-server.mjs")] });
    const pid = source.pid as number;
    expect(isAlive(pid)).toBe(true);
    await source.close();
    await waitFor(() => !isAlive(pid));
    await source.close(); // idempotent
    expect((await rejection(source.callTool("echo", { text: "x" }))).message).toBe('MCP server "crashy" has been closed.');
  });
});

describe("tool errors, timeouts and tool lists", () => {
  it("turns isError into ToolError TOOL_ERROR with the server's message", async () => {
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] });
    const error = await rejection(source.callTool("fail", { message: "the widget is broken" }));
    expect(error).toBeInstanceOf(ToolError);
    expect(error.code).toBe("TOOL_ERROR");
    expect(error.message).toBe("the widget is broken");
    expect(error.details).toEqual({ tool: "fail", server: "crashy" });
  });

  it("times out a silent call after callTimeoutMs, and the source keeps working", async () => {
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] }, { callTimeoutMs: 300 });
    const error = await rejection(source.callTool("slow", { ms: 3000 }));
    expect(error.code).toBe("TOOL_ERROR");
    expect(error.message).toBe('The call to slow on MCP server "crashy" timed out after 300 ms without a result or progress. Try smaller inputs, or fewer calls at once.');
    // Progress notifications extend the deadline.
    expect(await source.callTool("slow", { ms: 800, progress: true })).toBe("done");
    expect(await source.callTool("echo", { text: "ok" })).toBe("ok");
  });

  it("shares one AbortSignal across many calls without piling up listeners on it", async () => {
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const { signal } = new AbortController();
      for (let i = 0; i < 30; i++) await source.callTool("echo", { text: String(i) }, { signal });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("rejects with the signal's toolcode error when the execution already aborted", async () => {
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] });
    const controller = new AbortController();
    const reason = new ToolcodeError("SANDBOX_TIMEOUT", "Execution timed out after 30000 ms.");
    controller.abort(reason);
    expect(await rejection(source.callTool("echo", { text: "x" }, { signal: controller.signal }))).toBe(reason);
  });

  it("refreshes the tool list on notifications/tools/list_changed", async () => {
    const source = await open("crashy", { command: node, args: [fixture("crashy-server.mjs")] });
    const seen: string[][] = [];
    source.onToolsChanged((tools) => seen.push(tools.map((tool) => tool.name)));
    expect((await source.listTools()).map((tool) => tool.name)).not.toContain("fresh");

    expect(await source.callTool("add-tool", { name: "fresh" })).toBe("added fresh");
    await waitFor(async () => (await source.listTools()).some((tool) => tool.name === "fresh"));
    expect(seen.at(-1)).toContain("fresh");
    expect(await source.callTool("fresh", {})).toBe("I am fresh");
  });

  it("follows nextCursor to list every tool, and maps JSON-RPC invalid params to INVALID_ARGUMENTS", async () => {
    const source = await open("paged", { command: node, args: [fixture("paged-server.mjs")], env: { PAGE_SIZE: "2", TOOL_COUNT: "5" } });
    expect((await source.listTools()).map((tool) => tool.name)).toEqual(["t1", "t2", "t3", "t4", "t5"]);
    expect(await source.callTool("t5", {})).toBe("t5");

    const error = await rejection(source.callTool("t1", { n: "seven" }));
    expect(error).toBeInstanceOf(ToolError);
    expect(error.code).toBe("INVALID_ARGUMENTS");
    expect(error.message).toBe("Invalid arguments for t1: n must be a number, got string");
    expect(error.details).toMatchObject({ server: "paged", tool: "t1", rpcCode: -32602 });
  });
});
