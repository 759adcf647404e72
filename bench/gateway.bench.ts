/**
 * Gateway overhead: warm `execute` of a trivial script, and per tool-call overhead through the
 * sandbox bridge, against calling the same MCP tool directly through the SDK client, in one run.
 *
 * Run: npm run bench (or npx tsx bench/gateway.bench.ts)
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { createToolcode } from "../src/execute/create-toolcode.js";
import type { ToolSource } from "../src/sources/tool-source.js";
import { BENCH_DIR, fmt, header, timePerCall, writeSection } from "./lib.js";

const EVERYTHING = path.join(BENCH_DIR, "..", "node_modules", ".bin", "mcp-server-everything");
const CALLS = 50;

/** An in-process source whose tool returns its input: isolates the bridge from MCP transport cost. */
const noopSource: ToolSource = {
  name: "local",
  kind: "mcp",
  listTools: async () => [{ name: "noop", inputSchema: { type: "object", properties: { n: { type: "number" } } } }],
  callTool: async (_name, args) => args,
  close: async () => {},
};

async function main(): Promise<void> {
  const direct = new Client({ name: "bench", version: "1" });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING], stderr: "ignore" }));
  const tc = await createToolcode({ config: { mcpServers: { everything: { command: process.execPath, args: [EVERYTHING] } } }, sources: [noopSource] });

  const trivial = await timePerCall(() => tc.execute("return 1"), { iterations: 200 });
  const directCall = await timePerCall(() => direct.callTool({ name: "echo", arguments: { message: "x" } }), { iterations: 200 });
  const loopScript = `for (let i = 0; i < ${CALLS}; i++) await everything.echo({ message: "x" });`;
  const viaSandbox = await timePerCall(() => tc.execute(loopScript), { iterations: 20 });
  const noopScript = `for (let i = 0; i < ${CALLS}; i++) await local.noop({ n: i });`;
  const viaBridge = await timePerCall(() => tc.execute(noopScript), { iterations: 40 });

  const perCallSandbox = (viaSandbox.medianUs - trivial.medianUs) / CALLS;
  const perCallBridge = (viaBridge.medianUs - trivial.medianUs) / CALLS;
  const overhead = perCallSandbox - directCall.medianUs;
  await tc.close();
  await direct.close();

  const rows = [
    ["warm `execute` of `return 1` (transpile + fresh QuickJS context + run)", `${fmt(trivial.medianUs)} µs`],
    ["baseline: `echo` via the SDK client directly (stdio, same server)", `${fmt(directCall.medianUs)} µs`],
    [`\`echo\` from guest code (${CALLS} sequential calls in one execute, per call)`, `${fmt(perCallSandbox)} µs`],
    ["→ overhead per tool call vs the direct SDK call", `${fmt(overhead)} µs (${fmt(perCallSandbox / directCall.medianUs, 2)}× the direct call)`],
    [`bridge only: in-process no-op tool from guest code (${CALLS} calls, per call)`, `${fmt(perCallBridge)} µs`],
  ];
  const table = ["| measurement | median |", "|---|---|", ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join("\n");
  const note = "Median of 5 runs each; per-call figures subtract the trivial execute and divide by the calls. The baseline and toolcode talk to the same server-everything build over stdio.";
  writeSection("gateway", `${header("Gateway overhead (issue #2)", "npm run bench")}\n${table}\n\n${note}`);
  console.log(table);
}

await main();
