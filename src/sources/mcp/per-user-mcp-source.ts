/**
 * An MCP server whose `env` (stdio) or `headers` (HTTP) read the calling user's credential
 * (`${user.NAME}`): one connection per user, opened with that user's values only.
 *
 * - Calls: the user's values are resolved from the credential store on every call (so rotation
 *   and revocation apply at once); the call goes to that user's own connection (for stdio, their
 *   own server process), from a {@link UserConnectionPool} bounded per server and in total and
 *   idle-reaped. A user who has not connected gets `CREDENTIAL_MISSING`; one whose credential was
 *   removed also loses their open connection.
 * - Tools: listed at start through the first user who can connect (`credentials.defaultUser`
 *   first, then the users in the store in order), so every user sees the same catalog; with no
 *   one connected yet the server has no tools until the next start (a notice says so).
 * - Secrets: the user's values are redacted from every error this source reports.
 *
 * @module
 */
import { type ConnectionSpec, mcpOAuth } from "../../credentials/connection-spec.js";
import { fillUserPlaceholders, type UserField } from "../../credentials/placeholders.js";
import { StoreOAuthProvider } from "../../credentials/store-oauth-provider.js";
import type { ConnectionRef, UserCredentials } from "../../credentials/user-credentials.js";
import type { McpServerConfig } from "../../config/schema.js";
import { ToolcodeError } from "../../errors.js";
import { Redactor } from "../openapi/redactor.js";
import type { CallOptions, ToolSource, ToolSpec } from "../tool-source.js";
import { connectMcpSource, defaultSourceLogger, type McpSource, type McpSourceOptions } from "./mcp-source.js";
import type { UserConnectionPool } from "./user-connection-pool.js";

/** Options for {@link PerUserMcpSource}. */
export interface PerUserMcpSourceOptions extends McpSourceOptions {
  credentials: UserCredentials;
  pool: UserConnectionPool;
}

/** One MCP server, one connection per user. */
export class PerUserMcpSource implements ToolSource {
  readonly kind = "mcp";
  readonly ref: ConnectionRef;
  private tools: ToolSpec[] = [];
  private closed = false;
  /** Set when the server takes OAuth per user (`oauth`). */
  private readonly oauth: ConnectionSpec["oauth"];
  /** The OAuth provider of each open connection (to tell an expired authorization from other failures). */
  private readonly providers = new WeakMap<McpSource, StoreOAuthProvider>();

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly fields: readonly UserField[],
    private readonly options: PerUserMcpSourceOptions,
  ) {
    this.ref = { source: name, kind: "mcp", connection: config.connection ?? name };
    this.oauth = mcpOAuth(config);
  }

  /** Lists the tools through the first user who can connect; none connected: no tools yet. */
  async start(): Promise<void> {
    const { credentials } = this.options;
    const stored = await credentials.store.list().catch(() => []);
    const candidates = [credentials.defaultUser, ...stored.filter((key) => key.connection === this.ref.connection).map((key) => key.user)];
    let lastError: unknown;
    for (const user of [...new Set(candidates)]) {
      try {
        const lease = await this.lease(user);
        try {
          this.tools = await lease.connection.listTools();
          return;
        } finally {
          lease.release();
        }
      } catch (error) {
        if (error instanceof ToolcodeError && error.code === "CREDENTIAL_MISSING") continue;
        lastError = error;
      }
    }
    if (lastError !== undefined) throw lastError;
    (this.options.logger ?? defaultSourceLogger).warn(
      `MCP server "${this.name}" uses each user's own credential and no user has connected it yet, so it has no tools until the next start. Connect one: toolcode connect ${this.name}`,
    );
  }

  /** Tools as listed at start. */
  async listTools(): Promise<ToolSpec[]> {
    return [...this.tools];
  }

  /** See {@link ToolSource.callTool}: on the calling user's own connection. */
  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    if (this.closed) throw new ToolcodeError("SOURCE_UNAVAILABLE", `MCP server "${this.name}" has been closed.`, { server: this.name });
    const user = this.options.credentials.userOf(options.user);
    const lease = await this.lease(user, options);
    try {
      return await lease.connection.callTool(name, args, options.signal !== undefined ? { signal: options.signal } : {});
    } catch (error) {
      // The server refused the token and the refresh failed: the user must authorize again.
      if (this.providers.get(lease.connection)?.authorizationUrl !== undefined) {
        this.options.pool.drop(this.name, user);
        throw this.expired(user);
      }
      throw lease.redactor.error(error);
    } finally {
      lease.release();
    }
  }

  /** Closes every user's connection to this server. */
  async close(): Promise<void> {
    this.closed = true;
    await this.options.pool.close(this.name);
  }

  /** `user`'s connection, opened with their values (and redacting them from errors). */
  private async lease(user: string, options: CallOptions = {}): Promise<{ connection: McpSource; release(): void; redactor: Redactor }> {
    const { credentials, pool } = this.options;
    let resolved;
    try {
      resolved = await credentials.resolve(this.ref, user, this.fields);
    } catch (error) {
      // Revoked (or never connected): the user's open connection must not outlive the credential.
      pool.drop(this.name, user);
      throw error;
    }
    const secrets = Object.values(resolved.values);
    let grant = "";
    let provider: (() => StoreOAuthProvider) | undefined;
    let owner = resolved.owner;
    if (this.oauth !== undefined) {
      const key = { user, connection: this.ref.connection };
      const stored = await credentials.store.get(key);
      const tokens = stored?.oauth?.tokens;
      if (stored?.oauth === undefined || tokens === undefined) {
        pool.drop(this.name, user);
        throw credentials.missing(this.ref, user, []);
      }
      owner = user;
      grant = stored.oauth.grant ?? "";
      for (const name of ["access_token", "refresh_token"]) if (typeof tokens[name] === "string") secrets.push(tokens[name]);
      const redirect = (stored.oauth.client?.redirect_uris as string[] | undefined)?.[0] ?? "http://127.0.0.1/callback";
      const initial = stored.oauth;
      const client = this.oauth.client;
      provider = () => new StoreOAuthProvider({ store: credentials.store, key, initial, redirectUrl: redirect, client });
    }
    options.onCredential?.({ connection: this.ref.connection, owner });
    const redactor = new Redactor(secrets);
    const config = fillUserPlaceholders(this.config, resolved.values);
    const sourceOptions: McpSourceOptions = { ...this.options };
    delete (sourceOptions as Partial<PerUserMcpSourceOptions>).credentials;
    delete (sourceOptions as Partial<PerUserMcpSourceOptions>).pool;
    const open = async (): Promise<McpSource> => {
      const authProvider = provider?.();
      try {
        const source = await connectMcpSource(this.name, config, { ...sourceOptions, ...(authProvider !== undefined ? { authProvider } : {}) });
        if (authProvider !== undefined) this.providers.set(source, authProvider);
        return source;
      } catch (error) {
        if (authProvider?.authorizationUrl !== undefined) throw this.expired(user);
        throw error;
      }
    };
    const lease = await pool.lease(this.name, user, JSON.stringify([resolved.values, grant]), open).catch((error: unknown) => {
      throw redactor.error(error);
    });
    return { ...lease, redactor };
  }

  /** `CREDENTIAL_MISSING` for an authorization the server no longer accepts (expired, revoked). */
  private expired(user: string): ToolcodeError {
    const error = this.options.credentials.missing(this.ref, user, []);
    error.message = error.message.replace("has not connected it", "must authorize it again (the server refused the token and it could not be refreshed)");
    return error;
  }
}
