/**
 * Cross-server: read a roster from one server (filesystem), write it into another (memory), and
 * verify by reading the graph back.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ClassicRun, McpProvider } from "../classic.js";
import { CodeModeSession } from "../code-mode.js";
import { type Entity, type Graph, type Relation, type TeamMember, makeTeam } from "../fixtures.js";
import { servers } from "../servers.js";
import { type BenchEnv, type TokenTask, expectEqual, returnedValue, withProviders, withSession } from "../task.js";

interface ImportSummary {
  persons: number;
  reportsTo: number;
  mostReports: string;
  reports: number;
}

function summarize(graph: Graph): ImportSummary {
  const reports = new Map<string, number>();
  for (const r of graph.relations) if (r.relationType === "reports_to") reports.set(r.to, (reports.get(r.to) ?? 0) + 1);
  const [mostReports, count] = [...reports].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ["", 0];
  return {
    persons: graph.entities.filter((e) => e.entityType === "person").length,
    reportsTo: graph.relations.filter((r) => r.relationType === "reports_to").length,
    mostReports,
    reports: count,
  };
}

/** The graph the import must produce. */
function expectedGraph(team: TeamMember[]): Graph {
  const byId = new Map(team.map((m) => [m.id, m]));
  const entities: Entity[] = team.map((m) => ({ name: m.name, entityType: "person", observations: [`Title: ${m.title}`, `Team: ${m.team}`] }));
  const relations: Relation[] = team.flatMap((m) => {
    const manager = m.managerId === null ? undefined : byId.get(m.managerId);
    return manager ? [{ from: m.name, to: manager.name, relationType: "reports_to" }] : [];
  });
  return { entities, relations };
}

/** server-memory's JSONL file, read back from disk (independent of any tool call), sorted like the expectation. */
function graphOnDisk(file: string): Graph {
  const graph: Graph = { entities: [], relations: [] };
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const item = JSON.parse(line) as { type: string } & Entity & Relation;
    if (item.type === "entity") graph.entities.push({ name: item.name, entityType: item.entityType, observations: item.observations });
    else graph.relations.push({ from: item.from, to: item.to, relationType: item.relationType });
  }
  const byName = <T extends object>(key: (t: T) => string) => (a: T, b: T) => key(a).localeCompare(key(b));
  graph.entities.sort(byName((e: Entity) => e.name));
  graph.relations.sort(byName((r: Relation) => `${r.from}→${r.to}`));
  return graph;
}

export const teamImport: TokenTask = {
  id: "fs-to-memory",
  title: "import a 150-person roster into the graph, verify (filesystem → memory)",
  category: "data-heavy",
  sources: "filesystem + memory",
  async run(env: BenchEnv) {
    const team = makeTeam();
    const importDir = env.dir("team-import");
    const rosterFile = path.join(importDir, "team.json");
    writeFileSync(rosterFile, `${JSON.stringify(team, null, 2)}\n`);
    const expected = expectedGraph(team);
    const truth = summarize(expected);
    const expectedSorted: Graph = {
      entities: [...expected.entities].sort((a, b) => a.name.localeCompare(b.name)),
      relations: [...expected.relations].sort((a, b) => `${a.from}→${a.to}`.localeCompare(`${b.from}→${b.to}`)),
    };
    const task =
      `Import ${rosterFile} (a JSON array of people with id, name, title, team, managerId) into the knowledge graph: one entity per person ` +
      '(entityType "person", observations "Title: <title>" and "Team: <team>") and a "reports_to" relation from each person to their manager. ' +
      "Then read the graph back and tell me how many person entities and reports_to relations it holds, and who has the most direct reports.";
    const answer = (s: ImportSummary): string =>
      `Imported: the graph holds ${s.persons} person entities and ${s.reportsTo} reports_to relations; ${s.mostReports} has the most direct reports (${s.reports}).`;

    const classicGraph = path.join(env.dir("team-classic"), "memory.jsonl");
    const classic = await withProviders(
      [McpProvider.connect("filesystem", servers.filesystem(importDir)), McpProvider.connect("memory", servers.memory(classicGraph))],
      async (providers) => {
        const run = new ClassicRun(providers, task);
        const roster = JSON.parse(await run.call("read_text_file", { path: rosterFile })) as TeamMember[];
        const { entities, relations } = expectedGraph(roster); // what the model writes out from the roster
        await run.call("create_entities", { entities });
        await run.call("create_relations", { relations });
        const graph = JSON.parse(await run.call("read_graph", {})) as Graph;
        expectEqual(graphOnDisk(classicGraph), expectedSorted, "fs-to-memory classic: graph on disk");
        return run.answer(answer(expectEqual(summarize(graph), truth, "fs-to-memory classic")));
      },
    );

    const codeGraph = path.join(env.dir("team-code"), "memory.jsonl");
    const session = CodeModeSession.start({ filesystem: servers.filesystem(importDir), memory: servers.memory(codeGraph) });
    const code = await withSession(session, async (s) => {
      const run = s.run(task);
      await run.search({ query: "read file create entities relations read graph", limit: 8 }, ["filesystem.read_text_file", "memory.create_entities", "memory.create_relations", "memory.read_graph"]);
      const output = await run.execute(`
        const { content } = await filesystem.read_text_file({ path: ${JSON.stringify(rosterFile)} });
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
        return {
          persons: graph.entities.filter((e) => e.entityType === "person").length,
          reportsTo: graph.relations.filter((r) => r.relationType === "reports_to").length,
          mostReports,
          reports: count,
        };
      `);
      expectEqual(graphOnDisk(codeGraph), expectedSorted, "fs-to-memory code: graph on disk");
      return run.answer(answer(expectEqual(returnedValue<ImportSummary>(output), truth, "fs-to-memory code")));
    });
    return {
      classic,
      code,
      note: "the classic model writes all 150 entities and 149 relations out as call arguments (output tokens), and server-memory echoes every created entity and relation back as indented JSON; both graphs are checked on disk.",
    };
  },
};
