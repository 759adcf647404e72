import { describe, expect, it } from "vitest";
import { renderOutput, shapeOutput, truncateValue } from "./output-budget.js";

/** A crude but monotonic counter for unit tests: ~4 chars a token. The real one is o200k_base. */
const count = (text: string): number => Math.ceil(text.length / 4);

describe("shapeOutput", () => {
  it("returns small output unchanged", () => {
    const shaped = shapeOutput({ logs: ["hi"], result: { a: 1 }, error: null }, { maxTokens: 100, count });
    expect(shaped.truncated).toBe(false);
    expect(shaped.text).toBe('hi\nReturned:\n{"a":1}');
  });

  it("cuts a huge array to a head with a count of what was left out, keeping valid JSON", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `user ${i}`, tags: ["a", "b"] }));
    const shaped = shapeOutput({ logs: [], result: rows, error: null }, { maxTokens: 500, count, spill: { result: "spill/1.json" } });
    expect(shaped.truncated).toBe(true);
    expect(shaped.cut).toEqual({ logs: false, result: true });
    expect(shaped.tokens).toBeLessThanOrEqual(500);
    const [json, notice] = shaped.text.split("\n[output truncated");
    const parsed = JSON.parse(json ?? "") as unknown[];
    expect(parsed[0]).toEqual({ id: 0, name: "user 0", tags: ["a", "b"] });
    expect(String(parsed.at(-1))).toMatch(/more items \(10,000 in total\)/);
    expect(notice).toContain('"spill/1.json"');
    expect(notice).toContain("Narrow it");
  });

  it("cuts long strings and deep objects with markers", () => {
    let deep: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 30; i++) deep = { child: deep, text: "y".repeat(5000) };
    const shaped = shapeOutput({ logs: [], result: deep, error: null }, { maxTokens: 300, count });
    expect(shaped.tokens).toBeLessThanOrEqual(300);
    const json = shaped.text.slice(0, shaped.text.indexOf("\n[output truncated"));
    expect(() => JSON.parse(json)).not.toThrow();
    expect(json).toMatch(/chars\]/);
    expect(json).toMatch(/object with 2 keys/);
  });

  it("keeps the head and tail of long logs and always keeps the error", () => {
    const logs = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    const shaped = shapeOutput(
      { logs, result: undefined, error: { code: "GUEST_ERROR", message: "TypeError: boom", line: 7 } },
      { maxTokens: 200, count, spill: { logs: "spill/2.log" } },
    );
    expect(shaped.tokens).toBeLessThanOrEqual(200);
    expect(shaped.text).toContain("line 0");
    expect(shaped.text).toContain("line 4999");
    expect(shaped.text).toMatch(/log lines omitted/);
    expect(shaped.text).toContain("Error GUEST_ERROR: TypeError: boom (line 7)");
    expect(shaped.cut.logs).toBe(true);
    expect(shaped.text).toContain("spill/2.log");
  });

  it("falls back to placeholders when nothing else fits", () => {
    const wide = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`key${i}`, i]));
    const shaped = shapeOutput({ logs: ["x".repeat(100)], result: wide, error: null }, { maxTokens: 60, count });
    expect(shaped.truncated).toBe(true);
    expect(shaped.text).toContain("return value omitted");
  });
});

describe("truncateValue", () => {
  it("is the identity when nothing exceeds the level", () => {
    const value = { a: [1, 2, 3], b: "short", c: { d: null } };
    expect(truncateValue(value, { items: 10, chars: 100, depth: 5 })).toEqual({ value, cut: false });
  });
});

describe("renderOutput", () => {
  it("says so when a script produced nothing", () => {
    expect(renderOutput({ logs: [], result: undefined, error: null })).toMatch(/no output/);
  });
});
