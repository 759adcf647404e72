/**
 * The catalog: every tool of every connected source under the identifiers the guest uses.
 *
 * Server identifiers are sanitized from the config keys (unique across sources, in config
 * order); tool identifiers from the tool names (unique within their server). The catalog is
 * the one place that maps `server.tool` back to a source and its original tool name.
 *
 * @module
 */
import { ToolError } from "../errors.js";
import type { ToolSource } from "../sources/tool-source.js";
import type { CatalogTool } from "./catalog-tool.js";
import { sanitizeUnique } from "./names.js";

/** Guest globals that are not reserved words for tools but are for servers (guest built-ins). */
const SERVER_RESERVED = ["search", "state"];

/** One connected server as the catalog sees it. */
export interface CatalogServer {
  /** Guest identifier. */
  id: string;
  source: ToolSource;
  tools: CatalogTool[];
}

/** Registry of all tools, keyed by guest identifiers. */
export class Catalog {
  readonly #servers = new Map<string, CatalogServer>();

  /** Builds a catalog by listing the tools of each source (in the given order). */
  static async build(sources: readonly ToolSource[]): Promise<Catalog> {
    const catalog = new Catalog();
    // `search` and `state` are guest built-ins: a server of that name becomes `search_2` / `state_2` (a tool may still be named so).
    const serverIds = sanitizeUnique(sources.map((s) => s.name), SERVER_RESERVED);
    const listed = await Promise.all(sources.map((source) => source.listTools()));
    sources.forEach((source, index) => {
      const server = serverIds[index] as string;
      const specs = listed[index] ?? [];
      const toolIds = sanitizeUnique(specs.map((spec) => spec.name));
      const tools = specs.map((spec, i): CatalogTool => {
        const tool = toolIds[i] as string;
        return { server, tool, id: `${server}.${tool}`, sourceName: source.name, spec };
      });
      catalog.#servers.set(server, { id: server, source, tools });
    });
    return catalog;
  }

  /**
   * A catalog holding only the tools `keep` accepts, under the same identifiers and sources;
   * servers left without tools are dropped. (The guard's view: what the policy lets scripts see.)
   */
  filter(keep: (tool: CatalogTool) => boolean): Catalog {
    const catalog = new Catalog();
    for (const server of this.#servers.values()) {
      const tools = server.tools.filter(keep);
      if (tools.length > 0) catalog.#servers.set(server.id, { ...server, tools });
    }
    return catalog;
  }

  /** Guest identifiers of all servers, in config order. */
  serverIds(): string[] {
    return [...this.#servers.keys()];
  }

  /** One server, or undefined. */
  server(id: string): CatalogServer | undefined {
    return this.#servers.get(id);
  }

  /** All tools, server by server. */
  tools(): CatalogTool[] {
    return [...this.#servers.values()].flatMap((s) => s.tools);
  }

  /** `{ server: [tool, …] }`, what the sandbox exposes. */
  globals(): Record<string, string[]> {
    return Object.fromEntries([...this.#servers.values()].map((s) => [s.id, s.tools.map((t) => t.tool)]));
  }

  /**
   * Finds a tool by guest identifiers. Throws `ToolError` (`SERVER_NOT_FOUND` / `TOOL_NOT_FOUND`)
   * whose message lists the valid names.
   */
  resolve(server: string, tool: string): { tool: CatalogTool; source: ToolSource } {
    const entry = this.#servers.get(server);
    if (!entry) {
      throw new ToolError(
        `Unknown server "${server}". Available servers: ${this.serverIds().join(", ") || "(none)"}.`,
        { server, available: this.serverIds() },
        "SERVER_NOT_FOUND",
      );
    }
    const found = entry.tools.find((t) => t.tool === tool);
    if (!found) {
      const names = entry.tools.map((t) => t.tool);
      throw new ToolError(
        `Unknown tool ${server}.${tool}. Tools of ${server}: ${names.join(", ") || "(none)"}. Use search to find the right one.`,
        { server, tool, available: names },
        "TOOL_NOT_FOUND",
      );
    }
    return { tool: found, source: entry.source };
  }
}
