/**
 * Issue 17's "test it for real": two BUILT `toolcode serve --http` replicas on their own
 * loopback ports, one real redis-server (state.redis), a real nginx round-robin in front. One MCP
 * client session (the SDK's StreamableHTTPClientTransport, to nginx) runs 20 `execute` calls that
 * land alternately on each replica (proved by nginx's `$upstream_addr` log and each replica's own
 * audit file), writing and reading workspace files and guest `state` and resuming an approval;
 * then one replica is SIGKILLed and the session goes on on the other with nothing lost.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditExecution, AuditRecord } from "../../src/guard/audit-log.js";
import { auditRecords, storedGraph } from "../guard/helpers.js";
import { CLI, servers, tempDir, writeConfig } from "../helpers.js";
import { type Nginx, startNginx } from "../nginx.js";
import { type RedisServer, freePort, startRedis } from "../redis-server.js";

interface ExecuteContent {
  result?: unknown;
  error: { code: string; message: string } | null;
  approval?: { id: string; tool: string };
}

const ALICE = "alice-token-0123456789abcdef";
const STEPS = 20;

/** Step i: reads what step i-1 wrote (on the other replica), writes its own file, counts in `state`. */
const stepCode = (i: number): string => `// step ${i}
const previous = ${i} === 0 ? null : await workspace.read("steps/${i - 1}.json");
await workspace.write("steps/${i}.json", { step: ${i}, previous: previous && previous.step });
state.count = (state.count ?? 0) + 1;
return { previous: previous && previous.step, count: state.count, files: (await workspace.list("steps")).length };`;

/** The step that writes through the approval policy (paused, then resumed on the other replica). */
const APPROVAL_STEP = 9;
const approvalCode = (i: number): string => `// step ${i}
const previous = await workspace.read("steps/${i - 1}.json");
await memory.create_entities({ entities: [{ name: "Balanced", entityType: "test", observations: ["through nginx"] }] });
await workspace.write("steps/${i}.json", { step: ${i}, previous: previous.step });
state.count = (state.count ?? 0) + 1;
return { previous: previous.step, count: state.count, files: (await workspace.list("steps")).length };`;

const hash = (code: string): string => createHash("sha256").update(code).digest("hex").slice(0, 16);

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const pid = child.pid;
    if (pid === undefined) return resolve();
    child.once("exit", () => resolve());
    process.kill(pid, "SIGKILL");
  });
}

describe("two toolcode serve --http replicas behind nginx round-robin, one redis-server", () => {
  let redis: RedisServer | { reason: string } = { reason: "not started" };
  let nginx: Nginx | { reason: string } = { reason: "not started" };
  const children: ChildProcess[] = [];
  let client: Client | undefined;

  beforeAll(async () => {
    redis = await startRedis();
  }, 900_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    if ("stop" in nginx) await nginx.stop();
    if ("stop" in redis) await redis.stop();
  });

  it("20 executes of one MCP session alternate between the replicas, sharing workspace, state and an approval; a SIGKILLed replica loses nothing", async () => {
    if ("reason" in redis) return console.log(`skipped: ${redis.reason}`);
    const redisPort = redis.port;
    const dir = tempDir();
    const memoryFile = path.join(dir, "memory.jsonl");
    const nginxPort = await freePort();
    const config = writeConfig(dir, {
      mcpServers: { memory: servers.memory(memoryFile) },
      policy: { approve: ["memory.create_*"], approvalTtlSeconds: 600 },
      audit: { file: "${AUDIT_FILE}" },
      // The replicas see nginx's Host header (127.0.0.1:<nginx port>): the operator allows it.
      auth: { users: { alice: "${ALICE_TOKEN}" }, allowedHosts: [`127.0.0.1:${nginxPort}`] },
      workspace: { maxFiles: 100 },
      state: { redis: redis.url, key: "${STATE_KEY}", keyPrefix: "nginx-test:" },
    });
    const startReplica = async (name: string): Promise<{ child: ChildProcess; upstream: string; audit: string }> => {
      const audit = path.join(dir, `audit-${name}.jsonl`);
      const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ALICE_TOKEN: ALICE, AUDIT_FILE: audit, STATE_KEY: "a shared secret of the replicas, 32+ chars" },
      });
      children.push(child);
      const upstream = await new Promise<string>((resolve, reject) => {
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /at http:\/\/(127\.0\.0\.1:\d+)\/mcp/.exec(stderr);
          if (match?.[1]) resolve(match[1]);
        });
        child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      return { child, upstream, audit };
    };
    const [a, b] = await Promise.all([startReplica("a"), startReplica("b")]);
    nginx = await startNginx([a.upstream, b.upstream], nginxPort);
    if ("reason" in nginx) return console.log(`skipped: ${nginx.reason}`);
    const balancer = nginx;

    // The client opens its GET stream right after initialize, without waiting: wait for its answer,
    // so nginx has given it an upstream before the executes start (else it may fall between two).
    let streamOpened: Promise<unknown> = Promise.resolve();
    const watched = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = fetch(input, init);
      if ((init?.method ?? "GET") === "GET") streamOpened = response.catch(() => undefined);
      return response;
    };
    const transport = new StreamableHTTPClientTransport(new URL(`${balancer.origin}/mcp`), { fetch: watched, requestInit: { headers: { Authorization: `Bearer ${ALICE}` } } });
    client = new Client({ name: "behind-nginx", version: "1" });
    await client.connect(transport);
    await streamOpened;
    const session = transport.sessionId;
    expect(session).toBeDefined();
    const execute = async (args: Record<string, unknown>): Promise<ExecuteContent> => (await client!.callTool({ name: "execute", arguments: args })).structuredContent as unknown as ExecuteContent;
    const postsBefore = 1; // the initialize

    // 20 executes: 19 steps + the approved re-run of the paused one.
    const codes: string[] = [];
    for (let i = 0; i < STEPS - 1; i++) {
      const code = i === APPROVAL_STEP ? approvalCode(i) : stepCode(i);
      codes.push(code);
      const out = await execute({ code });
      if (i === APPROVAL_STEP) {
        expect(out.error?.code).toBe("APPROVAL_REQUIRED");
        expect(out.approval?.tool).toBe("memory.create_entities");
        codes.push(code);
        const resumed = await execute({ code, approve: out.approval?.id });
        expect(resumed).toMatchObject({ error: null, result: { previous: i - 1, count: i + 1, files: i + 1 } });
      } else {
        expect(out).toMatchObject({ error: null, result: { previous: i === 0 ? null : i - 1, count: i + 1, files: i + 1 } });
      }
    }
    expect(codes).toHaveLength(STEPS);
    expect(transport.sessionId).toBe(session);

    // nginx sent the 20 execute POSTs alternately to each replica.
    // (The initialize's POST and the notification's 202 come first; the client's GET stream is logged when it ends.)
    const posts = balancer.accessLog().filter((l) => l.startsWith("POST /mcp 200")).slice(postsBefore);
    expect(posts).toHaveLength(STEPS);
    const upstreams = posts.map((l) => l.split(" ").at(-1));
    for (let i = 1; i < upstreams.length; i++) expect(upstreams[i]).not.toBe(upstreams[i - 1]);
    expect(new Set(upstreams)).toEqual(new Set([a.upstream, b.upstream]));
    // Each replica's own audit file holds its half of the executions, by script hash.
    const executions = (file: string): AuditExecution[] => auditRecords(file).filter((r: AuditRecord): r is AuditExecution => r.type === "execution" && r.session === session);
    const onA = executions(a.audit);
    const onB = executions(b.audit);
    expect(onA).toHaveLength(STEPS / 2);
    expect(onB).toHaveLength(STEPS / 2);
    const served = codes.map((code, i) => (upstreams[i] === a.upstream ? onA : onB).some((r) => r.codeHash === hash(code)));
    expect(served.every(Boolean)).toBe(true);
    // The paused run and its approved re-run ran on different replicas; the write happened once.
    const paused = [...onA, ...onB].find((r) => r.pendingApproval !== null);
    const resumedOn = [...onA, ...onB].find((r) => r.approve !== null);
    expect(paused && resumedOn && onA.includes(paused) !== onA.includes(resumedOn)).toBe(true);
    expect(storedGraph(memoryFile).entities.filter((e) => e.name === "Balanced")).toHaveLength(1);

    // One replica dies; the session goes on on the other with every file and the state.
    await killed(a.child);
    const after = await execute({
      code: `const files = await workspace.list("steps"); const all = []; for (const f of files) all.push(await workspace.read(f.path)); state.count += 1; return { files: files.length, steps: all.map((x) => x.step).sort((x, y) => x - y), count: state.count };`,
    });
    expect(after).toMatchObject({ error: null, result: { files: STEPS - 1, steps: Array.from({ length: STEPS - 1 }, (_, i) => i), count: STEPS } });
    for (let i = 0; i < 3; i++) expect(await execute({ code: `return (await workspace.read("steps/${STEPS - 2}.json")).step + ${i}` })).toMatchObject({ error: null, result: STEPS - 2 + i });
    expect(transport.sessionId).toBe(session);
    expect(executions(b.audit).length).toBe(STEPS / 2 + 4);

    // The client ends the session (HTTP DELETE through nginx): its workspace and state records go.
    const keys = (): string[] => execFileSync("/usr/bin/redis-cli", ["-p", String(redisPort), "--scan", "--pattern", "nginx-test:ws*"], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(keys().length).toBeGreaterThan(STEPS);
    await transport.terminateSession();
    expect(keys()).toEqual([]);
  }, 300_000);
});
