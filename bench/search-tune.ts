/**
 * Tunes the search ranking's numbers (src/catalog/search-rank.ts `DEFAULT_PARAMS`) on the tuning
 * half of the fixture set only: coordinate descent from the current defaults, each parameter
 * over a few candidate values, keeping a value when the mean reciprocal rank over all six
 * sources (queries weighted equally) improves; two passes. Prints the best parameters and their
 * figures on the tuning half; with `--report`, also on the held-out sets (printed, never used
 * to choose; without the flag a tuning run does not even show them).
 *
 * Run: `npx tsx bench/search-tune.ts [--report]` (a few minutes); copy the result into DEFAULT_PARAMS.
 */
import { SearchIndex } from "../src/catalog/search-index.js";
import { DEFAULT_PARAMS, type RankParams, type SearchFeatures } from "../src/catalog/search-rank.js";
import { type Split, loadFixtureCatalogs, readFixtures } from "../test/search/search-fixtures.js";
import { combine, evaluate, type Metrics } from "./search-metrics.js";

const CANDIDATES: Record<keyof RankParams, number[]> = {
  nameBoost: [2, 4, 6, 8, 12, 16, 24],
  titleBoost: [1, 2, 4, 6],
  descriptionBoost: [1, 2, 3, 4, 6],
  serverBoost: [0.5, 1, 1.5, 3],
  paramsBoost: [0.25, 0.5, 1, 2],
  paramDocsBoost: [0, 0.1, 0.3, 0.6],
  outputBoost: [0, 0.1, 0.3],
  bm25K: [0.6, 0.9, 1.2, 1.6, 2.4],
  bm25B: [0.3, 0.5, 0.7, 0.9, 1],
  prefixWeight: [0.1, 0.2, 0.375, 0.5],
  idfPower: [0.75, 1, 1.5, 2, 2.5],
  aliasWeight: [0.4, 0.6, 0.8, 1],
  verbWeight: [0.2, 0.35, 0.5, 0.75, 1],
  thesaurusWeight: [0.1, 0.2, 0.3, 0.5],
  thesaurusSenses: [1, 2, 3],
  verbBonus: [0, 0.5, 0.75, 1, 1.5, 2, 3],
  deprecatedFactor: [0.25, 0.5, 0.75],
  coverageWeight: [0.5, 1, 2, 3, 4, 6, 8],
  unaskedVerbFactor: [0.5, 0.7, 0.85, 1],
  verbWordWeight: [0.4, 0.7, 1],
  phraseWeight: [0, 0.25, 0.5, 1, 2],
  aliasPhraseExponent: [0, 0.5, 1],
};

const catalogs = await loadFixtureCatalogs();
await catalogs.close();
const fixtures = readFixtures();

/** Ranking parts to tune with (JSON in SEARCH_FEATURES, e.g. `{"thesaurus":true}`); default: the defaults. */
const features = JSON.parse(process.env.SEARCH_FEATURES ?? "{}") as Partial<SearchFeatures>;

function score(params: RankParams, split: Split): Metrics {
  return combine(
    fixtures.map((f) => {
      const index = new SearchIndex(catalogs.tools[f.name], { params, features });
      return evaluate(
        (query, limit) => index.search(query, { limit }).map((r) => r.tool.id),
        f.queries.filter((q) => q.split === split),
      );
    }),
  );
}
const objective = (m: Metrics): number => m.mrr + 0.001 * m.top1;
const show = (m: Metrics): string => `top-1 ${(100 * m.top1).toFixed(1)}%, recall@5 ${(100 * m.recall5).toFixed(1)}%, MRR ${m.mrr.toFixed(3)}`;

let best: RankParams = { ...DEFAULT_PARAMS };
let bestValue = objective(score(best, "tuning"));
console.log(`start: ${show(score(best, "tuning"))}`);
for (let pass = 0; pass < 2; pass++) {
  for (const key of Object.keys(CANDIDATES) as (keyof RankParams)[]) {
    for (const value of CANDIDATES[key]) {
      if (value === best[key]) continue;
      const trial = { ...best, [key]: value };
      const v = objective(score(trial, "tuning"));
      if (v > bestValue + 1e-9) {
        best = trial;
        bestValue = v;
        console.log(`pass ${pass + 1}: ${key} = ${value} → MRR ${v.toFixed(4)}`);
      }
    }
  }
}
console.log("best:", JSON.stringify(best));
console.log(`tuning:   ${show(score(best, "tuning"))}`);
if (process.argv.includes("--report")) {
  for (const split of ["held-out", "fresh", "blind"] as const) console.log(`${split.padEnd(9)} ${show(score(best, split))}`);
}
