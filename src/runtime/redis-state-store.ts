/**
 * The Redis state store (`state.redis`), over the maintained `redis` client (node-redis),
 * loaded only when configured. Each operation is one Redis command, atomic on the server:
 * put = `SET key value PX ttl`, put-if-absent = `SET … NX PX`, get = `GET`, take = `GETDEL`
 * (Redis ≥ 6.2), delete = `DEL`; compare-and-set and TTL refresh (the shared workspace) are
 * small Lua scripts (`EVAL`), atomic on the server. Keys get `state.keyPrefix` (default `toolcode:`).
 *
 * The client connects on first use with a connect timeout, fails commands at once while
 * disconnected (no offline queue) and times out commands; every failure is
 * `STATE_STORE_UNAVAILABLE` naming the URL (without its password) and what to do.
 *
 * @module
 */
import { type StateStore, checkEntry, checkKeys, stateStoreUnavailable } from "./state-store.js";

/** Options of {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Prefix of every key (default `toolcode:`). */
  keyPrefix?: string;
  /** Time to connect (default 5 s). */
  connectTimeoutMs?: number;
  /** Time one command may take (default 5 s). */
  commandTimeoutMs?: number;
}

/** The part of the node-redis client this store uses. */
interface RedisClient {
  isReady: boolean;
  connect(): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  set(key: string, value: string, options: { expiration: { type: "PX"; value: number }; condition?: "NX" }): Promise<string | null>;
  get(key: string): Promise<string | null>;
  getDel(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** Compare-and-set in one server-side step: SET only when GET equals the expected value. */
const REPLACE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) return 1 else return 0 end`;
/** PEXPIRE of every key given (missing keys are skipped by Redis). */
const EXPIRE_SCRIPT = `for i, key in ipairs(KEYS) do redis.call("PEXPIRE", key, ARGV[1]) end return #KEYS`;

/** See the module comment. */
export class RedisStateStore implements StateStore {
  readonly kind = "redis" as const;
  readonly #options: Required<RedisStateStoreOptions>;
  #client: Promise<RedisClient> | undefined;
  #closed = false;

  constructor(options: RedisStateStoreOptions) {
    this.#options = { keyPrefix: "toolcode:", connectTimeoutMs: 5000, commandTimeoutMs: 5000, ...options };
  }

  /** The URL without its password (for messages). */
  get where(): string {
    try {
      const url = new URL(this.#options.url);
      if (url.password) url.password = "***";
      return url.toString();
    } catch {
      return "(invalid URL)";
    }
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    checkEntry(key, value, ttlMs);
    await this.#run("SET", (c) => c.set(this.#key(key), value, { expiration: { type: "PX", value: Math.ceil(ttlMs) } }));
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkEntry(key, value, ttlMs);
    return (await this.#run("SET NX", (c) => c.set(this.#key(key), value, { expiration: { type: "PX", value: Math.ceil(ttlMs) }, condition: "NX" }))) === "OK";
  }

  async get(key: string): Promise<string | undefined> {
    checkEntry(key);
    return (await this.#run("GET", (c) => c.get(this.#key(key)))) ?? undefined;
  }

  async take(key: string): Promise<string | undefined> {
    checkEntry(key);
    return (await this.#run("GETDEL", (c) => c.getDel(this.#key(key)))) ?? undefined;
  }

  async delete(key: string): Promise<boolean> {
    checkEntry(key);
    return (await this.#run("DEL", (c) => c.del(this.#key(key)))) > 0;
  }

  async replace(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    checkEntry(key, value, ttlMs);
    const ttl = String(Math.ceil(ttlMs));
    if (expected === undefined) return this.putIfAbsent(key, value, ttlMs);
    return (await this.#run("EVAL replace", (c) => c.eval(REPLACE_SCRIPT, { keys: [this.#key(key)], arguments: [expected, value, ttl] }))) === 1;
  }

  async expire(keys: readonly string[], ttlMs: number): Promise<void> {
    checkKeys(keys, ttlMs);
    if (keys.length === 0) return;
    await this.#run("EVAL expire", (c) => c.eval(EXPIRE_SCRIPT, { keys: keys.map((k) => this.#key(k)), arguments: [String(Math.ceil(ttlMs))] }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    if (!client) return;
    await client.close().catch(() => client.destroy());
  }

  #key(key: string): string {
    return `${this.#options.keyPrefix}${key}`;
  }

  async #run<T>(command: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw stateStoreUnavailable(`the Redis store at ${this.where} is closed`, "Create a new toolcode instance.");
    let client: RedisClient;
    try {
      client = await this.#connect();
    } catch (error) {
      throw this.#unavailable(`cannot connect to Redis at ${this.where}`, error);
    }
    try {
      return await fn(client);
    } catch (error) {
      throw this.#unavailable(`Redis ${command} failed at ${this.where}`, error);
    }
  }

  /** Connects once; a failed connection is dropped so the next operation tries again. */
  #connect(): Promise<RedisClient> {
    this.#client ??= (async () => {
      const { createClient } = await import("redis");
      let connected = false;
      const client = createClient({
        url: this.#options.url,
        disableOfflineQueue: true,
        commandOptions: { timeout: this.#options.commandTimeoutMs, rejectInFlight: true },
        socket: { connectTimeout: this.#options.connectTimeoutMs, reconnectStrategy: (retries: number, cause: Error) => (!connected ? cause : retries > 20 ? false : Math.min(50 * 2 ** retries, 2000)) },
      }) as unknown as RedisClient;
      // Without a listener an error event would crash the process; failures reach callers as rejections.
      client.on("error", () => undefined);
      try {
        await client.connect();
        connected = true;
      } catch (error) {
        client.destroy();
        throw error;
      }
      return client;
    })();
    const connecting = this.#client;
    return connecting.then(
      (client) => {
        if (!client.isReady && this.#client === connecting) {
          // Reconnection gave up: start over next time.
          this.#client = undefined;
          client.destroy();
          return this.#connect();
        }
        return client;
      },
      (error: unknown) => {
        if (this.#client === connecting) this.#client = undefined;
        throw error;
      },
    );
  }

  #unavailable(what: string, error: unknown) {
    return stateStoreUnavailable(what, "Start Redis (or fix state.redis in the config), then try again; pending approvals kept in Redis are resumed once it is back.", error);
  }
}
