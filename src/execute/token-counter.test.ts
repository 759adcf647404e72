import { afterAll, describe, expect, it } from "vitest";
import { TokenCounter } from "./token-counter.js";

describe("TokenCounter (o200k_base in a worker thread)", () => {
  const counter = new TokenCounter();
  afterAll(() => counter.close());

  it("counts tokens with o200k_base", async () => {
    expect(await counter.count(["hello world", "", "The quick brown fox jumps over the lazy dog."])).toEqual([2, 0, 10]);
  });

  it("shapes a large result to the budget with the real tokenizer", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, email: `user${i}@example.com` }));
    const shaped = await counter.shape({ logs: [], result: rows, error: null }, 1000, { result: "spill/1.json" });
    expect(shaped.truncated).toBe(true);
    expect(shaped.tokens).toBeLessThanOrEqual(1000);
    const [recount] = await counter.count([shaped.text]);
    expect(recount).toBe(shaped.tokens);
    expect(shaped.text).toContain("spill/1.json");
  });

  it("restarts after close", async () => {
    await counter.close();
    expect(await counter.count(["a b"])).toEqual([2]);
  });
});
