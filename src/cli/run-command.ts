/**
 * `toolcode run "<task>"`: the agent loop in the terminal. Progress (each step, its code, short
 * outputs, tokens) goes to stderr as it happens; the final answer goes to stdout, so
 * `answer=$(toolcode run …)` works. Ends with a token report: in/out per step and total.
 *
 * Exit codes: 0 final answer; 1 the run ended without one (step limit, model failure, unusable
 * replies); 2 bad usage or configuration (unknown provider, missing API key or base URL).
 *
 * @module
 */
import { type Command, Option } from "commander";
import type { AgentEvent, AgentMode, AgentResult } from "../agent/agent-events.js";
import { DEFAULT_MAX_STEPS, type ModelObject, createAgent } from "../agent/create-agent.js";
import { resolveModel } from "../agent/resolve-model.js";
import { loadConfig } from "../config/load-config.js";
import type { Toolcode } from "../execute/create-toolcode.js";
import type { GuestLanguage } from "../execute/pipeline/run-guest.js";
import { ToolcodeError } from "../errors.js";

interface RunCommandOptions {
  config?: string;
  model?: string;
  baseUrl?: string;
  mode?: AgentMode;
  lang?: GuestLanguage;
  maxSteps?: number;
  json?: boolean;
  quiet?: boolean;
}

/** Lines of an output shown live before it is cut. */
const OUTPUT_LINES = 8;
const LINE_CHARS = 160;

/** Adds `run` to the program. `open` creates the toolcode instance (and reports source failures). */
export function addRunCommand(program: Command, configOption: () => Option, open: (options: { config?: string }) => Promise<Toolcode>): void {
  program
    .command("run")
    .description("the agent loop: a model writes TypeScript against the configured tools, step by step, until the task is done")
    .addOption(configOption())
    .option("-m, --model <provider:id>", "openai:<id>, anthropic:<id>, ollama:<id> or openai-compatible:<id> (default: TOOLCODE_MODEL)")
    .option("--base-url <url>", "OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (default: TOOLCODE_BASE_URL)")
    .addOption(new Option("--mode <mode>", "action format: code blocks, a structured {thoughts, code} envelope, classic tool calls, or auto").choices(["auto", "code", "structured", "tools"]))
    .addOption(new Option("--lang <language>", "language the model writes: javascript (TypeScript, default) or python (Pyodide; code mode)").choices(["javascript", "python"]))
    .option("--max-steps <n>", `model calls at most (default: agent.maxSteps, ${DEFAULT_MAX_STEPS})`, positiveInt)
    .option("--json", "print the whole result as JSON on stdout instead of the answer")
    .option("-q, --quiet", "no live progress on stderr")
    .argument("<task...>", "what to do, in words")
    .action(async (words: string[], options: RunCommandOptions) => {
      const task = words.join(" ").trim();
      if (task === "") throw new ToolcodeError("USAGE", 'Give the task in words, e.g. toolcode run "How many markdown files are there?"');
      // Fail on a missing key or base URL before any server starts.
      const defaults = loadConfig({ ...(options.config !== undefined ? { path: options.config } : {}) }).config.agent;
      const model = options.model ?? defaults.model;
      const baseUrl = options.baseUrl ?? defaults.baseUrl;
      const resolved = resolveModel({ ...(model !== undefined ? { model } : {}), ...(baseUrl !== undefined ? { baseUrl } : {}) });
      const toolcode = await open(options);
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      process.once("SIGINT", abort);
      let result: AgentResult;
      try {
        const agent = createAgent({
          toolcode,
          model: resolved.model as ModelObject,
          ...(options.mode !== undefined ? { mode: options.mode } : {}),
          ...((options.lang ?? defaults.language) !== undefined ? { language: options.lang ?? defaults.language } : {}),
          ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
        });
        const render = options.quiet ? undefined : renderer((text) => process.stderr.write(text));
        result = await agent.run(task, { signal: controller.signal, ...(render ? { onEvent: render } : {}) });
      } finally {
        process.off("SIGINT", abort);
        await toolcode.close();
      }
      if (!options.quiet) process.stderr.write(tokenReport(result));
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else if (result.answer !== undefined) process.stdout.write(result.answer.endsWith("\n") ? result.answer : `${result.answer}\n`);
      process.exitCode = result.status === "final" ? 0 : 1;
    });
}

/** Renders events as terminal lines (exported for tests). */
export function renderer(write: (text: string) => void): (event: AgentEvent) => void {
  // A step's tokens are known first but read best last: held until the step's output is shown.
  let tokens = "";
  const flush = (): void => {
    if (tokens !== "") write(tokens);
    tokens = "";
  };
  return (event) => {
    if (event.type === "step" || event.type === "final" || event.type === "done") flush();
    switch (event.type) {
      case "start":
        write(`toolcode run · ${event.model} · mode ${event.mode} (${event.modeReason}) · up to ${event.maxSteps} steps\n`);
        return;
      case "step":
        write(`── step ${event.step}/${event.maxSteps}\n`);
        return;
      case "thoughts":
        write(indent(clipLines(event.text, 3), "  "));
        return;
      case "code":
        write(indent(event.code, "  │ ") + (event.recovered.length > 0 ? `  (recovered: ${event.recovered.join(", ")})\n` : ""));
        return;
      case "toolCall":
        write(`  ▸ ${event.tool}(${clipLine(JSON.stringify(event.args) ?? "")})\n`);
        return;
      case "output":
        write(indent(clipLines(event.text.trim() === "" ? "(no output)" : event.text, OUTPUT_LINES), event.error ? "  ✗ " : "  → "));
        return;
      case "tokens":
        tokens = `  tokens: in ${fmt(event.input)} · out ${fmt(event.output)}\n`;
        return;
      case "error":
        write(`  ! ${event.kind === "parse" ? "unusable reply" : event.kind === "mode" ? "switching mode" : "model error"}: ${event.message}\n`);
        return;
      case "final":
        write(`✓ final answer at step ${event.step}\n`);
        return;
      case "done":
        if (event.result.status !== "final") {
          const why = event.result.status === "max_steps" ? `no final answer after ${event.result.steps.length} steps (raise --max-steps)` : event.result.status === "aborted" ? "aborted" : `${event.result.error?.code}: ${event.result.error?.message}`;
          write(`✗ ${why}\n`);
        }
        return;
    }
  };
}

/** The token table: in/out per step and the total. */
export function tokenReport(result: AgentResult): string {
  const rows = result.steps.map((s) => [String(s.step), fmt(s.usage.input), fmt(s.usage.output)]);
  rows.push(["total", fmt(result.usage.input), fmt(result.usage.output)]);
  const widths = [5, ...[1, 2].map((c) => Math.max(3, ...rows.map((r) => (r[c] as string).length)))];
  const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[0] as number) : c.padStart(widths[i] as number))).join("  ")}\n`;
  return `tokens (${result.model}, ${result.mode} mode)\n${line(["step", "in", "out"])}${rows.map(line).join("")}`;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

function clipLine(text: string): string {
  return text.length > LINE_CHARS ? `${text.slice(0, LINE_CHARS - 1)}…` : text;
}

function clipLines(text: string, max: number): string {
  const lines = text.trimEnd().split("\n");
  const shown = lines.slice(0, max).map(clipLine);
  if (lines.length > max) shown.push(`… (${lines.length - max} more lines)`);
  return shown.join("\n");
}

function indent(text: string, prefix: string): string {
  return `${text.split("\n").map((l) => `${prefix}${l}`).join("\n")}\n`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ToolcodeError("USAGE", `Expected a positive integer, got "${value}".`);
  return n;
}
