/**
 * Runs the hostile-code corpus (corpus-suite.ts) against every engine in every in-process
 * isolation mode (engines.ts); test/isolation/ runs it against the sandbox hosts.
 */
import { describe, expect, it } from "vitest";
import { CORPUS } from "./corpus.js";
import { defineCorpusSuite } from "./corpus-suite.js";
import { ENGINE_CASES } from "./engines.js";

defineCorpusSuite(ENGINE_CASES);

describe("hostile-code corpus", () => {
  it("has at least 60 distinct attacks across every family", () => {
    expect(new Set(CORPUS.map((attack) => attack.id)).size).toBe(CORPUS.length);
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    const families = new Set(CORPUS.map((attack) => attack.family));
    expect(families.size).toBe(19);
  });
});
