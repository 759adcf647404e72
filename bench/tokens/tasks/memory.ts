/**
 * Knowledge-graph queries (server-memory) after bulk inserts of 302 entities and ~1,000
 * relations: an aggregation over the whole graph, and a two-hop join.
 *
 * @module
 */
import { copyFileSync } from "node:fs";
import path from "node:path";
import { ClassicRun, McpProvider } from "../classic.js";
import { CodeModeSession } from "../code-mode.js";
import { type Graph, makeGraph } from "../fixtures.js";
import { servers } from "../servers.js";
import { type BenchEnv, type TokenTask, expectEqual, returnedValue, withProviders, withSession } from "../task.js";

/** A private copy of the seeded graph file, so no trajectory sees another's writes. */
function graphCopy(env: BenchEnv, name: string): string {
  const file = path.join(env.dir(name), "memory.jsonl");
  copyFileSync(env.graphFile, file);
  return file;
}

/** The 3 cities with the most employees, ties alphabetically: `[city, count][]`. */
function cityRanking(graph: Graph): [string, number][] {
  const cityOf = new Map(graph.relations.filter((r) => r.relationType === "located_in").map((r) => [r.from, r.to]));
  const counts = new Map<string, number>();
  for (const r of graph.relations) {
    if (r.relationType !== "works_at") continue;
    const city = cityOf.get(r.to);
    if (city !== undefined) counts.set(city, (counts.get(city) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3);
}

export const cityRankingTask: TokenTask = {
  id: "memory-city-ranking",
  title: "top 3 cities by employees (graph aggregation)",
  category: "data-heavy",
  sources: "memory",
  async run(env) {
    const truth = cityRanking(makeGraph());
    const task =
      "Using the knowledge graph: which 3 cities have the most employees (people who work_at a company that is located_in the city)? Give the counts; break ties alphabetically.";
    const answer = (ranking: [string, number][]): string => `Top cities by employees: ${ranking.map(([city, n]) => `${city} (${n})`).join(", ")}.`;

    const classic = await withProviders([McpProvider.connect("memory", servers.memory(graphCopy(env, "city-classic")))], async (providers) => {
      const run = new ClassicRun(providers, task);
      const graph = JSON.parse(await run.call("read_graph", {})) as Graph;
      return run.answer(answer(expectEqual(cityRanking(graph), truth, "memory-city-ranking classic")));
    });
    const code = await withSession(CodeModeSession.start({ memory: servers.memory(graphCopy(env, "city-code")) }), async (session) => {
      const run = session.run(task);
      await run.search({ query: "read knowledge graph entities relations" }, ["memory.read_graph"]);
      const output = await run.execute(`
        const { relations } = await memory.read_graph({});
        const cityOf = new Map(relations.filter((r) => r.relationType === "located_in").map((r) => [r.from, r.to]));
        const counts: Record<string, number> = {};
        for (const r of relations) {
          if (r.relationType !== "works_at" || !cityOf.has(r.to)) continue;
          const city = cityOf.get(r.to)!;
          counts[city] = (counts[city] ?? 0) + 1;
        }
        return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3);
      `);
      return run.answer(answer(expectEqual(returnedValue<[string, number][]>(output), truth, "memory-city-ranking code")));
    });
    return { classic, code };
  },
};

export const berlinAtlasTask: TokenTask = {
  id: "memory-join",
  title: "people at Berlin companies on project Atlas (two-hop join)",
  category: "targeted",
  sources: "memory",
  async run(env) {
    const graph = makeGraph();
    const berlin = new Set(graph.relations.filter((r) => r.relationType === "located_in" && r.to === "Berlin").map((r) => r.from));
    const atBerlin = new Set(graph.relations.filter((r) => r.relationType === "works_at" && berlin.has(r.to)).map((r) => r.from));
    const truth = graph.relations
      .filter((r) => r.relationType === "contributes_to" && r.to === "Atlas" && atBerlin.has(r.from))
      .map((r) => r.from)
      .sort();
    if (truth.length < 3) throw new Error(`memory-join: the seeded graph has only ${truth.length} matches`);
    const task = "Using the knowledge graph: who works at a company located in Berlin and also contributes to the project Atlas? List their names alphabetically.";
    const answer = (names: string[]): string => `${names.length} people: ${names.join(", ")}.`;

    // Classic: the cheapest honest path for a careful model: the Berlin node's neighbourhood gives
    // the companies located there, their neighbourhood the employees, Atlas's the contributors.
    const classic = await withProviders([McpProvider.connect("memory", servers.memory(graphCopy(env, "join-classic")))], async (providers) => {
      const run = new ClassicRun(providers, task);
      const around = JSON.parse(await run.call("search_nodes", { query: "Berlin" })) as Graph;
      const companies = around.relations.filter((r) => r.relationType === "located_in" && r.to === "Berlin").map((r) => r.from);
      const staff = JSON.parse(await run.call("open_nodes", { names: companies })) as Graph;
      const employees = new Set(staff.relations.filter((r) => r.relationType === "works_at" && companies.includes(r.to)).map((r) => r.from));
      const atlas = JSON.parse(await run.call("open_nodes", { names: ["Atlas"] })) as Graph;
      const names = atlas.relations
        .filter((r) => r.relationType === "contributes_to" && r.to === "Atlas" && employees.has(r.from))
        .map((r) => r.from)
        .sort();
      return run.answer(answer(expectEqual(names, truth, "memory-join classic")));
    });
    const code = await withSession(CodeModeSession.start({ memory: servers.memory(graphCopy(env, "join-code")) }), async (session) => {
      const run = session.run(task);
      await run.search({ query: "read knowledge graph entities relations" }, ["memory.read_graph"]);
      const output = await run.execute(`
        const { relations } = await memory.read_graph({});
        const berlin = new Set(relations.filter((r) => r.relationType === "located_in" && r.to === "Berlin").map((r) => r.from));
        const staff = new Set(relations.filter((r) => r.relationType === "works_at" && berlin.has(r.to)).map((r) => r.from));
        return relations
          .filter((r) => r.relationType === "contributes_to" && r.to === "Atlas" && staff.has(r.from))
          .map((r) => r.from)
          .sort();
      `);
      return run.answer(answer(expectEqual(returnedValue<string[]>(output), truth, "memory-join code")));
    });
    return { classic, code };
  },
};
