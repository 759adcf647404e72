import { afterAll, describe, expect, it } from "vitest";
import { TokenCounter } from "./token-counter.js";

/** Letters without a pre-token break and without repeats (a tokenizer cache cannot help). */
function letterSoup(chars: number, seed = 7): string {
  let state = seed;
  let out = "";
  for (let i = 0; i < chars; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(97 + (state % 26));
  }
  return out;
}

describe("TokenCounter (o200k_base in a pool of worker threads)", () => {
  // A generous deadline: these tests assert exact counts, and a loaded machine must not turn them into estimates.
  const counter = new TokenCounter({ timeoutMs: 60_000 });
  afterAll(() => counter.close());

  it("counts tokens with o200k_base", async () => {
    expect(await counter.count(["hello world", "", "The quick brown fox jumps over the lazy dog."])).toEqual([2, 0, 10]);
  });

  it("counts special-token text as ordinary text instead of failing", async () => {
    const [tokens] = await counter.count(["before <|endoftext|> after"]);
    expect(tokens).toBeGreaterThan(3);
  });

  it("shapes a large result to the budget with the real tokenizer", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, email: `user${i}@example.com` }));
    const { shaped, estimated } = await counter.account({ output: { logs: [], result: rows, error: null }, maxTokens: 1000, spill: { result: "spill/1.json" } });
    expect(shaped.truncated).toBe(true);
    expect(shaped.tokens).toBeLessThanOrEqual(1000);
    const [recount] = await counter.count([shaped.text]);
    expect(recount).toBe(shaped.tokens);
    expect(shaped.text).toContain("spill/1.json");
    expect(estimated).toBe(false); // counting the full rendering stops once it is over the budget
  });

  it("answers a repeated small execution from its cache, exactly as the worker did, and never a cut, an error or a different input", async () => {
    const fresh = new TokenCounter({ workers: 1, timeoutMs: 60_000 });
    try {
      const input = { output: { logs: ["hi there"], result: 12345, error: null }, maxTokens: 1000, spill: { logs: "spill/1-logs.txt", result: "spill/1-result.json" }, toolResults: { texts: ['{"sum":3}'], chars: 9 } };
      const first = await fresh.account(input);
      expect(fresh.reusedAccountings).toBe(0);
      const again = await fresh.account({ ...input, spill: { logs: "spill/2-logs.txt", result: "spill/2-result.json" } });
      expect(fresh.reusedAccountings).toBe(1);
      expect(again).toEqual(first);
      again.shaped.logs.push("changed by the caller");
      expect((await fresh.account(input)).shaped.logs).toEqual(["hi there"]); // a copy each time
      const [tokens] = await fresh.count([first.shaped.text]);
      expect(first.shaped.tokens).toBe(tokens);
      expect(first.toolResults).toBe((await fresh.count(['{"sum":3}']))[0]);
      // Other inputs go to the worker: another result, "12345" as a string, an error, a cut, a partly kept tool result.
      const reused = fresh.reusedAccountings;
      await fresh.account({ ...input, output: { ...input.output, result: 12346 } });
      await fresh.account({ ...input, output: { ...input.output, result: "12345" } });
      await fresh.account({ ...input, output: { ...input.output, error: { code: "GUEST_ERROR", message: "boom" } } });
      await fresh.account({ ...input, output: { ...input.output, error: { code: "GUEST_ERROR", message: "boom" } } });
      await fresh.account({ ...input, toolResults: { texts: ['{"sum":3}'], chars: 90 } });
      const cut = { ...input, output: { logs: ["word ".repeat(300)], result: 1, error: null }, maxTokens: 20 };
      const shapedCut = await fresh.account(cut);
      expect(shapedCut.shaped.cut.logs).toBe(true);
      expect((await fresh.account({ ...cut, spill: { logs: "spill/9-logs.txt" } })).shaped.text).toContain("spill/9-logs.txt");
      expect(fresh.reusedAccountings).toBe(reused);
    } finally {
      await fresh.close();
    }
  });

  it("counts 100 KB runs without pre-token breaks exactly (within the budget)", async () => {
    for (const text of ["a".repeat(100_000), "漢字仮名交じり文".repeat(12_500), "\u200b".repeat(100_000), " ".repeat(100_000)]) {
      const { shaped, toolResults, estimated } = await counter.account({ output: { logs: [], result: "ok", error: null }, maxTokens: 2000, toolResults: { texts: [text], chars: text.length } });
      expect(estimated).toBe(false);
      expect(shaped.text).toBe('"ok"');
      expect(toolResults).toBeGreaterThan(0);
    }
    const [tokens] = await counter.count(["a".repeat(100_000)]);
    expect(tokens).toBe(12_500); // "aaaaaaaa" is one o200k token: chunking costs no precision here
  });

  it("estimates past the per-execution budget and says so", async () => {
    const small = new TokenCounter({ workers: 1, budgetChars: 10_000, timeoutMs: 60_000 });
    try {
      const text = "word ".repeat(40_000);
      const { toolResults, estimated } = await small.account({ output: { logs: [], result: 1, error: null }, maxTokens: 100, toolResults: { texts: [text], chars: text.length * 3 } });
      expect(estimated).toBe(true);
      expect(toolResults).toBeGreaterThan(100_000); // 600,000 chars of "word ": estimated from the counted ratio
    } finally {
      await small.close();
    }
  });

  it("answers with an estimate at the deadline and replaces the worker it kills", async () => {
    const slow = new TokenCounter({ workers: 1, budgetChars: 50_000_000, timeoutMs: 50 });
    try {
      const soup = letterSoup(2_000_000);
      const { shaped, estimated } = await slow.account({ output: { logs: [soup], result: undefined, error: null }, maxTokens: 500 });
      expect(estimated).toBe(true);
      expect(shaped.truncated).toBe(true);
      expect(slow.killedWorkers).toBe(1);
    } finally {
      await slow.close();
    }
    const again = new TokenCounter({ workers: 1, timeoutMs: 60_000 });
    try {
      expect(await again.count(["a b"])).toEqual([2]);
    } finally {
      await again.close();
    }
  });

  it("serves keys in turn: one session's queue does not hold another's request", async () => {
    const one = new TokenCounter({ workers: 1, budgetChars: 2_000_000, timeoutMs: 60_000 });
    try {
      const order: string[] = [];
      const heavy = letterSoup(200_000);
      const hostile = Array.from({ length: 4 }, (_, i) =>
        one.account({ output: { logs: [heavy], result: undefined, error: null }, maxTokens: 100, key: "attacker" }).then(() => order.push(`attacker-${i}`)),
      );
      const benign = one.account({ output: { logs: [], result: 1, error: null }, maxTokens: 100, key: "victim" }).then(() => order.push("victim"));
      await Promise.all([...hostile, benign]);
      expect(order.indexOf("victim")).toBeLessThanOrEqual(1);
    } finally {
      await one.close();
    }
  });

  it("restarts after close", async () => {
    await counter.close();
    expect(await counter.count(["a b"])).toEqual([2]);
  });
});
