/**
 * Isolation hosts benchmark (issue #16): QuickJS on each `sandbox.isolation` — the in-process
 * hosts (process, thread) beside bwrap, gvisor, remote (a runner server on loopback WebSocket)
 * and microvm: cold start (engine created → first trivial execution answered), warm execute
 * p50/p95 (the sandbox already up: what a user sees when the warm pool has one ready), per
 * tool-call overhead, memory per warm sandbox (RSS of the sandbox's process tree), and
 * executions/s with a fresh sandbox per execution (the hosts' default, pool of 2).
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
import type { PooledEngine } from "../src/sandbox/host/pooled-engine.js";
import { processWorkers } from "../src/sandbox/host/process-worker.js";
import { startRunnerServer } from "../src/sandbox/runner/runner-server.js";
import { fmt, header, median, percentile, writeSection } from "./lib.js";

const HOSTS: Isolation[] = (process.env.ISOLATION_HOSTS?.split(",") as Isolation[] | undefined) ?? ["process", "thread", "bwrap", "gvisor", "remote", "microvm"];
const host: SandboxHost = { callTool: () => Promise.resolve(1) };
const trivial = transpileGuest("return 1;");

interface Row {
  label: string;
  coldMs: number;
  warmP50: number;
  warmP95: number;
  toolCallUs: number;
  rssMiB: number | undefined;
  execPerSec: number;
  kernel: string;
  samples: number;
}

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

async function measure(isolation: Isolation, extra: EngineConfig): Promise<Row> {
  const slow = isolation === "microvm";
  const warmSamples = slow ? 5 : 30;
  const toolCalls = slow ? 20 : 200;
  const calls = transpileGuest(`let s = 0;\nfor (let i = 0; i < ${toolCalls}; i++) s += (await t.x({ i })) as number;\nreturn s;`);
  // Cold: a new engine, its first execution.
  let started = performance.now();
  const cold = createEngine({ isolation, poolSize: 1, ...extra });
  const first = must(await run(cold, trivial, isolation));
  const coldMs = performance.now() - started;
  await cold.close();
  // Warm: the sandbox is up (reuse "shared": the same one answers every sample).
  const warm = createEngine({ isolation, poolSize: 1, reuse: "shared", ...extra }) as PooledEngine;
  must(await run(warm, trivial, isolation));
  must(await run(warm, trivial, isolation));
  const times: number[] = [];
  for (let i = 0; i < warmSamples; i++) {
    started = performance.now();
    must(await run(warm, trivial, isolation));
    times.push(performance.now() - started);
  }
  const withCalls: number[] = [];
  for (let i = 0; i < (slow ? 2 : 5); i++) {
    started = performance.now();
    must(await run(warm, calls, isolation));
    withCalls.push(performance.now() - started);
  }
  const toolCallUs = Math.max(0, ((median(withCalls) - median(times)) / toolCalls) * 1000);
  const pid = warm.workerPids()[0];
  const rssMiB = pid === undefined ? undefined : treeRssMiB(pid);
  await warm.close();
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
    warmP50: median(times),
    warmP95: percentile(times, 95),
    toolCallUs,
    rssMiB,
    execPerSec,
    kernel: first.stats.sandbox?.kernel ?? "?",
    samples: warmSamples,
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
  console.log(`measuring ${isolation} …`);
  try {
    const row = await measure(isolation, extra);
    rows.push(row);
    console.log(JSON.stringify(row));
  } catch (error) {
    skipped.push(`${isolation}: failed (${error instanceof Error ? error.message : String(error)})`);
  }
}
await runner?.close();
const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(", ");

const table = [
  "| host | kernel the runner saw | cold start (ms) | warm execute p50 / p95 (ms) | per tool call (µs) | RSS per warm sandbox (MiB) | executions/s, fresh sandbox each (pool 2) |",
  "|---|---|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${r.label} | ${r.kernel} | ${fmt(r.coldMs, 0)} | ${fmt(r.warmP50, 1)} / ${fmt(r.warmP95, 1)} (n=${r.samples}) | ${fmt(r.toolCallUs, 0)} | ${r.rssMiB === undefined ? "n/a (thread / remote)" : fmt(r.rssMiB, 0)} | ${fmt(r.execPerSec, 2)} |`),
].join("\n");

writeSection(
  "isolation",
  `${header("Isolation hosts (QuickJS)", "npm run bench -- isolation")}
Load average before: ${loadBefore}; after: ${loadAfter} (the machine is shared with other work: absolute times move with it; compare rows of one run).

${table}

- Cold start: engine created → first trivial execution answered (one sandbox started, engine loaded).
- Warm execute: \`return 1\` on a sandbox that is already up (\`reuse: "shared"\`): what an execution costs when the warm pool has a sandbox ready.
- Per tool call: (run with N awaited tool calls − trivial run) / N; the round trip crosses the host's channel (IPC, pipe, virtio-serial, WebSocket).
- RSS: the sandbox's whole process tree (bwrap + node; runsc + gofer + sandbox; QEMU) — thread workers live in the host process; a remote sandbox lives on the runner.
- Executions/s: back-to-back trivial executions, 2 at a time, with \`reuse: "execution"\` for the sandbox hosts (each execution a fresh sandbox, started while the others run) and the default shared workers for process and thread.
- remote: the runner server ran in the benchmark's process on loopback (its workers are separate processes).
- microvm: under TCG (this machine's KVM is nested and cannot run a stock kernel), so JavaScript runs 12–20× slower; with KVM it is a few hundred ms to boot.
${skipped.length > 0 ? `\nNot measured here: ${skipped.join("; ")}.\n` : ""}`,
);
console.log(table);
