/**
 * Retrieval metrics of the search benchmark: top-1, recall@5, recall@10 and MRR over fixture
 * queries whose answers are sets of acceptable tool ids (any one of them answers the need).
 *
 * recall@k is the share of queries with an acceptable answer among the first k results (the
 * model needs one right tool, not all of them); MRR is the mean of 1 / rank of the first
 * acceptable answer within the first 10 results (0 when none is).
 */
import type { FixtureQuery } from "../test/search/search-fixtures.js";
import type { Ranker } from "./search-baselines.js";

/** Figures of one ranker over one set of queries. */
export interface Metrics {
  queries: number;
  top1: number;
  recall5: number;
  recall10: number;
  mrr: number;
  /** Queries whose answers are not in the first 5, with what came first. */
  misses: { query: string; answers: string[]; got: string[] }[];
}

/** Runs every query once (limit 10) and scores the rankings. */
export function evaluate(rank: Ranker, queries: readonly FixtureQuery[]): Metrics {
  let top1 = 0;
  let recall5 = 0;
  let recall10 = 0;
  let mrr = 0;
  const misses: Metrics["misses"] = [];
  for (const q of queries) {
    const got = rank(q.query, 10);
    const rank0 = got.findIndex((id) => q.answers.includes(id));
    if (rank0 === 0) top1++;
    if (rank0 >= 0 && rank0 < 5) recall5++;
    if (rank0 >= 0) {
      recall10++;
      mrr += 1 / (rank0 + 1);
    }
    if (rank0 < 0 || rank0 >= 5) misses.push({ query: q.query, answers: q.answers, got: got.slice(0, 3) });
  }
  const n = Math.max(1, queries.length);
  return { queries: queries.length, top1: top1 / n, recall5: recall5 / n, recall10: recall10 / n, mrr: mrr / n, misses };
}

/** Merges per-API metrics into one (weighted by query count). */
export function combine(list: readonly Metrics[]): Metrics {
  const queries = list.reduce((s, m) => s + m.queries, 0);
  const weighted = (key: "top1" | "recall5" | "recall10" | "mrr"): number => list.reduce((s, m) => s + m[key] * m.queries, 0) / Math.max(1, queries);
  return { queries, top1: weighted("top1"), recall5: weighted("recall5"), recall10: weighted("recall10"), mrr: weighted("mrr"), misses: list.flatMap((m) => m.misses) };
}
