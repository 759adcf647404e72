/**
 * Connects every configured MCP server at once. One server that fails to start never stops the
 * others: its error is reported in `failures` and the rest are usable.
 *
 * @module
 */
import type { CredentialsConfig } from "../config/credentials-schema.js";
import type { McpServerConfig } from "../config/schema.js";
import { mcpCredentialParts, mcpOAuth } from "../credentials/connection-spec.js";
import { userFields } from "../credentials/placeholders.js";
import { MemoryCredentialStore } from "../credentials/memory-store.js";
import { UserCredentials } from "../credentials/user-credentials.js";
import { connectMcpSource, type McpSourceOptions } from "./mcp/mcp-source.js";
import { PerUserMcpSource } from "./mcp/per-user-mcp-source.js";
import { UserConnectionPool } from "./mcp/user-connection-pool.js";
import { type SourceFailure, type StartedSources, startAll } from "./start-all.js";
import type { ToolSource } from "./tool-source.js";

export type { SourceFailure };

/** What {@link connectSources} produced: connected sources and failed servers, in config order. */
export type ConnectedSources = StartedSources<ToolSource>;

/** Options for {@link connectSources}; passed to every {@link connectMcpSource}. */
export interface ConnectSourcesOptions extends McpSourceOptions {
  /** Where servers with `${user.NAME}` placeholders get each user's values. */
  credentials?: UserCredentials;
  /** Bounds on per-user connections (`credentials.maxConnectionsPerSource`, `maxConnections`, `idleMinutes`). */
  connections?: Pick<CredentialsConfig, "maxConnectionsPerSource" | "maxConnections" | "idleMinutes">;
}


/**
 * Connects all servers in parallel, skipping entries with `disabled: true`.
 * Never rejects because of a server: failures come back in `failures` (anything that is not a
 * `ToolcodeError` is wrapped as `SOURCE_UNAVAILABLE`).
 */
export async function connectSources(servers: Record<string, McpServerConfig>, options: ConnectSourcesOptions = {}): Promise<ConnectedSources> {
  const { credentials, connections, ...mcpOptions } = options;
  let pool: UserConnectionPool | undefined;
  const start = async (name: string, config: McpServerConfig): Promise<ToolSource> => {
    const fields = userFields(mcpCredentialParts(config));
    if (fields.length === 0 && mcpOAuth(config) === undefined) return connectMcpSource(name, config, mcpOptions);
    pool ??= new UserConnectionPool({
      maxPerSource: connections?.maxConnectionsPerSource ?? 16,
      maxTotal: connections?.maxConnections ?? 64,
      idleMs: (connections?.idleMinutes ?? 10) * 60_000,
    });
    const users = credentials ?? new UserCredentials({ store: new MemoryCredentialStore() });
    const source = new PerUserMcpSource(name, config, fields, { ...mcpOptions, credentials: users, pool });
    await source.start();
    return source;
  };
  return startAll<McpServerConfig, ToolSource>(
    servers,
    start,
    (name) => ({ label: `MCP server "${name}"`, details: { server: name, key: `mcpServers.${name}` } }),
  );
}

/** Closes every source in parallel; errors while closing are ignored (each close is best effort). */
export async function closeSources(sources: readonly ToolSource[]): Promise<void> {
  await Promise.allSettled(sources.map((source) => source.close()));
}
