import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { BoundedCounter, CHUNK_CHARS, chunkText, countChunked, estimateTokens } from "./bounded-count.js";

const count = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

const prose = Array.from({ length: 400 }, (_, i) => `Line ${i}: the quick brown fox (id=${i * 7}) jumps over the lazy dog's back; naïve café, Ünïcödé — ok?\n`).join("");
const json = JSON.stringify(Array.from({ length: 600 }, (_, i) => ({ id: i, name: `user ${i}`, email: `user${i}@example.com`, tags: ["a", "b"], ok: i % 2 === 0 })));
const code = Array.from({ length: 200 }, (_, i) => `export function f${i}(x: number): number {\n  return x * ${i} + Math.max(x, ${i});\n}\n`).join("");

describe("chunkText", () => {
  it("cuts into chunks of at most CHUNK_CHARS that join back to the text", () => {
    for (const text of [prose, json, code, "a".repeat(10_000), "😀".repeat(5000), "x"]) {
      const chunks = [...chunkText(text)];
      expect(chunks.join("")).toBe(text);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(CHUNK_CHARS);
    }
  });

  it("never splits a surrogate pair", () => {
    const text = `a${"😀".repeat(3000)}`;
    for (const chunk of chunkText(text)) {
      expect(chunk.charCodeAt(chunk.length - 1) >= 0xd800 && chunk.charCodeAt(chunk.length - 1) <= 0xdbff).toBe(false);
    }
  });
});

describe("countChunked", () => {
  it("counts ordinary text exactly as the whole text counts", () => {
    for (const text of [prose, code]) expect(countChunked(text, count)).toBe(count(text));
  });

  it("stays within one token per hard cut on text with few breaks", () => {
    const whole = count(json);
    const chunked = countChunked(json, count);
    expect(Math.abs(chunked - whole)).toBeLessThanOrEqual(Math.ceil(json.length / (CHUNK_CHARS / 2)));
  });

  it("counts pathological runs (one letter, CJK, zero-width spaces, spaces) near-exactly", () => {
    expect(countChunked("a".repeat(20_000), count)).toBe(count("a".repeat(20_000)));
    const cjk = "漢字仮名交じり文".repeat(500);
    expect(countChunked(cjk, count)).toBe(count(cjk));
    expect(countChunked("\u200b".repeat(4000), count)).toBe(count("\u200b".repeat(4000)));
    const spaces = " ".repeat(4000);
    expect(Math.abs(countChunked(spaces, count) - count(spaces))).toBeLessThanOrEqual(Math.ceil(4000 / CHUNK_CHARS));
  });
});

describe("BoundedCounter", () => {
  it("counts exactly within the budget", () => {
    const counter = new BoundedCounter(count, 100_000);
    expect(counter.count(prose)).toBe(count(prose));
    expect(counter.estimated).toBe(false);
    expect(counter.remaining).toBe(100_000 - prose.length);
  });

  it("estimates a text over what is left from a counted head, and keeps the budget for small texts", () => {
    const counter = new BoundedCounter(count, 8000);
    const big = prose.repeat(5);
    const estimate = counter.count(big);
    expect(counter.estimated).toBe(true);
    expect(estimate).toBeGreaterThan(count(big) * 0.8);
    expect(estimate).toBeLessThan(count(big) * 1.5);
    expect(counter.remaining).toBe(8000 - 4096);
    expect(counter.count("hello world")).toBe(2);
  });

  it("counts a kept prefix and estimates the rest of what was dropped", () => {
    const counter = new BoundedCounter(count, 1_000_000);
    const tokens = counter.countPrefix([prose], prose.length * 2);
    expect(counter.estimated).toBe(true);
    expect(tokens).toBeGreaterThanOrEqual(count(prose) * 2 - 1);
  });
});

describe("estimateTokens", () => {
  it("never goes below UTF-8 bytes / 4", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd".repeat(100))).toBe(100);
    expect(estimateTokens("漢".repeat(100), { chars: 1000, tokens: 10 })).toBe(75);
  });
});
