/**
 * The library entry point: config → sources → catalog → search/types → sandboxed execute.
 *
 * @module
 */
import { Catalog } from "../catalog/catalog.js";
import { SearchIndex } from "../catalog/search-index.js";
import { loadConfig } from "../config/load-config.js";
import { type Config, type ConfigInput, configSchema } from "../config/schema.js";
import { type ToolcodeError, ToolcodeError as ToolcodeErrorClass, toErrorInfo } from "../errors.js";
import type { Engine, SandboxHost, SandboxLimits } from "../sandbox/engine.js";
import { createQuickJsEngine } from "../sandbox/quickjs/quickjs-engine.js";
import { closeSources, connectSources } from "../sources/connect.js";
import type { ToolSource } from "../sources/tool-source.js";
import { renderServerIndex } from "../typegen/declarations.js";
import { type SearchDetail, describeResults } from "../typegen/search-render.js";
import { buildVirtualTree } from "../typegen/virtual-tree.js";
import type { ExecuteResult } from "./execute-result.js";
import { transpileGuest } from "./transpile.js";

/** Options for {@link createToolcode}. */
export interface ToolcodeOptions {
  /** A config object (validated here); takes precedence over `configPath`. */
  config?: Config | ConfigInput;
  /** A config file; otherwise `./toolcode.config.json`, otherwise the embedded default. */
  configPath?: string;
  /** Working directory for relative paths and stdio servers (default `process.cwd()`). */
  cwd?: string;
  /** Extra sources to add beside the configured MCP servers (e.g. for tests or embedding). */
  sources?: ToolSource[];
}

/** A source that failed to connect, and why. The other sources keep working. */
export interface SourceFailure {
  name: string;
  error: ToolcodeError;
}

/** Options for {@link Toolcode.search}. */
export interface SearchOptions {
  /** `names` (cheapest), `signatures` (default) or `full` declarations. */
  detail?: SearchDetail;
  limit?: number;
  /** Only tools of this server (guest identifier). */
  server?: string;
}

/** Result of {@link Toolcode.search}: ranked tool ids and the text the model reads. */
export interface SearchResponse {
  results: { id: string; score: number }[];
  text: string;
}

/** Options for {@link Toolcode.execute}. */
export interface ExecuteOptions {
  /** Overrides `sandbox.timeoutMs` for this call (never above it). */
  timeoutMs?: number;
}

/** A running toolcode instance. */
export interface Toolcode {
  readonly config: Config;
  readonly catalog: Catalog;
  /** Sources that failed to connect. */
  readonly failures: readonly SourceFailure[];
  search(query: string, options?: SearchOptions): SearchResponse;
  /** Runs a TypeScript script in the sandbox. Never throws for guest failures. */
  execute(code: string, options?: ExecuteOptions): Promise<ExecuteResult>;
  /** The declarations the model reads: one server's namespace, or all of them. */
  types(server?: string): string;
  /** The virtual tree (`servers/<server>/index.d.ts`, one file per tool). */
  virtualTree(): Map<string, string>;
  close(): Promise<void>;
}

/** Connects every configured source (in parallel) and returns a ready {@link Toolcode}. */
export async function createToolcode(options: ToolcodeOptions = {}): Promise<Toolcode> {
  const cwd = options.cwd ?? process.cwd();
  let config: Config;
  let baseDir = cwd;
  if (options.config !== undefined) {
    config = configSchema.parse(options.config);
  } else {
    const loaded = loadConfig({ cwd, ...(options.configPath !== undefined ? { path: options.configPath } : {}) });
    config = loaded.config;
    baseDir = loaded.baseDir;
  }
  const { sources, failures } = await connectSources(config.mcpServers, { cwd: baseDir });
  const allSources = [...sources, ...(options.sources ?? [])];
  let catalog: Catalog;
  try {
    catalog = await Catalog.build(allSources);
  } catch (error) {
    await closeSources(allSources);
    throw error;
  }
  const index = new SearchIndex(catalog.tools());
  const engine: Engine = createQuickJsEngine({ poolSize: config.sandbox.poolSize });
  return new ToolcodeInstance(config, catalog, failures, index, engine, allSources);
}

class ToolcodeInstance implements Toolcode {
  #closed = false;

  constructor(
    readonly config: Config,
    readonly catalog: Catalog,
    readonly failures: readonly SourceFailure[],
    private readonly index: SearchIndex,
    private readonly engine: Engine,
    private readonly sources: ToolSource[],
  ) {}

  search(query: string, options: SearchOptions = {}): SearchResponse {
    const results = this.index.search(query, {
      limit: options.limit ?? 10,
      ...(options.server !== undefined ? { server: options.server } : {}),
    });
    const text = results.length > 0
      ? describeResults(results, options.detail ?? "signatures")
      : `No tools match "${query}". Servers: ${this.catalog.serverIds().join(", ")}. Try other words, or an empty query to list tools.`;
    return { results: results.map((r) => ({ id: r.tool.id, score: r.score })), text };
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const started = performance.now();
    const limits: SandboxLimits = {
      timeoutMs: Math.min(options.timeoutMs ?? this.config.sandbox.timeoutMs, this.config.sandbox.timeoutMs),
      memoryMb: this.config.sandbox.memoryMb,
      maxStackKb: this.config.sandbox.maxStackKb,
      maxToolCalls: this.config.sandbox.maxToolCalls,
      maxLogBytes: this.config.sandbox.maxLogBytes,
    };
    const fail = (error: unknown, toolCalls = 0): ExecuteResult => ({
      result: undefined,
      logs: [],
      error: toErrorInfo(error, "INTERNAL") as ExecuteResult["error"],
      metadata: { engine: this.engine.name, durationMs: performance.now() - started, toolCalls },
    });
    if (this.#closed) return fail(new ToolcodeErrorClass("INTERNAL", "This toolcode instance is closed; create a new one."));
    let transpiled: { code: string; lineOffset: number };
    try {
      transpiled = transpileGuest(code);
    } catch (error) {
      return fail(error);
    }
    const host: SandboxHost = {
      callTool: async (server, tool, args, signal) => {
        const { tool: found, source } = this.catalog.resolve(server, tool);
        const input = args === undefined || args === null ? {} : args;
        if (typeof input !== "object" || Array.isArray(input)) {
          throw new ToolcodeErrorClass("INVALID_ARGUMENTS", `${found.id} takes one object argument, e.g. ${found.id}({ … }); got ${Array.isArray(input) ? "an array" : typeof input}.`);
        }
        return source.callTool(found.spec.name, input as Record<string, unknown>, { signal });
      },
    };
    const run = await this.engine.run({ code: transpiled.code, lineOffset: transpiled.lineOffset, api: { globals: this.catalog.globals() }, limits }, host);
    const logs = run.logs.map((entry) => (entry.level === "log" || entry.level === "info" ? entry.message : `[${entry.level}] ${entry.message}`));
    return {
      result: run.ok ? run.value : undefined,
      logs,
      error: run.ok ? null : run.error,
      metadata: { engine: this.engine.name, durationMs: performance.now() - started, toolCalls: run.stats.toolCalls },
    };
  }

  types(server?: string): string {
    if (server !== undefined) {
      const entry = this.catalog.server(server);
      if (!entry) {
        throw new ToolcodeErrorClass("SERVER_NOT_FOUND", `Unknown server "${server}". Available servers: ${this.catalog.serverIds().join(", ")}.`, {
          server,
          available: this.catalog.serverIds(),
        });
      }
      return renderServerIndex(entry.id, entry.tools);
    }
    return this.catalog
      .serverIds()
      .map((id) => renderServerIndex(id, this.catalog.server(id)?.tools ?? []))
      .join("\n");
  }

  virtualTree(): Map<string, string> {
    return buildVirtualTree(this.catalog.tools());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([this.engine.close(), closeSources(this.sources)]);
  }
}
