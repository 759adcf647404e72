/**
 * Ranked tool search over the catalog (minisearch, BM25), so the model finds the few tools it
 * needs instead of reading every declaration.
 *
 * Indexed per tool: its identifier and original name, whole and split into words (`read_file`,
 * `getSum`, `issues/list-for-repo`), server, title, description, parameter names and parameter
 * descriptions (nested ones too), and result field names and descriptions, boosted in that
 * spirit: name > title > server > description > parameters > result fields. Terms are
 * lower-cased, stop words dropped and plurals folded (`entities` → `entity`). Query terms match by
 * prefix (3+ characters) and fuzzily (4+ characters; fuzzy hits in prose count little), so
 * `reed fil` still finds `read_file`. Terms combine with OR: tools that match more (and rarer)
 * terms rank higher.
 *
 * @module
 */
import MiniSearch, { type Query } from "minisearch";
import type { JsonSchema } from "../sources/tool-source.js";
import type { CatalogTool } from "./catalog-tool.js";

/** Options for {@link SearchIndex.search}. */
export interface SearchQueryOptions {
  /** Most results returned. Default 10. */
  limit?: number;
  /** Only tools of this server (its sanitized identifier, e.g. `fs`). */
  server?: string;
}

/** One ranked hit. */
export interface SearchResult {
  tool: CatalogTool;
  /** Relevance (higher is better); 0 when the query was empty. */
  score: number;
}

/** The text fields indexed per tool. */
interface ToolDocument {
  id: string;
  name: string;
  title: string;
  server: string;
  description: string;
  params: string;
  paramDocs: string;
  output: string;
}

const BOOST: Record<keyof Omit<ToolDocument, "id">, number> = {
  name: 8,
  title: 2,
  server: 1.5,
  description: 1,
  params: 1,
  paramDocs: 0.3,
  output: 0.1,
};

const SHORT_FIELDS = ["name", "title", "server", "params"];
const PROSE_FIELDS = ["description", "paramDocs", "output"];

const STOP_WORDS = new Set(
  (
    "a an and are as at be by can for from has have if in into is it its of on or than that the their then " +
    "this to was were when which will with you your"
  ).split(" "),
);

/**
 * Splits into words on whitespace, punctuation and symbols, and also between `_`/`-` parts and
 * camelCase humps; compound words are kept too, so `dryRun` yields `dryRun`, `dry`, `Run` and an
 * exact parameter or tool name outranks documents that only share its parts.
 */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const chunk of text.split(/[^\p{L}\p{N}_-]+/u)) {
    const parts = chunk
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(/[\s_-]+/)
      .filter(Boolean);
    if (parts.length > 1) tokens.push(chunk.replace(/^[-_]+|[-_]+$/g, ""));
    tokens.push(...parts);
  }
  return tokens;
}

/** Lower-cases, drops stop words, folds simple English plurals. */
function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  if (STOP_WORDS.has(t)) return null;
  if (t.length > 4 && t.endsWith("ies")) return `${t.slice(0, -3)}y`;
  if (t.length > 3 && t.endsWith("s") && !/(ss|us|is)$/.test(t)) return t.slice(0, -1);
  return t;
}

/** Collects parameter names and descriptions, following properties, items and combinators a few levels down. */
function collectParams(schema: unknown, names: string[], docs: string[], depth = 0): void {
  if (depth > 3 || typeof schema !== "object" || schema === null) return;
  const s = schema as JsonSchema;
  if (typeof s.properties === "object" && s.properties !== null) {
    for (const [name, child] of Object.entries(s.properties as Record<string, unknown>)) {
      names.push(name);
      const description = (child as JsonSchema | null)?.description;
      if (typeof description === "string") docs.push(description);
      collectParams(child, names, docs, depth + 1);
    }
  }
  if (typeof s.items === "object") collectParams(s.items, names, docs, depth + 1);
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const members = s[key];
    if (Array.isArray(members)) for (const member of members) collectParams(member, names, docs, depth + 1);
  }
}

function toDocument(tool: CatalogTool): ToolDocument {
  const names: string[] = [];
  const docs: string[] = [];
  collectParams(tool.spec.inputSchema, names, docs);
  // Result fields: findable (`temperature`), but far below what the tool is and takes.
  const output: string[] = [];
  collectParams(tool.spec.outputSchema, output, output);
  return {
    id: tool.id,
    name: tool.tool === tool.spec.name ? tool.tool : `${tool.tool} ${tool.spec.name}`,
    title: tool.spec.title ?? tool.spec.annotations?.title ?? "",
    server: tool.sourceName === tool.server ? tool.server : `${tool.server} ${tool.sourceName}`,
    description: tool.spec.description ?? "",
    params: names.join(" "),
    paramDocs: docs.join("\n"),
    output: output.join("\n"),
  };
}

const byId = (a: CatalogTool, b: CatalogTool): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The search index over catalog tools. Sources may reconnect: {@link SearchIndex.replace} swaps
 * one server's tools; {@link SearchIndex.add} and {@link SearchIndex.remove} are the parts of that.
 */
export class SearchIndex {
  private readonly mini: MiniSearch<ToolDocument>;
  private readonly tools = new Map<string, CatalogTool>();

  /** Builds the index over `tools` (more can be added later). */
  constructor(tools: readonly CatalogTool[] = []) {
    this.mini = new MiniSearch<ToolDocument>({
      fields: Object.keys(BOOST),
      tokenize,
      processTerm,
      searchOptions: {
        boost: BOOST,
        combineWith: "OR",
        prefix: (term) => term.length >= 3,
        fuzzy: (term) => (term.length >= 4 ? 0.2 : false),
      },
    });
    this.add(tools);
  }

  /** Number of indexed tools. */
  get size(): number {
    return this.tools.size;
  }

  /** Indexes tools; a tool whose id is already indexed is replaced. */
  add(tools: readonly CatalogTool[]): void {
    for (const tool of tools) {
      if (this.tools.has(tool.id)) this.mini.discard(tool.id);
      this.tools.set(tool.id, tool);
      this.mini.add(toDocument(tool));
    }
  }

  /** Removes every tool of `server` (sanitized identifier). Returns how many were removed. */
  remove(server: string): number {
    let removed = 0;
    for (const tool of [...this.tools.values()]) {
      if (tool.server !== server) continue;
      this.mini.discard(tool.id);
      this.tools.delete(tool.id);
      removed++;
    }
    return removed;
  }

  /** Replaces all tools of `server` with `tools` (e.g. after the source reconnected). */
  replace(server: string, tools: readonly CatalogTool[]): void {
    this.remove(server);
    this.add(tools);
  }

  /**
   * Ranked tools for `query`, best first (ties by id). An empty or blank query lists tools sorted
   * by id, score 0. `server` restricts results to one server.
   */
  search(query: string, options: SearchQueryOptions = {}): SearchResult[] {
    const limit = Math.max(0, options.limit ?? 10);
    const { server } = options;
    if (tokenize(query).every((t) => processTerm(t) === null)) {
      return [...this.tools.values()]
        .filter((t) => server === undefined || t.server === server)
        .sort(byId)
        .slice(0, limit)
        .map((tool) => ({ tool, score: 0 }));
    }
    // Fuzzy matches in prose count little: there they mostly add noise (`reed` → `need`).
    const tree: Query = {
      combineWith: "OR",
      queries: [
        { queries: [query], fields: SHORT_FIELDS },
        { queries: [query], fields: PROSE_FIELDS, weights: { fuzzy: 0.1, prefix: 0.375 } },
      ],
    };
    const hits = this.mini.search(tree, server === undefined ? {} : { filter: (r) => this.tools.get(r.id)?.server === server });
    return hits
      .flatMap((hit) => {
        const tool = this.tools.get(hit.id as string);
        return tool ? [{ tool, score: hit.score }] : [];
      })
      .sort((a, b) => b.score - a.score || byId(a.tool, b.tool))
      .slice(0, limit);
  }
}
