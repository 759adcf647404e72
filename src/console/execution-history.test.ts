import { describe, expect, it } from "vitest";
import type { ExecuteResult } from "../execute/execute-result.js";
import { ExecutionHistory } from "./execution-history.js";

const result = (text: string): ExecuteResult => ({
  result: null,
  logs: [],
  error: null,
  text,
  metadata: { engine: "quickjs", sessionId: "s", executionId: "e1", durationMs: 1, toolCalls: 0, tokens: { output: 1, toolResults: 2, saved: 1, estimated: false }, truncated: false, spilled: {} },
});

describe("ExecutionHistory bounds", () => {
  it("keeps a hostile script's calls within the per-execution and per-session budgets", () => {
    const history = new ExecutionHistory({ maxCallsPerExecution: 50, maxSessionChars: 200_000, previewChars: 500 });
    const run = history.begin({ sessionId: "s", user: "alice", code: "x".repeat(100_000) });
    for (let i = 0; i < 10_000; i += 1) run.toolCall({ tool: "a.b", arguments: { blob: "y".repeat(10_000) }, decision: "allow", kind: "read" }).end({ ok: true, value: "z".repeat(50_000), replayed: false });
    run.finish(result("t".repeat(100_000)));
    const [record] = history.executions("s", "alice")!;
    expect(record!.calls).toHaveLength(50);
    expect(record!.droppedCalls).toBe(9_950);
    expect(record!.code.length).toBeLessThan(600);
    expect(record!.calls[0]!.result!.length).toBeLessThan(600);
    expect(record!.text!.length).toBeLessThan(600);
    expect(history.chars("s")).toBeLessThanOrEqual(200_000);

    const tight = new ExecutionHistory({ maxCallsPerExecution: 50, maxSessionChars: 20_000, previewChars: 500 });
    const squeezed = tight.begin({ sessionId: "s", code: "" });
    for (let i = 0; i < 1_000; i += 1) squeezed.toolCall({ tool: "a.b", arguments: "y".repeat(10_000), decision: "allow", kind: "read" }).end({ ok: true, value: "z".repeat(10_000), replayed: false });
    squeezed.finish(result(""));
    const [kept] = tight.executions("s", null)!;
    expect(kept!.calls.length).toBeGreaterThan(0);
    expect(kept!.calls.length).toBeLessThan(50);
    expect(kept!.calls.length + kept!.droppedCalls).toBe(1_000);
    expect(tight.chars("s")).toBeLessThanOrEqual(20_000);
  });

  it("evicts the oldest executions past the count or the character budget, and keeps the accounting exact", () => {
    const history = new ExecutionHistory({ maxExecutions: 3, maxSessionChars: 1_000_000, previewChars: 100 });
    for (let i = 0; i < 10; i += 1) history.begin({ sessionId: "s", code: `return ${i}` }).finish(result(String(i)));
    expect(history.executions("s", null)!.map((e) => e.code)).toEqual(["return 7", "return 8", "return 9"]);
    const small = new ExecutionHistory({ maxSessionChars: 5_000, previewChars: 1000 });
    for (let i = 0; i < 20; i += 1) {
      const run = small.begin({ sessionId: "s", code: "c".repeat(900) });
      run.toolCall({ tool: "a.b", arguments: "q".repeat(900), decision: "allow", kind: "read" }).end({ ok: true, value: 1, replayed: false });
      run.finish(result("r".repeat(900)));
      expect(small.chars("s")).toBeLessThanOrEqual(5_000);
    }
    const kept = small.executions("s", null)!;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(20);
  });

  it("remembers a bounded number of sessions per user and in all, and never mixes users", () => {
    const history = new ExecutionHistory({ maxSessionsPerUser: 2, maxSessions: 3 });
    for (const id of ["a1", "a2", "a3"]) history.open(id, "alice");
    expect(history.sessions("alice").map((s) => s.id)).toEqual(["a3", "a2"]);
    history.open("b1", "bob");
    history.open("b2", "bob");
    expect(history.size).toBe(3);
    // Bob running under Alice's session id (the session store refuses it) leaves Alice's history alone.
    history.begin({ sessionId: "a3", user: "bob", code: "steal" }).finish(result("no"));
    expect(history.executions("a3", "bob")).toBeUndefined();
    expect(history.owns("a3", "bob")).toBe(false);
    expect(history.sessions("bob").map((s) => s.id)).toEqual(["b2", "b1"]);
  });

  it("keeps each user within a character budget, and the total too, taking from the largest user first", () => {
    const history = new ExecutionHistory({ maxSessionChars: 10_000, maxUserChars: 45_000, maxTotalChars: 60_000, previewChars: 1000 });
    const fill = (user: string, session: string): void => {
      const run = history.begin({ sessionId: session, user, code: "c".repeat(900) });
      for (let i = 0; i < 4; i += 1) run.toolCall({ tool: "a.b", arguments: "q".repeat(900), decision: "allow", kind: "read" }).end({ ok: true, value: "r".repeat(900), replayed: false });
      run.finish(result("t".repeat(900)));
    };
    fill("bob", "b0");
    for (let i = 0; i < 30; i += 1) fill("mallory", `m${i}`);
    expect(history.totalChars("mallory")).toBeLessThanOrEqual(45_000);
    expect(history.sessions("mallory").length).toBeLessThan(30);
    expect(history.owns("b0", "bob")).toBe(true);
    const before = history.sessions("mallory").length;
    for (let i = 1; i < 3; i += 1) fill("bob", `b${i}`);
    expect(history.totalChars()).toBeLessThanOrEqual(60_000);
    expect(history.sessions("mallory").length).toBeLessThan(before);
    // Bob pushed the total over: Mallory, the largest, gave first; Bob's newest sessions are all there.
    expect(history.sessions("bob").map((s) => s.id)).toEqual(["b2", "b1", "b0"]);
    const sum = ["bob", "mallory"].reduce((n, u) => n + history.totalChars(u), 0);
    expect(sum).toBe(history.totalChars());
  });

  it("tells listeners about their changes, one call event per burst", () => {
    const history = new ExecutionHistory();
    const seen: string[] = [];
    history.subscribe((e) => seen.push(`${e.type}:${e.user}`));
    const run = history.begin({ sessionId: "s", user: "u", code: "" });
    for (let i = 0; i < 100; i += 1) run.toolCall({ tool: "a.b", arguments: {}, decision: "allow", kind: "read" }).end({ ok: true, value: i, replayed: false });
    run.finish(result(""));
    expect(seen[0]).toBe("execution:u");
    expect(seen.at(-1)).toBe("execution:u");
    expect(seen.filter((e) => e.startsWith("call")).length).toBeLessThan(10);
  });
});
