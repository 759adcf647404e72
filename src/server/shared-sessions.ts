/**
 * MCP sessions of `serve --http` that any replica (or this one after a restart) can serve:
 * when a session is initialized, what its `initialize` said (protocol version, client
 * capabilities and info) is kept in the state store under the session id and its user, sealed
 * like every stored value, for `workspace.idleMinutes` (refreshed as it is used). A request
 * carrying a session id this process does not know is answered by adopting the session: a
 * transport and an MCP server are created for the same id and marked initialized with the kept
 * `initialize`, so the client goes on without initializing again.
 *
 * What a replica does NOT get from another: the execute session (its workspace, PII vault,
 * guest `state`, retry records) starts empty there; pending approvals come from the state store.
 *
 * SDK internals this relies on (`@modelcontextprotocol/sdk` 1.32; checked at run time, and an
 * adoption is refused, as an unknown session, when they are missing):
 * - `StreamableHTTPServerTransport._webStandardTransport` (the web-standard transport it wraps),
 *   whose `sessionId` and `_initialized` fields make `validateSession` accept the id;
 * - `Server._clientCapabilities` and `Server._clientVersion` (what `initialize` sets), so
 *   elicitation, roots and `getClientVersion()` behave as on the replica that initialized.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { StateHandle } from "../runtime/open-state-store.js";

/** What a session's `initialize` said, kept for the replicas that adopt it. */
export interface KeptSession {
  user: string | null;
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown>;
}

const SESSION_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** See the module comment. */
export class SharedSessions {
  readonly #state: StateHandle;
  readonly #ttlMs: number;
  /** When each session's record was last written here (refreshes are at most one per quarter TTL). */
  readonly #written = new Map<string, number>();

  constructor(state: StateHandle, ttlMs: number) {
    this.#state = state;
    this.#ttlMs = Math.max(1000, Math.min(ttlMs, 30 * 24 * 3600 * 1000));
  }

  /** Keeps a session just initialized (from its `initialize` request's params). */
  async remember(id: string, user: string | undefined, params: unknown): Promise<void> {
    const key = storeKey(id, user);
    if (key === undefined) return;
    const p = (params ?? {}) as { protocolVersion?: unknown; capabilities?: unknown; clientInfo?: unknown };
    const kept: KeptSession = {
      user: user ?? null,
      protocolVersion: typeof p.protocolVersion === "string" ? p.protocolVersion : "2025-06-18",
      capabilities: isObject(p.capabilities) ? p.capabilities : {},
      clientInfo: isObject(p.clientInfo) ? p.clientInfo : { name: "unknown", version: "0" },
    };
    const cipher = await this.#state.cipher();
    await this.#state.store.put(key, cipher.seal(kept, key), this.#ttlMs);
    this.#written.set(id, Date.now());
  }

  /** Extends a used session's record (at most once per quarter of the TTL; failures ignored). */
  touch(id: string, user: string | undefined): void {
    const now = Date.now();
    const last = this.#written.get(id);
    if (last === undefined) this.#written.set(id, now);
    if (last === undefined || now - last < this.#ttlMs / 4) return;
    this.#written.set(id, now);
    void this.find(id, user)
      .then(async (kept) => {
        const key = storeKey(id, user);
        if (!kept || key === undefined) return;
        await this.#state.store.put(key, (await this.#state.cipher()).seal(kept, key), this.#ttlMs);
      })
      .catch(() => undefined);
  }

  /** The kept session `id` of `user`, or undefined (unknown, expired, another user's). */
  async find(id: string, user: string | undefined): Promise<KeptSession | undefined> {
    const key = storeKey(id, user);
    if (key === undefined) return undefined;
    const sealed = await this.#state.store.get(key);
    if (sealed === undefined) return undefined;
    const kept = (await this.#state.cipher()).open(sealed, key) as KeptSession;
    return kept?.user === (user ?? null) ? kept : undefined;
  }

  /** Forgets a session its client ended (HTTP DELETE). */
  async forget(id: string, user: string | undefined): Promise<void> {
    this.#written.delete(id);
    const key = storeKey(id, user);
    if (key !== undefined) await this.#state.store.delete(key);
  }

  /** Drops the local bookkeeping of a session this process closed (its record stays for other replicas). */
  closed(id: string): void {
    this.#written.delete(id);
  }
}

/**
 * Marks a fresh transport and its server as initialized with a kept `initialize` (see the module
 * comment for the internals). False when the SDK no longer has them: the caller refuses the adoption.
 */
export function adoptInitialized(transport: StreamableHTTPServerTransport, server: McpServer, id: string, kept: KeptSession): boolean {
  const web = (transport as unknown as { _webStandardTransport?: Record<string, unknown> })._webStandardTransport;
  const inner = server.server as unknown as Record<string, unknown>;
  if (!web || web._initialized !== false || !("sessionIdGenerator" in web) || typeof inner._oninitialize !== "function") return false;
  web.sessionId = id;
  web._initialized = true;
  inner._clientCapabilities = kept.capabilities;
  inner._clientVersion = kept.clientInfo;
  return true;
}

function storeKey(id: string, user: string | undefined): string | undefined {
  if (!SESSION_ID.test(id)) return undefined;
  const owner = createHash("sha256").update(`toolcode-user:${user ?? ""}`).digest("hex").slice(0, 32);
  return `mcp-session:${owner}:${id}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
