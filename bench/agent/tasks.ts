/**
 * Tasks of the agent benchmark: the token benchmark's tasks (bench/tokens/tasks) that read data —
 * echo, get-sum, the 5 largest of 240 files, files containing a marker, ERROR lines across logs,
 * and a two-hop join in the knowledge graph — over the same generated data (bench/tokens/fixtures).
 * Each has a prompt, a truth computed from the data (never from a tool result), a check of the
 * model's answer, and an oracle: scripted replies per mode, used when no model is given.
 *
 * @module
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { type Graph, MARKER } from "../tokens/fixtures.js";
import type { ScriptedReply } from "../../test/agent/scripted-model-server.js";

/** The data the tasks run over. */
export interface AgentBenchEnv {
  filesDir: string;
  graph: Graph;
}

/** One benchmark task. */
export interface AgentTask {
  id: string;
  title: string;
  prompt(env: AgentBenchEnv): string;
  /** The expected answer, from the data itself. */
  truth(env: AgentBenchEnv): string[];
  /** True when `answer` states the truth (every item, in order when order matters). */
  check(answer: string, truth: string[]): boolean;
  /** Scripted replies standing in for a model: code steps (code/structured modes) and tool-calling turns. */
  oracle: {
    code(env: AgentBenchEnv): string[];
    tools(env: AgentBenchEnv, truth: string[]): ScriptedReply[];
  };
}

const all = (answer: string, items: string[]): boolean => items.every((item) => answer.includes(item));
const inOrder = (answer: string, items: string[]): boolean => {
  let from = 0;
  for (const item of items) {
    const at = answer.indexOf(item, from);
    if (at < 0) return false;
    from = at + item.length;
  }
  return true;
};
const files = (dir: string): string[] => readdirSync(dir).filter((name) => statSync(path.join(dir, name)).isFile());
const js = (value: unknown): string => JSON.stringify(value);
/** Guest code listing the files of `dir` (names of `[FILE]` lines). */
const listNames = (dir: string): string =>
  `const { content } = await files.list_directory({ path: ${js(dir)} });\nconst names = content.split("\\n").filter((l) => l.startsWith("[FILE] ")).map((l) => l.slice(7).trim());`;

const MESSAGE = "hello from toolcode";
const [A, B] = [1234, 5678];

export const AGENT_TASKS: AgentTask[] = [
  {
    id: "small-echo",
    title: "echo one message (everything)",
    prompt: () => `Use the echo tool to echo "${MESSAGE}" and tell me exactly what it returned.`,
    truth: () => [`Echo: ${MESSAGE}`],
    check: all,
    oracle: {
      code: () => ['console.log(await searchTools("echo a message", { limit: 2 }));', `return final(await everything.echo({ message: ${js(MESSAGE)} }));`],
      tools: (_env, truth) => [{ toolCalls: [{ name: "everything__echo", arguments: { message: MESSAGE } }] }, { content: `It returned: ${truth[0]}` }],
    },
  },
  {
    id: "small-sum",
    title: "add two numbers with get-sum (everything)",
    prompt: () => `Use the get-sum tool to add ${A} and ${B}.`,
    truth: () => [String(A + B)],
    check: all,
    oracle: {
      code: () => [`return final(await everything.get_sum({ a: ${A}, b: ${B} }));`],
      tools: (_env, truth) => [{ toolCalls: [{ name: "everything__get_sum", arguments: { a: A, b: B } }] }, { content: `${A} + ${B} = ${truth[0]}.` }],
    },
  },
  {
    id: "fs-largest",
    title: "5 largest of 240 files",
    prompt: (env) => `Which are the 5 largest files in ${env.filesDir}? List their names, largest first.`,
    truth: (env) =>
      files(env.filesDir)
        .map((name) => ({ name, size: statSync(path.join(env.filesDir, name)).size }))
        .sort((a, b) => b.size - a.size)
        .slice(0, 5)
        .map((f) => f.name),
    check: inOrder,
    oracle: {
      code: (env) => [
        `const { content } = await files.list_directory({ path: ${js(env.filesDir)} });\nconsole.log(content.split("\\n").slice(0, 3).join("\\n"));`,
        `${listNames(env.filesDir)}\nconst sizes = [];\nfor (const name of names) {\n  const { content: info } = await files.get_file_info({ path: ${js(env.filesDir)} + "/" + name });\n  sizes.push({ name, size: Number(/size: (\\d+)/.exec(info)[1]) });\n}\nsizes.sort((a, b) => b.size - a.size);\nreturn final(sizes.slice(0, 5).map((f) => f.name).join(", "));`,
      ],
      tools: (env, truth) => [
        { toolCalls: [{ name: "files__list_directory_with_sizes", arguments: { path: env.filesDir, sortBy: "size" } }] },
        { content: `The 5 largest files are: ${truth.join(", ")}.` },
      ],
    },
  },
  {
    id: "fs-marker",
    title: "files containing a marker (240 files)",
    prompt: (env) => `Which files in ${env.filesDir} contain the text "${MARKER}"? List their names alphabetically.`,
    truth: (env) => files(env.filesDir).filter((name) => readFileSync(path.join(env.filesDir, name), "utf8").includes(MARKER)).sort(),
    check: all,
    oracle: {
      code: (env) => [
        `${listNames(env.filesDir)}\nconst { content: text } = await files.read_multiple_files({ paths: names.map((n) => ${js(env.filesDir)} + "/" + n) });\nconst hits = text.split("\\n---\\n").filter((s) => s.includes(${js(MARKER)})).map((s) => s.slice(0, s.indexOf(":\\n")).split("/").pop()).sort();\nreturn final(hits.join(", "));`,
      ],
      tools: (env, truth) => [
        { toolCalls: [{ name: "files__search_files", arguments: { path: env.filesDir, pattern: "*" } }] },
        { content: `The files containing ${MARKER} are: ${truth.join(", ")}.` },
      ],
    },
  },
  {
    id: "fs-log-errors",
    title: "ERROR lines across the .log files",
    prompt: (env) =>
      `Across all .log files in ${env.filesDir}: how many lines have level ERROR in total, and which file has the most ERROR lines (ties: alphabetically first)?`,
    truth: (env) => {
      const counts = files(env.filesDir)
        .filter((name) => name.endsWith(".log"))
        .sort()
        .map((name) => ({ name, errors: readFileSync(path.join(env.filesDir, name), "utf8").split("\n").filter((l) => / ERROR /.test(l)).length }));
      const total = counts.reduce((n, c) => n + c.errors, 0);
      const top = counts.reduce((best, c) => (c.errors > best.errors ? c : best));
      return [String(total), top.name];
    },
    check: all,
    oracle: {
      code: (env) => [
        `${listNames(env.filesDir)}\nconst logs = names.filter((n) => n.endsWith(".log")).sort();\nconst { content: text } = await files.read_multiple_files({ paths: logs.map((n) => ${js(env.filesDir)} + "/" + n) });\nconst counts = text.split("\\n---\\n").map((s) => ({ name: s.slice(0, s.indexOf(":\\n")).split("/").pop(), errors: s.split("\\n").filter((l) => / ERROR /.test(l)).length }));\nconst total = counts.reduce((n, c) => n + c.errors, 0);\nconst top = counts.reduce((best, c) => (c.errors > best.errors ? c : best));\nreturn final(\`\${total} ERROR lines in total; the most are in \${top.name} (\${top.errors}).\`);`,
      ],
      tools: (env, truth) => [
        { toolCalls: [{ name: "files__list_directory", arguments: { path: env.filesDir } }] },
        { content: `${truth[0]} ERROR lines in total; the most are in ${truth[1]}.` },
      ],
    },
  },
  {
    id: "memory-join",
    title: "people at Berlin companies on project Atlas (two-hop join)",
    prompt: () => "Using the knowledge graph: who works at a company located in Berlin and also contributes to the project Atlas? List their names alphabetically.",
    truth: (env) => {
      const berlin = new Set(env.graph.relations.filter((r) => r.relationType === "located_in" && r.to === "Berlin").map((r) => r.from));
      const atlas = new Set(env.graph.relations.filter((r) => r.relationType === "contributes_to" && r.to === "Atlas").map((r) => r.from));
      return [...new Set(env.graph.relations.filter((r) => r.relationType === "works_at" && berlin.has(r.to) && atlas.has(r.from)).map((r) => r.from))].sort();
    },
    check: all,
    oracle: {
      code: () => [
        'const g = await memory.read_graph();\nconst berlin = new Set(g.relations.filter((r) => r.relationType === "located_in" && r.to === "Berlin").map((r) => r.from));\nconst atlas = new Set(g.relations.filter((r) => r.relationType === "contributes_to" && r.to === "Atlas").map((r) => r.from));\nconst people = [...new Set(g.relations.filter((r) => r.relationType === "works_at" && berlin.has(r.to) && atlas.has(r.from)).map((r) => r.from))].sort();\nreturn final(people.join(", "));',
      ],
      tools: (_env, truth) => [{ toolCalls: [{ name: "memory__read_graph", arguments: {} }] }, { content: truth.join(", ") }],
    },
  },
];
