/**
 * Connects every configured MCP server at once. One server that fails to start never stops the
 * others: its error is reported in `failures` and the rest are usable.
 *
 * @module
 */
import type { McpServerConfig } from "../config/schema.js";
import { SourceError, ToolcodeError } from "../errors.js";
import { connectMcpSource, type McpSourceOptions } from "./mcp/mcp-source.js";
import type { ToolSource } from "./tool-source.js";

/** A server that could not be connected, and why. */
export interface SourceFailure {
  /** The config key (`mcpServers.<name>`). */
  name: string;
  error: ToolcodeError;
}

/** What {@link connectSources} produced. */
export interface ConnectedSources {
  /** Connected sources, in config order. */
  sources: ToolSource[];
  /** Servers that failed, in config order. */
  failures: SourceFailure[];
}

/** Options for {@link connectSources}; passed to every {@link connectMcpSource}. */
export type ConnectSourcesOptions = McpSourceOptions;

/**
 * Connects all servers in parallel, skipping entries with `disabled: true`.
 * Never rejects because of a server: failures come back in `failures` (anything that is not a
 * `ToolcodeError` is wrapped as `SOURCE_UNAVAILABLE`).
 */
export async function connectSources(
  servers: Record<string, McpServerConfig>,
  options: ConnectSourcesOptions = {},
): Promise<ConnectedSources> {
  const entries = Object.entries(servers).filter(([, config]) => config.disabled !== true);
  const settled = await Promise.allSettled(entries.map(([name, config]) => connectMcpSource(name, config, options)));
  const sources: ToolSource[] = [];
  const failures: SourceFailure[] = [];
  settled.forEach((outcome, index) => {
    const name = (entries[index] as [string, McpServerConfig])[0];
    if (outcome.status === "fulfilled") {
      sources.push(outcome.value);
      return;
    }
    const reason: unknown = outcome.reason;
    const error =
      reason instanceof ToolcodeError
        ? reason
        : new SourceError(
            "SOURCE_UNAVAILABLE",
            `MCP server "${name}" could not be connected: ${reason instanceof Error ? reason.message : String(reason)}`,
            { server: name },
            { cause: reason },
          );
    failures.push({ name, error });
  });
  return { sources, failures };
}

/** Closes every source in parallel; errors while closing are ignored (each close is best effort). */
export async function closeSources(sources: readonly ToolSource[]): Promise<void> {
  await Promise.allSettled(sources.map((source) => source.close()));
}
