/**
 * The per-user MCP connections of every per-user server, bounded per server and in total, each
 * closed after it has been idle for a while.
 *
 * A connection belongs to one (server, user) pair and was opened with that user's credential
 * only; it is never handed to a call of another user. When the bounds are reached, the least
 * recently used connection without a call in flight is closed to make room; if every one is
 * busy, the call fails with `LIMIT_EXCEEDED` at once (it never waits behind another tenant).
 *
 * @module
 */
import { ToolcodeError } from "../../errors.js";
import type { McpSource } from "./mcp-source.js";

/** Options for {@link UserConnectionPool}. */
export interface UserConnectionPoolOptions {
  /** Connections one server may have open at once (`credentials.maxConnectionsPerSource`). */
  maxPerSource: number;
  /** Connections of all servers together (`credentials.maxConnections`). */
  maxTotal: number;
  /** A connection unused this long is closed (`credentials.idleMinutes`, in ms). */
  idleMs: number;
}

/** One user's connection to one server. */
interface Entry {
  source: string;
  user: string;
  /** Identifies the credential values it was opened with: other values (rotation) need a new connection. */
  key: string;
  connection: Promise<McpSource>;
  inFlight: number;
  lastUsed: number;
}

/** A connection lent to one call; `release()` when the call ends. */
export interface Lease {
  connection: McpSource;
  release(): void;
}

/** Per-user MCP connections, keyed by server and user. */
export class UserConnectionPool {
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly options: UserConnectionPoolOptions) {}

  /** Open connections (all servers, or one server's). */
  count(source?: string): number {
    let n = 0;
    for (const entry of this.#entries.values()) if (source === undefined || entry.source === source) n += 1;
    return n;
  }

  /**
   * The connection of `user` to `source` opened with credential `key`, opening it with `open`
   * when there is none (a connection opened with other values is retired: closed once idle).
   */
  async lease(source: string, user: string, key: string, open: () => Promise<McpSource>): Promise<Lease> {
    if (this.#closed) throw new ToolcodeError("SOURCE_UNAVAILABLE", `MCP server "${source}" has been closed.`, { server: source });
    const id = `${source}\0${user}`;
    let entry = this.#entries.get(id);
    if (entry !== undefined && entry.key !== key) {
      this.#retire(id, entry);
      entry = undefined;
    }
    if (entry === undefined) {
      this.#makeRoom(source);
      const created: Entry = { source, user, key, connection: open(), inFlight: 0, lastUsed: Date.now() };
      entry = created;
      this.#entries.set(id, created);
      // A connection that fails to open is forgotten, so the next call tries again.
      created.connection.catch(() => {
        if (this.#entries.get(id) === created) this.#entries.delete(id);
      });
      this.#schedule();
    }
    entry.inFlight += 1;
    entry.lastUsed = Date.now();
    const held = entry;
    let connection: McpSource;
    try {
      connection = await held.connection;
    } catch (error) {
      held.inFlight -= 1;
      throw error;
    }
    let released = false;
    return {
      connection,
      release: () => {
        if (released) return;
        released = true;
        held.inFlight -= 1;
        held.lastUsed = Date.now();
        if (held.inFlight === 0 && this.#entries.get(id) !== held) void this.#close(held);
      },
    };
  }

  /** Closes `user`'s connection to `source` (after a revocation), once its calls end. */
  drop(source: string, user: string): void {
    const id = `${source}\0${user}`;
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.#retire(id, entry);
  }

  /** Closes every connection idle longer than `idleMs`. Called by a timer; public for tests. */
  reap(now = Date.now()): number {
    let closed = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.inFlight === 0 && now - entry.lastUsed >= this.options.idleMs) {
        this.#entries.delete(id);
        void this.#close(entry);
        closed += 1;
      }
    }
    if (this.#entries.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    return closed;
  }

  /** Closes every connection. */
  async close(source?: string): Promise<void> {
    if (source === undefined) this.#closed = true;
    const closing: Promise<void>[] = [];
    for (const [id, entry] of this.#entries) {
      if (source !== undefined && entry.source !== source) continue;
      this.#entries.delete(id);
      closing.push(this.#close(entry));
    }
    if (this.#closed && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    await Promise.all(closing);
  }

  /** Frees a slot for a new connection of `source`, or throws `LIMIT_EXCEEDED`. */
  #makeRoom(source: string): void {
    const { maxPerSource, maxTotal } = this.options;
    const overSource = (): boolean => this.count(source) >= maxPerSource;
    const overTotal = (): boolean => this.#entries.size >= maxTotal;
    while (overSource() || overTotal()) {
      const mustBeSource = overSource();
      let victim: [string, Entry] | undefined;
      for (const item of this.#entries) {
        const [, entry] = item;
        if (entry.inFlight > 0 || (mustBeSource && entry.source !== source)) continue;
        if (victim === undefined || entry.lastUsed < victim[1].lastUsed) victim = item;
      }
      if (victim === undefined) {
        const key = mustBeSource ? "credentials.maxConnectionsPerSource" : "credentials.maxConnections";
        const max = mustBeSource ? maxPerSource : maxTotal;
        throw new ToolcodeError(
          "LIMIT_EXCEEDED",
          `MCP server "${source}" cannot open another per-user connection: ${max} are open and busy (${key}). Try again when a call finishes; the operator may raise ${key}.`,
          { server: source, limit: key, max },
        );
      }
      this.#entries.delete(victim[0]);
      void this.#close(victim[1]);
    }
  }

  #retire(id: string, entry: Entry): void {
    this.#entries.delete(id);
    if (entry.inFlight === 0) void this.#close(entry);
  }

  async #close(entry: Entry): Promise<void> {
    const connection = await entry.connection.catch(() => undefined);
    await connection?.close().catch(() => {});
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const every = Math.max(1000, Math.min(this.options.idleMs / 2, 60_000));
    this.#timer = setInterval(() => this.reap(), every);
    this.#timer.unref();
  }
}
