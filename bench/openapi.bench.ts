/**
 * OpenAPI at scale (issue #5): GitHub (1,223 operations) and Stripe (452).
 *
 * - Tool-definition tokens (o200k_base): every operation as a classic function-calling definition
 *   vs toolcode's `search` + `execute` as an MCP client lists them (SDK Client ⇄ `createMcpServer`
 *   over an in-memory transport).
 * - Start: cold (no cache) and cached load + catalog + search index, each run in a fresh process
 *   (bench/openapi-load.ts).
 * - Search: latency of `SearchIndex.search` p50/p95 over natural queries, and top-5 hit rate
 *   (test/fixtures/openapi/*-search-queries.json); also `toolcode.search` as the model calls it.
 * - Declarations: per-operation size, first render vs disk cache, and what `types(server)` shows.
 *
 * Run: `npm run bench -- openapi` (writes the `openapi` section of bench/RESULTS.md). RUNS=<n>
 * sets the number of fresh-process start runs (default 5); SEARCH_ROUNDS the rounds over the
 * queries (default 30).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Catalog } from "../src/catalog/catalog.js";
import { SearchIndex } from "../src/catalog/search-index.js";
import { type Toolcode, createToolcode } from "../src/execute/create-toolcode.js";
import { createMcpServer } from "../src/server/mcp-server.js";
import { loadOpenApiSource } from "../src/sources/openapi/openapi-source.js";
import { BENCH_DIR, fmt, header, median, percentile, writeSection } from "./lib.js";
import { type LoadTiming, OPENAPI_SPECS } from "./openapi-load.js";
import { mcpToolDefinition } from "./tokens/classic.js";
import { countTokens } from "./tokens/count-tokens.js";
import { openApiDefinitions } from "./tokens/openapi-definitions.js";
import { type FunctionDefinition, definitionTokens } from "./tokens/trajectory.js";

const ROOT = path.resolve(BENCH_DIR, "..");
const RUNS = Number(process.env.RUNS ?? 5);
const SEARCH_ROUNDS = Number(process.env.SEARCH_ROUNDS ?? 30);
type Api = keyof typeof OPENAPI_SPECS;

interface Query {
  query: string;
  expect: string | string[];
}
function queries(file: string): { queries: Query[]; heldOut?: Query[] } {
  return JSON.parse(readFileSync(path.join(ROOT, "test", "fixtures", "openapi", file), "utf8")) as { queries: Query[]; heldOut?: Query[] };
}
const GITHUB_QUERIES = queries("github-search-queries.json");
const QUERY_SETS: Record<Api, { name: string; queries: Query[] }[]> = {
  github: [
    { name: "20 natural queries", queries: GITHUB_QUERIES.queries },
    { name: "20 held-out queries", queries: GITHUB_QUERIES.heldOut ?? [] },
  ],
  stripe: [{ name: "10 natural queries", queries: queries("stripe-search-queries.json").queries }],
};

const ms = (value: number): string => (value >= 100 ? fmt(value, 0) : fmt(value, value >= 10 ? 1 : 2));
const pct = (part: number, whole: number): string => `${fmt((100 * part) / whole, 1)}%`;

/** toolcode over one API, its spec cached in `dir`; every operation visible (the default policy hides writes). */
function openToolcode(api: Api, dir: string): Promise<Toolcode> {
  return createToolcode({ cwd: dir, config: { mcpServers: {}, policy: { default: "allow-all" }, openapi: { [api]: { spec: OPENAPI_SPECS[api] } } } });
}

/** The `search` and `execute` definitions exactly as an MCP client lists them. */
async function listedTools(toolcode: Toolcode): Promise<{ name: string; description?: string; inputSchema: Record<string, unknown> }[]> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const server = createMcpServer(toolcode);
  await server.connect(serverTransport);
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(clientTransport);
  try {
    return (await client.listTools()).tools as { name: string; description?: string; inputSchema: Record<string, unknown> }[];
  } finally {
    await client.close();
    await server.close();
  }
}

interface TokenRow {
  api: Api;
  operations: number;
  classic: number;
  toolcodeSchemas: number;
  codeMode: number;
  codeModeFull: number;
  searchDescriptionTokens: number;
  executeDescriptionTokens: number;
}

async function tokenRow(api: Api, toolcode: Toolcode): Promise<TokenRow> {
  const doc = JSON.parse(readFileSync(OPENAPI_SPECS[api], "utf8")) as Record<string, unknown>;
  const classic: FunctionDefinition[] = openApiDefinitions(doc).operations.map((op) => op.definition);
  const source = await loadOpenApiSource(api, { spec: OPENAPI_SPECS[api] }, { baseDir: ROOT, cacheDir: false });
  const schemas = (await source.listTools()).filter((t) => t.name !== "request").map(mcpToolDefinition);
  const listed = await listedTools(toolcode);
  const describe = (name: string): string => listed.find((t) => t.name === name)?.description ?? "";
  return {
    api,
    operations: classic.length,
    classic: definitionTokens(classic),
    toolcodeSchemas: definitionTokens(schemas),
    codeMode: definitionTokens(listed.map(mcpToolDefinition)),
    codeModeFull: countTokens(JSON.stringify(listed)),
    searchDescriptionTokens: countTokens(describe("search")),
    executeDescriptionTokens: countTokens(describe("execute")),
  };
}

/** Fresh-process start timings (bench/openapi-load.ts --json), `RUNS` times. */
function loadTimings(): Record<Api, LoadTiming[]> {
  const out: Record<Api, LoadTiming[]> = { github: [], stripe: [] };
  for (let run = 0; run < RUNS; run++) {
    const child = spawnSync(process.execPath, ["--import", "tsx", path.join(BENCH_DIR, "openapi-load.ts"), "--json"], { encoding: "utf8", cwd: ROOT });
    if (child.status !== 0) throw new Error(`openapi-load.ts failed: ${child.stderr}`);
    for (const line of child.stdout.trim().split("\n")) {
      const timing = JSON.parse(line) as LoadTiming;
      out[timing.name as Api].push(timing);
    }
  }
  return out;
}

interface SearchFigures {
  api: Api;
  tools: number;
  firstMs: number;
  p50: number;
  p95: number;
  max: number;
  hits: { name: string; hits: number; total: number; misses: string[] }[];
  /** `toolcode.search` (ranked text) per detail: first call per query, then repeated calls. */
  text: { detail: string; first: number; repeated: number }[];
}

function isHit(names: readonly string[], expected: string | string[]): boolean {
  return (Array.isArray(expected) ? expected : [expected]).some((e) => names.includes(e));
}

async function searchFigures(api: Api, toolcode: Toolcode, dir: string): Promise<SearchFigures> {
  const source = await loadOpenApiSource(api, { spec: OPENAPI_SPECS[api] }, { baseDir: dir });
  const tools = (await Catalog.build([source])).tools();
  const index = new SearchIndex(tools);
  const sets = QUERY_SETS[api];
  const measured = sets[0]!.queries.map((q) => q.query);
  let t = performance.now();
  index.search(measured[0]!, { limit: 10 });
  const firstMs = performance.now() - t;
  const times: number[] = [];
  for (let round = 0; round < SEARCH_ROUNDS; round++) {
    for (const query of measured) {
      t = performance.now();
      index.search(query, { limit: 10 });
      times.push(performance.now() - t);
    }
  }
  const hits = sets.map(({ name, queries: list }) => {
    const misses: string[] = [];
    for (const { query, expect } of list) {
      const top = index.search(query, { limit: 5 }).map((r) => r.tool.spec.name);
      if (!isHit(top, expect)) misses.push(`"${query}" (wanted ${[expect].flat().join(" or ")}; got ${top.join(", ")})`);
    }
    return { name, hits: list.length - misses.length, total: list.length, misses };
  });
  const text: SearchFigures["text"] = [];
  for (const detail of ["names", "signatures", "full"] as const) {
    const first: number[] = [];
    const repeated: number[] = [];
    for (const query of measured) {
      t = performance.now();
      toolcode.search(query, { detail, limit: detail === "full" ? 3 : 10 });
      first.push(performance.now() - t);
      t = performance.now();
      toolcode.search(query, { detail, limit: detail === "full" ? 3 : 10 });
      repeated.push(performance.now() - t);
    }
    text.push({ detail, first: median(first), repeated: median(repeated) });
  }
  return { api, tools: tools.length, firstMs, p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), hits, text };
}

interface DeclarationFigures {
  api: Api;
  medianChars: number;
  maxChars: number;
  maxTool: string;
  maxTokens: number;
  renderAllMs: number;
  diskAllMs: number;
  rendered: number;
  listingTokens: number;
  fullNamespaceTokens?: number;
}

/** Renders every operation's file in one instance, then reads them all again in a second (disk cache). */
async function declarationFigures(api: Api, toolcode: Toolcode, dir: string): Promise<DeclarationFigures> {
  const files = toolcode.virtualPaths().filter((p) => p.startsWith(`servers/${api}/`) && !p.endsWith("/index.d.ts"));
  let t = performance.now();
  const texts = files.map((f) => toolcode.virtualFile(f) ?? "");
  const renderAllMs = performance.now() - t;
  const second = await openToolcode(api, dir);
  let diskAllMs: number;
  try {
    t = performance.now();
    for (const f of files) second.virtualFile(f);
    diskAllMs = performance.now() - t;
  } finally {
    await second.close();
  }
  const sizes = texts.map((text, i) => ({ text, file: files[i]! })).sort((a, b) => b.text.length - a.text.length);
  return {
    api,
    medianChars: median(texts.map((x) => x.length)),
    maxChars: sizes[0]!.text.length,
    maxTool: path.basename(sizes[0]!.file, ".d.ts"),
    maxTokens: countTokens(sizes[0]!.text),
    renderAllMs,
    diskAllMs,
    rendered: files.length,
    listingTokens: countTokens(toolcode.types(api)),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "toolcode-openapi-bench-"));
  const tokens: TokenRow[] = [];
  const search: SearchFigures[] = [];
  const declarations: DeclarationFigures[] = [];
  try {
    for (const api of Object.keys(OPENAPI_SPECS) as Api[]) {
      const toolcode = await openToolcode(api, dir);
      try {
        tokens.push(await tokenRow(api, toolcode));
        search.push(await searchFigures(api, toolcode, dir));
        declarations.push(await declarationFigures(api, toolcode, dir));
      } finally {
        await toolcode.close();
      }
      console.log(`${api}: tokens, search and declarations measured`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loads = loadTimings();
  const load = os.loadavg()[0] ?? 0;

  const lines: string[] = [header("OpenAPI at scale (issue #5)", "npm run bench -- openapi"), `Load average while measuring: ${fmt(load, 1)} on ${os.cpus().length} cores (other work was running; times are medians).\n`];

  lines.push(
    "### Tool definitions (o200k_base tokens)",
    "",
    "| API | operations | classic definitions | toolcode's schemas as classic definitions | toolcode `search` + `execute` | less than classic |",
    "|---|---:|---:|---:|---:|---:|",
    ...tokens.map((r) => `| ${r.api} | ${fmt(r.operations, 0)} | ${fmt(r.classic, 0)} | ${fmt(r.toolcodeSchemas, 0)} | **${fmt(r.codeMode, 0)}** | ${pct(r.classic - r.codeMode, r.classic)} |`),
    "",
    "Classic: every operation converted by bench/tokens/openapi-definitions.ts (name, summary + description, JSON Schema parameters with refs inlined 3 levels), counted as `{ name, description, parameters }` JSON. " +
      "toolcode's schemas: the same operations as toolcode's OpenAPI source describes them (self-contained `$defs`). " +
      "`search` + `execute`: the two tools as an SDK `Client` lists them from `createMcpServer(toolcode)` over `InMemoryTransport`, counted the same way " +
      `(the \`search\` description ${fmt(tokens[0]?.searchDescriptionTokens ?? 0, 0)} tokens, \`execute\` ${fmt(tokens[0]?.executeDescriptionTokens ?? 0, 0)}; ` +
      `the whole \`tools/list\` entries with titles, annotations and \`execute\`'s output schema: ${tokens.map((r) => `${r.api} ${fmt(r.codeModeFull, 0)}`).join(", ")}).`,
    "",
  );

  lines.push(
    "### Start (ms, median of " + RUNS + " fresh processes)",
    "",
    "| API | tools | cold: load | cold: catalog + index | **cold total** | cold CPU time | cached: load | cached: catalog + index | **cached total** | cached CPU time |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...(Object.keys(loads) as Api[]).map((api) => {
      const runs = loads[api];
      const m = (f: (t: LoadTiming) => number): number => median(runs.map(f));
      return (
        `| ${api} | ${fmt(runs[0]?.tools ?? 0, 0)} | ${ms(m((t) => t.coldLoadMs))} | ${ms(m((t) => t.coldIndexMs))} | **${ms(m((t) => t.coldLoadMs + t.coldIndexMs))}** | ${ms(m((t) => t.coldCpuMs))} | ` +
        `${ms(m((t) => t.cachedLoadMs))} | ${ms(m((t) => t.cachedIndexMs))} | **${ms(m((t) => t.cachedLoadMs + t.cachedIndexMs))}** | ${ms(m((t) => t.cachedCpuMs))} |`
      );
    }),
    "",
    "Cold: read, parse, validate against the OpenAPI schema (swagger-parser's ajv validator, about half of it), process into tools, write the cache entry. Cached: read the processed spec (`.toolcode/cache/openapi/<sha256>.json`). " +
      "Both include building the catalog and the search index (in a fresh process, so with a cold JIT). CPU time: user + system of the process, all threads (GC included), over the same span; on a busy machine it is closer to what an idle one would take than the wall time. " +
      `Runs (cold totals): ${(Object.keys(loads) as Api[]).map((api) => `${api} ${loads[api].map((t) => ms(t.coldLoadMs + t.coldIndexMs)).join(", ")}`).join("; ")}.`,
    "",
  );

  lines.push(
    "### Search",
    "",
    "| API | tools | `SearchIndex.search` p50 | p95 | max | first query in a fresh process | top-5 hit rate |",
    "|---|---:|---:|---:|---:|---:|---|",
    ...search.map(
      (s) =>
        `| ${s.api} | ${fmt(s.tools, 0)} | **${ms(s.p50)} ms** | ${ms(s.p95)} ms | ${ms(s.max)} ms | ${ms(s.firstMs)} ms | ${s.hits.map((h) => `${h.name}: **${h.hits}/${h.total}** (${pct(h.hits, h.total)})`).join("; ")} |`,
    ),
    "",
    `Latency: each of the first query set's queries, ${SEARCH_ROUNDS} rounds, limit 10, every call timed (no result cache: every call scores the query). ` +
      "`toolcode.search` (ranking plus the text the model reads; median per query, first call → repeated call): " +
      search.map((s) => `${s.api} ${s.text.map((x) => `${x.detail} ${ms(x.first)} → ${ms(x.repeated)} ms`).join(", ")}`).join("; ") +
      ". Signatures and declarations are rendered on first use and then served from memory (and, for OpenAPI sources, from the disk cache in later processes).",
    "",
    "Misses (top 5):",
    "",
    ...search.flatMap((s) => s.hits.flatMap((h) => h.misses.map((m) => `- ${s.api}, ${h.name}: ${m}`))),
    "",
  );

  lines.push(
    "### Declarations",
    "",
    "| API | per-operation file: median | largest (o200k tokens) | all operations: first render | all again in a new process (disk cache) | `types(api)` (index of names + summaries) |",
    "|---|---:|---:|---:|---:|---:|",
    ...declarations.map(
      (d) =>
        `| ${d.api} | ${fmt(d.medianChars, 0)} chars | ${fmt(d.maxChars, 0)} chars, ${fmt(d.maxTokens, 0)} tokens (\`${d.maxTool}\`) | ${ms(d.renderAllMs)} ms (${fmt(d.renderAllMs / d.rendered, 2)} ms each) | ${ms(d.diskAllMs)} ms | ${fmt(d.listingTokens, 0)} tokens |`,
    ),
    "",
    "A server with more than 100 tools is shown by `types(server)`, `toolcode types <server>` and `servers/<server>/index.d.ts` as an index; each operation's declaration is rendered on demand (`servers/<server>/<tool>.d.ts`, `search` with detail `full`), " +
      "with named types for `$ref`s and an alias budget that stops expanding types reachable only through other types (Stripe's ~300-schema cycle) after ~16,000 characters of schema, naming the rest in a comment.",
  );

  const report = lines.join("\n");
  console.log(report);
  writeSection("openapi", report);
}

await main();
