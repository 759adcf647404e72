/**
 * Type-check before run (issue 19): what checking a script adds to `execute`, through the real
 * worker (`ScriptTypeCheck`, as `createToolcode` wires it), against GitHub's declarations
 * (`@octokit/openapi`, 1,223 operations) plus the captured server-memory, server-filesystem and
 * server-everything tools; and how many correct scripts it would wrongly stop (false positives).
 *
 * - cold: from `warm()` until the first check answers (render + parse + bind the declarations);
 * - warm: p50 / p90 of checking a 30-line script (each run a different script text, so nothing
 *   is answered from a cache), and of a 1-line script (the fixed cost of a check), as baseline;
 * - false positives: the corpus of correct scripts (the README's and DESIGN's examples, the
 *   scripts of bench/tokens/tasks with their values filled in) in `error` mode: blocking
 *   diagnostics count as false positives; also the scripts with a planted mistake, which must be
 *   stopped.
 *
 * Run: npm run bench -- typecheck. Writes the `typecheck` section of RESULTS.md.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog } from "../src/catalog/catalog.js";
import type { CatalogTool } from "../src/catalog/catalog-tool.js";
import { sanitizeUnique } from "../src/catalog/names.js";
import { registeredBuiltins } from "../src/execute/builtins/registry.js";
import { ScriptTypeCheck } from "../src/execute/pipeline/type-check.js";
import { loadOpenApiSource } from "../src/sources/openapi/openapi-source.js";
import type { ToolSpec } from "../src/sources/tool-source.js";
import { fmt, header, median, percentile, writeSection } from "./lib.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.TYPECHECK_RUNS ?? 40);

function fixtureTools(file: string, server: string): CatalogTool[] {
  const { tools } = JSON.parse(readFileSync(path.join(ROOT, "test/fixtures", `${file}.tools.json`), "utf8")) as { tools: ToolSpec[] };
  const ids = sanitizeUnique(tools.map((t) => t.name));
  return tools.map((spec, i) => ({ server, tool: ids[i]!, id: `${server}.${ids[i]!}`, sourceName: server, spec }));
}

/** A 30-line script against GitHub, as a model writes it; `n` makes each text different. */
function thirtyLines(n: number): string {
  return `// run ${n}
const owner = "octocat";
const repo = "hello-world";
const issues = await github.issues_list_for_repo({ owner, repo, state: "open", labels: "bug", per_page: 100 });
const since = "2025-03-01T00:00:00Z";
const stale = issues
  .filter((i) => i.updated_at < since)
  .sort((a, b) => a.created_at.localeCompare(b.created_at));
const byLabel = {};
for (const issue of issues) {
  for (const label of issue.labels) {
    const name = typeof label === "string" ? label : label.name;
    byLabel[name] = (byLabel[name] ?? 0) + 1;
  }
}
const pulls = await github.pulls_list({ owner, repo, state: "open", per_page: 50 });
const drafts = pulls.filter((p) => p.draft).map((p) => p.number);
const repoInfo = await github.repos_get({ owner, repo });
const summary = {
  stars: repoInfo.stargazers_count,
  openIssues: issues.length,
  stale: stale.slice(0, 3).map((i) => i.number),
  labels: Object.entries(byLabel).sort((a, b) => b[1] - a[1]).slice(0, 5),
  drafts,
};
if (stale.length > 10) {
  await github.issues_create({ owner, repo, body: { title: "Triage stale bugs (" + ${n} + ")", body: stale.map((i) => "#" + i.number).join(", ") } });
}
console.log(JSON.stringify(summary));
await workspace.write("summary.json", summary);
return summary;`;
}

/** Correct scripts (must not be stopped). */
const CORRECT: Record<string, string> = {
  "DESIGN: stale issues": `const issues = await github.issues_list_for_repo({ owner: "octocat", repo: "hello", state: "open" });
const stale = issues.filter(i => Date.parse(i.updated_at) < Date.now() - 90 * 864e5);
console.log(\`\${stale.length} stale of \${issues.length}\`);
return stale.slice(0, 5).map(i => i.title);`,
  "README: list allowed directories": "return await filesystem.list_allowed_directories()",
  "README: graph entities": "const graph = await memory.read_graph({});\nreturn graph.entities.length;",
  "README: search then call": `const [hit] = await search("open issues of a repo"); return await github[hit.tool]({ owner: "o", repo: "r" });`,
  "README: import a server": `import { read_text_file } from "./servers/filesystem";\nconst f = await read_text_file({ path: "/tmp/a.txt" });\nreturn f.content.length;`,
  "README: workspace": `await workspace.write("data/users.json", [{ id: 1 }]);\nconst users = await workspace.read("data/users.json");\nreturn users;`,
  "README: state": "state.page = (state.page ?? 0) + 1; return state.page;",
  "README: skills": `const saved = await skills.save({ name: "count-lines", description: "count lines", code: "export function count(t: string) { return t.split('\\\\n').length; }" });\nreturn saved.signatures;`,
  "tokens: github stale bugs": `const issues = await github.issues_list_for_repo({ owner: "octo-org", repo: "widgets", state: "open", labels: "bug", per_page: 100 });
const stale = issues
  .filter((i) => i.updated_at < "2025-03-01T00:00:00Z")
  .sort((a, b) => a.created_at.localeCompare(b.created_at));
return { count: stale.length, oldest: stale.slice(0, 3).map((i) => i.number) };`,
  "tokens: roster to graph": `const { content } = await filesystem.read_text_file({ path: "/data/roster.json" });
const people: { id: number; name: string; title: string; team: string; managerId: number | null }[] = JSON.parse(content);
const byId = new Map(people.map((p) => [p.id, p]));
await memory.create_entities({
  entities: people.map((p) => ({ name: p.name, entityType: "person", observations: [\`Title: \${p.title}\`, \`Team: \${p.team}\`] })),
});
await memory.create_relations({
  relations: people.filter((p) => p.managerId !== null).map((p) => ({ from: p.name, to: byId.get(p.managerId!)!.name, relationType: "reports_to" })),
});
const graph = await memory.read_graph({});
const reports: Record<string, number> = {};
for (const r of graph.relations) if (r.relationType === "reports_to") reports[r.to] = (reports[r.to] ?? 0) + 1;
const [mostReports, count] = Object.entries(reports).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
return { persons: graph.entities.filter((e) => e.entityType === "person").length, mostReports, reports: count };`,
  "tokens: largest files": `const { content } = await filesystem.list_directory_with_sizes({ path: "/data", sortBy: "size" });
console.log(content.split("\\n").slice(0, 5).join("\\n"));`,
  "tokens: grep files": `const dir = "/data";
const { content } = await filesystem.list_directory({ path: dir });
const names = content.split("\\n").filter((l) => l.startsWith("[FILE] ")).map((l) => l.slice(7));
const hits: string[] = [];
for (const name of names) {
  const file = await filesystem.read_text_file({ path: \`\${dir}/\${name}\` });
  if (file.content.includes("MARKER")) hits.push(name);
}
return hits.sort();`,
  "tokens: log errors": `const dir = "/logs";
const { content } = await filesystem.list_directory({ path: dir });
const logs = content.split("\\n").filter((l) => l.startsWith("[FILE] ") && l.endsWith(".log")).map((l) => l.slice(7));
let total = 0;
let worst = "";
let worstErrors = -1;
for (const name of logs.sort()) {
  const file = await filesystem.read_text_file({ path: \`\${dir}/\${name}\` });
  const errors = file.content.split("\\n").filter((line) => / ERROR /.test(line)).length;
  total += errors;
  if (errors > worstErrors) { worst = name; worstErrors = errors; }
}
return { total, worst, worstErrors };`,
  "tokens: graph by city": `const { relations } = await memory.read_graph({});
const cityOf = new Map(relations.filter((r) => r.relationType === "located_in").map((r) => [r.from, r.to]));
const counts: Record<string, number> = {};
for (const r of relations) {
  if (r.relationType !== "works_at" || !cityOf.has(r.to)) continue;
  const city = cityOf.get(r.to)!;
  counts[city] = (counts[city] ?? 0) + 1;
}
return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3);`,
  "tokens: echo": `return await everything.echo({ message: "hello" });`,
  "tokens: sum": `return await everything.get_sum({ a: 2, b: 3 });`,
  "load: benign mix": `const xs = Array.from({ length: 1000 }, (_, i) => i); const g = await memory.read_graph({}); return xs.filter((x) => x % 7 === 0).length + g.entities.length;`,
  "JS: untyped helpers and catch": `function pick(o, keys) { const out = {}; for (const k of keys) out[k] = o[k]; return out; }
let r;
try { r = await github.repos_get({ owner: "o", repo: "r" }); } catch (e) { console.log(e.code, e.message); return null; }
return pick(r, ["name", "stargazers_count"]);`,
  "30-line script": thirtyLines(0),
};

/** Scripts with a planted mistake (must be stopped). */
const WRONG: Record<string, string> = {
  "misspelt argument": `await memory.delete_entities({ entityNmes: ["A"] });`,
  "misspelt tool": `return await github.issues_list_for_rep({ owner: "o", repo: "r" });`,
  "missing required argument": `return await github.repos_get({ owner: "o" });`,
  "wrong argument type": `return await everything.get_sum({ a: "2", b: 3 });`,
  "misspelt built-in": `return await workspace.reed("a.json");`,
};

async function main(): Promise<void> {
  const github = await loadOpenApiSource("github", { spec: path.join(ROOT, "node_modules/@octokit/openapi/generated/api.github.com.json") }, { baseDir: ROOT, cacheDir: false });
  const catalog = await Catalog.build([github]);
  const tools = [...catalog.tools(), ...fixtureTools("memory", "memory"), ...fixtureTools("filesystem", "filesystem"), ...fixtureTools("everything", "everything")];
  const builtins = registeredBuiltins({ skills: () => { throw new Error("unused"); }, search: () => ({ results: [] }) });
  const declarations = builtins.map((b) => b.declarations?.text ?? "").join("\n");
  const loadBefore = os.loadavg();

  const checker = new ScriptTypeCheck(() => tools, declarations);
  const coldStart = performance.now();
  checker.warm();
  let first = await checker.check("return 1;", "error", 120_000);
  while (first.report.skipped !== undefined && performance.now() - coldStart < 180_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    first = await checker.check("return 1;", "error", 120_000);
  }
  const coldMs = performance.now() - coldStart;

  const thirty: number[] = [];
  const one: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const big = await checker.check(thirtyLines(i), "error", 10_000);
    if (big.report.skipped) throw new Error(`check skipped: ${big.report.skipped}`);
    thirty.push(big.report.durationMs);
    const small = await checker.check(`return ${i};`, "error", 10_000);
    one.push(small.report.durationMs);
  }

  const falsePositives: string[] = [];
  let warnings = 0;
  for (const [name, code] of Object.entries(CORRECT)) {
    const { report } = await checker.check(code, "error", 10_000);
    if (report.errors.length > 0) falsePositives.push(`${name}: ${report.errors.map((d) => `${d.code} ${d.message.split("\n")[0]}`).join("; ")}`);
    warnings += report.warnings.length;
  }
  const missed: string[] = [];
  for (const [name, code] of Object.entries(WRONG)) {
    const { report } = await checker.check(code, "error", 10_000);
    if (report.errors.length === 0) missed.push(name);
  }
  await checker.close();
  await github.close();
  const loadAfter = os.loadavg();

  const p50 = median(thirty);
  const baseline = median(one);
  const md = [
    header("Type-check before run", "npm run bench -- typecheck"),
    `Declarations: GitHub REST (${catalog.tools().length} operations) + server-memory, server-filesystem, server-everything (captured tools) + the guest built-ins. ` +
      `Load average ${loadBefore.map((l) => l.toFixed(2)).join(" / ")} before, ${loadAfter.map((l) => l.toFixed(2)).join(" / ")} after (2 cores shared with other work: read the medians, not the tails).`,
    "",
    "| measure | value |",
    "|---|---|",
    `| cold: warm-up until the first check answers (render, parse and bind the declarations in the worker) | ${fmt(coldMs / 1000, 2)} s |`,
    `| warm: 30-line script, p50 / p90 over ${RUNS} checks (each a different text) | **${fmt(p50, 1)} ms** / ${fmt(percentile(thirty, 90), 1)} ms |`,
    `| warm: 30-line script, fastest of the ${RUNS} (closest to an idle machine) | ${fmt(Math.min(...thirty), 1)} ms |`,
    `| baseline: 1-line script, p50 (the fixed cost of one check: a new program over the parsed declarations) | ${fmt(baseline, 1)} ms |`,
    `| 30-line / 1-line | ${fmt(p50 / baseline, 2)}× |`,
    `| false positives: correct scripts stopped in \`error\` mode | ${falsePositives.length} of ${Object.keys(CORRECT).length}${falsePositives.length > 0 ? ` (${falsePositives.join(" · ")})` : ""} |`,
    `| warnings on those correct scripts (reported, never blocking) | ${warnings} |`,
    `| planted mistakes stopped | ${Object.keys(WRONG).length - missed.length} of ${Object.keys(WRONG).length}${missed.length > 0 ? ` (missed: ${missed.join(", ")})` : ""} |`,
    "",
    `Target: ≤ 30 ms p50 added for a 30-line script: ${p50 <= 30 ? "met" : "not met"} in this run.`,
  ].join("\n");
  console.log(md);
  writeSection("typecheck", md);
}

await main();
