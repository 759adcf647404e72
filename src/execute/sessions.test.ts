/**
 * SessionStore's `onEnd`: whatever else a session holds (its sandbox under `sandbox.reuse:
 * "session"`) is told when the session ends, whether it is ended, expires idle or the store closes.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SessionStore } from "./sessions.js";

describe("SessionStore onEnd", () => {
  it("reports every ended session once, with its user: ended, expired or closed", async () => {
    const ended: [string, string | null][] = [];
    const store = new SessionStore({ root: mkdtempSync(path.join(os.tmpdir(), "toolcode-sessions-")), maxBytes: 1024 * 1024, idleMs: 60_000, onEnd: (id, user) => ended.push([id, user]) });
    await store.get("a", "alice");
    await store.get("b", "bob");
    await store.get("c", null);
    await store.end("a");
    await store.end("a");
    expect(ended).toEqual([["a", "alice"]]);
    const busy = await store.acquire("c", null);
    expect(await store.sweep(Date.now() + 120_000)).toEqual(["b"]);
    expect(ended).toEqual([["a", "alice"], ["b", "bob"]]);
    busy.release();
    await store.close();
    expect(ended).toEqual([["a", "alice"], ["b", "bob"], ["c", null]]);
  });
});
