/**
 * Text analysis for tool search: how tool texts and queries become terms.
 *
 * Words are split on whitespace, punctuation and symbols, between `_`/`-` parts and camelCase
 * humps (compounds kept too), lower-cased, stop words dropped, a few long words APIs abbreviate
 * folded to the short form (`repository` → `repo`), and the rest reduced to their Porter stem
 * (the `stemmer` package), so `contributors`/`contributor`, `running`/`run` and
 * `starred`/`star` meet (`contributes` does not: Porter leaves `contribut`). With stemming off (an ablation of the search benchmark) only simple
 * English plurals are folded, as before stemming was added.
 *
 * @module
 */
import { stemmer } from "stemmer";

/** Words too common to tell tools apart (questions and pronouns included: "who am I", "what is"). */
export const STOP_WORDS = new Set(
  (
    "a an and are as at be by can for from has have if in into is it its of on or than that the their then " +
    "this to was were when which will with you your i me my mine myself am do does did what who whom how " +
    "please want need would should could some any there exist exists existing one another given certain"
  ).split(" "),
);

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
  ["reference", "ref"],
]);

/**
 * Splits into words on whitespace, punctuation and symbols, and also between `_`/`-` parts and
 * camelCase humps; compound words are kept too, so `dryRun` yields `dryRun`, `dry`, `Run` and an
 * exact parameter or tool name outranks documents that only share its parts.
 */
export function tokenize(text: string): string[] {
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

/** Folds simple English plurals (`entities` → `entity`, `files` → `file`). */
function singular(term: string): string {
  if (term.length > 4 && term.endsWith("ies")) return `${term.slice(0, -3)}y`;
  if (term.length > 3 && term.endsWith("s") && !/(ss|us|is)$/.test(term)) return term.slice(0, -1);
  return term;
}

/** Most distinct words whose analysis is remembered (tool texts and queries share few thousand). */
const CACHE_LIMIT = 50_000;

/** Turns words into index terms; one per index (the cache is its own). */
export class Analyzer {
  readonly #cache = new Map<string, string | null>();

  /** `stemming: false` folds plurals only (the state before stemming was added). */
  constructor(readonly stemming = true) {}

  /** The index term of one word, or null for a stop word. */
  term(word: string): string | null {
    let term = this.#cache.get(word);
    if (term !== undefined) return term;
    term = this.#analyze(word);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(word, term);
    return term;
  }

  /** The terms of a text, in order (duplicates kept). */
  terms(text: string): string[] {
    const out: string[] = [];
    for (const token of tokenize(text)) {
      const term = this.term(token);
      if (term !== null) out.push(term);
    }
    return out;
  }

  #analyze(word: string): string | null {
    const lower = word.toLowerCase();
    if (STOP_WORDS.has(lower)) return null;
    const one = singular(lower);
    const short = ABBREVIATIONS.get(one);
    if (short !== undefined) return short;
    if (!this.stemming) return one;
    // Porter stems only plain words; identifiers with digits (`v1`, `oauth2`) stay as they are.
    return /^[a-z]+$/.test(lower) && lower.length > 2 ? stemmer(lower) : one;
  }
}
