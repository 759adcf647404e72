/**
 * Rendered declarations, produced lazily and cached: what `search` (signatures and "full"
 * detail), `types()` and the virtual tree serve.
 *
 * Each tool's declaration and signature is rendered on first use, one tool at a time (an API with
 * 1,224 operations never renders them all), and kept in memory. For servers whose content is fixed
 * by a spec (OpenAPI sources), rendered text is also written to disk under the spec's hash
 * (`<cache dir>/<spec hash>.declarations/<server>/`, next to the processed-spec cache), so a second
 * process start reads what the first rendered instead of rendering it again. A file's name carries a
 * hash of everything else the text depends on (server and tool identifiers, interface names, the
 * tool's title, description, annotations and top-level schemas, the renderer's version and a
 * fingerprint of its output), so a changed config or renderer never reads stale text.
 *
 * The disk cache is best effort: an unreadable or unwritable directory only means rendering again.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { OpenApiSource } from "../sources/openapi/openapi-source.js";
import type { JsonSchema, ToolSource } from "../sources/tool-source.js";
import {
  MAX_NAMESPACE_TOOLS,
  type ToolTypeNames,
  renderServerFile,
  renderSignature,
  renderToolDeclaration,
  toolTypeNames,
} from "./declarations.js";
import { SERVERS_INDEX_PATH, groupByServer, renderServersIndex, serverIndexPath, toolFilePath } from "./virtual-tree.js";

/** A catalog view over a plain list of tools (grouped by server once). */
export function toolList(tools: readonly CatalogTool[]): DeclarationCatalog {
  const groups = groupByServer(tools);
  return { tools: () => tools, server: (id) => (groups.has(id) ? { tools: groups.get(id)! } : undefined) };
}

/** Bump when rendering changes in a way the fingerprint below might not catch. */
const RENDER_VERSION = 1;

/** Where one server's rendered declarations live on disk. */
export interface DeclarationDiskCache {
  /** Directory of this server's files (created on first write). */
  dir: string;
  /** What the server's tools are derived from (e.g. the spec hash); part of every file's key. */
  key: string;
}

/** Options for {@link DeclarationStore}. */
export interface DeclarationStoreOptions {
  /** The disk cache of a server (sanitized identifier), or undefined to keep its text in memory only. */
  diskCache?: (server: string) => DeclarationDiskCache | undefined;
  /** Servers with more tools are shown as a listing instead of their full namespace. Default {@link MAX_NAMESPACE_TOOLS}. */
  maxNamespaceTools?: number;
}

/** The tools a store renders: a `Catalog` fits. `server(id).tools` must keep its identity while unchanged. */
export interface DeclarationCatalog {
  /** Every tool, server by server. */
  tools(): readonly CatalogTool[];
  /** One server's tools, or undefined. */
  server(id: string): { readonly tools: readonly CatalogTool[] } | undefined;
}

/** How often text was rendered and where cached text came from (for tests and benchmarks). */
export interface DeclarationStoreStats {
  /** Tool declarations and signatures rendered. */
  rendered: number;
  /** Read from the disk cache. */
  diskHits: number;
}

type Kind = "d.ts" | "sig";

/** One server's tools, as last seen, with the interface names of its tools. */
interface ServerState {
  tools: readonly CatalogTool[];
  typeNames: Map<string, ToolTypeNames>;
  /** The server file (namespace or listing), once rendered. */
  file?: string;
}

/**
 * The disk cache for a tool source: OpenAPI sources with a disk cache keep their declarations
 * beside the processed spec, keyed by its hash; other sources (MCP servers, whose tools can change
 * at any time) have none.
 */
export function declarationDiskCache(source: ToolSource | undefined, server: string): DeclarationDiskCache | undefined {
  if (!(source instanceof OpenApiSource)) return undefined;
  const { cacheDir, specHash } = source.info;
  if (cacheDir === undefined) return undefined;
  return { dir: path.join(cacheDir, `${specHash}.declarations`, server), key: specHash };
}

/** A schema without its `$defs` (those are covered by the cache key: they come from the spec). */
function topLevel(schema: JsonSchema | undefined): unknown {
  if (schema === undefined) return null;
  const { $defs: _defs, ...rest } = schema;
  return rest;
}

let fingerprint: string | undefined;

/**
 * A hash of what the renderer produces for a probe covering its features (JSDoc, enums, nullable,
 * unions, refs as named types, the alias budget): a renderer change shows up here and makes every
 * cached file's key change with it.
 */
function rendererFingerprint(): string {
  if (fingerprint === undefined) {
    const schema: JsonSchema = {
      type: "object",
      description: "Probe.",
      required: ["a"],
      properties: {
        a: { type: "string", enum: ["x", "y"], description: "An enum." },
        b: { anyOf: [{ $ref: "#/$defs/Node" }, { type: "null" }] },
        c: { type: "array", items: { type: "integer", minimum: 1 }, nullable: true },
        d: { type: "object", additionalProperties: { type: "boolean" } },
      },
      $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" }, big: { $ref: "#/$defs/Big" } } }, Big: { type: "object", properties: { z: { type: "number" } } } },
    };
    const probe: CatalogTool = {
      server: "probe",
      tool: "probe",
      id: "probe.probe",
      sourceName: "probe",
      spec: { name: "probe", title: "Probe", description: "Probe tool.", inputSchema: schema, outputSchema: schema, annotations: { readOnlyHint: true } },
    };
    const text = [renderToolDeclaration(probe), renderToolDeclaration(probe, [probe], { maxAliasChars: 10 }), renderSignature(probe), renderServerFile("probe", [probe], 0)].join("\n");
    fingerprint = createHash("sha256").update(text).digest("hex").slice(0, 16);
  }
  return fingerprint;
}

/**
 * Lazily rendered, cached declarations over a changing catalog (`catalog()` is read on every
 * call; a server whose tool list changed is rendered again).
 */
export class DeclarationStore {
  /** Rendering and cache counters. */
  readonly stats: DeclarationStoreStats = { rendered: 0, diskHits: 0 };
  private readonly servers = new Map<string, ServerState>();
  /** Tool id → kind → rendered text, valid while the tool object is the same. */
  private readonly texts = new Map<string, { tool: CatalogTool; text: Map<Kind, string> }>();
  private readonly madeDirs = new Set<string>();
  private readonly maxNamespaceTools: number;

  constructor(
    private readonly catalog: () => DeclarationCatalog,
    private readonly options: DeclarationStoreOptions = {},
  ) {
    this.maxNamespaceTools = options.maxNamespaceTools ?? MAX_NAMESPACE_TOOLS;
  }

  /** One tool's complete declaration (`declare namespace <server> { … }`). */
  declaration(tool: CatalogTool): string {
    return this.cached(tool, "d.ts", (names) => renderToolDeclaration(tool, [tool], { typeNames: new Map([[tool.tool, names]]) }));
  }

  /** One tool's one-line signature, as `search` shows it. */
  signature(tool: CatalogTool): string {
    return this.cached(tool, "sig", () => renderSignature(tool));
  }

  /**
   * What the model reads for one server: its full namespace, or for servers with more than
   * `maxNamespaceTools` tools, the listing of names and summaries. Undefined for an unknown server.
   */
  server(server: string): string | undefined {
    const state = this.state(server);
    if (state === undefined) return undefined;
    state.file ??= renderServerFile(server, state.tools, this.maxNamespaceTools);
    return state.file;
  }

  /**
   * One file of the virtual tree: `servers/index.d.ts`, `servers/<server>/index.d.ts`
   * ({@link server}) or `servers/<server>/<tool>.d.ts` ({@link declaration}); undefined otherwise.
   */
  file(file: string): string | undefined {
    if (file === SERVERS_INDEX_PATH) return renderServersIndex(this.catalog().tools());
    const match = /^servers\/([^/]+)\/([^/]+)\.d\.ts$/.exec(file);
    if (!match) return undefined;
    const server = match[1]!;
    if (file === serverIndexPath(server)) return this.server(server);
    const tool = this.state(server)?.tools.find((t) => toolFilePath(t) === file);
    return tool === undefined ? undefined : this.declaration(tool);
  }

  /** The current tools of `server` and their interface names (recomputed when the list changed). */
  private state(server: string): ServerState | undefined {
    const tools = this.catalog().server(server)?.tools;
    if (tools === undefined) {
      this.servers.delete(server);
      return undefined;
    }
    let state = this.servers.get(server);
    if (state === undefined || state.tools !== tools) {
      state = { tools, typeNames: toolTypeNames(tools) };
      this.servers.set(server, state);
    }
    return state;
  }

  /** Memory, then disk, then render (and store in both). */
  private cached(tool: CatalogTool, kind: Kind, render: (names: ToolTypeNames) => string): string {
    let entry = this.texts.get(tool.id);
    if (entry === undefined || entry.tool !== tool) {
      entry = { tool, text: new Map() };
      this.texts.set(tool.id, entry);
    }
    const hit = entry.text.get(kind);
    if (hit !== undefined) return hit;
    const names = this.state(tool.server)?.typeNames.get(tool.tool) ?? toolTypeNames([tool]).get(tool.tool)!;
    const disk = this.options.diskCache?.(tool.server);
    const file = disk === undefined ? undefined : path.join(disk.dir, `${tool.tool}.${this.fileKey(tool, names, disk)}.${kind}`);
    let text = file === undefined ? undefined : readText(file);
    if (text !== undefined) {
      this.stats.diskHits++;
    } else {
      text = render(names);
      this.stats.rendered++;
      if (file !== undefined && disk !== undefined) this.write(disk.dir, file, text);
    }
    entry.text.set(kind, text);
    return text;
  }

  /** Hash of everything a tool's rendered text depends on besides the spec. */
  private fileKey(tool: CatalogTool, names: ToolTypeNames, disk: DeclarationDiskCache): string {
    const { spec } = tool;
    const parts = [
      RENDER_VERSION,
      rendererFingerprint(),
      disk.key,
      tool.server,
      tool.tool,
      tool.id,
      spec.name,
      names.input,
      names.output,
      spec.title ?? null,
      spec.description ?? null,
      spec.annotations ?? null,
      topLevel(spec.inputSchema),
      topLevel(spec.outputSchema),
    ];
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 20);
  }

  /** Atomic write (temp file + rename); failures are ignored (the cache is best effort). */
  private write(dir: string, file: string, text: string): void {
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      if (!this.madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      writeFileSync(temp, text);
      renameSync(temp, file);
    } catch {
      try {
        rmSync(temp, { force: true });
      } catch {
        // nothing was written
      }
    }
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
