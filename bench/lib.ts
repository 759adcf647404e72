/**
 * Benchmark helpers: timing with medians over several runs, machine description, and writing
 * one named section of bench/RESULTS.md (other sections are kept).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const RESULTS_FILE = path.join(BENCH_DIR, "RESULTS.md");

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * Runs `fn` `iterations` times per run, `runs` times, after `warmup` calls; returns the median
 * over runs of the mean time per call, in microseconds.
 */
export async function timePerCall(fn: () => Promise<unknown> | unknown, options: { iterations: number; runs?: number; warmup?: number }): Promise<{ medianUs: number; runsUs: number[] }> {
  const runs = options.runs ?? 5;
  for (let i = 0; i < (options.warmup ?? Math.min(50, options.iterations)); i++) await fn();
  const runsUs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < options.iterations; i++) await fn();
    runsUs.push(Number(process.hrtime.bigint() - start) / 1000 / options.iterations);
  }
  return { medianUs: median(runsUs), runsUs };
}

/** One line describing the machine and runtime. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** Formats a number with a fixed number of decimals and thousands separators. */
export function fmt(value: number, decimals = 1): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Replaces (or appends) the section `name` of bench/RESULTS.md. */
export function writeSection(name: string, markdown: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, "utf8") : "# Benchmark results\n\nWritten by `npm run bench`; each section by its own script, with the machine and date it ran on.\n";
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_FILE, text);
}

/** Section header: title, machine, date. */
export function header(title: string, command: string): string {
  return `## ${title}\n\nMeasured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine()}. Command: \`${command}\`.\n`;
}
