/**
 * Ranked tool search over the catalog (BM25 over several fields), so the model finds the few tools
 * it needs instead of reading every declaration.
 *
 * Indexed per tool: its identifier and original name, whole and split into words (`read_file`,
 * `getSum`, `issues/list-for-repo`), server, title, description, parameter names and parameter
 * descriptions (nested ones too), and result field names and descriptions, boosted in that
 * spirit: name > title = description > server > parameters > result fields. Terms are
 * lower-cased, stop words dropped, a few common API abbreviations folded (`repositories` →
 * `repo`) and the rest stemmed ({@link Analyzer}). The query is widened by a curated table of
 * API-domain aliases and CRUD verb classes ({@link Vocabulary}: "folder" also looks for
 * "directory", "make" for "create"); a tool whose own verb is of the class the query asks for
 * ranks higher, and a deprecated tool lower ({@link isDeprecated}). A term's rarity (IDF) is
 * measured over whole tools, so a rare word of a description ("upload") outweighs a word common
 * in names ("repo"). Query terms match exactly, by prefix (3+ characters) and,
 * when a term matches nothing that way, fuzzily (4+ characters; fuzzy hits in prose count little),
 * so `reed fil` still finds `read_file`. Terms combine with OR: tools that match more (and rarer)
 * terms rank higher, a tool whose title (else name) has two consecutive query words side by side
 * higher ("cron job", "storage class"), and a tool whose title (else name) the query covers word
 * for word higher still ("create a pull request" → `pulls/create`, "Create a pull request", before
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
import { ToolcodeError } from "../errors.js";
import type { JsonSchema } from "../sources/tool-source.js";
import type { CatalogTool } from "./catalog-tool.js";
import { Analyzer } from "./search-analyzer.js";
import { DEFAULT_FEATURES, DEFAULT_PARAMS, type RankParams, type SearchFeatures, isDeprecated } from "./search-rank.js";
import { type QueryTerm, Vocabulary } from "./search-vocabulary.js";

/** Options for {@link SearchIndex.search}. */
export interface SearchQueryOptions {
  /** Most results returned. Default 10. */
  limit?: number;
  /** Only tools of this server (its sanitized identifier, e.g. `fs`). */
  server?: string;
}

/**
 * Bounds on what one query may cost (the `search.*` config keys). Fuzzy matching costs about the
 * vocabulary size times the term's length times the distance, and MiniSearch's matrix grows with
 * the term: a 10,000-character word took 250 ms and 100 MB, a 1 MB one gigabytes.
 */
export interface SearchLimits {
  /** Longest query accepted; longer ones fail with `SEARCH_LIMIT`. Default 1,000. */
  maxQueryChars: number;
  /** Longer terms are cut to this many characters (they still match by prefix). Default 64. */
  maxTermChars: number;
  /** Longer terms are never matched fuzzily. Default 24. */
  maxFuzzyTermChars: number;
  /** Distinct terms of a query considered (the rest are ignored); at most 32. Default 32. */
  maxQueryTerms: number;
}

/** The defaults of {@link SearchLimits}. */
export const DEFAULT_SEARCH_LIMITS: SearchLimits = { maxQueryChars: 1000, maxTermChars: 64, maxFuzzyTermChars: 24, maxQueryTerms: 32 };

/** One ranked hit. */
export interface SearchResult {
  tool: CatalogTool;
  /** Relevance (higher is better); 0 when the query was empty. */
  score: number;
}

/** Options for a {@link SearchIndex}: which ranking parts are on and its numbers (defaults: all on, tuned). */
export interface SearchIndexOptions {
  features?: Partial<SearchFeatures>;
  params?: Partial<RankParams>;
  /** Per-query bounds (the `search.*` config keys). */
  limits?: Partial<SearchLimits>;
}

/** The indexed fields, the {@link RankParams} key of each one's boost, and whether they are short (names) or prose. */
const FIELDS = [
  { name: "name", boost: "nameBoost", prose: false },
  { name: "title", boost: "titleBoost", prose: false },
  { name: "server", boost: "serverBoost", prose: false },
  { name: "description", boost: "descriptionBoost", prose: true },
  { name: "params", boost: "paramsBoost", prose: false },
  { name: "paramDocs", boost: "paramDocsBoost", prose: true },
  { name: "output", boost: "outputBoost", prose: true },
] as const satisfies readonly { name: string; boost: keyof RankParams; prose: boolean }[];

/** BM25+'s lower bound `d` (MiniSearch's default); `k1` and `b` are {@link RankParams}. */
const BM25_D = 0.5;
/** Weight of a fuzzy match in short fields and in prose (where it mostly adds noise: `reed` → `need`). */
const FUZZY_WEIGHT_SHORT = 0.45;
const FUZZY_WEIGHT_PROSE = 0.1;
/** Fuzzy distance as a fraction of the term length, and its cap. */
const FUZZY_FRACTION = 0.2;
const MAX_FUZZY = 6;
/** How much a tool whose name is the whole query (`read_file`, `fs.read_file`, `readFile`) is preferred. */
const EXACT_NAME_FACTOR = 10;
/** Query words considered (each gets a bit in a 32-bit mask). */
const MAX_QUERY_TERMS = 32;

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
  /** The words of its title (else of its name, and of its description's summary sentence), for the coverage bonus. */
  label: string[][];
  /** Per field: term → frequency. */
  freqs: Map<string, number>[];
  /** Per field: number of terms. */
  lengths: number[];
  /** Adjacent term pairs of its label ("cron job", "pull request"), for the phrase bonus. */
  pairs: Set<string>;
  /** Verb classes of the tool (bit mask, 0: none), see {@link Vocabulary.toolVerb}. */
  verb: number;
  deprecated: boolean;
  /** Deprecated tools that name their replacement ("Use read_text_file instead"): its tool name. */
  replacement?: string;
}

/** The tool a deprecated tool's description points to ("DEPRECATED: Use read_text_file instead", "use `x`"). */
function replacementName(tool: CatalogTool): string | undefined {
  const match = /\buse\s+[`'"]?([A-Za-z_][\w./-]*)[`'"]?(?:\s+instead)?/i.exec(tool.spec.description ?? "");
  return match?.[1]?.replace(/[.]$/, "");
}

/** A name compared whole: lower-case letters and digits only (`fs.read_text_file` = `readTextFile` with its server). */
const squash = (name: string): string => name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");

function indexTool(tool: CatalogTool, analyzer: Analyzer, vocabulary: Vocabulary, summaries: boolean, hints: boolean): IndexedTool {
  const freqs: Map<string, number>[] = [];
  const lengths: number[] = [];
  for (const text of fieldTexts(tool)) {
    const counts = new Map<string, number>();
    const list = analyzer.terms(text);
    for (const term of list) counts.set(term, (counts.get(term) ?? 0) + 1);
    freqs.push(counts);
    lengths.push(list.length);
  }
  const title = tool.spec.title ?? tool.spec.annotations?.title ?? "";
  let verb = vocabulary.toolVerb(title.trim() !== "" ? title : (tool.spec.description ?? ""));
  if (verb === 0) verb = vocabulary.toolVerb(tool.spec.name.replace(/([a-z0-9])([A-Z])/g, "$1 $2"));
  if (verb === 0 && hints) verb = vocabulary.hintedVerb(tool.spec.annotations);
  const deprecated = isDeprecated(tool);
  const label = labelWords(tool, analyzer, summaries);
  const entry: IndexedTool = { tool, freqs, lengths, label, pairs: labelPairs(label), verb, deprecated };
  const replacement = deprecated ? replacementName(tool) : undefined;
  if (replacement !== undefined) entry.replacement = replacement;
  return entry;
}

/** Longest first sentence of a description taken as a tool's summary when it has no title. */
const SUMMARY_WORDS = 12;

/**
 * The first sentence of a description, when short enough to be a summary ("Creates a new customer
 * object.", "read the specified Node"), else "".
 */
export function summarySentence(description: string): string {
  const text = description.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  const first = /^(.+?)(?:[.!?:](?:\s|$)|$)/.exec(text)?.[1] ?? "";
  return first.split(" ").length <= SUMMARY_WORDS ? first : "";
}

/** Two or more identifiers (camelCase or with `_`), space-separated, and nothing else. */
const IDENTIFIER_LIST = /^(?:[A-Za-z][a-z0-9]*(?:[A-Z_][A-Za-z0-9]*)+)(?:\s+[A-Za-z][a-z0-9]*(?:[A-Z_][A-Za-z0-9]*)+)+$/;

/** Distinct terms of the title (each identifier of a title that lists identifiers), else of the description's summary sentence or the original name (no compounds). */
function labelWords(tool: CatalogTool, analyzer: Analyzer, summaries: boolean): string[][] {
  const title = tool.spec.title ?? tool.spec.annotations?.title ?? "";
  const summary = summaries && title.trim() === "" ? summarySentence(tool.spec.description ?? "") : "";
  // A title that only lists identifiers ("sumAll checkPositive": a skill's functions) labels the tool once per identifier.
  const titles = IDENTIFIER_LIST.test(title.trim()) ? title.trim().split(/\s+/) : [title];
  const texts = title.trim() !== "" ? titles : summary !== "" ? [tool.spec.name, summary] : [tool.spec.name];
  return texts.map((text) => {
    const words = new Set<string>();
    for (const word of text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^\p{L}\p{N}]+/u)) {
      const term = word === "" ? null : analyzer.term(word);
      if (term !== null) words.add(term);
    }
    return [...words];
  });
}

/** Adjacent pairs of each label's words, as `a b`. */
function labelPairs(label: readonly (readonly string[])[]): Set<string> {
  const pairs = new Set<string>();
  for (const words of label) for (let i = 0; i + 1 < words.length; i++) pairs.add(`${words[i]} ${words[i + 1]}`);
  return pairs;
}

/** Adjacent pairs of the query's own terms (consecutive query words), as `a b`. */
function queryPairs(terms: readonly QueryTerm[]): string[] {
  const byWord = new Map<number, string[]>();
  for (const t of terms) if (t.original) byWord.set(t.word, [...(byWord.get(t.word) ?? []), t.term]);
  const pairs: string[] = [];
  for (const [word, first] of byWord) for (const a of first) for (const b of byWord.get(word + 1) ?? []) pairs.push(`${a} ${b}`);
  return pairs;
}

/** A query's terms prepared for {@link coverage}: exact terms with their best weight, prefixes (the query's own words, 3+ characters). */
interface CoverageTerms {
  exact: Map<string, number>;
  prefixes: string[];
}

function coverageTerms(queryTerms: readonly QueryTerm[]): CoverageTerms {
  const exact = new Map<string, number>();
  const prefixes: string[] = [];
  for (const { term, original, weight } of queryTerms) {
    exact.set(term, Math.max(exact.get(term) ?? 0, Math.min(1, weight)));
    if (original && term.length >= 3) prefixes.push(term);
  }
  return { exact, prefixes };
}

/**
 * Share of `label` words that a query term matches exactly or as a prefix; a word matched only
 * through an expansion counts as much as its weight.
 */
function coverage(labels: readonly (readonly string[])[], terms: CoverageTerms): number {
  let best = 0;
  for (const label of labels) best = Math.max(best, labelCoverage(label, terms));
  return best;
}

function labelCoverage(label: readonly string[], terms: CoverageTerms): number {
  if (label.length === 0) return 0;
  let covered = 0;
  for (const word of label) {
    const best = terms.exact.get(word) ?? 0;
    covered += best < 1 && terms.prefixes.some((p) => word.startsWith(p)) ? 1 : best;
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
  labels: string[][][];
  /** Per document: adjacent term pairs of its label. */
  pairs: Set<string>[];
  /** Per document: its verb classes (bit mask), see {@link Vocabulary.toolVerb}. */
  verbs: Uint16Array;
  deprecated: Uint8Array;
  /** Per document: the document of its replacement (a deprecated tool that names one), else -1. */
  replacements: Int32Array;
  /** Squashed names (tool, original name, `server.tool`) → documents: a query that is a tool's name finds it first. */
  names: Map<string, number[]>;
  vocabulary: SearchableMap<Postings>;
  /** Scratch buffers sized to the documents, reused by every query. */
  scores: Float64Array;
  masks: Uint32Array;
}

const byId = (a: CatalogTool, b: CatalogTool): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** BM25+ of one term in one field of one document (MiniSearch's formula), its IDF raised to `power`. */
function bm25(tf: number, matching: number, total: number, length: number, average: number, power: number, k: number, b: number): number {
  let idf = Math.log(1 + (total - matching + 0.5) / (matching + 0.5));
  if (power !== 1) idf **= power;
  return idf * (BM25_D + (tf * (k + 1)) / (tf + k * (1 - b + (b * length) / average)));
}

/** Builds the query-time index over `entries` (already in id order). */
function build(entries: readonly IndexedTool[], features: SearchFeatures, params: RankParams): Built {
  const total = entries.length;
  const boosts = FIELDS.map((field) => params[field.boost]);
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
      const doc = triples[i + 1]!;
      if (seen[doc] === 0) {
        seen[doc] = 1;
        docs.push(doc);
      }
    }
    // Rarity over whole tools: a term in few tools is telling whichever field holds it.
    const documentFrequency = docs.length;
    if (features.bm25f && features.rareWords) {
      // BM25F: the term's boosted, length-normalised frequencies of all fields are summed first
      // and saturate once, so a word repeated in name, title and description counts little more
      // than in one of them (`short` and `prose` hold those sums until the score is split by them).
      for (let i = 0; i < triples.length; i += 3) {
        const f = triples[i]!;
        const doc = triples[i + 1]!;
        const normalised = (boosts[f]! * triples[i + 2]!) / (1 - params.bm25B + (params.bm25B * entries[doc]!.lengths[f]!) / averages[f]!);
        if (FIELDS[f]!.prose) prose[doc]! += normalised;
        else short[doc]! += normalised;
      }
      const idf = Math.log(1 + (total - documentFrequency + 0.5) / (documentFrequency + 0.5)) ** params.idfPower;
      for (const doc of docs) {
        const tf = short[doc]! + prose[doc]!;
        const score = idf * (BM25_D + (tf * (params.bm25K + 1)) / (tf + params.bm25K));
        short[doc] = (score * short[doc]!) / tf;
        prose[doc] = score - short[doc]!;
      }
    } else {
      for (let i = 0; i < triples.length; i += 3) {
        const f = triples[i]!;
        const doc = triples[i + 1]!;
        const frequency = features.rareWords ? documentFrequency : counts[f]!;
        const score = boosts[f]! * bm25(triples[i + 2]!, frequency, total, entries[doc]!.lengths[f]!, averages[f]!, features.rareWords ? params.idfPower : 1, params.bm25K, params.bm25B);
        if (FIELDS[f]!.prose) prose[doc]! += score;
        else short[doc]! += score;
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
  const names = new Map<string, number[]>();
  const byName = new Map<string, number>();
  entries.forEach((entry, doc) => {
    const { tool } = entry;
    for (const name of new Set([squash(tool.tool), squash(tool.spec.name), squash(tool.id)])) {
      const list = names.get(name) ?? [];
      list.push(doc);
      names.set(name, list);
    }
    byName.set(`${tool.server}\u0000${tool.tool}`, doc);
    byName.set(`${tool.server}\u0000${tool.spec.name}`, doc);
  });
  const replacements = Int32Array.from(entries.map((e) => (e.replacement === undefined ? -1 : (byName.get(`${e.tool.server}\u0000${e.replacement}`) ?? -1))));
  return {
    replacements,
    names,
    tools: entries.map((e) => e.tool),
    servers: entries.map((e) => e.tool.server),
    labels: entries.map((e) => e.label),
    pairs: entries.map((e) => e.pairs),
    verbs: Uint16Array.from(entries.map((e) => e.verb)),
    deprecated: Uint8Array.from(entries.map((e) => (e.deprecated ? 1 : 0))),
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
  private readonly features: SearchFeatures;
  private readonly params: RankParams;
  private readonly analyzer: Analyzer;
  private readonly vocabulary: Vocabulary;
  private readonly limits: SearchLimits;

  /** Builds the index over `tools` (more can be added later), with per-query `limits`. */
  constructor(tools: readonly CatalogTool[] = [], options: SearchIndexOptions = {}) {
    this.features = { ...DEFAULT_FEATURES, ...options.features };
    this.params = { ...DEFAULT_PARAMS, ...options.params };
    this.limits = { ...DEFAULT_SEARCH_LIMITS, ...options.limits };
    this.analyzer = new Analyzer(this.features.stemming);
    this.vocabulary = new Vocabulary(this.analyzer, this.features, {
      alias: this.params.aliasWeight,
      verb: this.params.verbWeight,
      thesaurus: this.params.thesaurusWeight,
      thesaurusSenses: this.params.thesaurusSenses,
      verbWord: this.params.verbWordWeight,
      aliasPhrase: this.params.aliasPhraseExponent,
    });
    this.add(tools);
    this.index();
  }

  /** Number of indexed tools. */
  get size(): number {
    return this.tools.size;
  }

  /** Indexes tools; a tool whose id is already indexed is replaced. */
  add(tools: readonly CatalogTool[]): void {
    for (const tool of tools) this.tools.set(tool.id, indexTool(tool, this.analyzer, this.vocabulary, this.features.summaries, this.features.toolVerbHints));
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
   * by id, score 0. `server` restricts results to one server. A query over
   * `limits.maxQueryChars` throws `SEARCH_LIMIT`; long terms are cut, and fuzzy matching is kept
   * to short terms (see {@link SearchLimits}).
   */
  search(query: string, options: SearchQueryOptions = {}): SearchResult[] {
    const { maxQueryChars, maxTermChars, maxFuzzyTermChars, maxQueryTerms } = this.limits;
    if (query.length > maxQueryChars) {
      throw new ToolcodeError(
        "SEARCH_LIMIT",
        `The search query is ${query.length.toLocaleString("en-US")} characters; at most ${maxQueryChars.toLocaleString("en-US")} are accepted (search.maxQueryChars). Search with a few words that name the tool or what it does, e.g. "read file".`,
        { length: query.length, limit: maxQueryChars, key: "search.maxQueryChars" },
      );
    }
    const limit = Math.max(0, options.limit ?? 10);
    const { server } = options;
    const index = this.index();
    // Words longer than maxTermChars are cut before analysis (they still match by prefix).
    const bounded = query.replace(new RegExp(`[\\p{L}\\p{N}_-]{${maxTermChars + 1},}`, "gu"), (word) => word.slice(0, maxTermChars));
    const analyzed = this.vocabulary.analyze(bounded, Math.min(maxQueryTerms, MAX_QUERY_TERMS), (term) => index.vocabulary.has(term));
    if (analyzed.words === 0) {
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
    // Query words some term matched (exactly, by prefix or through an expansion).
    let matchedWords = 0;
    for (const { term, word, weight, original } of analyzed.terms) {
      const bit = 1 << word;
      const exact = vocabulary.get(term);
      if (exact !== undefined) {
        add(exact, bit, weight, weight);
        matchedWords |= bit;
      }
      if (original && term.length >= 3) {
        for (const [derived, postings] of vocabulary.atPrefix(term)) {
          const distance = derived.length - term.length;
          if (distance === 0) continue;
          const prefixWeight = (weight * this.params.prefixWeight * derived.length) / (derived.length + 0.3 * distance);
          add(postings, bit, prefixWeight, prefixWeight);
          matchedWords |= bit;
        }
      }
    }
    // Typos: only a word that nothing matched is looked up fuzzily (and only a short one: see SearchLimits).
    for (const { term, word, original } of analyzed.terms) {
      const bit = 1 << word;
      if (!original || (matchedWords & bit) !== 0 || term.length < 4 || term.length > maxFuzzyTermChars) continue;
      const maxDistance = Math.min(MAX_FUZZY, Math.round(term.length * FUZZY_FRACTION));
      for (const [derived, [postings, distance]] of vocabulary.fuzzyGet(term, maxDistance)) {
        if (distance === 0) continue;
        const closeness = derived.length / (derived.length + distance);
        add(postings, bit, FUZZY_WEIGHT_SHORT * closeness, FUZZY_WEIGHT_PROSE * closeness);
      }
    }
    const { verbMask, weakVerbMask } = analyzed;
    const { verbBonus, deprecatedFactor, coverageWeight, unaskedVerbFactor } = this.params;
    // Verb classes a tool is ranked lower for when the query does not ask for them (delete, watch).
    const unasked = this.features.verbPrior && unaskedVerbFactor !== 1 ? this.vocabulary.unaskedMask & ~(verbMask | weakVerbMask) : 0;
    const demote = this.features.deprecation;
    // Only a query that looks like an identifier (one word, no spaces) is taken as a tool's name.
    const exact = /^\s*\S+\s*$/.test(query) ? index.names.get(squash(query)) : undefined;
    const covering = coverageTerms(analyzed.terms);
    // Two consecutive query words that a label has side by side ("cron job", "storage class") rank it higher, by the share of such pairs.
    const { phraseWeight } = this.params;
    const phrases = this.features.phrases && phraseWeight > 0 ? queryPairs(analyzed.terms) : [];
    // Final scores overwrite the raw ones in `scores`; -1 marks a tool of another server.
    let lifts: Map<number, number> | undefined;
    for (const doc of touched) {
      if (server !== undefined && index.servers[doc] !== server) {
        scores[doc] = -1;
        continue;
      }
      let score = scores[doc]! * bitCount(masks[doc]!) * (1 + coverageWeight * coverage(index.labels[doc]!, covering));
      if (phrases.length > 0) {
        let matched = 0;
        for (const pair of phrases) if (index.pairs[doc]!.has(pair)) matched++;
        if (matched > 0) score *= 1 + (phraseWeight * matched) / phrases.length;
      }
      const verb = index.verbs[doc]!;
      if ((verbMask & verb) !== 0) score *= 1 + verbBonus;
      else if ((weakVerbMask & verb) !== 0) score *= 1 + verbBonus / 2;
      else if ((verb & unasked) !== 0) score *= unaskedVerbFactor;
      const named = exact?.includes(doc) === true;
      if (named) score *= EXACT_NAME_FACTOR;
      else if (demote && index.deprecated[doc] === 1) {
        // Its replacement (same server) ranks at least where the deprecated tool would have.
        const replacement = index.replacements[doc]!;
        if (replacement >= 0) (lifts ??= new Map()).set(replacement, Math.max(lifts.get(replacement) ?? 0, score * 1.001));
        score *= deprecatedFactor;
      }
      scores[doc] = score;
    }
    if (lifts !== undefined) {
      for (const [doc, score] of lifts) {
        if (masks[doc] === 0) {
          touched.push(doc);
          masks[doc] = 1;
          scores[doc] = score;
        } else if (scores[doc]! >= 0) scores[doc] = Math.max(scores[doc]!, score);
      }
    }
    // The best `limit` (ties by id, which is document order), without sorting every match.
    const best: number[] = [];
    for (const doc of touched) {
      const score = scores[doc]!;
      if (score >= 0 && limit > 0) {
        const worse = (other: number): boolean => scores[other]! < score || (scores[other] === score && other > doc);
        if (best.length < limit || worse(best[best.length - 1]!)) {
          let at = best.length < limit ? best.length : best.length - 1;
          if (best.length < limit) best.push(doc);
          while (at > 0 && worse(best[at - 1]!)) {
            best[at] = best[at - 1]!;
            at--;
          }
          best[at] = doc;
        }
      }
    }
    const hits = best.map((doc) => ({ tool: index.tools[doc]!, score: scores[doc]! }));
    for (const doc of touched) {
      scores[doc] = 0;
      masks[doc] = 0;
    }
    return hits;
  }

  /** The query-time index, (re)built when tools changed since the last build. */
  private index(): Built {
    this.built ??= build(
      [...this.tools.values()].sort((a, b) => byId(a.tool, b.tool)),
      this.features,
      this.params,
    );
    return this.built;
  }
}
