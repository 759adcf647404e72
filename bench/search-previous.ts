/**
 * The search fixture set's figures under an earlier revision's ranking: extracts `src/` of a git
 * revision (default b161843, the first revision of issue 14) into a scratch folder inside the
 * repository (so its imports resolve against this node_modules), loads that revision's
 * `SearchIndex` and scores it on today's fixture set, every split. That is how bench/RESULTS.md
 * compares this revision with the one before on a held-out set written after it (the blind set).
 *
 * Run: `npx tsx bench/search-previous.ts [revision]` (prints; writes nothing but the scratch folder, removed after).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CatalogTool } from "../src/catalog/catalog-tool.js";
import { loadFixtureCatalogs, readFixtures } from "../test/search/search-fixtures.js";
import { combine, evaluate } from "./search-metrics.js";

const revision = process.argv[2] ?? "b161843";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const scratch = path.join(root, "bench", `.search-previous-${process.pid}`);
mkdirSync(scratch, { recursive: true });
try {
  const archive = execFileSync("git", ["-C", root, "archive", revision, "src"], { maxBuffer: 1 << 28 });
  execFileSync("tar", ["-x", "-C", scratch], { input: archive });
  type Index = { search(query: string, options: { limit: number }): { tool: { id: string } }[] };
  const { SearchIndex } = (await import(pathToFileURL(path.join(scratch, "src", "catalog", "search-index.ts")).href)) as {
    SearchIndex: new (tools: readonly CatalogTool[]) => Index;
  };
  const catalogs = await loadFixtureCatalogs();
  await catalogs.close();
  const fixtures = readFixtures();
  const indexes = new Map(fixtures.map((f) => [f.name, new SearchIndex(catalogs.tools[f.name])]));
  for (const split of ["tuning", "held-out", "fresh", "blind"] as const) {
    const m = combine(
      fixtures.map((f) => {
        const index = indexes.get(f.name)!;
        return evaluate((query, limit) => index.search(query, { limit }).map((r) => r.tool.id), f.queries.filter((q) => q.split === split));
      }),
    );
    const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
    console.log(`${revision} ${split.padEnd(8)} (${m.queries}): top-1 ${pct(m.top1)}, recall@5 ${pct(m.recall5)}, recall@10 ${pct(m.recall10)}, MRR ${m.mrr.toFixed(3)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
