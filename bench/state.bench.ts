/**
 * The state store (issue 19 item 3, issue 17): what keeping a pending approval outside the
 * process costs. Per store (memory, file in a temp dir, Redis on loopback from redis-server):
 * p50 / p90 of `put` (what a pause adds: one sealed record) and of `take` (what a resume adds),
 * for a record of about 13 KB (an approval whose journal holds a few tool results), and the
 * AES-256-GCM seal + open of that record. An execute that neither pauses nor resumes touches
 * no store; `serve --http` writes one record per MCP initialize (and refreshes it at most once
 * per quarter of workspace.idleMinutes).
 *
 * Run: npm run bench -- state. Writes the `state` section of RESULTS.md.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FileStateStore } from "../src/runtime/file-state-store.js";
import { RedisStateStore } from "../src/runtime/redis-state-store.js";
import { StateCipher } from "../src/runtime/state-cipher.js";
import { MemoryStateStore, type StateStore } from "../src/runtime/state-store.js";
import { startRedis } from "../test/redis-server.js";
import { fmt, header, percentile, writeSection } from "./lib.js";

const RUNS = Number(process.env.STATE_RUNS ?? 300);
const record = {
  approval: {
    id: "ap_0123456789abcdefghijkl",
    tool: "memory.create_entities",
    code: "x".repeat(1500),
    journal: Array.from({ length: 5 }, (_, i) => ({ seq: i + 1, tool: "memory.read_graph", argsKey: "{}", outcome: { ok: true, value: { entities: Array.from({ length: 20 }, (_, j) => ({ name: `entity ${i}-${j}`, observations: ["an observation of some length", "another"] })) } } })),
  },
  user: "alice",
  vault: [["<email_1>", "ada@example.com"]],
};
const cipher = StateCipher.fromSecret("a benchmark secret, long enough");
const sealed = cipher.seal(record, "approval:k");

async function times(fn: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < 20; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

const row = (name: string, values: number[]): string => `| ${name} | ${fmt(percentile(values, 50), 3)} | ${fmt(percentile(values, 90), 3)} |`;

const redis = await startRedis();
const stores: [string, StateStore | undefined][] = [
  ["memory", new MemoryStateStore()],
  ["file (os temp dir, datasync per put)", new FileStateStore({ dir: path.join(mkdtempSync(path.join(os.tmpdir(), "toolcode-bench-state-")), "state") })],
  ["redis 127.0.0.1 (redis-server, no persistence)", "url" in redis ? new RedisStateStore({ url: redis.url, keyPrefix: "bench:" }) : undefined],
];
const rows: string[] = [];
rows.push(row("seal (AES-256-GCM, JSON)", await times(() => cipher.seal(record, "approval:k"))));
rows.push(row("open", await times(() => cipher.open(sealed, "approval:k"))));
for (const [name, store] of stores) {
  if (!store) {
    rows.push(`| ${name} | skipped: ${"reason" in redis ? redis.reason : ""} | |`);
    continue;
  }
  rows.push(row(`${name}: put`, await times((i) => store.put(`k:${i}`, sealed, 60_000))));
  rows.push(row(`${name}: take`, await times((i) => store.take(`k:${i}`))));
  await store.close();
}
if ("stop" in redis) await redis.stop();

const md = `${header("State store: the cost of a durable approval", "npm run bench -- state")}
A sealed record of ${fmt(sealed.length / 1024, 1)} KB (an approval with a 5-call journal); ${RUNS} operations each, after 20 warm-up ones. A pause adds one seal + put; a resume one take + open; other executes touch no store.

| operation | p50 ms | p90 ms |
|---|--:|--:|
${rows.join("\n")}
`;
writeSection("state", md);
console.log(md);
