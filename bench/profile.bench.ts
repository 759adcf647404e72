/**
 * Where an `execute`'s time goes (issue 21): CPU profiles (`node --cpu-prof`, every thread of the
 * process: the host, the QuickJS worker thread, the token worker) of toolcode running a trivial
 * script and a 100-call script against the peers' rows server (the built package in dist/), grouped by the code the time is
 * spent in. Each scenario runs twice, with N executions and with none (start-up and warm-up only);
 * the difference divided by N (or by the calls) is the cost of one execution (or one call), so
 * start-up does not count. The baseline makes the same calls through the SDK client directly. The
 * QuickJS worker thread is not in the profiles: sandbox workers start with an empty execArgv, so
 * --cpu-prof does not reach them; their share is in the wall time. Writes the "profile" section of bench/RESULTS.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCH_DIR, fmt, header, median, writeSection } from "./lib.js";

/** Categories, first match wins: a test on the sample's script URL and function name. */
const CATEGORIES: readonly { name: string; test: (url: string, fn: string) => boolean }[] = [
  { name: "QuickJS (WebAssembly: fresh context, prelude, guest code)", test: (url, fn) => /quickjs/i.test(url) || url.startsWith("wasm://") || /^(wasm-function|js-to-wasm|wasm-to-js)/.test(fn) },
  { name: "sandbox bridge and pool (src/sandbox)", test: (url) => /\/(src|dist)\/sandbox\//.test(url) },
  { name: "guard: policy, journal, PII (src/guard)", test: (url) => /\/(src|dist)\/guard\//.test(url) },
  { name: "token accounting (gpt-tokenizer, execute/token-*)", test: (url) => /tiktoken|gpt-tokenizer|\/(src|dist)\/execute\/token-/.test(url) },
  { name: "transpile (sucrase)", test: (url) => url.includes("/sucrase/") || /\/(src|dist)\/execute\/transpile/.test(url) },
  { name: "execute pipeline: sessions, workspace, output, built-ins (src/execute, src/catalog)", test: (url) => /\/(src|dist)\/(execute|catalog|typegen|skills)\//.test(url) },
  { name: "tool source: MCP client (SDK) + src/sources", test: (url) => url.includes("@modelcontextprotocol/sdk") || /\/(src|dist)\/sources\//.test(url) },
  { name: "zod (the SDK's message validation)", test: (url) => url.includes("/zod/") },
  { name: "telemetry (no-op spans)", test: (url) => url.includes("@opentelemetry") || /\/(src|dist)\/telemetry\//.test(url) },
  { name: "other npm packages", test: (url) => url.includes("/node_modules/") },
  { name: "garbage collector", test: (_url, fn) => fn === "(garbage collector)" },
  { name: "Node runtime: streams, pipes, worker messages, timers", test: (url, fn) => url.startsWith("node:") || (url === "" && fn !== "(program)" && fn !== "(idle)" && fn !== "(root)") },
  { name: "V8 / native, unattributed", test: () => true },
];

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** CPU µs per category over every profile in `dir` (idle excluded). */
function categorize(dir: string): Map<string, number> {
  const totals = new Map<string, number>(CATEGORIES.map((c) => [c.name, 0]));
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as CpuProfile;
    const category = new Map<number, string | undefined>();
    for (const node of profile.nodes) {
      const { functionName: fn, url } = node.callFrame;
      category.set(node.id, fn === "(idle)" || fn === "(root)" ? undefined : CATEGORIES.find((c) => c.test(url, fn))?.name);
    }
    profile.samples.forEach((id, i) => {
      const name = category.get(id);
      if (name !== undefined) totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
  }
  return totals;
}

interface Run {
  cpu: Map<string, number>;
  units: number;
  wallUsPerUnit: number;
}

function runTarget(scenario: string, count: number, profiled: boolean): Run {
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-prof-"));
  try {
    const flags = profiled ? ["--cpu-prof", "--cpu-prof-dir", dir] : [];
    const result = spawnSync(process.execPath, [...flags, path.join(BENCH_DIR, "profile", "target.mjs"), scenario, String(count)], { encoding: "utf8", timeout: 600_000 });
    if (result.status !== 0) throw new Error(`profile target ${scenario} failed: ${result.stderr}`);
    const line = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as { units: number; wallUsPerUnit: number };
    return { cpu: profiled ? categorize(dir) : new Map(), units: line.units, wallUsPerUnit: line.wallUsPerUnit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(path.join(BENCH_DIR, "..", "dist", "index.js"))) {
  console.error("bench profile runs the built package: run `npm run build` first.");
  process.exit(1);
}

const RUNS = 3;
const SCENARIOS = [
  { scenario: "trivial", count: 400, label: "trivial `execute` (`return 1`), per execution" },
  { scenario: "calls", count: 20, label: "one tool call (100-call script), per call" },
  { scenario: "direct", count: 20, label: "baseline: the same call through the MCP SDK client directly, per call" },
] as const;

const sections: string[] = [];
const byScenario = new Map<string, { wall: number; rows: Map<string, number> }>();
const summary: string[] = [];
for (const { scenario, count, label } of SCENARIOS) {
  const perUnit = new Map<string, number[]>(CATEGORIES.map((c) => [c.name, []]));
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const base = runTarget(scenario, 0, true);
    const full = runTarget(scenario, count, true);
    walls.push(runTarget(scenario, count, false).wallUsPerUnit);
    for (const { name } of CATEGORIES) perUnit.get(name)?.push(((full.cpu.get(name) ?? 0) - (base.cpu.get(name) ?? 0)) / full.units);
  }
  // For the calls scenario, a call's share is the 100-call script minus nothing: the script's own
  // fixed cost is spread over 100 calls (under 2% of a call's time; see the trivial row).
  const rows = CATEGORIES.map(({ name }) => ({ name, us: median(perUnit.get(name) ?? [0]) })).filter((r) => r.us > 0.5).sort((a, b) => b.us - a.us);
  const total = rows.reduce((sum, r) => sum + r.us, 0);
  const wall = median(walls);
  byScenario.set(scenario, { wall, rows: new Map(rows.map((r) => [r.name, r.us])) });
  summary.push(`${label}: wall ${fmt(wall, 0)} µs, CPU ${fmt(total, 0)} µs`);
  sections.push(
    [
      `### ${label}`,
      "",
      `Wall time ${fmt(wall, 0)} µs (median of ${RUNS} unprofiled runs); CPU ${fmt(total, 0)} µs over all threads of the process (profiled).`,
      "",
      "| where | CPU µs | share |",
      "|---|--:|--:|",
      ...rows.map((r) => `| ${r.name} | ${fmt(r.us, 1)} | ${fmt((100 * r.us) / total, 1)}% |`),
    ].join("\n"),
  );
  console.log(`${label}: wall ${fmt(wall, 0)} µs; CPU ${fmt(total, 0)} µs`);
}

const load = os.loadavg().map((l) => l.toFixed(2)).join(", ");
writeSection(
  "profile",
  [
    header("Where an execute's time goes (issue 21)", "npm run bench -- profile"),
    `Load average at the end: ${load} on ${os.cpus().length} cores. The built package, QuickJS in a worker thread, type-check off, the peers' rows server over stdio; \`node --cpu-prof\` of every thread, grouped by the script URL of each sample. Per unit = (profile with N executions − profile with none) / units, median of ${RUNS} pairs; the MCP server's own process is not profiled (the direct SDK call pays it too), nor the QuickJS worker thread (sandbox workers start with an empty execArgv, so \`--cpu-prof\` does not reach them: their share is in the wall time). The host process's threads are: the gateway's main thread and the token-counting worker.`,
    "",
    ...sections.flatMap((s) => [s, ""]),
    addedLine(),
    "- Wall time exceeds CPU time where the process waits: for the MCP server's answer (the direct call's own cost), and for the worker thread to be scheduled.",
  ].join("\n"),
);
console.log(summary.join("\n"));

/** What a call through toolcode costs the host beyond the direct SDK call, by where. */
function addedLine(): string {
  const call = byScenario.get("calls");
  const direct = byScenario.get("direct");
  if (!call || !direct) return "";
  const deltas = CATEGORIES.map(({ name }) => ({ name, us: (call.rows.get(name) ?? 0) - (direct.rows.get(name) ?? 0) })).sort((a, b) => b.us - a.us);
  const cpu = deltas.reduce((sum, d) => sum + d.us, 0);
  const top = deltas.filter((d) => d.us > 1).slice(0, 3).map((d) => `${d.name} ${fmt(d.us, 0)} µs`).join(", ");
  return `- Per tool call, toolcode adds ${fmt(call.wall - direct.wall, 0)} µs of wall time and ${fmt(cpu, 0)} µs of host CPU over the direct call; most of it: ${top}. Wall time beyond that is the sandbox worker thread's side (QuickJS and its end of the messages, one each way per call), which these profiles do not see.`;
}
