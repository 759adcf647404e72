/**
 * The parse corpus: every realistic reply in parse-corpus.ts must parse to its expected action.
 */
import { describe, expect, it } from "vitest";
import { parseAction } from "../../src/agent/parse-action.js";
import { PARSE_CORPUS } from "./parse-corpus.js";

const normalize = (code: string): string =>
  code
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim();

describe("parse corpus", () => {
  it("has at least 100 replies, well-formed and malformed, in both formats", () => {
    expect(PARSE_CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(PARSE_CORPUS.filter((c) => c.shape === "well-formed").length).toBeGreaterThanOrEqual(30);
    expect(PARSE_CORPUS.filter((c) => c.shape === "malformed").length).toBeGreaterThanOrEqual(70);
    expect(PARSE_CORPUS.filter((c) => c.format === "structured").length).toBeGreaterThanOrEqual(20);
    expect(new Set(PARSE_CORPUS.map((c) => c.name)).size).toBe(PARSE_CORPUS.length);
  });

  it.each(PARSE_CORPUS.map((c) => [c.name, c] as const))("%s", (_name, entry) => {
    const action = parseAction(entry.reply, { format: entry.format ?? "code", truncated: entry.truncated ?? false });
    const expected = entry.expect;
    expect({ kind: action.kind, ...(action.kind === "invalid" ? { problem: action.problem } : {}) }).toEqual({
      kind: expected.kind,
      ...(expected.kind === "invalid" ? { problem: expected.problem } : {}),
    });
    if (action.kind === "code" && expected.kind === "code") {
      expect(normalize(action.code)).toBe(normalize(expected.code));
      if (expected.thoughts !== undefined) expect(action.thoughts).toContain(expected.thoughts);
    }
    if (action.kind === "final" && expected.kind === "final") expect(action.answer).toBe(expected.answer);
    if (expected.kind !== "invalid" && expected.recovered) {
      for (const recovery of expected.recovered) expect(action.recovered).toContain(recovery);
    }
    if (entry.shape === "well-formed") expect(action.recovered).toEqual([]);
  });
});
