/**
 * Token benchmark (issue #4): classic function calling vs toolcode's code mode on the same tasks
 * over real MCP servers, a real Postgres (PGlite) and the GitHub API spec, counted with o200k_base.
 * Writes the `tokens` section of bench/RESULTS.md.
 *
 * Run: npm run bench:tokens. Set TOKENS_TRANSCRIPTS=<dir> to also write every conversation as text.
 * Set TOKENS_ONLY=<id,id> to run some tasks (RESULTS.md is then left alone).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { McpProvider } from "./tokens/classic.js";
import { useSurface } from "./tokens/code-mode.js";
import { measureDefinitions } from "./tokens/definitions.js";
import { type Graph, makeGraph, makeIssues, GITHUB_REPO, salesSql, makeSales, writeFileTree } from "./tokens/fixtures.js";
import { breakdownTable, definitionsTable, hybridTable, hybridTargetLines, methodText, notesList, summary, targetLines, taskTable, type TaskRow } from "./tokens/report.js";
import { ROOT, servers, startGitHubStub, startPostgres } from "./tokens/servers.js";
import type { BenchEnv, TokenTask } from "./tokens/task.js";
import { teamImport } from "./tokens/tasks/cross.js";
import { largestFiles, logErrors, markerFiles } from "./tokens/tasks/files.js";
import { staleBugs } from "./tokens/tasks/github.js";
import { berlinAtlasTask, cityRankingTask } from "./tokens/tasks/memory.js";
import { countTask, echoTask, sumTask } from "./tokens/tasks/small.js";
import { exportCsv, revenueByRegion } from "./tokens/tasks/sql.js";
import { header, writeSection } from "./lib.js";

const TASKS: TokenTask[] = [
  markerFiles,
  logErrors,
  cityRankingTask,
  teamImport,
  exportCsv,
  staleBugs,
  largestFiles,
  berlinAtlasTask,
  revenueByRegion,
  echoTask,
  sumTask,
  countTask,
];

const GITHUB_SPEC = path.join(ROOT, "node_modules", "@octokit", "openapi", "generated", "api.github.com.json");

/** Seeds the knowledge graph through server-memory itself (real bulk inserts), into `file`. */
async function seedGraph(file: string, graph: Graph): Promise<void> {
  const memory = await McpProvider.connect("memory", servers.memory(file));
  try {
    await memory.call("create_entities", { entities: graph.entities });
    await memory.call("create_relations", { relations: graph.relations });
  } finally {
    await memory.close();
  }
}

async function setup(): Promise<BenchEnv & { stop(): Promise<void> }> {
  const root = mkdtempSync(path.join(tmpdir(), "toolcode-tokens-"));
  const dir = (name: string): string => {
    const full = path.join(root, name);
    mkdirSync(full, { recursive: true });
    return full;
  };
  const filesDir = dir("files");
  writeFileTree(filesDir);
  const graphFile = path.join(dir("graph"), "memory.jsonl");
  const spec = JSON.parse(readFileSync(GITHUB_SPEC, "utf8")) as { components: { examples: Record<string, { value: Record<string, unknown>[] }> } };
  const template = spec.components.examples["issue-items"]?.value[0];
  if (!template) throw new Error("the GitHub spec has no issue-items example");
  const githubIssues = makeIssues(template);
  const [postgres, github] = await Promise.all([
    startPostgres(salesSql(makeSales())),
    startGitHubStub(GITHUB_REPO.owner, GITHUB_REPO.repo, githubIssues),
    seedGraph(graphFile, makeGraph()),
  ]);
  return {
    root,
    filesDir,
    graphFile,
    postgres,
    github,
    githubIssues,
    githubSpec: GITHUB_SPEC,
    dir,
    stop: async () => {
      await Promise.allSettled([postgres.stop(), github.stop()]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const only = (process.env.TOKENS_ONLY ?? "").split(",").filter(Boolean);
  const transcripts = process.env.TOKENS_TRANSCRIPTS;
  const env = await setup();
  console.log(`setup (files, graph bulk insert, PGlite, GitHub stub): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const rows: TaskRow[] = [];
  try {
    for (const task of TASKS.filter((t) => only.length === 0 || only.includes(t.id))) {
      const t0 = performance.now();
      useSurface("code");
      const outcome = await task.run(env);
      // The same task again on the hybrid surface (its classic side is the same and not used twice).
      useSurface("hybrid");
      const hybrid = await task.run(env);
      useSurface("code");
      const row: TaskRow = {
        task,
        classic: outcome.classic.measure(),
        code: outcome.code.measure(),
        hybrid: hybrid.code.measure(),
        ...(outcome.note ? { note: outcome.note } : {}),
        ...(outcome.variants ? { variants: outcome.variants.map((v) => ({ label: v.label, code: v.code.measure() })) } : {}),
      };
      rows.push(row);
      console.log(
        `${task.id.padEnd(20)} classic ${String(row.classic.cumulativeTokens).padStart(9)}  code ${String(row.code.cumulativeTokens).padStart(7)}  hybrid ${String(row.hybrid?.cumulativeTokens).padStart(7)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
      if (transcripts) {
        mkdirSync(transcripts, { recursive: true });
        writeFileSync(path.join(transcripts, `${task.id}.classic.md`), outcome.classic.transcript());
        writeFileSync(path.join(transcripts, `${task.id}.code.md`), outcome.code.transcript());
        writeFileSync(path.join(transcripts, `${task.id}.hybrid.md`), hybrid.code.transcript());
        outcome.variants?.forEach((v, i) => writeFileSync(path.join(transcripts, `${task.id}.code-variant-${i + 1}.md`), v.code.transcript()));
      }
    }
    const t1 = performance.now();
    const definitions = only.length === 0 ? await measureDefinitions(env) : [];
    if (only.length === 0) console.log(`definitions per source: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const seconds = (performance.now() - started) / 1000;
    const notes = notesList(rows);
    const markdown = [
      header("Token benchmark: classic function calling vs code mode (issue #4)", "npm run bench:tokens"),
      `${rows.length} tasks, every answer verified against the seeded data; whole run ${seconds.toFixed(0)} s.`,
      "",
      taskTable(rows),
      "",
      summary(rows),
      "",
      "Targets (issue #4):",
      "",
      targetLines(rows, definitions),
      "",
      "### Hybrid surface: direct tools beside search + execute (issue 21)",
      "",
      "Each task again with `server.directTools: \"auto\"` (sources whose classic definitions come to ≤ 600 tokens, estimated as characters ÷ 4, are also offered as direct MCP tools; when every tool is direct, `search` is not offered). The hybrid trajectory calls a direct tool where one suffices (the postgres tasks) and otherwise writes the same scripts as code mode, paying for the larger tool list on every turn.",
      "",
      hybridTable(rows),
      "",
      hybridTargetLines(rows),
      "",
      "### Tool-definition tokens per source",
      "",
      definitionsTable(definitions),
      "",
      "The code-mode column is toolcode's two tool definitions with only that source configured (the `search` description names the servers). Declarations: `toolcode.types()`, which the model reads piecemeal through `search`. OpenAPI classic definitions: every operation converted by `bench/tokens/openapi-definitions.ts` (refs inlined up to 3 levels); in parentheses the same operations with the JSON Schemas toolcode's OpenAPI source generates (`$defs` closures).",
      "",
      methodText(),
      "",
      "### Where the tokens go",
      "",
      breakdownTable(rows),
      ...(notes.length > 0 ? ["", "### Notes", "", ...notes] : []),
    ].join("\n");
    console.log(`\n${taskTable(rows)}\n\n${summary(rows)}\n\n${targetLines(rows, definitions)}\n\n${hybridTable(rows)}\n\n${hybridTargetLines(rows)}\n\n${definitionsTable(definitions)}\n\n(${seconds.toFixed(0)} s)`);
    if (only.length === 0) writeSection("tokens", markdown);
  } finally {
    await env.stop();
  }
}

await main();
