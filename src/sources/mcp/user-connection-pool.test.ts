import { describe, expect, it } from "vitest";
import type { McpSource } from "./mcp-source.js";
import { UserConnectionPool } from "./user-connection-pool.js";

/** A connection that only records being closed (the pool's contract with McpSource is `close()`). */
function connection(log: string[], name: string): () => Promise<McpSource> {
  return async () => ({ close: async () => void log.push(`closed ${name}`) }) as unknown as McpSource;
}

describe("UserConnectionPool", () => {
  it("keeps one connection per (server, user) and never lends one user's to another", async () => {
    const log: string[] = [];
    const pool = new UserConnectionPool({ maxPerSource: 4, maxTotal: 8, idleMs: 60_000 });
    const a1 = await pool.lease("s", "alice", "k", connection(log, "alice"));
    const a2 = await pool.lease("s", "alice", "k", connection(log, "alice-again"));
    const b = await pool.lease("s", "bob", "k", connection(log, "bob"));
    expect(a1.connection).toBe(a2.connection);
    expect(b.connection).not.toBe(a1.connection);
    expect(pool.count("s")).toBe(2);
    [a1, a2, b].forEach((lease) => lease.release());
    await pool.close();
  });

  it("refuses a new user at once when every slot is busy, and evicts the least recently used idle one otherwise", async () => {
    const log: string[] = [];
    const pool = new UserConnectionPool({ maxPerSource: 2, maxTotal: 8, idleMs: 60_000 });
    const a = await pool.lease("s", "alice", "k", connection(log, "alice"));
    const b = await pool.lease("s", "bob", "k", connection(log, "bob"));
    await expect(pool.lease("s", "carol", "k", connection(log, "carol"))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "credentials.maxConnectionsPerSource" } });
    a.release();
    const c = await pool.lease("s", "carol", "k", connection(log, "carol"));
    await Promise.resolve();
    expect(log).toEqual(["closed alice"]);
    expect(pool.count("s")).toBe(2);
    b.release();
    c.release();
    await pool.close();
  });

  it("retires a connection opened with other values (rotation) once its calls end, and reaps idle ones", async () => {
    const log: string[] = [];
    const pool = new UserConnectionPool({ maxPerSource: 4, maxTotal: 8, idleMs: 1000 });
    const old = await pool.lease("s", "alice", "v1", connection(log, "v1"));
    const fresh = await pool.lease("s", "alice", "v2", connection(log, "v2"));
    expect(fresh.connection).not.toBe(old.connection);
    expect(log).toEqual([]);
    old.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["closed v1"]);
    fresh.release();
    expect(pool.reap(Date.now() + 2000)).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["closed v1", "closed v2"]);
    expect(pool.count()).toBe(0);
    await pool.close();
  });
});
