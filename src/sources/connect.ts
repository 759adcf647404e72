/**
 * Connects every configured MCP server at once. One server that fails to start never stops the
 * others: its error is reported in `failures` and the rest are usable.
 *
 * @module
 */
import type { McpServerConfig } from "../config/schema.js";
import { connectMcpSource, type McpSourceOptions } from "./mcp/mcp-source.js";
import { type SourceFailure, type StartedSources, startAll } from "./start-all.js";
import type { ToolSource } from "./tool-source.js";

export type { SourceFailure };

/** What {@link connectSources} produced: connected sources and failed servers, in config order. */
export type ConnectedSources = StartedSources<ToolSource>;

/** Options for {@link connectSources}; passed to every {@link connectMcpSource}. */
export type ConnectSourcesOptions = McpSourceOptions;

/**
 * Connects all servers in parallel, skipping entries with `disabled: true`.
 * Never rejects because of a server: failures come back in `failures` (anything that is not a
 * `ToolcodeError` is wrapped as `SOURCE_UNAVAILABLE`).
 */
export async function connectSources(servers: Record<string, McpServerConfig>, options: ConnectSourcesOptions = {}): Promise<ConnectedSources> {
  return startAll<McpServerConfig, ToolSource>(
    servers,
    (name, config) => connectMcpSource(name, config, options),
    (name) => ({ label: `MCP server "${name}"`, details: { server: name, key: `mcpServers.${name}` } }),
  );
}

/** Closes every source in parallel; errors while closing are ignored (each close is best effort). */
export async function closeSources(sources: readonly ToolSource[]): Promise<void> {
  await Promise.allSettled(sources.map((source) => source.close()));
}
