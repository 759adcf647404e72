/**
 * The shared workspace (state.redis) against a real redis-server: two instances of one session
 * stand for two replicas.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisServer } from "../../test/redis-server.js";
import { ToolcodeError } from "../errors.js";
import type { StateHandle } from "../runtime/open-state-store.js";
import { RedisStateStore } from "../runtime/redis-state-store.js";
import { StateCipher } from "../runtime/state-cipher.js";
import { SessionStore } from "./sessions.js";
import { StoredWorkspace } from "./stored-workspace.js";

let redis: RedisServer | { reason: string } = { reason: "not started" };
const handles: StateHandle[] = [];
beforeAll(async () => {
  redis = await startRedis();
  if ("reason" in redis) console.log(`shared workspace tests skipped: ${redis.reason}`);
}, 180_000);
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
  if ("stop" in redis) await redis.stop();
});

const cipher = StateCipher.fromSecret("a shared test secret of enough length");

/** A handle of its own (its own Redis connection), like one replica. */
function replica(prefix: string): StateHandle {
  if (!("url" in redis)) throw new Error("no redis");
  const store = new RedisStateStore({ url: redis.url, keyPrefix: prefix });
  const handle: StateHandle = { store, cipher: async () => cipher, close: () => store.close() };
  handles.push(handle);
  return handle;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof ToolcodeError ? error.code : String(error);
  }
}

describe("StoredWorkspace (real Redis)", () => {
  it("a file written through one replica is read, listed and removed through another", async () => {
    if (!("url" in redis)) return console.log(`skipped: ${redis.reason}`);
    const prefix = `ws${Math.random().toString(36).slice(2)}:`;
    const options = { sessionId: "s1", user: "alice", ttlMs: 60_000, maxBytes: 10_000, maxFiles: 10 };
    const a = StoredWorkspace.open({ ...options, state: replica(prefix) });
    const b = StoredWorkspace.open({ ...options, state: replica(prefix) });
    await a.write("data/users.json", [{ id: 1 }]);
    await a.write("notes.txt", "hello");
    expect(await b.read("data/users.json")).toEqual([{ id: 1 }]);
    expect(await b.read("./notes.txt")).toBe("hello");
    expect((await b.list("data")).map((e) => e.path)).toEqual(["data/users.json"]);
    expect(await codeOf(b.write("data", "x"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(b.write("notes.txt/x", "x"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(b.read("../etc/passwd"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(b.write("x".repeat(2000), "x"))).toBe("WORKSPACE_PATH");
    await b.write("notes.txt", "bye");
    expect(await a.read("notes.txt")).toBe("bye");
    expect(await a.remove("data")).toBe(true);
    expect(await codeOf(b.read("data/users.json"))).toBe("WORKSPACE_NOT_FOUND");
    await a.saveState('{"n":2}');
    expect(await b.loadState()).toBe('{"n":2}');
    // Another user's workspace of the same session id is another workspace.
    const mallory = StoredWorkspace.open({ ...options, user: "mallory", state: replica(prefix) });
    expect(await mallory.list()).toEqual([]);
    expect(await mallory.loadState()).toBeUndefined();
    // Nothing readable is stored: values are sealed.
    const owner = createHash("sha256").update("toolcode-user:alice").digest("hex").slice(0, 32);
    const raw = await replica(prefix).store.get(`ws:${owner}:s1`);
    expect(raw).toBeDefined();
    expect(raw).not.toMatch(/notes\.txt/);
    expect(cipher.open(raw ?? "", `ws:${owner}:s1`)).toMatchObject({ files: { "notes.txt": { bytes: 3 } } });
    await b.destroy();
    expect(await a.list()).toEqual([]);
  });

  it("the quota holds when two replicas write at once (compare-and-set on the index)", async () => {
    if (!("url" in redis)) return console.log(`skipped: ${redis.reason}`);
    const prefix = `ws${Math.random().toString(36).slice(2)}:`;
    const options = { sessionId: "s2", user: "alice", ttlMs: 60_000, maxBytes: 1_000_000, maxFiles: 7 };
    const a = StoredWorkspace.open({ ...options, state: replica(prefix) });
    const b = StoredWorkspace.open({ ...options, state: replica(prefix) });
    const writes = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).write(`f${i}.txt`, `file ${i}`));
    const settled = await Promise.allSettled(writes);
    const ok = settled.filter((s) => s.status === "fulfilled").length;
    const refused = settled.filter((s) => s.status === "rejected").map((s) => ((s as PromiseRejectedResult).reason as ToolcodeError).code);
    expect(ok).toBe(7);
    expect(new Set(refused)).toEqual(new Set(["WORKSPACE_QUOTA"]));
    expect(await a.totals()).toEqual({ bytes: (await b.list()).reduce((n, e) => n + e.bytes, 0), files: 7 });
    // Bytes too: 600 + 600 over 1,000 — one of two racing writes wins.
    const c = StoredWorkspace.open({ ...options, sessionId: "s3", maxBytes: 1000, state: replica(prefix) });
    const d = StoredWorkspace.open({ ...options, sessionId: "s3", maxBytes: 1000, state: replica(prefix) });
    const both = await Promise.allSettled([c.write("x", "x".repeat(600)), d.write("y", "y".repeat(600))]);
    expect(both.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    expect(await c.usage()).toBe(600);
  });

  it("an idle-expired instance closes without deleting; the records expire by TTL", async () => {
    if (!("url" in redis)) return console.log(`skipped: ${redis.reason}`);
    const prefix = `ws${Math.random().toString(36).slice(2)}:`;
    const options = { sessionId: "s4", user: null, ttlMs: 3_000, maxBytes: 1000 };
    const a = StoredWorkspace.open({ ...options, state: replica(prefix) });
    await a.write("a.txt", "1");
    await a.close();
    expect(await codeOf(a.read("a.txt"))).toBe("SESSION_NOT_FOUND");
    const b = StoredWorkspace.open({ ...options, state: replica(prefix) });
    expect(await b.read("a.txt")).toBe("1");
    // The records expire by TTL: wait (at most 20 s) for Redis to drop them.
    let left = await b.list();
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = await b.list();
    }
    expect(left).toEqual([]);
  });

  it("a session store lets go of a shared workspace on idle expiry and close, and removes it on end", async () => {
    if (!("url" in redis)) return console.log(`skipped: ${redis.reason}`);
    const prefix = `ws${Math.random().toString(36).slice(2)}:`;
    const sessions = (state: StateHandle): SessionStore =>
      new SessionStore({ root: "/nonexistent", maxBytes: 1000, idleMs: 60_000, openWorkspace: async (id, user) => StoredWorkspace.open({ state, sessionId: id, user, ttlMs: 60_000, maxBytes: 1000 }) });
    const a = sessions(replica(prefix));
    const b = sessions(replica(prefix));
    await (await a.get("s5", "alice")).workspace.write("kept.txt", "1");
    expect(await a.sweep(Date.now() + 120_000)).toEqual(["s5"]);
    await a.close();
    expect(await (await b.get("s5", "alice")).workspace.read("kept.txt")).toBe("1");
    await b.end("s5", "local");
    const c = sessions(replica(prefix));
    expect(await (await c.get("s5", "alice")).workspace.read("kept.txt")).toBe("1");
    // The client ended it (on a replica where it is not open any more, too): gone for everyone.
    await c.end("s5", "local");
    await c.end("s5", "end", "alice");
    expect(await (await b.get("s5", "alice")).workspace.list()).toEqual([]);
    await Promise.all([b.close(), c.close()]);
  });
});
