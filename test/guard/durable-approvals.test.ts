/**
 * Durable pending approvals in the library: a run paused for approval in one toolcode instance
 * resumes in another instance sharing the state directory (what a restart looks like), with its
 * journal replayed and the PII vault entries it needs; ids never cross users; records are
 * encrypted at rest; a reject deletes the kept record.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ConfigInput } from "../../src/config/schema.js";
import type { AuditCall } from "../../src/guard/audit-log.js";
import { servers, tempDir } from "../helpers.js";
import { startRedis } from "../redis-server.js";
import { auditRecords, storedGraph } from "./helpers.js";

describe("pending approvals kept in the state store", () => {
  const dir = tempDir();
  const memoryFile = path.join(dir, "memory.jsonl");
  const auditFile = path.join(dir, "audit.jsonl");
  const stateDir = path.join(dir, "state");
  const config: ConfigInput = {
    mcpServers: { memory: servers.memory(memoryFile) },
    policy: { allow: ["memory.read_graph", "memory.search_nodes", "memory.open_nodes"], approve: ["memory.create_*", "memory.add_observations"], approvalTtlSeconds: 600 },
    privacy: { tokenize: ["email"] },
    audit: { file: auditFile },
    state: { dir: stateDir },
  };
  const open: Toolcode[] = [];
  const start = async (): Promise<Toolcode> => {
    const tc = await createToolcode({ config, cwd: dir });
    open.push(tc);
    return tc;
  };
  afterAll(async () => {
    await Promise.all(open.map((tc) => tc.close()));
  });

  // Call 1 reads (its result carries an email, tokenized); call 2 writes it back (needs approval).
  const code = `const found = await memory.search_nodes({ query: "Ada" });
const email = found.entities[0].observations[0];
await memory.add_observations({ observations: [{ entityName: "Ada", contents: ["contact " + email] }] });
return email;`;

  beforeAll(async () => {
    const seed = await createToolcode({ config: { ...config, policy: { default: "allow-all", approveDestructive: false } }, cwd: dir });
    expect((await seed.execute(`await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["ada@example.com"] }] });`)).error).toBeNull();
    await seed.close();
  });

  it("resumes after the instance that asked is gone, replaying the journal and detokenizing the vault's value", async () => {

    const first = await start();
    const paused = await first.execute(code, { sessionId: "before-restart" });
    expect(paused.error?.code).toBe("APPROVAL_REQUIRED");
    const id = paused.approval?.id as string;
    expect(paused.approval?.arguments).toEqual({ observations: [{ entityName: "Ada", contents: ["contact <email_1>"] }] });
    // It stopped before the write: nothing was written, so nothing is kept for a retry either.
    expect(paused.error?.details?.execution).toEqual({ code: "FAILED_BEFORE_WRITES", retry: "safe", writes: [] });
    // Kept on disk, encrypted: neither the email nor the script's text appears in the files.
    const files = readdirSync(stateDir);
    expect(files).toContain("key");
    const kept = files.filter((f) => f.endsWith(".e"));
    expect(kept).toHaveLength(1);
    const text = readFileSync(path.join(stateDir, kept[0] ?? ""), "utf8");
    expect(text).not.toContain("ada@example.com");
    expect(text).not.toContain("add_observations");
    await first.close();

    const second = await start();
    // Another user never gets it (and it stays for its owner).
    const stranger = await second.execute(code, { sessionId: "thief", user: "mallory", approve: id });
    expect(stranger.error?.code).toBe("APPROVAL_INVALID");
    const resumed = await second.execute(code, { sessionId: "after-restart", approve: id });
    expect(resumed.error).toBeNull();
    expect(resumed.result).toBe("<email_1>");
    const ada = storedGraph(memoryFile).entities.find((e) => e.name === "Ada");
    expect(ada?.observations).toContain("contact ada@example.com");
    expect(ada?.observations.filter((o) => o === "contact ada@example.com")).toHaveLength(1);
    // The read was answered from the journal, not repeated.
    const calls = auditRecords(auditFile).filter((r): r is AuditCall => r.type === "call" && r.session === "after-restart");
    expect(calls.map((c) => [c.tool, c.replayed])).toEqual([["memory.search_nodes", true], ["memory.add_observations", false]]);
    expect(readdirSync(stateDir).filter((f) => f.endsWith(".e"))).toEqual([]);
    // Single use: a third try finds nothing.
    expect((await second.execute(code, { sessionId: "again", approve: id })).error?.code).toBe("APPROVAL_INVALID");
  });

  it("a run that stops before the approved call puts the approval back for another try", async () => {
    const tc = await start();
    const paused = await tc.execute(code, { sessionId: "s1" });
    const id = paused.approval?.id as string;
    const other = await createToolcode({ config, cwd: dir });
    open.push(other);
    const diverged = await other.execute(code.replace('"Ada"', '"Bob"'), { sessionId: "s2-elsewhere", approve: id });
    expect(diverged.error?.code).toBe("REPLAY_DIVERGED");
    await tc.close();
    const resumed = await other.execute(code, { sessionId: "s3-elsewhere", approve: id });
    expect(resumed.error).toBeNull();
  });

  it("keeps an approval bound to its session while that session is open in this process", async () => {
    const tc = await start();
    const paused = await tc.execute(code, { sessionId: "owner" });
    const id = paused.approval?.id as string;
    const stranger = await tc.execute(code, { sessionId: "stranger", approve: id });
    expect(stranger.error?.code).toBe("APPROVAL_INVALID");
    expect((await tc.execute(code, { sessionId: "owner", approve: id })).error).toBeNull();
  });

  it("a rejected approval is deleted from the store: no instance can use it", async () => {
    const tc = await start();
    const paused = await tc.execute(code, { sessionId: "r1" });
    const id = paused.approval?.id as string;
    await tc.close();
    const other = await start();
    expect(await other.rejectApproval(id, { sessionId: "r2-mallory", user: "mallory" })).toBe(false);
    expect(await other.rejectApproval(id, { sessionId: "r2" })).toBe(true);
    expect((await other.execute(code, { sessionId: "r3", approve: id })).error?.code).toBe("APPROVAL_INVALID");
  });

  it("approve(id) in a new instance finds the script from the store", async () => {
    const tc = await start();
    const paused = await tc.execute(code, { sessionId: "a1", user: "ann" });
    await tc.close();
    const other = await start();
    const resumed = await other.approve(paused.approval?.id as string, { sessionId: "a2", user: "ann" });
    expect(resumed.error).toBeNull();
    expect(resumed.result).toBe("<email_1>");
  });
  it("with an unwritable state.dir, approvals work in memory as before, with one notice on stderr", async () => {
    const blocked = path.join(dir, "not-a-dir");
    writeFileSync(blocked, "");
    const notices: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (String(chunk).startsWith("toolcode:")) notices.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      const tc = await createToolcode({ config: { ...config, state: { dir: path.join(blocked, "state") } }, cwd: dir });
      open.push(tc);
      const first = await tc.execute(code, { sessionId: "m1" });
      const second = await tc.execute(code, { sessionId: "m2" });
      expect([first.error?.code, second.error?.code]).toEqual(["APPROVAL_REQUIRED", "APPROVAL_REQUIRED"]);
      expect((await tc.execute(code, { sessionId: "m1", approve: first.approval?.id })).error).toBeNull();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/cannot be written.*kept in memory only.*Set state\.dir/);
    } finally {
      process.stderr.write = write;
    }
  });
});

describe("pending approvals kept in Redis when Redis goes down", () => {
  it("a kept approval is never run from a local copy while Redis is down; runs fail with STATE_STORE_UNAVAILABLE before anything runs", async () => {
    const redis = await startRedis();
    if ("reason" in redis) return console.log(`skipped: ${redis.reason}`);
    const dir = tempDir();
    const tc = await createToolcode({
      config: {
        mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) },
        policy: { approve: ["memory.create_*"] },
        state: { redis: redis.url, key: "a secret for this test only" },
      },
      cwd: dir,
    });
    try {
      const code = `await memory.create_entities({ entities: [{ name: "x", entityType: "t", observations: [] }] });`;
      const kept = await tc.execute(code, { sessionId: "r" });
      expect(kept.error?.code).toBe("APPROVAL_REQUIRED");
      await redis.stop();
      const down = await tc.execute(code, { sessionId: "r", approve: kept.approval?.id });
      expect(down.error?.code).toBe("STATE_STORE_UNAVAILABLE");
      expect(down.error?.message).toMatch(/Start Redis \(or fix state\.redis/);
      expect(storedGraph(path.join(dir, "memory.jsonl")).entities).toEqual([]);
      // With state.redis a session's workspace and guest state live in Redis too: while it is down a
      // run cannot load them, so it fails with the same clear code before anything runs.
      const other = await tc.execute(code, { sessionId: "r2" });
      expect(other.error?.code).toBe("STATE_STORE_UNAVAILABLE");
      expect(storedGraph(path.join(dir, "memory.jsonl")).entities).toEqual([]);
    } finally {
      await tc.close();
    }
  });
});

describe("retry records kept in the state store", () => {
  it("a run interrupted after two writes is retried with retryOf in a new instance: the two are replayed, not repeated", async () => {
    const dir = tempDir();
    const memoryFile = path.join(dir, "memory.jsonl");
    const auditFile = path.join(dir, "audit.jsonl");
    const config: ConfigInput = {
      mcpServers: { memory: servers.memory(memoryFile) },
      policy: { default: "allow-all", approveDestructive: false },
      privacy: { tokenize: ["email"] },
      audit: { file: auditFile },
      state: { dir: path.join(dir, "state") },
    };
    const writes = `await memory.create_entities({ entities: [{ name: "run", entityType: "t", observations: [] }] });
await memory.add_observations({ observations: [{ entityName: "run", contents: ["one"] }] });`;
    const first = await createToolcode({ config, cwd: dir });
    const interrupted = await first.execute(`${writes}\nthrow new Error("connection lost");`, { sessionId: "r1", user: "ann" });
    expect(interrupted.error?.details?.execution).toMatchObject({ code: "INTERRUPTED_AFTER_WRITES", retry: "replay" });
    const executionId = interrupted.metadata.executionId;
    await first.close();

    const second = await createToolcode({ config, cwd: dir });
    try {
      const fixed = `${writes}\nawait memory.add_observations({ observations: [{ entityName: "run", contents: ["two"] }] });\nreturn "done";`;
      const stranger = await second.execute(fixed, { sessionId: "x", user: "mallory", retryOf: executionId });
      expect(stranger.error?.code).toBe("RETRY_INVALID");
      const retried = await second.execute(fixed, { sessionId: "r2", user: "ann", retryOf: executionId });
      expect(retried).toMatchObject({ error: null, result: "done" });
      expect(storedGraph(memoryFile).entities.map((e) => [e.name, e.observations])).toEqual([["run", ["one", "two"]]]);
      const calls = auditRecords(auditFile).filter((r): r is AuditCall => r.type === "call" && r.execution === retried.metadata.executionId);
      expect(calls.map((c) => c.replayed)).toEqual([true, true, false]);
      expect((await second.execute(fixed, { sessionId: "r3", user: "ann", retryOf: executionId })).error?.code).toBe("RETRY_INVALID");
    } finally {
      await second.close();
    }
  });
});
