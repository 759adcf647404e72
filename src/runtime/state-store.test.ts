/**
 * One contract for every state store (memory, file, Redis against a real redis-server on
 * loopback): TTLs, put-if-absent, and atomic take (of N concurrent takers exactly one wins).
 */
import { chmodSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisServer } from "../../test/redis-server.js";
import { tempDir } from "../../test/helpers.js";
import { FileStateStore } from "./file-state-store.js";
import { RedisStateStore } from "./redis-state-store.js";
import { StateCipher } from "./state-cipher.js";
import { MemoryStateStore, type StateStore } from "./state-store.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: RedisServer | { reason: string } = { reason: "not started" };
beforeAll(async () => {
  redis = await startRedis();
  if ("reason" in redis) console.log(`Redis state store tests skipped: ${redis.reason}`);
}, 900_000);
afterAll(async () => {
  if ("stop" in redis) await redis.stop();
});

const stores: { name: string; open: () => StateStore | undefined }[] = [
  { name: "memory", open: () => new MemoryStateStore() },
  { name: "file", open: () => new FileStateStore({ dir: path.join(tempDir(), "state") }) },
  { name: "redis", open: () => ("url" in redis ? new RedisStateStore({ url: redis.url, keyPrefix: `t${Math.random().toString(36).slice(2)}:` }) : undefined) },
];

describe.each(stores)("$name state store", ({ name, open }) => {
  let store: StateStore;
  beforeAll(() => {
    const opened = open();
    if (opened) store = opened;
  });
  afterAll(async () => store?.close());
  const skip = () => {
    if (store) return false;
    console.log(`${name} store skipped: ${"reason" in redis ? redis.reason : "unavailable"}`);
    return true;
  };

  it("puts, gets, takes once and deletes", async () => {
    if (skip()) return;
    await store.put("a:1", "one", 60_000);
    expect(await store.get("a:1")).toBe("one");
    await store.put("a:1", "uno", 60_000);
    expect(await store.get("a:1")).toBe("uno");
    expect(await store.take("a:1")).toBe("uno");
    expect(await store.take("a:1")).toBeUndefined();
    expect(await store.get("a:1")).toBeUndefined();
    await store.put("a:2", "two", 60_000);
    expect(await store.delete("a:2")).toBe(true);
    expect(await store.delete("a:2")).toBe(false);
  });

  it("expires entries after their TTL", async () => {
    if (skip()) return;
    // No wall-time window is asserted (a loaded machine may take longer than a short TTL between
    // two calls): a long-lived entry stays, a short-lived one is gone once its TTL has passed.
    await store.put("ttl:keep", "still here", 60_000);
    const putAt = Date.now();
    await store.put("ttl:1", "soon gone", 150);
    await sleep(400);
    expect(Date.now() - putAt).toBeGreaterThanOrEqual(150);
    expect(await store.get("ttl:1")).toBeUndefined();
    expect(await store.take("ttl:1")).toBeUndefined();
    expect(await store.get("ttl:keep")).toBe("still here");
  });

  it("puts only when absent (an expired entry is absent)", async () => {
    if (skip()) return;
    expect(await store.putIfAbsent("nx:1", "first", 60_000)).toBe(true);
    expect(await store.putIfAbsent("nx:1", "second", 60_000)).toBe(false);
    expect(await store.get("nx:1")).toBe("first");
    await store.put("nx:2", "old", 100);
    await sleep(300);
    expect(await store.putIfAbsent("nx:2", "new", 60_000)).toBe(true);
    expect(await store.get("nx:2")).toBe("new");
  });

  it("gives a value to exactly one of 20 concurrent takers", async () => {
    if (skip()) return;
    for (let round = 0; round < 5; round++) {
      await store.put(`race:${round}`, `prize ${round}`, 60_000);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take(`race:${round}`)));
      expect(results.filter((r) => r !== undefined)).toEqual([`prize ${round}`]);
    }
  });

  it("gives exactly one of 10 concurrent put-if-absent calls the key", async () => {
    if (skip()) return;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.putIfAbsent("nxrace", `v${i}`, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get("nxrace")).toBe(`v${results.indexOf(true)}`);
  });

  it("refuses malformed keys, TTLs out of range and oversized values with stable codes", async () => {
    if (skip()) return;
    await expect(store.put("../etc/passwd", "x", 1000)).rejects.toMatchObject({ code: "INVALID_ARGUMENTS" });
    await expect(store.put("k", "x", 0)).rejects.toMatchObject({ code: "INVALID_ARGUMENTS" });
    await expect(store.put("k", "x".repeat(16 * 1024 * 1024 + 1), 1000)).rejects.toMatchObject({ code: "STATE_TOO_LARGE" });
  });
});

describe("file state store on disk", () => {
  it("keeps entries in 0600 files of a 0700 directory, named by hash, and takes are atomic across store instances", async () => {
    const dir = path.join(tempDir(), "state");
    const a = new FileStateStore({ dir });
    const b = new FileStateStore({ dir });
    await a.put("approval:x", "secret-ish", 60_000);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.e$/);
    expect(statSync(path.join(dir, files[0] ?? "")).mode & 0o777).toBe(0o600);
    expect(await b.get("approval:x")).toBe("secret-ish");
    const results = await Promise.all([a, b, a, b, a, b].map((s) => s.take("approval:x")));
    expect(results.filter((r) => r !== undefined)).toEqual(["secret-ish"]);
    expect(readdirSync(dir)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it("sweeps expired entries and debris", async () => {
    const dir = path.join(tempDir(), "state");
    const store = new FileStateStore({ dir });
    await store.put("short", "x", 50);
    await store.put("long", "y", 60_000);
    await sleep(200);
    await store.sweep();
    expect(readdirSync(dir)).toHaveLength(1);
    expect(await store.get("long")).toBe("y");
    await store.close();
  });

  it("falls back to memory with one notice when the directory cannot be created", async () => {
    const base = tempDir();
    writeFileSync(path.join(base, "file"), "");
    const notices: string[] = [];
    const store = new FileStateStore({ dir: path.join(base, "file", "state"), notice: (text) => notices.push(text) });
    await store.put("k", "v", 60_000);
    expect(await store.take("k")).toBe("v");
    await store.put("k2", "v", 60_000);
    expect(store.kind).toBe("memory");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/cannot be written.*kept in memory only.*Set state\.dir/);
    await store.close();
  });
});

describe("Redis state store when Redis is down", () => {
  it("fails with STATE_STORE_UNAVAILABLE saying what to do, then works once Redis is up", async () => {
    if (!("url" in redis)) return console.log(`skipped: ${redis.reason}`);
    const { freePort } = await import("../../test/redis-server.js");
    const store = new RedisStateStore({ url: `redis://:hunter2@127.0.0.1:${await freePort()}`, connectTimeoutMs: 1000 });
    const error = await store.put("k", "v", 1000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STATE_STORE_UNAVAILABLE" });
    expect((error as Error).message).toMatch(/cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+.*Start Redis \(or fix state\.redis/);
    expect((error as Error).message).not.toContain("hunter2");
    await store.close();
  });
});

describe("state cipher", () => {
  it("seals with AES-256-GCM bound to the key name; another name or key does not open it", async () => {
    const cipher = StateCipher.fromSecret("a secret of enough length");
    const sealed = cipher.seal({ email: "ada@example.com" }, "approval:u:1");
    expect(sealed).not.toContain("ada");
    expect(cipher.open(sealed, "approval:u:1")).toEqual({ email: "ada@example.com" });
    expect(() => cipher.open(sealed, "approval:v:1")).toThrow(expect.objectContaining({ code: "STATE_STORE_UNAVAILABLE" }));
    expect(() => StateCipher.fromSecret("another secret, long enough").open(sealed, "approval:u:1")).toThrow(/same state\.key/);
  });

  it("generates one key file (mode 0600) that concurrent loaders agree on", async () => {
    const dir = path.join(tempDir(), "state");
    const ciphers = await Promise.all(Array.from({ length: 5 }, () => StateCipher.load({ dir, env: {} })));
    const sealed = ciphers[0]?.seal("x", "k") ?? "";
    for (const c of ciphers) expect(c.open(sealed, "k")).toBe("x");
    expect(statSync(path.join(dir, "key")).mode & 0o777).toBe(0o600);
    chmodSync(dir, 0o700);
    expect((await StateCipher.load({ dir, env: { TOOLCODE_STATE_KEY: "from the environment!" } })).source).toBe("env");
  });
});
