/**
 * The guest `state` object: kept between executions of one session (also when a script throws),
 * separate per session, refused whole when not JSON or too large (the previous state stays),
 * not kept by a run stopped for approval, and shadowed (not broken) by a script's own `state`.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { servers, tempDir } from "../helpers.js";

describe("session state", () => {
  let tc: Toolcode;

  beforeAll(async () => {
    const dir = tempDir();
    tc = await createToolcode({
      config: {
        mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) },
        policy: { allow: ["memory"], approve: ["memory.delete_entities"] },
        sessions: { maxStateBytes: 2048 },
        sandbox: { isolation: "thread", timeoutMs: 20_000 },
      },
      cwd: dir,
    });
  });

  afterAll(async () => {
    await tc.close();
  });

  it("keeps what a script sets for the next execute of the same session, not for another session", async () => {
    const first = await tc.execute("state.page = 2; state.seen = ['a']; return Object.keys(state);", { sessionId: "s1" });
    expect(first.error).toBeNull();
    expect(first.result).toEqual(["page", "seen"]);
    const second = await tc.execute("state.page += 1; state.seen.push('b'); return state;", { sessionId: "s1" });
    expect(second.result).toEqual({ page: 3, seen: ["a", "b"] });
    const other = await tc.execute("return state;", { sessionId: "s2" });
    expect(other.result).toEqual({});
    // Each execution has its own id.
    expect(new Set([first.metadata.executionId, second.metadata.executionId, other.metadata.executionId]).size).toBe(3);
    expect(first.metadata.executionId).toMatch(/^[0-9a-f]{12}$/);
  });

  it("keeps what a failing script set before it threw", async () => {
    const failed = await tc.execute("state.before = 'kept'; throw new Error('boom');", { sessionId: "s3" });
    expect(failed.error?.code).toBe("GUEST_ERROR");
    expect(failed.error?.message).toContain("boom");
    const next = await tc.execute("return state.before;", { sessionId: "s3" });
    expect(next.result).toBe("kept");
  });

  it("refuses a value JSON cannot keep, with STATE_INVALID, and keeps the previous state", async () => {
    await tc.execute("state.n = 1;", { sessionId: "s4" });
    const fn = await tc.execute("state.n = 2; state.f = () => 1; return 'done';", { sessionId: "s4" });
    expect(fn.error?.code).toBe("STATE_INVALID");
    expect(fn.error?.message).toContain("state.f is a function");
    const cyclic = await tc.execute("state.n = 3; state.self = state;", { sessionId: "s4" });
    expect(cyclic.error?.code).toBe("STATE_INVALID");
    const map = await tc.execute("state.m = new Map();", { sessionId: "s4" });
    expect(map.error?.message).toContain("state.m is a Map");
    const after = await tc.execute("return state;", { sessionId: "s4" });
    expect(after.result).toEqual({ n: 1 });
  });

  it("refuses a state over sessions.maxStateBytes with STATE_TOO_LARGE, naming the key", async () => {
    await tc.execute("state.small = true;", { sessionId: "s5" });
    const big = await tc.execute("state.big = 'x'.repeat(5000); return 1;", { sessionId: "s5" });
    expect(big.error?.code).toBe("STATE_TOO_LARGE");
    expect(big.error?.message).toContain("sessions.maxStateBytes");
    const after = await tc.execute("return state;", { sessionId: "s5" });
    expect(after.result).toEqual({ small: true });
  });

  it("a script's own `state` variable shadows it and runs as before", async () => {
    const run = await tc.execute("const state = 'open'; return state;", { sessionId: "s6" });
    expect(run.error).toBeNull();
    expect(run.result).toBe("open");
    expect((await tc.execute("return state;", { sessionId: "s6" })).result).toEqual({});
  });

  it("a run stopped for approval keeps nothing; its approved re-run starts from the same state", async () => {
    const code = "state.runs = (state.runs ?? 0) + 1; await memory.create_entities({ entities: [{ name: 'E' + state.runs, entityType: 't', observations: [] }] }); await memory.delete_entities({ entityNames: ['E' + state.runs] }); return state.runs;";
    const asked = await tc.execute(code, { sessionId: "s7" });
    expect(asked.error?.code).toBe("APPROVAL_REQUIRED");
    expect((await tc.execute("return state;", { sessionId: "s7" })).result).toEqual({});
    const approved = await tc.approve(asked.approval!.id, { sessionId: "s7" });
    expect(approved.error).toBeNull();
    expect(approved.result).toBe(1);
    expect((await tc.execute("return state.runs;", { sessionId: "s7" })).result).toBe(1);
  });

  it("is declared for the model", () => {
    expect(tc.types()).toContain("declare const state: Record<string, any>;");
    expect(tc.virtualFile("state.d.ts")).toContain("REPL");
  });
});
