/**
 * Approvals against real MCP servers: every destructive tool of server-filesystem and
 * server-memory is blocked without approval and runs after it (asynchronous approval by id with
 * journal replay, and the library callback); divergence, reuse, expiry and other sessions' ids
 * are refused.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ApprovalRequest } from "../../src/guard/guard.js";
import { servers, tempDir } from "../helpers.js";
import { auditRecords, storedGraph } from "./helpers.js";

describe("approvals with real filesystem and memory servers", () => {
  let tc: Toolcode;
  let dir: string;
  let data: string;
  let memoryFile: string;
  let auditFile: string;

  beforeAll(async () => {
    dir = tempDir();
    data = path.join(dir, "data");
    mkdirSync(data);
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    tc = await createToolcode({
      config: {
        mcpServers: { files: servers.filesystem(data), memory: servers.memory(memoryFile) },
        policy: { allow: ["files", "memory"], approvalTtlSeconds: 600 },
        audit: { file: auditFile },
        sandbox: { timeoutMs: 20_000 },
      },
      cwd: dir,
    });
    expect(tc.failures).toEqual([]);
  });

  afterAll(async () => {
    await tc.close();
  });

  const seedGraph = async (sessionId: string): Promise<void> => {
    const run = await tc.execute(
      `await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["wrote code", "liked math"] }, { name: "Charles", entityType: "person", observations: ["built engines"] }] });
       await memory.create_relations({ relations: [{ from: "Ada", to: "Charles", relationType: "knows" }] });`,
      { sessionId },
    );
    expect(run.error).toBeNull();
  };

  /** Each destructive tool: a script calling it, and checks of its effect on the real server. */
  const destructive = (): { tool: string; code: string; before: () => void; applied: () => boolean }[] => [
    {
      tool: "files.write_file",
      code: `await files.write_file({ path: ${JSON.stringify(path.join(data, "new.txt"))}, content: "written" });`,
      before: () => undefined,
      applied: () => existsSync(path.join(data, "new.txt")),
    },
    {
      tool: "files.edit_file",
      code: `await files.edit_file({ path: ${JSON.stringify(path.join(data, "edit.txt"))}, edits: [{ oldText: "old", newText: "new" }] });`,
      before: () => writeFileSync(path.join(data, "edit.txt"), "old text\n"),
      applied: () => readFileSync(path.join(data, "edit.txt"), "utf8") === "new text\n",
    },
    {
      tool: "files.move_file",
      code: `await files.move_file({ source: ${JSON.stringify(path.join(data, "a.txt"))}, destination: ${JSON.stringify(path.join(data, "b.txt"))} });`,
      before: () => writeFileSync(path.join(data, "a.txt"), "a\n"),
      applied: () => !existsSync(path.join(data, "a.txt")) && existsSync(path.join(data, "b.txt")),
    },
    {
      tool: "memory.delete_observations",
      code: `await memory.delete_observations({ deletions: [{ entityName: "Ada", observations: ["liked math"] }] });`,
      before: () => undefined,
      applied: () => !storedGraph(memoryFile).entities.find((e) => e.name === "Ada")?.observations.includes("liked math"),
    },
    {
      tool: "memory.delete_relations",
      code: `await memory.delete_relations({ relations: [{ from: "Ada", to: "Charles", relationType: "knows" }] });`,
      before: () => undefined,
      applied: () => storedGraph(memoryFile).relations.length === 0,
    },
    // Last: deleting an entity also deletes its relations.
    {
      tool: "memory.delete_entities",
      code: `await memory.delete_entities({ entityNames: ["Charles"] });`,
      before: () => undefined,
      applied: () => !storedGraph(memoryFile).entities.some((e) => e.name === "Charles"),
    },
  ];

  it("lists every destructive tool of both servers as visible but approval-bound", () => {
    const destructiveIds = tc.catalog.tools().filter((t) => t.spec.annotations?.destructiveHint === true).map((t) => t.id).sort();
    expect(destructiveIds).toEqual(destructive().map((d) => d.tool).sort());
  });

  it("blocks 100% of destructive calls without approval, and runs each one after approval by id", async () => {
    const sessionId = "approve-by-id";
    await seedGraph(sessionId);
    let blocked = 0;
    let ranAfterApproval = 0;
    for (const call of destructive()) {
      call.before();
      const first = await tc.execute(call.code, { sessionId });
      expect(first.error?.code, call.tool).toBe("APPROVAL_REQUIRED");
      expect(first.approval, call.tool).toMatchObject({ tool: call.tool, reason: "destructive tool (policy.approveDestructive)" });
      expect(first.error?.message).toContain(`approve: "${first.approval?.id}"`);
      expect(call.applied(), `${call.tool} must not run before approval`).toBe(false);
      blocked++;
      const second = await tc.execute(call.code, { sessionId, approve: first.approval?.id as string });
      expect(second.error, call.tool).toBeNull();
      expect(call.applied(), `${call.tool} must run after approval`).toBe(true);
      ranAfterApproval++;
    }
    expect([blocked, ranAfterApproval]).toEqual([6, 6]);
  });

  it("replays the calls before the approved one from the journal instead of repeating them", async () => {
    const sessionId = "replay";
    await seedGraph(sessionId);
    const code = `
      const before = await memory.read_graph();
      await memory.add_observations({ observations: [{ entityName: "Ada", contents: ["seen " + before.entities.length] }] });
      await memory.delete_entities({ entityNames: ["Charles"] });
      return (await memory.read_graph()).entities.map((e) => e.name);`;
    const first = await tc.execute(code, { sessionId });
    expect(first.error?.code).toBe("APPROVAL_REQUIRED");
    expect(first.approval?.arguments).toEqual({ entityNames: ["Charles"] });
    // Change the world between the two runs: the replayed read_graph must still see two entities.
    const other = await tc.execute(`await memory.create_entities({ entities: [{ name: "Grace", entityType: "person", observations: [] }] });`, { sessionId });
    expect(other.error).toBeNull();
    const second = await tc.execute(code, { sessionId, approve: first.approval?.id as string });
    expect(second.error).toBeNull();
    expect(second.result).toEqual(["Ada", "Grace"]);
    // add_observations ran once (in the first run), not again.
    expect(storedGraph(memoryFile).entities.find((e) => e.name === "Ada")?.observations.filter((o) => o.startsWith("seen "))).toEqual(["seen 2"]);
    const calls = auditRecords(auditFile).filter((r) => r.type === "call" && r.session === sessionId && r.execution === auditRecords(auditFile).findLast((x) => x.type === "execution" && x.session === sessionId)?.execution);
    expect(calls.map((r) => (r.type === "call" ? [r.tool, r.replayed, r.approval?.via ?? null] : []))).toEqual([
      ["memory.read_graph", true, null],
      ["memory.add_observations", true, null],
      ["memory.delete_entities", false, "execute"],
      ["memory.read_graph", false, null],
    ]);
  });

  it("stops with REPLAY_DIVERGED when the re-run makes different calls, and runs nothing destructive", async () => {
    const sessionId = "diverge";
    await seedGraph(sessionId);
    const first = await tc.execute(`await memory.open_nodes({ names: ["Ada"] }); await memory.delete_entities({ entityNames: ["Ada"] });`, { sessionId });
    expect(first.error?.code).toBe("APPROVAL_REQUIRED");
    const id = first.approval?.id as string;
    const earlier = await tc.execute(`await memory.open_nodes({ names: ["Charles"] }); await memory.delete_entities({ entityNames: ["Ada"] });`, { sessionId, approve: id });
    expect(earlier.error?.code).toBe("REPLAY_DIVERGED");
    expect(earlier.error?.message).toContain("Call #1");
    const target = await tc.execute(`await memory.open_nodes({ names: ["Ada"] }); await memory.delete_entities({ entityNames: ["Charles"] });`, { sessionId, approve: id });
    expect(target.error?.code).toBe("REPLAY_DIVERGED");
    expect(target.error?.message).toContain("Call #2");
    // Even a guest that catches the error cannot go on calling tools.
    const caught = await tc.execute(`try { await memory.read_graph(); } catch (e) { await memory.delete_entities({ entityNames: ["Charles"] }); }`, { sessionId, approve: id });
    expect(caught.error?.code).toBe("REPLAY_DIVERGED");
    expect(storedGraph(memoryFile).entities.map((e) => e.name)).toEqual(expect.arrayContaining(["Ada", "Charles"]));
    // The approval is still usable for the same script.
    const same = await tc.execute(`await memory.open_nodes({ names: ["Ada"] }); await memory.delete_entities({ entityNames: ["Ada"] });`, { sessionId, approve: id });
    expect(same.error).toBeNull();
  });

  it("an approval is single-use, bound to its session, and expires", async () => {
    await seedGraph("owner");
    const code = `await memory.delete_relations({ relations: [{ from: "Ada", to: "Charles", relationType: "knows" }] });`;
    const first = await tc.execute(code, { sessionId: "owner" });
    const id = first.approval?.id as string;
    expect((await tc.pendingApprovals({ sessionId: "owner" })).map((a) => a.id)).toEqual([id]);
    const stranger = await tc.execute(code, { sessionId: "stranger", approve: id });
    expect(stranger.error?.code).toBe("APPROVAL_INVALID");
    expect(stranger.error?.message).toContain("belongs to another session");
    expect((await tc.execute(code, { sessionId: "owner", approve: id })).error).toBeNull();
    const again = await tc.execute(code, { sessionId: "owner", approve: id });
    expect(again.error?.code).toBe("APPROVAL_INVALID");

    const short = await createToolcode({
      config: { mcpServers: { memory: servers.memory(path.join(dir, "short.jsonl")) }, policy: { allow: ["memory"], approvalTtlSeconds: 1 } },
    });
    try {
      const pending = await short.execute(`await memory.delete_entities({ entityNames: ["x"] });`);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const late = await short.execute(`await memory.delete_entities({ entityNames: ["x"] });`, { approve: pending.approval?.id as string });
      expect(late.error?.code).toBe("APPROVAL_INVALID");
      expect(late.error?.message).toContain("expired");
    } finally {
      await short.close();
    }
  });

  it("stops the run even when the guest catches APPROVAL_REQUIRED, and blocks its later calls", async () => {
    const sessionId = "catcher";
    await seedGraph(sessionId);
    const run = await tc.execute(
      `try { await memory.delete_entities({ entityNames: ["Ada"] }); } catch (e) { console.log("caught " + e.code); }
       await memory["delete_" + "entities"]({ entityNames: ["Charles"] }); // computed: no plan, each call asks
       return "went on";`,
      { sessionId },
    );
    expect(run.error?.code).toBe("APPROVAL_REQUIRED");
    expect(run.logs).toEqual(["caught APPROVAL_REQUIRED"]);
    expect(run.approval?.note).toContain("No plan: the script reaches tools dynamically (computed member memory[…] (line 2))");
    expect(run.result).toBeUndefined();
    expect(storedGraph(memoryFile).entities.map((e) => e.name)).toEqual(expect.arrayContaining(["Ada", "Charles"]));
  });

  it("tc.approve resumes the stored script", async () => {
    await seedGraph("resume");
    const first = await tc.execute(`await memory.delete_entities({ entityNames: ["Charles"] }); return "done";`, { sessionId: "resume" });
    const resumed = await tc.approve(first.approval?.id as string, { sessionId: "resume" });
    expect(resumed.error).toBeNull();
    expect(resumed.result).toBe("done");
  });

  it("asks the library callback: true runs the call, false refuses it, undefined leaves it pending", async () => {
    const asked: ApprovalRequest[] = [];
    let answer: boolean | undefined = false;
    const interactive = await createToolcode({
      config: { mcpServers: { memory: servers.memory(path.join(dir, "callback.jsonl")) }, policy: { allow: ["memory"] } },
      onApproval: (request) => {
        asked.push(request);
        return answer;
      },
    });
    try {
      await interactive.execute(`await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: [] }] });`);
      const declined = await interactive.execute(`await memory.delete_entities({ entityNames: ["Ada"] });`);
      expect(declined.error?.code).toBe("APPROVAL_DENIED");
      expect(storedGraph(path.join(dir, "callback.jsonl")).entities).toHaveLength(1);
      expect(asked[0]).toMatchObject({ tool: "memory.delete_entities", arguments: { entityNames: ["Ada"] }, reason: "destructive tool (policy.approveDestructive)" });
      answer = undefined;
      const pending = await interactive.execute(`await memory.delete_entities({ entityNames: ["Ada"] });`);
      expect(pending.error?.code).toBe("APPROVAL_REQUIRED");
      answer = true;
      const approved = await interactive.execute(`await memory.delete_entities({ entityNames: ["Ada"] });`);
      expect(approved.error).toBeNull();
      expect(storedGraph(path.join(dir, "callback.jsonl")).entities).toHaveLength(0);
      expect(asked).toHaveLength(3);
    } finally {
      await interactive.close();
    }
  });

  it("policy.approve asks for non-destructive tools too", async () => {
    const strict = await createToolcode({
      config: { mcpServers: { memory: servers.memory(path.join(dir, "strict.jsonl")) }, policy: { approve: ["memory.create_*"] } },
    });
    try {
      const run = await strict.execute(`await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: [] }] });`);
      expect(run.error?.code).toBe("APPROVAL_REQUIRED");
      expect(run.approval?.reason).toBe('policy.approve[0] "memory.create_*"');
      expect(storedGraph(path.join(dir, "strict.jsonl")).entities).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});
