/**
 * Load test of the multi-user gateway: `toolcode serve --http` (the built dist) on 127.0.0.1 with
 * 50 concurrent MCP sessions (real SDK clients over streamable HTTP, 7 bearer-token users): 40
 * benign sessions (5 users) running short scripts back to back, alone and then beside 10 hostile
 * sessions (2 users) running spinning loops, memory bombs, huge outputs and pathological text.
 * Reports benign p50/p99 latency alone vs under the hostile mix (the ratio), the server's RSS
 * over time, and errors. Phases alternate (alone, mixed) several times; medians over them.
 *
 * Run: npm run build && npm run bench -- load            (about 3 minutes)
 *      npm run bench -- load --soak 30m                  (or LOAD_SOAK=30m: the mixed load for 30 minutes)
 *
 * Bounded: fixed executions per benign session per phase, hostile sessions stop with the benign
 * ones, the soak stops at its duration, the server is stopped at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { BENCH_DIR, fmt, header, median, percentile, writeSection } from "./lib.js";

const ROOT = path.resolve(BENCH_DIR, "..");
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const MEMORY_SERVER = path.join(ROOT, "node_modules", ".bin", "mcp-server-memory");

const BENIGN_USERS = 5;
const BENIGN_SESSIONS_PER_USER = 8;
const HOSTILE_USERS = 2;
const HOSTILE_SESSIONS_PER_USER = 5;
const EXECUTIONS_PER_SESSION = Number(process.env.LOAD_EXECUTIONS ?? 20);
/** Pause of a benign session between executions: an agent waits for its model between calls (real ones wait seconds). */
const THINK_MS = Number(process.env.LOAD_THINK_MS ?? 500);
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 5);
const TIMEOUT_MS = 10_000;
const POOL_SIZE = 6;

/** Short scripts a well-behaved agent sends. */
const BENIGN = [
  "return 1 + 1;",
  "const xs = Array.from({ length: 1000 }, (_, i) => i); return xs.filter((x) => x % 7 === 0).length;",
  'await workspace.write("n.json", { n: 1 }); return (await workspace.read("n.json")).n;',
  "const g = await memory.read_graph({}); return g.entities.length;",
];

/** What an attacker sends: each holds a worker until the deadline, or floods output or memory. */
const HOSTILE: Record<string, string> = {
  spin: "while (true) {}",
  "memory bomb": 'const a = []; while (true) a.push("x".repeat(1e6) + a.length);',
  "huge logs": 'for (let i = 0; i < 1e7; i++) console.log("spam spam spam spam " + i);',
  "huge result": 'return "y".repeat(6e6);',
  "pathological text (100 KB of one letter)": 'return "a".repeat(100_000);',
};

interface Session {
  user: string;
  client: Client;
  transport: StreamableHTTPClientTransport;
}

interface Outcome {
  ms: number;
  code: string;
}

interface RssSample {
  t: number;
  hostMb: number;
  workersMb: number;
}

function parseSoak(): number | undefined {
  const args = process.argv.slice(2);
  const flag = args.indexOf("--soak");
  const text = flag >= 0 ? args[flag + 1] : process.env.LOAD_SOAK;
  if (!text) return undefined;
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text);
  if (!match) throw new Error(`--soak takes a duration like 30m, 90s or 1h; got "${text}".`);
  const unit = match[2] === "s" ? 1000 : match[2] === "h" ? 3_600_000 : 60_000;
  return Number(match[1]) * unit;
}

/** RSS in MiB of a process, from /proc (0 when it is gone). */
function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pids of the direct children of `pid` (sandbox workers, MCP servers). */
function children(pid: number): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push({ pid: Number(entry), name: readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ") });
    } catch {
      // gone
    }
  }
  return found;
}

function sampleRss(server: ChildProcess, started: number): RssSample {
  const pid = server.pid as number;
  const workers = children(pid).filter((c) => c.name.includes("runner"));
  return { t: (performance.now() - started) / 1000, hostMb: rssMb(pid), workersMb: workers.reduce((sum, w) => sum + rssMb(w.pid), 0) };
}

async function startServer(dir: string, tokens: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const config = {
    mcpServers: { memory: { command: process.execPath, args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: path.join(dir, "memory.jsonl") } } },
    auth: { users: Object.fromEntries(Object.keys(tokens).map((user) => [user, `\${TOKEN_${user.toUpperCase()}}`])) },
    sandbox: { timeoutMs: TIMEOUT_MS, poolSize: POOL_SIZE },
    sessions: { maxWorkersPerUser: 1 },
  };
  const file = path.join(dir, "toolcode.config.json");
  writeFileSync(file, JSON.stringify(config, null, 2));
  const env = { ...process.env, ...Object.fromEntries(Object.entries(tokens).map(([user, token]) => [`TOKEN_${user.toUpperCase()}`, token])) };
  const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", file], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

async function open(url: string, user: string, token: string): Promise<Session> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: `load-${user}`, version: "1" });
  await client.connect(transport);
  return { user, client, transport };
}

async function execute(session: Session, code: string): Promise<Outcome> {
  const start = performance.now();
  try {
    const result = await session.client.callTool({ name: "execute", arguments: { code } }, undefined, { timeout: 120_000 });
    const content = result.structuredContent as { error: { code: string } | null } | undefined;
    return { ms: performance.now() - start, code: content?.error?.code ?? (result.isError ? "TOOL_ERROR" : "ok") };
  } catch (error) {
    return { ms: performance.now() - start, code: `THROWN: ${(error as Error).message.slice(0, 80)}` };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Each benign session runs `count` executions with {@link THINK_MS} between them; resolves with every outcome. */
async function benignLoad(sessions: Session[], count: number, offset: number): Promise<Outcome[]> {
  const all = await Promise.all(
    sessions.map(async (session, s) => {
      const outcomes: Outcome[] = [];
      // Staggered start, then execute → think → execute.
      await sleep((s * THINK_MS) / sessions.length);
      for (let i = 0; i < count; i++) {
        outcomes.push(await execute(session, BENIGN[(s + i + offset) % BENIGN.length] as string));
        await sleep(THINK_MS);
      }
      return outcomes;
    }),
  );
  return all.flat();
}

/** Hostile sessions loop over the hostile scripts until `stop` says so. */
function hostileLoad(sessions: Session[], stop: () => boolean): Promise<Record<string, Record<string, number>>> {
  const names = Object.keys(HOSTILE);
  const tally: Record<string, Record<string, number>> = {};
  return Promise.all(
    sessions.map(async (session, s) => {
      for (let i = 0; !stop(); i++) {
        const name = names[(s + i) % names.length] as string;
        const outcome = await execute(session, HOSTILE[name] as string);
        const byCode = (tally[name] ??= {});
        byCode[outcome.code] = (byCode[outcome.code] ?? 0) + 1;
      }
    }),
  ).then(() => tally);
}

function summary(outcomes: Outcome[]): { p50: number; p99: number; n: number; failures: number; codes: Record<string, number> } {
  const ok = outcomes.filter((o) => o.code === "ok").map((o) => o.ms);
  const codes: Record<string, number> = {};
  for (const o of outcomes) if (o.code !== "ok") codes[o.code] = (codes[o.code] ?? 0) + 1;
  return { p50: ok.length ? percentile(ok, 50) : Number.NaN, p99: ok.length ? percentile(ok, 99) : Number.NaN, n: outcomes.length, failures: outcomes.length - ok.length, codes };
}

const load = (): string => os.loadavg().map((l) => fmt(l, 2)).join(" / ");

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` first (the load test runs the built `toolcode serve`).");
  const soakMs = parseSoak();
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-load-"));
  const tokens: Record<string, string> = {};
  for (let u = 0; u < BENIGN_USERS; u++) tokens[`user${u}`] = `benign-token-${u}-0123456789abcdef`;
  for (let u = 0; u < HOSTILE_USERS; u++) tokens[`attacker${u}`] = `hostile-token-${u}-0123456789abcdef`;
  const { child, url } = await startServer(dir, tokens);
  const started = performance.now();
  const rss: RssSample[] = [];
  const sampler = setInterval(() => rss.push(sampleRss(child, started)), 1000);
  const loadBefore = load();
  try {
    const benign: Session[] = [];
    const hostile: Session[] = [];
    for (let u = 0; u < BENIGN_USERS; u++) for (let s = 0; s < BENIGN_SESSIONS_PER_USER; s++) benign.push(await open(url, `user${u}`, tokens[`user${u}`] as string));
    for (let u = 0; u < HOSTILE_USERS; u++) for (let s = 0; s < HOSTILE_SESSIONS_PER_USER; s++) hostile.push(await open(url, `attacker${u}`, tokens[`attacker${u}`] as string));
    // Warm up: workers started, tokenizer loaded, memory server connected.
    await benignLoad(benign, 2, 0);
    rss.push(sampleRss(child, started));
    const rssWarm = rss.at(-1) as RssSample;

    if (soakMs !== undefined) {
      await soak(benign, hostile, soakMs, child, started, rssWarm, loadBefore);
      return;
    }

    const alone: ReturnType<typeof summary>[] = [];
    const mixed: ReturnType<typeof summary>[] = [];
    const hostileTallies: Record<string, Record<string, number>>[] = [];
    const loads: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      alone.push(summary(await benignLoad(benign, EXECUTIONS_PER_SESSION, round)));
      let done = false;
      const attack = hostileLoad(hostile, () => done);
      // Let the attack take hold before measuring.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const measured = await benignLoad(benign, EXECUTIONS_PER_SESSION, round);
      done = true;
      mixed.push(summary(measured));
      hostileTallies.push(await attack);
      loads.push(load());
      console.log(`round ${round + 1}: alone p50 ${fmt(alone.at(-1)?.p50 ?? 0)} p99 ${fmt(alone.at(-1)?.p99 ?? 0)} ms; mixed p50 ${fmt(mixed.at(-1)?.p50 ?? 0)} p99 ${fmt(mixed.at(-1)?.p99 ?? 0)} ms; failures ${mixed.at(-1)?.failures}; load ${loads.at(-1)}`);
    }
    await Promise.all([...benign, ...hostile].map(async (s) => {
      await s.transport.terminateSession().catch(() => undefined);
      await s.client.close();
    }));
    // After the run: idle a few seconds, then the resting RSS.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const rssEnd = sampleRss(child, started);
    const rssPeak = rss.reduce((max, s) => (s.hostMb > max.hostMb ? s : max), rssWarm);

    const medAlone = { p50: median(alone.map((a) => a.p50)), p99: median(alone.map((a) => a.p99)) };
    const medMixed = { p50: median(mixed.map((a) => a.p50)), p99: median(mixed.map((a) => a.p99)) };
    const ratio = medMixed.p99 / medAlone.p99;
    const benignFailures = mixed.reduce((n, m) => n + m.failures, 0) + alone.reduce((n, a) => n + a.failures, 0);
    const failureCodes: Record<string, number> = {};
    for (const m of [...alone, ...mixed]) for (const [code, n] of Object.entries(m.codes)) failureCodes[code] = (failureCodes[code] ?? 0) + n;
    const hostileTotal: Record<string, Record<string, number>> = {};
    for (const tally of hostileTallies) for (const [name, codes] of Object.entries(tally)) for (const [code, n] of Object.entries(codes)) ((hostileTotal[name] ??= {})[code] = (hostileTotal[name]?.[code] ?? 0) + n);

    const perRound = alone.map((a, i) => `| ${i + 1} | ${fmt(a.p50)} / ${fmt(a.p99)} | ${fmt(mixed[i]?.p50 ?? 0)} / ${fmt(mixed[i]?.p99 ?? 0)} | ${fmt((mixed[i]?.p99 ?? 0) / a.p99, 2)}× | ${a.failures + (mixed[i]?.failures ?? 0)} | ${loads[i]} |`);
    const hostileRows = Object.entries(hostileTotal).map(([name, codes]) => `| ${name} | \`${HOSTILE[name]?.replace(/\|/g, "\\|")}\` | ${Object.entries(codes).map(([c, n]) => `${c} × ${n}`).join(", ")} |`);
    const rssRows = rss.filter((_, i) => i % Math.max(1, Math.floor(rss.length / 12)) === 0).map((s) => `${fmt(s.t, 0)} s: ${fmt(s.hostMb, 0)} + ${fmt(s.workersMb, 0)}`);
    const markdown = [
      header("Gateway under hostile load (issue #11)", "npm run build && npm run bench -- load"),
      `Setup: \`toolcode serve --http\` (dist) on 127.0.0.1, ${benign.length + hostile.length} MCP sessions (SDK clients over streamable HTTP, in one client process on the same machine): ${benign.length} benign sessions of ${BENIGN_USERS} users, each running ${EXECUTIONS_PER_SESSION} short scripts per phase with ${THINK_MS} ms between them (an agent waiting for its model) (arithmetic, a 1,000-item filter, a workspace write + read, a \`memory.read_graph\` call on the real server-memory), and ${hostile.length} hostile sessions of ${HOSTILE_USERS} users looping over the scripts below back to back for the whole mixed phase. Config: \`sandbox.timeoutMs\` ${TIMEOUT_MS}, \`sandbox.poolSize\` ${POOL_SIZE}, \`sessions.maxWorkersPerUser\` 1, other limits default. ${ROUNDS} rounds, each a benign-alone phase then a mixed phase; medians over rounds. Load average before: ${loadBefore}; **the machine was shared with other engineers' builds and tests**, so absolute times are inflated.`,
      "",
      "| | benign p50 | benign p99 |",
      "|---|---|---|",
      `| benign alone | ${fmt(medAlone.p50)} ms | ${fmt(medAlone.p99)} ms |`,
      `| benign under the hostile mix | ${fmt(medMixed.p50)} ms | ${fmt(medMixed.p99)} ms |`,
      `| **ratio (mixed / alone)** | ${fmt(medMixed.p50 / medAlone.p50, 2)}× | **${fmt(ratio, 2)}×** (goal ≤ 2×) |`,
      "",
      `Benign failures: **${benignFailures}** of ${(alone.length + mixed.length) * benign.length * EXECUTIONS_PER_SESSION}${Object.keys(failureCodes).length ? ` (${Object.entries(failureCodes).map(([c, n]) => `${c} × ${n}`).join(", ")})` : ""}.`,
      "",
      "| round | alone p50 / p99 (ms) | mixed p50 / p99 (ms) | p99 ratio | benign failures | load avg (1/5/15 min) after |",
      "|---|---|---|---|---|---|",
      ...perRound,
      "",
      "What the attackers got (all rounds; each attacker's executions share one worker, `sessions.maxWorkersPerUser`, so most of them time out waiting behind the attacker's own loops: `SANDBOX_TIMEOUT` counts that wait):",
      "",
      "| hostile script | code | outcomes |",
      "|---|---|---|",
      ...hostileRows,
      "",
      `RSS (MiB, server host + sandbox workers): after warm-up ${fmt(rssWarm.hostMb, 0)} + ${fmt(rssWarm.workersMb, 0)}; peak host ${fmt(rssPeak.hostMb, 0)} (at ${fmt(rssPeak.t, 0)} s); 5 s after the run ${fmt(rssEnd.hostMb, 0)} + ${fmt(rssEnd.workersMb, 0)}. Over time: ${rssRows.join("; ")}.`,
    ].join("\n");
    writeSection("load", markdown);
    console.log(markdown);
  } finally {
    clearInterval(sampler);
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The mixed load for `durationMs`: per-minute executions, failures, p99 and RSS. */
async function soak(benign: Session[], hostile: Session[], durationMs: number, child: ChildProcess, started: number, rssWarm: RssSample, loadBefore: string): Promise<void> {
  const end = performance.now() + durationMs;
  const windowMs = Math.min(60_000, Math.max(10_000, durationMs / 10));
  const windows: { t: number; outcomes: Outcome[]; rss: RssSample; load: string }[] = [];
  let current: Outcome[] = [];
  let windowEnd = performance.now() + windowMs;
  let stop = false;
  const attack = hostileLoad(hostile, () => stop);
  const flush = (): void => {
    windows.push({ t: (performance.now() - started) / 1000, outcomes: current, rss: sampleRss(child, started), load: load() });
    current = [];
    windowEnd += windowMs;
    const last = summary(windows.at(-1)?.outcomes ?? []);
    console.log(`soak ${fmt((windows.at(-1)?.t ?? 0) / 60, 1)} min: ${last.n} benign, ${last.failures} failed ${JSON.stringify(last.codes)}, p99 ${fmt(last.p99)} ms, host RSS ${fmt(windows.at(-1)?.rss.hostMb ?? 0, 0)} MiB`);
  };
  await Promise.all(
    benign.map(async (session, s) => {
      await sleep((s * THINK_MS) / benign.length);
      for (let i = 0; performance.now() < end; i++) {
        current.push(await execute(session, BENIGN[(s + i) % BENIGN.length] as string));
        if (performance.now() >= windowEnd) flush();
        await sleep(THINK_MS);
      }
    }),
  );
  stop = true;
  const hostileTally = await attack;
  if (current.length > 0) flush();
  await Promise.all([...benign, ...hostile].map(async (s) => {
    await s.transport.terminateSession().catch(() => undefined);
    await s.client.close();
  }));
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const rssEnd = sampleRss(child, started);
  const all = windows.flatMap((w) => w.outcomes);
  const total = summary(all);
  const hostileRuns = Object.values(hostileTally).reduce((n, codes) => n + Object.values(codes).reduce((a, b) => a + b, 0), 0);
  const rows = windows.map((w) => {
    const s = summary(w.outcomes);
    return `| ${fmt(w.t / 60, 1)} | ${s.n} | ${s.failures} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(w.rss.hostMb, 0)} + ${fmt(w.rss.workersMb, 0)} | ${w.load} |`;
  });
  const markdown = [
    header(`Gateway soak: ${fmt(durationMs / 60_000, 0)} minutes under the hostile mix (issue #11)`, `nice -n 10 npm run bench -- load --soak ${fmt(durationMs / 60_000, 0)}m`),
    `Same setup as the load section (${benign.length} benign + ${hostile.length} hostile sessions, continuously). Load average before: ${loadBefore}; the machine was shared with other engineers' work.`,
    "",
    `Executions: **${total.n}** benign (${total.failures} failed${Object.keys(total.codes).length ? `: ${Object.entries(total.codes).map(([c, n]) => `${c} × ${n}`).join(", ")}` : ""}) and ${hostileRuns} hostile. Benign p50 ${fmt(total.p50)} ms, p99 ${fmt(total.p99)} ms over the whole soak. RSS (MiB, host + workers): after warm-up ${fmt(rssWarm.hostMb, 0)} + ${fmt(rssWarm.workersMb, 0)}, end of soak ${fmt(windows.at(-1)?.rss.hostMb ?? 0, 0)} + ${fmt(windows.at(-1)?.rss.workersMb ?? 0, 0)}, 5 s after ${fmt(rssEnd.hostMb, 0)} + ${fmt(rssEnd.workersMb, 0)}.`,
    "",
    "| minute | benign executions | failed | p50 (ms) | p99 (ms) | RSS host + workers (MiB) | load avg |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  writeSection("load-soak", markdown);
  console.log(markdown);
}

await main();
process.exit(0);
