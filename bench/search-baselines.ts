/**
 * Baselines the search benchmark compares toolcode's ranking with, over the same catalogs:
 *
 * - plain BM25: Okapi BM25 (k1 1.2, b 0.75) over one text per tool (name split into words, title,
 *   description), lower-cased words, no stemming, no stop words, no boosts, no prefix or fuzzy
 *   matching: the textbook ranking.
 * - MiniSearch defaults: `new MiniSearch({ fields: ["name", "title", "description"] })` and
 *   `search(query)` with its default options (BM25+, OR, no prefix, no fuzzy), as a user of the
 *   library would start.
 */
import MiniSearch from "minisearch";
import type { CatalogTool } from "../src/catalog/catalog-tool.js";

/** A ranking function over one catalog: tool ids, best first. */
export type Ranker = (query: string, limit: number) => string[];

const words = (text: string): string[] =>
  text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** Plain Okapi BM25 over name words + title + description. */
export function plainBm25(tools: readonly CatalogTool[]): Ranker {
  const k1 = 1.2;
  const b = 0.75;
  const docs = tools.map((t) => words(`${t.spec.name} ${t.spec.title ?? ""} ${t.spec.description ?? ""}`));
  const postings = new Map<string, { doc: number; tf: number }[]>();
  docs.forEach((terms, doc) => {
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, tf] of counts) {
      let list = postings.get(term);
      if (list === undefined) postings.set(term, (list = []));
      list.push({ doc, tf });
    }
  });
  const average = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(1, docs.length);
  const scores = new Float64Array(docs.length);
  return (query, limit) => {
    scores.fill(0);
    const touched = new Set<number>();
    for (const term of new Set(words(query))) {
      const list = postings.get(term);
      if (list === undefined) continue;
      const idf = Math.log(1 + (docs.length - list.length + 0.5) / (list.length + 0.5));
      for (const { doc, tf } of list) {
        scores[doc]! += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * docs[doc]!.length) / average));
        touched.add(doc);
      }
    }
    return [...touched]
      .sort((x, y) => scores[y]! - scores[x]! || x - y)
      .slice(0, limit)
      .map((doc) => tools[doc]!.id);
  };
}

/** MiniSearch with its default tokenizer, processing and search options. */
export function miniSearchDefaults(tools: readonly CatalogTool[]): Ranker {
  const index = new MiniSearch<{ id: string; name: string; title: string; description: string }>({ fields: ["name", "title", "description"] });
  index.addAll(tools.map((t) => ({ id: t.id, name: t.spec.name, title: t.spec.title ?? "", description: t.spec.description ?? "" })));
  return (query, limit) =>
    index
      .search(query)
      .slice(0, limit)
      .map((r) => String(r.id));
}
