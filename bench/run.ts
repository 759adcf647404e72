/**
 * Runs every benchmark in sequence; each writes its own section of bench/RESULTS.md.
 * Usage: npm run bench [-- name ... [--flag value ...]]: flags after the names go to each bench
 * (e.g. `npm run bench -- load --soak 30m`).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { BENCH_DIR } from "./lib.js";

const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith("--"));
const only = firstFlag < 0 ? args : args.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : args.slice(firstFlag);
const files = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", path.join(BENCH_DIR, file), ...flags], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
