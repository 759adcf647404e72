/**
 * Replicas (issue 17): the BUILT `toolcode serve --http` behind a real nginx round-robin, with
 * one redis-server as the state store.
 *
 * - Latency: p50 / p90 of one `execute` (one MCP session, one client, sequential) that writes a
 *   workspace file, reads it back and bumps `state` — without `state.redis` (local workspace
 *   directory, one replica) and with it (workspace + state records in Redis, one replica): the
 *   difference is what Redis state adds per execute. Also `return 1` (state load only).
 * - Throughput: executions/s of CONCURRENCY sessions running the workspace script for SECONDS,
 *   through nginx to 1 vs 2 replicas (both with state.redis).
 *
 * Run: `npm run build && npm run bench -- replicas`. Writes the `replicas` section of RESULTS.md.
 * Env: REPLICAS_RUNS (latency samples, default 100), REPLICAS_SECONDS (default 10),
 * REPLICAS_CONCURRENCY (default 8).
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI, servers, tempDir, writeConfig } from "../test/helpers.js";
import { startNginx } from "../test/nginx.js";
import { freePort, startRedis } from "../test/redis-server.js";
import { fmt, header, percentile, writeSection } from "./lib.js";

const RUNS = Number(process.env.REPLICAS_RUNS ?? 100);
const SECONDS = Number(process.env.REPLICAS_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.REPLICAS_CONCURRENCY ?? 8);
const TOKEN = "bench-token-0123456789abcdef";
const WORK = `await workspace.write("n.json", { n: state.n ?? 0 }); state.n = ((await workspace.read("n.json")).n) + 1; return state.n;`;

const children: ChildProcess[] = [];

async function replica(config: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BENCH_TOKEN: TOKEN, STATE_KEY: "a benchmark secret of the replicas, 32+ chars" },
  });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /at http:\/\/(127\.0\.0\.1:\d+)\/mcp/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
  return client;
}

async function execute(client: Client, code: string): Promise<void> {
  const out = (await client.callTool({ name: "execute", arguments: { code } })).structuredContent as { error: { code: string; message: string } | null };
  if (out.error) throw new Error(`${out.error.code}: ${out.error.message}`);
}

async function throughput(url: string): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => connect(url)));
  for (const c of clients) await execute(c, WORK);
  let done = 0;
  const until = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < until) {
        await execute(c, WORK);
        done++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  return done / seconds;
}

const redis = await startRedis();
if ("reason" in redis) {
  console.log(`replicas bench skipped: ${redis.reason}`);
  process.exit(0);
}
const dir = tempDir();
const nginxPorts = [await freePort(), await freePort()];
const base = {
  mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) },
  auth: { users: { bench: "${BENCH_TOKEN}" }, allowedHosts: nginxPorts.map((p) => `127.0.0.1:${p}`) },
  sessions: { max: 1000, maxPerUser: 1000 },
};
const localConfig = writeConfig(dir, base, "local.config.json");
const redisConfig = writeConfig(dir, { ...base, state: { redis: redis.url, key: "${STATE_KEY}", keyPrefix: "bench-replicas:" } }, "redis.config.json");

try {
  const rows: string[] = [];
  const local = await replica(localConfig);
  const shared = await replica(redisConfig);
  const latencyRows: [string, string, string][] = [
    ["workspace write + read + state, no state.redis", `http://${local}/mcp`, WORK],
    ["workspace write + read + state, state.redis", `http://${shared}/mcp`, WORK],
    ["`return 1`, no state.redis", `http://${local}/mcp`, "return 1"],
    ["`return 1`, state.redis", `http://${shared}/mcp`, "return 1"],
  ];
  // Samples of the two configurations interleaved, so drift of this shared machine hits both alike.
  const clients = new Map<string, Client>();
  for (const [, url] of latencyRows) if (!clients.has(url)) clients.set(url, await connect(url));
  const samples = latencyRows.map((): number[] => []);
  for (const [, url, code] of latencyRows) for (let i = 0; i < 10; i++) await execute(clients.get(url)!, code);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [, url, code]] of latencyRows.entries()) {
      const start = process.hrtime.bigint();
      await execute(clients.get(url)!, code);
      samples[k]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  for (const c of clients.values()) await c.close();
  const p50s = samples.map((values) => percentile(values, 50));
  for (const [k, [name]] of latencyRows.entries()) rows.push(`| ${name} | ${fmt(percentile(samples[k]!, 50), 2)} | ${fmt(percentile(samples[k]!, 90), 2)} |`);
  const second = await replica(redisConfig);
  const one = await startNginx([shared], nginxPorts[0]);
  const two = await startNginx([shared, second], nginxPorts[1]);
  if ("reason" in one || "reason" in two) throw new Error(`nginx: ${"reason" in one ? one.reason : "reason" in two ? two.reason : ""}`);
  const perSecond1 = await throughput(`${one.origin}/mcp`);
  const perSecond2 = await throughput(`${two.origin}/mcp`);
  await one.stop();
  await two.stop();

  const md = `${header("Replicas: executions/s behind nginx, and what Redis state adds per execute", "npm run build && npm run bench -- replicas")}
Built \`toolcode serve --http\` replicas on loopback, one redis-server (no persistence), nginx round-robin (Debian package) in front. The workspace script: \`${WORK}\`.

Latency of one execute (one MCP session per row, sequential, rows interleaved; ${RUNS} samples after 10 warm-up, direct to one replica):

| execute | p50 ms | p90 ms |
|---|--:|--:|
${rows.join("\n")}

Difference of the p50s, state.redis − none: ${fmt((p50s[1] ?? 0) - (p50s[0] ?? 0), 2)} ms for the workspace script (one index GET + blob PUT + index compare-and-set + GET of index and blob + state GET/PUT, each sealed) and ${fmt((p50s[3] ?? 0) - (p50s[2] ?? 0), 2)} ms for \`return 1\` (the state GET). On loopback Redis commands are ~0.1 ms each (section \`state\`), below this machine's noise between executes.

Throughput, ${CONCURRENCY} sessions for ${SECONDS} s each running the workspace script, through nginx (all with state.redis):

| replicas | executions/s |
|---|--:|
| 1 | ${fmt(perSecond1, 1)} |
| 2 | ${fmt(perSecond2, 1)} |

All processes (client, nginx, Redis, replicas and their sandbox workers) share this machine's cores, so 2 replicas gain only what idle cores there are: the figure to take to a real deployment is the per-replica one, with Redis far from its limit (a few commands per execute).
`;
  writeSection("replicas", md);
  console.log(md);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  await redis.stop();
}
process.exit(0);
