import { describe, expect, it } from "vitest";
import { History, clip } from "./history.js";

describe("bounded history", () => {
  it("keeps recent steps verbatim, shortens older ones, and drops old failed-parse exchanges", () => {
    const history = new History("task", { keepSteps: 2, maxContextTokens: 100_000 });
    history.add({ kind: "retry", reply: "Let me look:", message: "send code" });
    history.add({ kind: "code", format: "code", reply: "thinking...\n```ts\nlong()\n```", code: "long()", observation: `out ${"z".repeat(1000)}` });
    history.add({ kind: "code", format: "structured", reply: '{"thoughts":"t","code":"b()"}', code: "b()", observation: "two" });
    history.add({ kind: "code", format: "code", reply: "c", code: "c()", observation: "three" });
    const messages = history.messages();
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant", "user"]);
    expect(messages[1]?.content).toBe("```ts\nlong()\n```");
    expect(String(messages[2]?.content)).toContain("[older output shortened: ");
    expect(messages[3]?.content).toBe('{"thoughts":"t","code":"b()"}');
    expect(messages[6]?.content).toBe("three");
  });

  it("keeps tool calls paired with their results", () => {
    const history = new History("task", { keepSteps: 1, maxContextTokens: 100_000 });
    history.add({ kind: "tools", text: "", calls: [{ id: "1", name: "a__b", input: {}, output: "x".repeat(500), isError: false }] });
    history.add({ kind: "tools", text: "more", calls: [{ id: "2", name: "a__b", input: { q: 1 }, output: "bad", isError: true }] });
    const messages = history.messages();
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "tool"]);
    expect(JSON.stringify(messages[2])).toContain("older output shortened");
    expect(JSON.stringify(messages[4])).toContain('"type":"error-text"');
  });

  it("clips with a marker saying how much was cut", () => {
    expect(clip("abcdef", 3, "cut")).toBe("abc… [cut: 3 more characters]");
    expect(clip("abc", 3, "cut")).toBe("abc");
  });
});
