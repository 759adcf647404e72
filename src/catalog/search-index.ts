/**
 * Ranked tool search over the catalog (BM25 over several fields), so the model finds the few tools
 * it needs instead of reading every declaration.
 *
 * Indexed per tool: its identifier and original name, whole and split into words (`read_file`,
 * `getSum`, `issues/list-for-repo`), server, title, description, parameter names and parameter
 * descriptions (nested ones too), and result field names and descriptions, boosted in that
 * spirit: name > title = description > server > parameters > result fields. Terms are
 * lower-cased, stop words dropped, plurals and a few common API abbreviations folded (`entities`
 * → `entity`, `repositories` → `repo`). Query terms match exactly, by prefix (3+ characters) and,
 * when a term matches nothing that way, fuzzily (4+ characters; fuzzy hits in prose count little),
 * so `reed fil` still finds `read_file`. Terms combine with OR: tools that match more (and rarer)
 * terms rank higher, and a tool whose title (else name) the query covers word for word ranks
 * higher still ("create a pull request" → `pulls/create`, "Create a pull request", before
 * `pull-request-stacks/create`, "Create a pull request stack").
 *
 * Scoring follows MiniSearch's BM25+ (same formula and parameters, prefix and fuzzy weights, and
 * the "more matched query terms" multiplier), but runs on a flat index built for it: MiniSearch's
 * `search` allocates a result object per matching document, field and term, which cost ~4 ms per
 * query over GitHub's 1,223 operations (p50 on a 2-core machine, with prefix and fuzzy matching);
 * here each term's postings are precomputed per field group in typed arrays and a query only adds
 * numbers (see bench/openapi.bench.ts). MiniSearch's radix tree ({@link SearchableMap}) still finds
 * the prefix and fuzzy matches. The index is built once and rebuilt lazily after
 * {@link SearchIndex.add} / {@link SearchIndex.remove}.
 *
 * @module
 */
import SearchableMap from "minisearch/SearchableMap";
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

/** The indexed fields, their boosts, and whether they are short (names) or prose. */
const FIELDS = [
  { name: "name", boost: 8, prose: false },
  { name: "title", boost: 2, prose: false },
  { name: "server", boost: 1.5, prose: false },
  { name: "description", boost: 2, prose: true },
  { name: "params", boost: 1, prose: false },
  { name: "paramDocs", boost: 0.3, prose: true },
  { name: "output", boost: 0.1, prose: true },
] as const;

/** BM25+ parameters (MiniSearch's defaults). */
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
/** Weight of a prefix match at distance 0 (it decays with the extra characters). */
const PREFIX_WEIGHT = 0.375;
/** Weight of a fuzzy match in short fields and in prose (where it mostly adds noise: `reed` → `need`). */
const FUZZY_WEIGHT_SHORT = 0.45;
const FUZZY_WEIGHT_PROSE = 0.1;
/** Fuzzy distance as a fraction of the term length, and its cap. */
const FUZZY_FRACTION = 0.2;
const MAX_FUZZY = 6;
/** How much a title (or name) fully described by the query multiplies the score: up to 1 + this. */
const COVERAGE_WEIGHT = 2;
/** Query terms considered (each gets a bit in a 32-bit mask). */
const MAX_QUERY_TERMS = 32;

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
    if (chunk === "") continue;
    if (/^[A-Za-z0-9][a-z0-9]*$/.test(chunk)) {
      tokens.push(chunk); // the common case: a plain word, perhaps capitalized
      continue;
    }
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

/**
 * Long words APIs commonly abbreviate in names (`repos/list-for-org`), folded to the short form
 * so that "repository" finds `repos_*` and "org" finds "organization".
 */
const ABBREVIATIONS = new Map([
  ["repository", "repo"],
  ["organization", "org"],
  ["organisation", "org"],
  ["configuration", "config"],
  ["environment", "env"],
  ["information", "info"],
  ["application", "app"],
  ["administrator", "admin"],
]);

/** Lower-cases, drops stop words, folds simple English plurals and common abbreviations. */
function processTerm(term: string): string | null {
  let t = term.toLowerCase();
  if (STOP_WORDS.has(t)) return null;
  if (t.length > 4 && t.endsWith("ies")) t = `${t.slice(0, -3)}y`;
  else if (t.length > 3 && t.endsWith("s") && !/(ss|us|is)$/.test(t)) t = t.slice(0, -1);
  return ABBREVIATIONS.get(t) ?? t;
}

/** The processed terms of a text, in order (duplicates kept). */
function terms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    const term = processTerm(token);
    if (term !== null) out.push(term);
  }
  return out;
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

/** The text of each field of a tool, in {@link FIELDS} order. */
function fieldTexts(tool: CatalogTool): string[] {
  const names: string[] = [];
  const docs: string[] = [];
  collectParams(tool.spec.inputSchema, names, docs);
  // Result fields: findable (`temperature`), but far below what the tool is and takes.
  const output: string[] = [];
  collectParams(tool.spec.outputSchema, output, output);
  return [
    tool.tool === tool.spec.name ? tool.tool : `${tool.tool} ${tool.spec.name}`,
    tool.spec.title ?? tool.spec.annotations?.title ?? "",
    tool.sourceName === tool.server ? tool.server : `${tool.server} ${tool.sourceName}`,
    tool.spec.description ?? "",
    names.join(" "),
    docs.join("\n"),
    output.join("\n"),
  ];
}

/** A tool with its term frequencies per field (computed once, when the tool is added). */
interface IndexedTool {
  tool: CatalogTool;
  /** The words of its title (else of its name), for the coverage bonus. */
  label: string[];
  /** Per field: term → frequency. */
  freqs: Map<string, number>[];
  /** Per field: number of terms. */
  lengths: number[];
}

function indexTool(tool: CatalogTool): IndexedTool {
  const freqs: Map<string, number>[] = [];
  const lengths: number[] = [];
  for (const text of fieldTexts(tool)) {
    const counts = new Map<string, number>();
    const list = terms(text);
    for (const term of list) counts.set(term, (counts.get(term) ?? 0) + 1);
    freqs.push(counts);
    lengths.push(list.length);
  }
  return { tool, freqs, lengths, label: labelWords(tool) };
}

/** Distinct processed words of the title, else of the original name (no compounds). */
function labelWords(tool: CatalogTool): string[] {
  const title = tool.spec.title ?? tool.spec.annotations?.title ?? "";
  const text = (title.trim() === "" ? tool.spec.name : title).replace(/([a-z0-9])([A-Z])/g, "$1 $2");
  const words = new Set<string>();
  for (const word of text.split(/[^\p{L}\p{N}]+/u)) {
    const term = word === "" ? null : processTerm(word);
    if (term !== null) words.add(term);
  }
  return [...words];
}

/** Share of `label` words that a query term matches exactly or as a prefix (3+ characters). */
function coverage(label: readonly string[], queryTerms: readonly string[]): number {
  if (label.length === 0) return 0;
  let covered = 0;
  for (const word of label) {
    if (queryTerms.some((q) => word === q || (q.length >= 3 && word.startsWith(q)))) covered++;
  }
  return covered / label.length;
}

/** One term's postings: documents that contain it and its weighted BM25 score in short fields and in prose. */
interface Postings {
  docs: Int32Array;
  short: Float32Array;
  prose: Float32Array;
}

/** The query-time index: documents in id order and every term's postings. */
interface Built {
  tools: CatalogTool[];
  servers: string[];
  labels: string[][];
  vocabulary: SearchableMap<Postings>;
  /** Scratch buffers sized to the documents, reused by every query. */
  scores: Float64Array;
  masks: Uint32Array;
}

const byId = (a: CatalogTool, b: CatalogTool): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** BM25+ of one term in one field of one document (MiniSearch's formula). */
function bm25(tf: number, matching: number, total: number, length: number, average: number): number {
  const idf = Math.log(1 + (total - matching + 0.5) / (matching + 0.5));
  return idf * (BM25.d + (tf * (BM25.k + 1)) / (tf + BM25.k * (1 - BM25.b + (BM25.b * length) / average)));
}

/** Builds the query-time index over `entries` (already in id order). */
function build(entries: readonly IndexedTool[]): Built {
  const total = entries.length;
  const averages = FIELDS.map((_, f) => (total === 0 ? 1 : entries.reduce((sum, e) => sum + e.lengths[f]!, 0) / total) || 1);
  // term → [field, doc, tf, field, doc, tf, …] (one flat array per term: few allocations)
  const raw = new Map<string, number[]>();
  const matching = new Map<string, Uint32Array>();
  entries.forEach((entry, doc) => {
    entry.freqs.forEach((counts, f) => {
      for (const [term, tf] of counts) {
        let triples = raw.get(term);
        if (triples === undefined) {
          raw.set(term, (triples = []));
          matching.set(term, new Uint32Array(FIELDS.length));
        }
        triples.push(f, doc, tf);
        matching.get(term)![f]!++;
      }
    });
  });
  const vocabulary = new SearchableMap<Postings>();
  const short = new Float64Array(total);
  const prose = new Float64Array(total);
  const seen = new Uint8Array(total);
  for (const [term, triples] of raw) {
    const counts = matching.get(term)!;
    const docs: number[] = [];
    for (let i = 0; i < triples.length; i += 3) {
      const f = triples[i]!;
      const doc = triples[i + 1]!;
      const field = FIELDS[f]!;
      const score = field.boost * bm25(triples[i + 2]!, counts[f]!, total, entries[doc]!.lengths[f]!, averages[f]!);
      if (field.prose) prose[doc]! += score;
      else short[doc]! += score;
      if (seen[doc] === 0) {
        seen[doc] = 1;
        docs.push(doc);
      }
    }
    docs.sort((a, b) => a - b);
    const postings: Postings = { docs: Int32Array.from(docs), short: new Float32Array(docs.length), prose: new Float32Array(docs.length) };
    docs.forEach((doc, i) => {
      postings.short[i] = short[doc]!;
      postings.prose[i] = prose[doc]!;
      short[doc] = 0;
      prose[doc] = 0;
      seen[doc] = 0;
    });
    vocabulary.set(term, postings);
  }
  return {
    tools: entries.map((e) => e.tool),
    servers: entries.map((e) => e.tool.server),
    labels: entries.map((e) => e.label),
    vocabulary,
    scores: new Float64Array(total),
    masks: new Uint32Array(total),
  };
}

/** Number of set bits. */
function bitCount(mask: number): number {
  let n = mask - ((mask >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * The search index over catalog tools. Sources may reconnect: {@link SearchIndex.replace} swaps
 * one server's tools; {@link SearchIndex.add} and {@link SearchIndex.remove} are the parts of that.
 */
export class SearchIndex {
  private readonly tools = new Map<string, IndexedTool>();
  private built: Built | undefined;

  /** Builds the index over `tools` (more can be added later). */
  constructor(tools: readonly CatalogTool[] = []) {
    this.add(tools);
    this.index();
  }

  /** Number of indexed tools. */
  get size(): number {
    return this.tools.size;
  }

  /** Indexes tools; a tool whose id is already indexed is replaced. */
  add(tools: readonly CatalogTool[]): void {
    for (const tool of tools) this.tools.set(tool.id, indexTool(tool));
    if (tools.length > 0) this.built = undefined;
  }

  /** Removes every tool of `server` (sanitized identifier). Returns how many were removed. */
  remove(server: string): number {
    let removed = 0;
    for (const [id, entry] of this.tools) {
      if (entry.tool.server !== server) continue;
      this.tools.delete(id);
      removed++;
    }
    if (removed > 0) this.built = undefined;
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
    const index = this.index();
    const queryTerms = [...new Set(terms(query))].slice(0, MAX_QUERY_TERMS);
    if (queryTerms.length === 0) {
      const listed: SearchResult[] = [];
      for (let doc = 0; doc < index.tools.length && listed.length < limit; doc++) {
        if (server === undefined || index.servers[doc] === server) listed.push({ tool: index.tools[doc]!, score: 0 });
      }
      return listed;
    }
    const { scores, masks, vocabulary } = index;
    const touched: number[] = [];
    const add = (postings: Postings, bit: number, shortWeight: number, proseWeight: number): void => {
      const { docs, short, prose } = postings;
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i]!;
        if (masks[doc] === 0) touched.push(doc);
        masks[doc]! |= bit;
        scores[doc]! += shortWeight * short[i]! + proseWeight * prose[i]!;
      }
    };
    queryTerms.forEach((term, i) => {
      const bit = 1 << i;
      let matched = false;
      const exact = vocabulary.get(term);
      if (exact !== undefined) {
        add(exact, bit, 1, 1);
        matched = true;
      }
      if (term.length >= 3) {
        for (const [derived, postings] of vocabulary.atPrefix(term)) {
          const distance = derived.length - term.length;
          if (distance === 0) continue;
          const weight = (PREFIX_WEIGHT * derived.length) / (derived.length + 0.3 * distance);
          add(postings, bit, weight, weight);
          matched = true;
        }
      }
      // Typos: only a term that matches nothing exactly or by prefix is looked up fuzzily.
      if (!matched && term.length >= 4) {
        const maxDistance = Math.min(MAX_FUZZY, Math.round(term.length * FUZZY_FRACTION));
        for (const [derived, [postings, distance]] of vocabulary.fuzzyGet(term, maxDistance)) {
          if (distance === 0) continue;
          const closeness = derived.length / (derived.length + distance);
          add(postings, bit, FUZZY_WEIGHT_SHORT * closeness, FUZZY_WEIGHT_PROSE * closeness);
        }
      }
    });
    const hits: SearchResult[] = [];
    for (const doc of touched) {
      if (server === undefined || index.servers[doc] === server) {
        const bonus = 1 + COVERAGE_WEIGHT * coverage(index.labels[doc]!, queryTerms);
        hits.push({ tool: index.tools[doc]!, score: scores[doc]! * bitCount(masks[doc]!) * bonus });
      }
      scores[doc] = 0;
      masks[doc] = 0;
    }
    return hits.sort((a, b) => b.score - a.score || byId(a.tool, b.tool)).slice(0, limit);
  }

  /** The query-time index, (re)built when tools changed since the last build. */
  private index(): Built {
    this.built ??= build([...this.tools.values()].sort((a, b) => byId(a.tool, b.tool)));
    return this.built;
  }
}
