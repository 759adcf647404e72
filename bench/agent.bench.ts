/**
 * Agent benchmark: the same tasks in `code`, `structured` and `tools` modes, reporting success
 * (the answer checked against the truth), steps and tokens per mode.
 *
 *   npm run bench:agent -- --model openai:gpt-4.1-mini
 *   npm run bench:agent -- --model openai-compatible:qwen2.5-coder-7b --base-url http://127.0.0.1:8080/v1
 *   npm run bench:agent -- [--modes code,tools] [--tasks small-sum,fs-largest] [--max-steps 10]
 *
 * With no model, it runs against the scripted OpenAI-compatible server (test/agent) with oracle
 * replies and says so: that checks the harness end to end (real HTTP, real MCP servers, real
 * sandbox), not a model. With a real model, results are written to bench/RESULTS.md ("agent").
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ActionMode } from "../src/agent/agent-events.js";
import { createAgent } from "../src/agent/create-agent.js";
import { createToolcode } from "../src/execute/create-toolcode.js";
import { type ScriptedReply, requestMode, startScriptedServer } from "../test/agent/scripted-model-server.js";
import { servers } from "../test/helpers.js";
import { AGENT_TASKS, type AgentBenchEnv, type AgentTask } from "./agent/tasks.js";
import { fmt, machine, writeSection } from "./lib.js";
import { makeGraph, writeFileTree } from "./tokens/fixtures.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    "base-url": { type: "string" },
    modes: { type: "string", default: "code,structured,tools" },
    tasks: { type: "string" },
    "max-steps": { type: "string", default: "10" },
  },
});
const modes = (values.modes ?? "").split(",").map((m) => m.trim()) as ActionMode[];
for (const mode of modes) if (!["code", "structured", "tools"].includes(mode)) throw new Error(`--modes: unknown mode "${mode}" (code, structured, tools)`);
const tasks = values.tasks ? AGENT_TASKS.filter((t) => values.tasks?.split(",").includes(t.id)) : AGENT_TASKS;
const maxSteps = Number(values["max-steps"]);

interface Row {
  mode: ActionMode;
  task: AgentTask;
  success: boolean;
  status: string;
  steps: number;
  input: number;
  output: number;
  answer: string;
}

async function main(): Promise<void> {
  const root = path.join(tmpdir(), `toolcode-agent-bench-${process.pid}`);
  const filesDir = path.join(root, "files");
  writeFileTree(filesDir);
  const graph = makeGraph();
  const graphFile = path.join(root, "graph.jsonl");
  mkdirSync(root, { recursive: true });
  writeFileSync(graphFile, [...graph.entities.map((e) => ({ type: "entity", ...e })), ...graph.relations.map((r) => ({ type: "relation", ...r }))].map((l) => JSON.stringify(l)).join("\n") + "\n");
  const env: AgentBenchEnv = { filesDir, graph };

  // No model: the scripted server replays each task's oracle for the mode the agent asks in.
  let current: { task: AgentTask; replies: ScriptedReply[] | undefined; code: string[]; step: number } | undefined;
  const scripted = values.model === undefined
    ? await startScriptedServer((request) => {
        if (!current) return { status: 500, content: "no task running" };
        const i = current.step++;
        const mode = requestMode(request);
        if (mode === "tools") return current.replies?.[i] ?? { content: "(oracle has no more turns)" };
        const code = current.code[i] ?? 'final("(oracle has no more steps)")';
        return { content: mode === "structured" ? JSON.stringify({ thoughts: `oracle step ${i + 1}`, code }) : `Oracle step ${i + 1}.\n\`\`\`ts\n${code}\n\`\`\`` };
      })
    : undefined;
  const model = values.model ?? "openai-compatible:scripted-oracle";
  const baseUrl = scripted?.baseUrl ?? values["base-url"];
  if (scripted) {
    console.log("No --model given: running against the scripted OpenAI-compatible server with oracle replies (no LLM).");
    console.log("This checks the harness end to end (HTTP, MCP servers, sandbox, parsing, scoring), not a model; tokens are the server's estimates (4 chars/token).\n");
  }

  const toolcode = await createToolcode({
    config: {
      mcpServers: { everything: servers.everything(), files: servers.filesystem(filesDir), memory: servers.memory(graphFile) },
      sandbox: { timeoutMs: 60_000 },
    },
    cwd: root,
  });
  const rows: Row[] = [];
  try {
    for (const failure of toolcode.failures) console.error(`warning: ${failure.error.code}: ${failure.error.message}`);
    for (const mode of modes) {
      for (const task of tasks) {
        const truth = task.truth(env);
        current = { task, replies: task.oracle.tools(env, truth), code: task.oracle.code(env), step: 0 };
        const agent = createAgent({ toolcode, model, ...(baseUrl !== undefined ? { baseUrl } : {}), mode, maxSteps });
        const result = await agent.run(task.prompt(env));
        const answer = result.answer ?? "";
        const row: Row = { mode, task, success: result.status === "final" && task.check(answer, truth), status: result.status, steps: result.steps.length, input: result.usage.input, output: result.usage.output, answer };
        rows.push(row);
        console.log(`${mode.padEnd(10)} ${task.id.padEnd(14)} ${row.success ? "✓" : "✗"} ${result.status.padEnd(9)} steps ${row.steps}  tokens ${fmt(row.input, 0)} in / ${fmt(row.output, 0)} out${row.success ? "" : `  answer: ${answer.slice(0, 120).replace(/\n/g, " ")}${result.error ? `  (${result.error.code}: ${result.error.message.slice(0, 160)})` : ""}`}`);
      }
    }
  } finally {
    await toolcode.close();
    await scripted?.close();
  }

  const report = markdown(rows, scripted ? "scripted oracle (no LLM)" : model);
  console.log(`\n${report}`);
  if (!scripted) writeSection("agent", report);
}

function markdown(rows: Row[], label: string): string {
  const perMode = modes.map((mode) => {
    const of = rows.filter((r) => r.mode === mode);
    const n = Math.max(1, of.length);
    return `| ${mode} | ${of.filter((r) => r.success).length}/${of.length} | ${fmt(of.reduce((s, r) => s + r.steps, 0) / n)} | ${fmt(of.reduce((s, r) => s + r.input, 0) / n, 0)} | ${fmt(of.reduce((s, r) => s + r.output, 0) / n, 0)} |`;
  });
  const perTask = rows.map((r) => `| ${r.task.id} | ${r.mode} | ${r.success ? "✓" : `✗ (${r.status})`} | ${r.steps} | ${fmt(r.input, 0)} | ${fmt(r.output, 0)} |`);
  return [
    `## Agent: ${label}`,
    "",
    `${new Date().toISOString().slice(0, 10)} · ${machine()} · max ${maxSteps} steps · \`npm run bench:agent\``,
    "",
    "| mode | success | mean steps | mean tokens in | mean tokens out |",
    "|---|---|---|---|---|",
    ...perMode,
    "",
    "| task | mode | success | steps | tokens in | tokens out |",
    "|---|---|---|---|---|---|",
    ...perTask,
  ].join("\n");
}

await main();
