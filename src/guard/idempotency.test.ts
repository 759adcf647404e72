import { describe, expect, it } from "vitest";
import { type RetryRecord, type WriteRecord, RetryBook, executionReport, idempotencyKey, outcomeUncertain, recordBytes } from "./idempotency.js";

const write = (n: number, outcome: WriteRecord["outcome"], uncertain = false): WriteRecord => ({
  seq: n,
  n,
  tool: "api.create",
  arguments: { n },
  argsKey: JSON.stringify({ n }),
  key: idempotencyKey("root", n),
  ...(outcome ? { outcome } : {}),
  ...(uncertain ? { uncertain: true as const } : {}),
});
const record = (id: string, bytes = 100, expiresAtMs = Date.now() + 60_000): RetryRecord => ({ executionId: id, rootId: id, sessionId: "s", writes: [], expiresAtMs, bytes });

describe("executionReport", () => {
  it("tells the three cases apart", () => {
    expect(executionReport(false, [], true).code).toBe("EXECUTION_NOT_STARTED");
    expect(executionReport(true, [write(1, { ok: false, error: { code: "POLICY_DENIED", message: "no" } })], true)).toEqual({ code: "FAILED_BEFORE_WRITES", retry: "safe", writes: [] });
    const interrupted = executionReport(true, [write(1, { ok: true, value: 1 }), write(2, { ok: false, error: { code: "HTTP_ERROR", message: "503", details: { status: 503 } } }, true), write(3, undefined)], true);
    expect(interrupted).toMatchObject({ code: "INTERRUPTED_AFTER_WRITES", retry: "replay" });
    expect(interrupted.writes.map((w) => w.key)).toEqual(["toolcode-root-1"]);
    expect(interrupted.uncertain?.map((w) => w.key)).toEqual(["toolcode-root-2", "toolcode-root-3"]);
    expect(executionReport(true, [write(1, { ok: true, value: 1 })], false).retry).toBe("manual");
  });

  it("counts cancelled, unreachable and 5xx writes as uncertain, 4xx and refusals as not done", () => {
    expect(outcomeUncertain({ code: "TOOL_ERROR", message: "x" }, true)).toBe(true);
    expect(outcomeUncertain({ code: "SOURCE_UNAVAILABLE", message: "x" }, false)).toBe(true);
    expect(outcomeUncertain({ code: "HTTP_ERROR", message: "x", details: { status: 502 } }, false)).toBe(true);
    expect(outcomeUncertain({ code: "HTTP_ERROR", message: "x", details: { status: 409 } }, false)).toBe(false);
    expect(outcomeUncertain({ code: "POLICY_DENIED", message: "x" }, false)).toBe(false);
  });
});

describe("RetryBook", () => {
  it("is bounded in count and bytes, oldest first, and refuses a record over the byte cap", () => {
    const book = new RetryBook({ maxRecords: 3, maxBytes: 1000, ttlMs: 60_000 });
    for (const id of ["a", "b", "c", "d"]) expect(book.add(record(id))).toBe(true);
    expect(book.size).toBe(3);
    expect(book.claim("a")).toEqual({ ok: false, reason: "unknown" });
    expect(book.add(record("big", 900))).toBe(true);
    expect(book.size).toBe(2); // d (100) + big (900): within 1000 bytes
    expect(book.claim("c")).toEqual({ ok: false, reason: "unknown" });
    expect(book.claim("d").ok).toBe(true);
    expect(book.add(record("huge", 1001))).toBe(false);
    expect(recordBytes([write(1, { ok: true, value: "x".repeat(500) })])).toBeGreaterThan(500);
  });

  it("claims once, releases, consumes, and expires", () => {
    const book = new RetryBook();
    book.add(record("a"));
    expect(book.claim("a").ok).toBe(true);
    expect(book.claim("a")).toEqual({ ok: false, reason: "in-use" });
    book.release("a");
    expect(book.claim("a").ok).toBe(true);
    book.consume("a");
    expect(book.claim("a")).toEqual({ ok: false, reason: "unknown" });
    book.add(record("old", 10, Date.now() - 1));
    expect(book.claim("old")).toEqual({ ok: false, reason: "expired" });
  });
});
