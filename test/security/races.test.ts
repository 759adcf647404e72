/**
 * Check-then-act races on shared state, each run as N real concurrent calls (Promise.all) against
 * real MCP servers (server-memory, server-filesystem), asserting exact counts: approvals claimed
 * once, workspace quotas held by concurrent writes, sessions created once and capped, execution
 * slots counted exactly, a session ended (or idle) while an execution runs, concurrent skill saves.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { servers, tempDir } from "../helpers.js";
import { auditRecords, storedGraph } from "../guard/helpers.js";

const codes = (runs: { error: { code: string } | null }[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const run of runs) {
    const key = run.error?.code ?? "ok";
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

describe("races on the guard, sessions, workspaces and skills", () => {
  let tc: Toolcode;
  let dir: string;
  let memoryFile: string;
  let auditFile: string;
  let workspaces: string;

  beforeAll(async () => {
    dir = tempDir();
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    workspaces = path.join(dir, "workspaces");
    tc = await createToolcode({
      config: {
        mcpServers: { memory: servers.memory(memoryFile), files: servers.filesystem(dir) },
        policy: { allow: ["memory", "files"] },
        audit: { file: auditFile },
        workspace: { dir: workspaces, maxBytes: 10_000, maxFiles: 20 },
        sessions: { max: 40, maxPerUser: 3, maxConcurrentExecutions: 8, maxConcurrentExecutionsPerUser: 5 },
        sandbox: { timeoutMs: 20_000 },
        skills: { dir: path.join(dir, "skills") },
      },
      cwd: dir,
    });
    expect(tc.failures).toEqual([]);
  });

  afterAll(async () => {
    await tc.close();
  });

  it("an approval id replayed by 8 concurrent executions runs the destructive call exactly once", async () => {
    const sessionId = "approval-race";
    const seeded = await tc.execute(`await memory.create_entities({ entities: [{ name: "Target", entityType: "thing", observations: [] }] });`, { sessionId });
    expect(seeded.error).toBeNull();
    const code = `await memory.delete_entities({ entityNames: ["Target"] }); return "deleted";`;
    const first = await tc.execute(code, { sessionId });
    expect(first.error?.code).toBe("APPROVAL_REQUIRED");
    const approve = first.approval?.id as string;
    // Type-checking off: all eight must reach the claim at once (a check first would spread them out).
    const replays = await Promise.all(Array.from({ length: 8 }, () => tc.execute(code, { sessionId, approve, typeCheck: "off" })));
    expect(codes(replays)).toEqual({ ok: 1, APPROVAL_INVALID: 7 });
    expect(replays.find((r) => r.error === null)?.result).toBe("deleted");
    for (const run of replays.filter((r) => r.error)) expect(run.error?.message).toContain("being used by another execution");
    // What the server really got: one delete, one audit line of an approved call.
    const approvedCalls = auditRecords(auditFile).filter((r) => r.type === "call" && r.tool === "memory.delete_entities" && r.approval?.id === approve && r.approval.via === "execute");
    expect(approvedCalls).toHaveLength(1);
    expect(storedGraph(memoryFile).entities.some((e) => e.name === "Target")).toBe(false);
    // Used up: a later replay is refused.
    expect((await tc.execute(code, { sessionId, approve })).error?.code).toBe("APPROVAL_INVALID");
  });

  it("a claimed approval whose run stops before the approved call can be used again, once", async () => {
    const sessionId = "approval-release";
    const code = `await memory.delete_entities({ entityNames: ["Nobody"] }); return "ok";`;
    const first = await tc.execute(code, { sessionId });
    const approve = first.approval?.id as string;
    const diverged = await tc.execute(`await memory.read_graph(); await memory.delete_entities({ entityNames: ["Nobody"] });`, { sessionId, approve });
    expect(diverged.error?.code).toBe("REPLAY_DIVERGED");
    const replays = await Promise.all(Array.from({ length: 3 }, () => tc.execute(code, { sessionId, approve })));
    expect(codes(replays)).toEqual({ ok: 1, APPROVAL_INVALID: 2 });
  });

  it("50 concurrent workspace writes in one execution never overrun maxBytes or maxFiles", async () => {
    const sessionId = "quota-race";
    const bytes = await tc.execute(
      `const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => workspace.write("big/" + i + ".txt", "x".repeat(1000)).then(() => "ok", (e) => e.code)));
       return { ok: outcomes.filter((o) => o === "ok").length, quota: outcomes.filter((o) => o === "WORKSPACE_QUOTA").length, used: (await workspace.list()).reduce((s, f) => s + f.bytes, 0) };`,
      { sessionId },
    );
    expect(bytes.error).toBeNull();
    expect(bytes.result).toEqual({ ok: 10, quota: 40, used: 10_000 });
    const removed = await tc.execute(`return await workspace.remove("big");`, { sessionId });
    expect(removed.result).toBe(true);
    const files = await tc.execute(
      `const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => workspace.write("small/" + i + ".txt", "y").then(() => "ok", (e) => e.code)));
       return { ok: outcomes.filter((o) => o === "ok").length, quota: outcomes.filter((o) => o === "WORKSPACE_QUOTA").length, files: (await workspace.list()).length };`,
      { sessionId },
    );
    expect(files.result).toEqual({ ok: 20, quota: 30, files: 20 });
    // Overwriting an existing file is not a new file; the error names the key to raise.
    const again = await tc.execute(`await workspace.write("small/0.txt", "z"); try { await workspace.write("small/new.txt", "z"); } catch (e) { return e.message; }`, { sessionId });
    expect(again.result).toContain("workspace.maxFiles");
    expect(readdirSync(path.join(workspaces, sessionId, "small"))).toHaveLength(20);
  });

  it("three concurrent executions of one session share the quota exactly", async () => {
    const sessionId = "quota-race-executions";
    const script = (k: number): string => `const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => workspace.write("run-${k}/" + i + ".txt", "x".repeat(1000)).then(() => 1, () => 0)));
       return outcomes.reduce((a, b) => a + b, 0);`;
    const runs = await Promise.all(Array.from({ length: 3 }, (_, k) => tc.execute(script(k), { sessionId })));
    expect(runs.map((r) => r.error)).toEqual([null, null, null]);
    expect(runs.reduce((sum, r) => sum + (r.result as number), 0)).toBe(10);
    const listed = await tc.execute(`return (await workspace.list()).reduce((s, f) => s + f.bytes, 0);`, { sessionId });
    expect(listed.result).toBe(10_000);
  });

  it("concurrent executions of a new session id create it once; another user cannot take it", async () => {
    const sessionId = "created-once";
    const runs = await Promise.all(Array.from({ length: 3 }, (_, i) => tc.execute(`await workspace.write("from-${i}.txt", "${i}"); return 1;`, { sessionId, user: "alice" })));
    expect(runs.map((r) => r.error)).toEqual([null, null, null]);
    const listed = await tc.execute(`return (await workspace.list()).map((f) => f.path);`, { sessionId, user: "alice" });
    expect(listed.result).toEqual(["from-0.txt", "from-1.txt", "from-2.txt"]);
    const race = await Promise.all([tc.execute("return 1", { sessionId: "contested", user: "bob" }), tc.execute("return 1", { sessionId: "contested", user: "carol" })]);
    expect(codes(race)).toEqual({ ok: 1, SESSION_NOT_FOUND: 1 });
  });

  it("caps sessions per user and in all, atomically, without touching other users", async () => {
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => tc.execute("return 1", { sessionId: `mallory-${i}`, user: "mallory" })));
    // Five get an execution slot (sessions.maxConcurrentExecutionsPerUser), three of them a session.
    expect(codes(runs)).toEqual({ ok: 3, LIMIT_EXCEEDED: 9 });
    const messages = runs.flatMap((r) => (r.error ? [r.error.message] : []));
    expect(messages.filter((m) => m.includes("(sessions.maxPerUser)"))).toHaveLength(2);
    expect(messages.filter((m) => m.includes("(sessions.maxConcurrentExecutionsPerUser)"))).toHaveLength(7);
    // The victim still gets a session and runs.
    expect((await tc.execute("return 2", { sessionId: "victim", user: "victor" })).result).toBe(2);
    // Ending one of mallory's sessions frees exactly one slot.
    await tc.endSession("mallory-0");
    const after = await Promise.all([tc.execute("return 1", { sessionId: "mallory-a", user: "mallory" }), tc.execute("return 1", { sessionId: "mallory-b", user: "mallory" })]);
    expect(codes(after)).toEqual({ ok: 1, LIMIT_EXCEEDED: 1 });
  });

  it("counts concurrent executions per session and per user exactly; other users are unaffected", async () => {
    const inSession = await Promise.all(Array.from({ length: 11 }, () => tc.execute("return 1", { sessionId: "busy" })));
    expect(codes(inSession)).toEqual({ ok: 8, LIMIT_EXCEEDED: 3 });
    expect(inSession.find((r) => r.error)?.error?.message).toContain("sessions.maxConcurrentExecutions");
    const acrossSessions = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => tc.execute("return 1", { sessionId: `erin-${i % 3}`, user: "erin" })),
      tc.execute("return 3", { sessionId: "frank", user: "frank" }),
    ]);
    expect(acrossSessions.at(-1)?.result).toBe(3);
    expect(codes(acrossSessions.slice(0, 8))).toEqual({ ok: 5, LIMIT_EXCEEDED: 3 });
    // All slots were given back.
    expect(codes(await Promise.all(Array.from({ length: 8 }, () => tc.execute("return 1", { sessionId: "busy" }))))).toEqual({ ok: 8 });
    expect(codes(await Promise.all(Array.from({ length: 5 }, (_, i) => tc.execute("return 1", { sessionId: `erin-${i % 3}`, user: "erin" }))))).toEqual({ ok: 5 });
  });

  it("refuses an oversized script before it runs", async () => {
    const run = await tc.execute(`return ${JSON.stringify("x".repeat(2 * 1024 * 1024))}.length;`, { sessionId: "big-code" });
    expect(run.error?.code).toBe("LIMIT_EXCEEDED");
    expect(run.error?.message).toContain("sandbox.maxCodeBytes");
  });

  it("a session ended while its execution runs: the run gets SESSION_NOT_FOUND from the workspace, nothing is left behind", async () => {
    const sessionId = "ended-mid-run";
    const run = await tc.execute(
      `await workspace.write("a.txt", "1");
       await __host.endMySession(null);
       try { await workspace.write("b.txt", "2"); return "wrote"; } catch (e) { return e.code; }`,
      {
        sessionId,
        builtins: { prelude: "", functions: { endMySession: () => tc.endSession(sessionId).then(() => null) } },
      },
    );
    expect(run.error).toBeNull();
    expect(run.result).toBe("SESSION_NOT_FOUND");
    expect(existsSync(path.join(workspaces, sessionId))).toBe(false);
    // The id starts a fresh, empty session.
    expect((await tc.execute(`return (await workspace.list()).length;`, { sessionId })).result).toBe(0);
  });

  it("concurrent saves of one skill name keep every version, numbered 1..N", async () => {
    const saves = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        tc.skills.save({ name: "race-skill", description: "Adds a constant.", code: `export function add(x: number): number { return x + ${i}; }` }),
      ),
    );
    expect(saves.map((s) => s.version).sort()).toEqual([1, 2, 3, 4]);
    expect(tc.skills.get("race-skill")?.version).toBe(4);
    expect(await tc.skills.versions("race-skill")).toEqual([1, 2, 3]);
  });
});

describe("idle expiry never ends a session with an execution running", () => {
  it("keeps a busy session past its idle time, and expires it once idle", async () => {
    const dir = tempDir();
    const tc = await createToolcode({ config: { mcpServers: {}, workspace: { dir: path.join(dir, "ws"), idleMinutes: 0.001 } }, cwd: dir });
    try {
      const sleep = (ms: number): Promise<null> => new Promise((resolve) => setTimeout(() => resolve(null), ms));
      const run = await tc.execute(`await workspace.write("kept.txt", "1"); await __host.sleep(null); return await workspace.read("kept.txt");`, {
        sessionId: "long",
        builtins: { prelude: "", functions: { sleep: () => sleep(2500) } },
      });
      expect(run.error).toBeNull();
      expect(run.result).toBe("1");
      await sleep(2500);
      expect(existsSync(path.join(dir, "ws", "long"))).toBe(false);
      expect((await tc.execute(`return (await workspace.list()).length;`, { sessionId: "long" })).result).toBe(0);
    } finally {
      await tc.close();
    }
  });
});
