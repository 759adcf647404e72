/**
 * Isolation hosts benchmark (issue #16): QuickJS on each `sandbox.isolation` — the in-process
 * hosts (process, thread) beside bwrap, gvisor, remote (a runner server on loopback WebSocket)
 * and microvm (and e2b with E2B_API_KEY): cold start (engine created → first trivial execution
 * answered; microvm also restored from its snapshot), execute p50/p95 through the warm pool (a
 * fresh sandbox each, the pool given time to refill) and in a session's sandbox (reuse
 * "session"), per tool-call overhead, memory per warm sandbox (RSS of the sandbox's process
 * tree), and executions/s with a fresh sandbox per execution (pool of 2); each the median of
 * ISOLATION_RUNS runs (default 3; 2 for microvm).
 *
 * Run: npm run bench -- isolation. Hosts that cannot run here are listed with the reason.
 * ISOLATION_HOSTS=process,gvisor limits the hosts.
 */
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { transpileGuest } from "../src/execute/transpile.js";
import { createEngine, type EngineConfig, engineUnavailable } from "../src/sandbox/create-engine.js";
import type { Engine, RunResult, SandboxHost, SandboxLimits } from "../src/sandbox/engine.js";
import type { Isolation } from "../src/sandbox/engines/engine-spec.js";
import { quickJsEngine } from "../src/sandbox/engines/quickjs/engine.js";
import { microvmImageDir, microvmLaunch } from "../src/sandbox/host/microvm-host.js";
import { readImage } from "../src/sandbox/host/microvm-image.js";
import { readSnapshot, snapshotPath } from "../src/sandbox/host/microvm-snapshot.js";
import type { PooledEngine } from "../src/sandbox/host/pooled-engine.js";
import { processWorkers } from "../src/sandbox/host/process-worker.js";
import { startRunnerServer } from "../src/sandbox/runner/runner-server.js";
import { DEFAULT_WORKER_MEMORY_MB } from "../src/sandbox/limits.js";
import { fmt, header, median, percentile, writeSection } from "./lib.js";

const HOSTS: Isolation[] = (process.env.ISOLATION_HOSTS?.split(",") as Isolation[] | undefined) ?? ["process", "thread", "bwrap", "gvisor", "remote", "microvm", "e2b"];
const host: SandboxHost = { callTool: () => Promise.resolve(1) };
const trivial = transpileGuest("return 1;");

interface Row {
  label: string;
  coldMs: number;
  /** microvm: a VM restored from its snapshot (engine created → first execution answered). */
  restoredMs: number | undefined;
  poolP50: number;
  poolP95: number;
  sessionP50: number;
  sessionP95: number;
  toolCallUs: number;
  rssMiB: number | undefined;
  execPerSec: number;
  kernel: string;
  samples: number;
}

const RUNS = Number(process.env.ISOLATION_RUNS ?? 3);

function limits(isolation: Isolation): SandboxLimits {
  return { timeoutMs: isolation === "microvm" ? 180_000 : 10_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100_000, maxLogBytes: 100_000 };
}

function run(engine: Engine, code: { code: string; lineOffset: number }, isolation: Isolation): Promise<RunResult> {
  return engine.run({ ...code, api: { globals: { t: ["x"] } }, limits: limits(isolation) }, host);
}

function must(result: RunResult): RunResult {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result;
}

/** RSS (MiB) of `pid` and all its descendants. */
function treeRssMiB(pid: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop() ?? 0;
    try {
      const line = readFileSync(`/proc/${next}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
      total += Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) / 1024;
    } catch {
      // gone
    }
    stack.push(...(children.get(next) ?? []));
  }
  return total;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the pool is refilled: `size` started, idle sandboxes (or `maxMs` passed). */
async function poolReady(engine: PooledEngine, size: number, maxMs: number): Promise<void> {
  const until = performance.now() + maxMs;
  while (engine.readySpares() < size && performance.now() < until) await sleep(5);
}

async function timeRuns(count: number, one: () => Promise<void>, between: () => Promise<void> = () => Promise.resolve()): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await between();
    const started = performance.now();
    await one();
    times.push(performance.now() - started);
  }
  return times;
}

/** One run of every measurement on `isolation`. */
async function measure(isolation: Isolation, extra: EngineConfig): Promise<Row> {
  const slow = isolation === "microvm";
  const warmSamples = slow ? 5 : 30;
  const toolCalls = slow ? 20 : 200;
  const calls = transpileGuest(`let s = 0;\nfor (let i = 0; i < ${toolCalls}; i++) s += (await t.x({ i })) as number;\nreturn s;`);
  // Cold: a new engine, its first execution (a microVM booted, not restored).
  let started = performance.now();
  const cold = createEngine({ isolation, poolSize: 1, ...extra, ...(slow ? { microvm: { snapshot: false } } : {}) });
  const first = must(await run(cold, trivial, isolation));
  const coldMs = performance.now() - started;
  await cold.close();
  let restoredMs: number | undefined;
  if (slow) {
    // The snapshot exists after the first run of this benchmark (taken in the background).
    const snapshotted = createEngine({ isolation, poolSize: 1, ...extra });
    must(await run(snapshotted, trivial, isolation));
    await snapshotted.close();
    const image = readImage(microvmImageDir());
    if (image === undefined) throw new Error("no microVM image");
    const file = snapshotPath(image.dir, microvmLaunch({ engine: quickJsEngine, workerMemoryMb: DEFAULT_WORKER_MEMORY_MB, config: {} }, image));
    for (let waited = 0; readSnapshot(file) === undefined && waited < 600_000; waited += 500) await sleep(500);
    started = performance.now();
    const restored = createEngine({ isolation, poolSize: 1, ...extra });
    must(await run(restored, trivial, isolation));
    restoredMs = performance.now() - started;
    await restored.close();
  }
  // Through the warm pool: the host's default reuse (a fresh sandbox per execution for the sandbox
  // hosts), each execution started when the pool has a sandbox up, as a user sees it.
  const pool = createEngine({ isolation, poolSize: 2, ...extra });
  pool.warm();
  must(await run(pool, trivial, isolation));
  const poolTimes = await timeRuns(slow ? 4 : 15, async () => void must(await run(pool, trivial, isolation)), () => poolReady(pool, 2, slow ? 120_000 : 10_000));
  await pool.close();
  // A session's own sandbox (reuse "session"): every execution after its first.
  const sessions = createEngine({ isolation, poolSize: 1, reuse: "session", ...extra });
  const session = { id: "bench", user: null };
  const inSession = (code: { code: string; lineOffset: number }): Promise<RunResult> => sessions.run({ ...code, api: { globals: { t: ["x"] } }, limits: limits(isolation), session }, host);
  must(await inSession(trivial));
  must(await inSession(trivial));
  const sessionTimes = await timeRuns(warmSamples, async () => void must(await inSession(trivial)));
  const withCalls = await timeRuns(slow ? 2 : 5, async () => void must(await inSession(calls)));
  const toolCallUs = Math.max(0, ((median(withCalls) - median(sessionTimes)) / toolCalls) * 1000);
  const owned = sessions.workerPids();
  const rssMiB = owned.length === 0 ? undefined : Math.max(...owned.map(treeRssMiB));
  await sessions.close();
  // Throughput with a fresh sandbox per execution (the default of the sandbox hosts), pool of 2.
  const fresh = createEngine({ isolation, poolSize: 2, ...(isolation === "process" || isolation === "thread" ? {} : { reuse: "execution" }), ...extra });
  must(await run(fresh, trivial, isolation));
  const count = slow ? 4 : 20;
  started = performance.now();
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < count) {
      next += 1;
      must(await run(fresh, trivial, isolation));
    }
  }));
  const execPerSec = count / ((performance.now() - started) / 1000);
  await fresh.close();
  return {
    label: isolation,
    coldMs,
    restoredMs,
    poolP50: median(poolTimes),
    poolP95: percentile(poolTimes, 95),
    sessionP50: median(sessionTimes),
    sessionP95: percentile(sessionTimes, 95),
    toolCallUs,
    rssMiB,
    execPerSec,
    kernel: first.stats.sandbox?.kernel ?? "?",
    samples: warmSamples,
  };
}

/** The median of each figure over several runs. */
function medianRow(runs: Row[]): Row {
  const of = (pick: (row: Row) => number | undefined): number | undefined => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  const base = runs[0];
  if (base === undefined) throw new Error("no runs");
  return {
    ...base,
    coldMs: of((r) => r.coldMs) ?? 0,
    restoredMs: of((r) => r.restoredMs),
    poolP50: of((r) => r.poolP50) ?? 0,
    poolP95: of((r) => r.poolP95) ?? 0,
    sessionP50: of((r) => r.sessionP50) ?? 0,
    sessionP95: of((r) => r.sessionP95) ?? 0,
    toolCallUs: of((r) => r.toolCallUs) ?? 0,
    rssMiB: of((r) => r.rssMiB),
    execPerSec: of((r) => r.execPerSec) ?? 0,
  };
}

const rows: Row[] = [];
const skipped: string[] = [];
const secret = "bench-secret-0123456789abcdef";
const runner = HOSTS.includes("remote") ? await startRunnerServer({ port: 0, secret, spawn: processWorkers({ engine: quickJsEngine, workerMemoryMb: 256 }) }) : undefined;
const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(", ");
for (const isolation of HOSTS) {
  const extra: EngineConfig = isolation === "remote" && runner !== undefined ? { remote: { url: runner.url, secret } } : {};
  const why = engineUnavailable({ engine: "quickjs", isolation, ...extra })?.message;
  if (why !== undefined) {
    skipped.push(`${isolation}: ${why}`);
    console.log(`skip ${isolation}: ${why}`);
    continue;
  }
  const runs = isolation === "microvm" ? Math.min(RUNS, 2) : RUNS;
  console.log(`measuring ${isolation} (${runs} runs) …`);
  try {
    const measured: Row[] = [];
    for (let i = 0; i < runs; i++) {
      const row = await measure(isolation, extra);
      measured.push(row);
      console.log(JSON.stringify(row));
    }
    rows.push({ ...medianRow(measured), samples: measured[0]?.samples ?? 0, label: `${isolation} (median of ${runs})` });
  } catch (error) {
    skipped.push(`${isolation}: failed (${error instanceof Error ? error.message : String(error)})`);
  }
}
await runner?.close();
const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(", ");

const table = [
  "| host | kernel the runner saw | cold start (ms) | execute through the warm pool p50 / p95 (ms) | execute in a session's sandbox p50 / p95 (ms) | per tool call (µs) | RSS per warm sandbox (MiB) | executions/s, fresh sandbox each (pool 2) |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${r.label} | ${r.kernel} | ${fmt(r.coldMs, 0)}${r.restoredMs === undefined ? "" : ` (restored from a snapshot: ${fmt(r.restoredMs, 0)})`} | ${fmt(r.poolP50, 1)} / ${fmt(r.poolP95, 1)} | ${fmt(r.sessionP50, 1)} / ${fmt(r.sessionP95, 1)} (n=${r.samples}) | ${fmt(r.toolCallUs, 0)} | ${r.rssMiB === undefined ? "n/a (thread / remote)" : fmt(r.rssMiB, 0)} | ${fmt(r.execPerSec, 2)} |`),
].join("\n");

writeSection(
  "isolation",
  `${header("Isolation hosts (QuickJS)", "npm run bench -- isolation")}
Load average before: ${loadBefore}; after: ${loadAfter} (the machine is shared with other work: absolute times move with it; compare rows of one run).

${table}

- Each figure is the median over ${RUNS} runs of the whole measurement (2 for microvm); p50/p95 are over the samples of a run.
- Cold start: engine created → first trivial execution answered (one sandbox started, engine loaded). microvm: a cold boot (\`microvm.snapshot: false\`), and in brackets a VM restored from its snapshot (QEMU loading and decompressing the saved state, the probe run that checks the restored VM, then the execution).
- Through the warm pool: \`return 1\` with the host's default reuse (a fresh sandbox per execution for bwrap, gvisor, microvm, remote; shared workers for process and thread), each execution started once the pool (2) is refilled: what a user sees while executions arrive slower than sandboxes start (the first execution in a fresh sandbox, which still loads its engine context).
- In a session's sandbox: \`reuse: "session"\`, every execution of one session after its first (the same sandbox, a fresh engine context each).
- Per tool call: (run with N awaited tool calls − trivial run) / N; the round trip crosses the host's channel (IPC, pipe, virtio-serial, WebSocket).
- RSS: the sandbox's whole process tree (bwrap + node; runsc + gofer + sandbox; QEMU) — thread workers live in the host process; a remote sandbox lives on the runner.
- Executions/s: back-to-back trivial executions, 2 at a time, with \`reuse: "execution"\` for the sandbox hosts (each execution a fresh sandbox, started while the others run) and the default shared workers for process and thread.
- remote: the runner server ran in the benchmark's process on loopback (its workers are separate processes).
- microvm: under TCG (this machine's KVM is nested and cannot run a stock kernel), so JavaScript runs 12–20× slower; with KVM it is a few hundred ms to boot.
${skipped.length > 0 ? `\nNot measured here: ${skipped.map((s) => s.replace(/\.$/, "")).join("; ")}.\n` : ""}`,
);
console.log(table);
