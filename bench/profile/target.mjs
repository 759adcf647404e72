/**
 * The process the profile benchmark runs under `node --cpu-prof` (see bench/profile.bench.ts):
 * toolcode with the peers' rows server, QuickJS in a worker thread (so the guest side of every
 * call is in this process's profiles too), type-check off. Prints one JSON line: the wall time
 * per unit of the measured phase.
 * It runs the built package (dist/, as users run it), not the TypeScript sources through tsx,
 * whose loader would show up in the profile.
 * `direct` makes the same calls through the MCP SDK client, without toolcode (the baseline).
 * Usage: node target.mjs trivial|calls|direct N
 */
import path from "node:path";
import process from "node:process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createToolcode } from "../../dist/index.js";

const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const [scenario = "trivial", countText = "300"] = process.argv.slice(2);
const count = Number(countText);
const CALLS = 100;
const code = scenario === "calls" ? `let s = 0;\nfor (let i = 0; i < ${CALLS}; i++) s += await t.add({ a: i, b: 1 });\nreturn s;` : "return 1;";
const ROWS_SERVER = { command: process.execPath, args: [path.join(BENCH_DIR, "peers", "rows-server.mjs")] };
if (scenario === "direct") {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
  const client = new Client({ name: "profile-direct", version: "1.0.0" });
  await client.connect(new StdioClientTransport(ROWS_SERVER));
  for (let i = 0; i < 200; i++) await client.callTool({ name: "add", arguments: { a: i, b: 1 } });
  const begin = performance.now();
  for (let i = 0; i < count * CALLS; i++) await client.callTool({ name: "add", arguments: { a: i, b: 1 } });
  const elapsed = performance.now() - begin;
  process.stdout.write(`${JSON.stringify({ scenario, units: count * CALLS, wallUsPerUnit: (elapsed * 1000) / (count * CALLS) })}\n`);
  await client.close();
  process.exit(0);
}
const toolcode = await createToolcode({
  config: {
    mcpServers: { t: ROWS_SERVER },
    sandbox: { engine: "quickjs", isolation: "thread", typeCheck: "off" },
    policy: { default: "allow-all" },
  },
});
for (let i = 0; i < 20; i++) await toolcode.execute(code);
const start = performance.now();
for (let i = 0; i < count; i++) {
  const result = await toolcode.execute(code);
  if (result.error) throw new Error(`${result.error.code}: ${result.error.message}`);
}
const ms = performance.now() - start;
const units = scenario === "calls" ? count * CALLS : count;
process.stdout.write(`${JSON.stringify({ scenario, units, wallUsPerUnit: (ms * 1000) / units })}\n`);
await toolcode.close();
