import { SearchIndex } from "../src/catalog/search-index.js";
import { loadFixtureCatalogs } from "../test/search/search-fixtures.js";
const catalogs = await loadFixtureCatalogs();
await catalogs.close();
const [src, ...q] = process.argv.slice(2);
const index = new SearchIndex(catalogs.tools[src as "github"]);
const v = (index as unknown as { vocabulary: { analyze: (q: string, n: number, f: (t: string) => boolean) => unknown } }).vocabulary;
console.log(JSON.stringify(v.analyze(q.join(" "), 32, () => true)));
for (const r of index.search(q.join(" "), { limit: 8 })) console.log(r.score.toFixed(2), r.tool.id);
