import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageTracker } from "./usage-tracker.js";

describe("UsageTracker", () => {
  it("loses no count when many writers (several trackers = several processes) flush the same file at once", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "toolcode-usage-"));
    const file = path.join(dir, "usage.json");
    const trackers = Array.from({ length: 4 }, () => new UsageTracker(file));
    const flushes: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      for (const [n, tracker] of trackers.entries()) {
        tracker.record(i % 2 === 0 ? "a" : "b", { imports: 1, calls: 3, failures: n === 0 ? 1 : 0, executions: 1, lastUsed: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
        flushes.push(tracker.flush());
      }
    }
    const errors = await Promise.all(flushes);
    expect(errors.filter(Boolean)).toEqual([]);
    const usage = await new UsageTracker(file).read();
    expect(usage.a).toEqual({ imports: 100, calls: 300, failures: 25, executions: 100, lastUsed: "2026-01-01T00:00:48.000Z" });
    expect(usage.b).toEqual({ imports: 100, calls: 300, failures: 25, executions: 100, lastUsed: "2026-01-01T00:00:49.000Z" });
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ version: 1 });
  });

  it("forget removes a skill's record; a corrupt file counts as empty", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "toolcode-usage-"));
    const file = path.join(dir, "usage.json");
    const tracker = new UsageTracker(file);
    tracker.record("a", { imports: 1, calls: 1, failures: 0, executions: 1 });
    tracker.record("b", { imports: 1, calls: 0, failures: 0, executions: 0 });
    await tracker.flush();
    tracker.forget("a");
    expect(Object.keys(await tracker.read())).toEqual(["b"]);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, "{ not json");
    tracker.record("c", { imports: 1, calls: 2, failures: 1, executions: 0 });
    expect(await tracker.read()).toEqual({ c: { imports: 1, calls: 2, failures: 1, executions: 0, lastUsed: null } });
  });
});
