import { afterEach, describe, expect, it, vi } from "vitest";
import { ExecuteProgress, HEARTBEAT_MS, type ProgressUpdate } from "./execute-progress.js";

describe("ExecuteProgress", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports the first tool call at once, throttles a burst, beats while the script runs, and stops", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    const sent: ProgressUpdate[] = [];
    const progress = new ExecuteProgress(async (update) => void sent.push(update), 30_000);
    progress.toolCall("files.read_file");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.message).toContain("1 tool call, last files.read_file");
    for (let i = 0; i < 50; i++) progress.toolCall("files.list_directory"); // same instant: throttled
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.message).toContain("51 tool calls, last files.list_directory");
    vi.advanceTimersByTime(150);
    progress.toolCall("memory.read_graph");
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(HEARTBEAT_MS * 2);
    expect(sent).toHaveLength(5);
    progress.stop();
    vi.advanceTimersByTime(HEARTBEAT_MS * 3);
    progress.toolCall("memory.read_graph");
    expect(sent).toHaveLength(5);
    // progress is strictly increasing, total is the time limit
    const values = sent.map((u) => u.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
    expect(sent.every((u) => u.total === 30_000)).toBe(true);
  });

  it("ignores a client that is gone", async () => {
    const send = vi.fn(() => Promise.reject(new Error("closed")));
    const progress = new ExecuteProgress(send, 1000);
    expect(() => progress.toolCall("a.b")).not.toThrow();
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve)); // an unhandled rejection would fail the run
    expect(send).toHaveBeenCalledTimes(1);
  });
});
