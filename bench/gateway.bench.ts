/**
 * Gateway overhead: warm `execute` of a trivial script, and per tool-call overhead through the
 * sandbox bridge, against calling the same MCP tool directly through the SDK client, in one run.
 *
 * Run: npm run bench (or npx tsx bench/gateway.bench.ts)
 */
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { createToolcode } from "../src/execute/create-toolcode.js";
import type { ToolSource } from "../src/sources/tool-source.js";
import { BENCH_DIR, fmt, header, median, writeSection } from "./lib.js";

const EVERYTHING = path.join(BENCH_DIR, "..", "node_modules", ".bin", "mcp-server-everything");
const CALLS = 200;

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

  // Per-call costs are measured as paired differences within each run (loop script − trivial
  // script, back to back), so load that drifts between runs cancels out; medians over 7 runs.
  const loopScript = `for (let i = 0; i < ${CALLS}; i++) await everything.echo({ message: "x" });`;
  const noopScript = `for (let i = 0; i < ${CALLS}; i++) await local.noop({ n: i });`;
  const time = async (fn: () => Promise<unknown>, n: number): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  for (let i = 0; i < 20; i++) await tc.execute("return 1");
  const trivialRuns: number[] = [];
  const directRuns: number[] = [];
  const sandboxRuns: number[] = [];
  const bridgeRuns: number[] = [];
  for (let run = 0; run < 7; run++) {
    const trivialUs = await time(() => tc.execute("return 1"), 20);
    trivialRuns.push(trivialUs);
    directRuns.push(await time(() => direct.callTool({ name: "echo", arguments: { message: "x" } }), 100));
    sandboxRuns.push(((await time(() => tc.execute(loopScript), 2)) - trivialUs) / CALLS);
    bridgeRuns.push(((await time(() => tc.execute(noopScript), 3)) - trivialUs) / CALLS);
  }
  const trivial = { medianUs: median(trivialRuns) };
  const directCall = { medianUs: median(directRuns) };
  const perCallSandbox = median(sandboxRuns);
  const perCallBridge = median(bridgeRuns);
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
  const load = os.loadavg()[0] ?? 0;
  const note = `Load average while measuring: ${fmt(load, 1)} on ${os.cpus().length} cores (other work was running, so absolute times are inflated). Medians of 7 runs; per-call figures are paired differences within each run (the loop script minus the trivial execute, divided by the calls). The baseline and toolcode talk to the same server-everything build over stdio. Warm execute includes the sandbox worker round trip (a worker process by default), the session workspace lookup and the o200k token accounting of the output.`;
  writeSection("gateway", `${header("Gateway overhead (issue #2)", "npm run bench")}\n${table}\n\n${note}`);
  console.log(table);
}

await main();
