/**
 * The markdown the token benchmark writes to bench/RESULTS.md: metric definitions, the per-task
 * table, medians against the targets, and the definitions table.
 *
 * @module
 */
import { median } from "../lib.js";
import type { DefinitionRow } from "./definitions.js";
import type { TaskCategory, TokenTask } from "./task.js";
import { MESSAGE_OVERHEAD, type TrajectoryMetrics } from "./trajectory.js";

/** Measured trajectories of one task. */
export interface TaskRow {
  task: TokenTask;
  classic: TrajectoryMetrics;
  code: TrajectoryMetrics;
  /** The same task on the hybrid surface (`server.directTools: "auto"`). */
  hybrid?: TrajectoryMetrics;
  note?: string;
  variants?: { label: string; code: TrajectoryMetrics }[];
}

/** `1 − code / classic`, in percent (negative: code mode used more). */
export function reduction(classic: number, code: number): number {
  return classic === 0 ? 0 : (1 - code / classic) * 100;
}

const n = (value: number): string => value.toLocaleString("en-US");
const pct = (value: number): string => `${value < 0 ? "−" : ""}${Math.abs(value).toFixed(1)}%`;

/** Per-task table: cumulative tokens and final context, both modes, with reductions. */
export function taskTable(rows: readonly TaskRow[]): string {
  const head = [
    "| task | category | sources | turns classic / code | classic cumulative | code cumulative | reduction | classic final context | code final context | reduction |",
    "|---|---|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  const body = rows.map(({ task, classic, code }) =>
    [
      `\`${task.id}\` ${task.title}`,
      task.category,
      task.sources,
      `${classic.turns} / ${code.turns}`,
      n(classic.cumulativeTokens),
      n(code.cumulativeTokens),
      `**${pct(reduction(classic.cumulativeTokens, code.cumulativeTokens))}**`,
      n(classic.finalContextTokens),
      n(code.finalContextTokens),
      pct(reduction(classic.finalContextTokens, code.finalContextTokens)),
    ].join(" | "),
  );
  return [...head, ...body.map((line) => `| ${line} |`)].join("\n");
}

/** Classic, code and hybrid side by side: cumulative tokens and each mode against classic. */
export function hybridTable(rows: readonly TaskRow[]): string {
  const head = [
    "| task | category | classic | code | hybrid | hybrid vs classic | hybrid turns | direct tools offered |",
    "|---|---|--:|--:|--:|--:|--:|---|",
  ];
  const body = rows.flatMap(({ task, classic, code, hybrid }) => {
    if (hybrid === undefined) return [];
    const over = (hybrid.cumulativeTokens / classic.cumulativeTokens - 1) * 100;
    return [
      `| \`${task.id}\` | ${task.category} | ${n(classic.cumulativeTokens)} | ${n(code.cumulativeTokens)} | ${n(hybrid.cumulativeTokens)} | ${over >= 0 ? "+" : "−"}${Math.abs(over).toFixed(1)}% | ${hybrid.turns} | ${hybrid.definitionTokens > code.definitionTokens || hybrid.toolCalls !== code.toolCalls ? "yes" : "no"} |`,
    ];
  });
  return [...head, ...body].join("\n");
}

/** The hybrid goals (issue 21): ≤ classic + 10% on every small task, ≥ 98% less on the data-heavy median. */
export function hybridTargetLines(rows: readonly TaskRow[]): string {
  const withHybrid = rows.filter((r): r is TaskRow & { hybrid: TrajectoryMetrics } => r.hybrid !== undefined);
  const small = withHybrid.filter((r) => r.task.category === "small");
  const over = small.filter((r) => r.hybrid.cumulativeTokens > r.classic.cumulativeTokens * 1.1);
  const heavy = withHybrid.filter((r) => r.task.category === "data-heavy");
  const heavyMedian = median(heavy.map((r) => reduction(r.classic.cumulativeTokens, r.hybrid.cumulativeTokens)));
  return [
    `- Hybrid ≤ classic + 10% on every small task: ${small.length - over.length} of ${small.length}${over.length > 0 ? ` (over: ${over.map((r) => `\`${r.task.id}\` ${pct((r.hybrid.cumulativeTokens / r.classic.cumulativeTokens - 1) * 100)} more`).join(", ")})` : ""} — ${over.length === 0 ? "met" : "**not met**"}.`,
    `- Hybrid median reduction on data-heavy tasks: **${pct(heavyMedian)}** cumulative over ${heavy.length} tasks (goal ≥ 98%) — ${heavyMedian >= 98 ? "met" : "**not met**"}.`,
  ].join("\n");
}

/** Where each mode's tokens come from. */
export function breakdownTable(rows: readonly TaskRow[]): string {
  const head = [
    "| task | mode | definitions | prompt | tool results | model output | Σ input over turns | cumulative |",
    "|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  const body = rows.flatMap(({ task, classic, code, hybrid }) =>
    ([["classic", classic], ["code", code], ...(hybrid !== undefined ? [["hybrid", hybrid] as const] : [])] as const).map(([mode, m]) =>
      `| \`${task.id}\` | ${mode} | ${n(m.definitionTokens)} | ${n(m.promptTokens)} | ${n(m.toolResultTokens)} | ${n(m.outputTokens)} | ${n(m.inputTokens)} | ${n(m.cumulativeTokens)} |`,
    ),
  );
  return [...head, ...body].join("\n");
}

/** Medians per category and overall, with the target for data-heavy tasks. */
export function summary(rows: readonly TaskRow[]): string {
  const categories: (TaskCategory | "all")[] = ["data-heavy", "targeted", "small", "all"];
  const lines = ["| tasks | count | median reduction, cumulative | median reduction, final context | range (cumulative) |", "|---|--:|--:|--:|---|"];
  for (const category of categories) {
    const group = rows.filter((r) => category === "all" || r.task.category === category);
    if (group.length === 0) continue;
    const cumulative = group.map((r) => reduction(r.classic.cumulativeTokens, r.code.cumulativeTokens));
    const final = group.map((r) => reduction(r.classic.finalContextTokens, r.code.finalContextTokens));
    lines.push(`| ${category} | ${group.length} | ${pct(median(cumulative))} | ${pct(median(final))} | ${pct(Math.min(...cumulative))} … ${pct(Math.max(...cumulative))} |`);
  }
  return lines.join("\n");
}

/** The targets of issue #4, each with what was measured and whether it is met. */
export function targetLines(rows: readonly TaskRow[], definitions: readonly DefinitionRow[]): string {
  const heavy = rows.filter((r) => r.task.category === "data-heavy");
  const cumulative = median(heavy.map((r) => reduction(r.classic.cumulativeTokens, r.code.cumulativeTokens)));
  const final = median(heavy.map((r) => reduction(r.classic.finalContextTokens, r.code.finalContextTokens)));
  const large = definitions.filter((d) => d.tools >= 100);
  const lines = [
    `- Median reduction ≥ 98% on data-heavy tasks: **${pct(cumulative)}** cumulative, **${pct(final)}** final context over ${heavy.length} tasks — ${cumulative >= 98 && final >= 98 ? "met" : cumulative >= 98 || final >= 98 ? "met on one metric only" : "**not met**"}.`,
  ];
  if (large.length > 0) {
    const worst = Math.min(...large.map((d) => reduction(d.classicTokens, d.codeTokens)));
    lines.push(`- Tool-definition tokens ≥ 99% lower for large sources (${large.map((d) => d.source).join(", ")}): at least **${pct(worst)}** — ${worst >= 99 ? "met" : "**not met**"}.`);
  }
  const small = rows.filter((r) => r.task.category === "small");
  const losses = small.filter((r) => r.code.cumulativeTokens > r.classic.cumulativeTokens).map((r) => `\`${r.task.id}\``);
  lines.push(`- Small tasks reported as measured: code mode uses more cumulative tokens in ${losses.length} of ${small.length}${losses.length > 0 ? ` (${losses.join(", ")})` : ""}.`);
  return lines.join("\n");
}

/** One line per task note and per code-mode variant. */
export function notesList(rows: readonly TaskRow[]): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    if (row.note) lines.push(`- \`${row.task.id}\`: ${row.note}`);
    for (const variant of row.variants ?? []) {
      lines.push(
        `- \`${row.task.id}\` code mode ${variant.label}: ${variant.code.turns} turns, ${n(variant.code.cumulativeTokens)} cumulative ` +
          `(**${pct(reduction(row.classic.cumulativeTokens, variant.code.cumulativeTokens))}**), ${n(variant.code.finalContextTokens)} final context ` +
          `(${pct(reduction(row.classic.finalContextTokens, variant.code.finalContextTokens))}).`,
      );
    }
  }
  return lines;
}

/** Tool-definition tokens per source. */
export function definitionsTable(rows: readonly DefinitionRow[]): string {
  const head = [
    "| source | tools | classic definitions | toolcode `search` + `execute` | reduction | toolcode declarations, all tools (reference) |",
    "|---|--:|--:|--:|--:|--:|",
  ];
  const body = rows.map(
    (r) =>
      `| ${r.source} | ${n(r.tools)} | ${n(r.classicTokens)}${r.toolcodeSchemaTokens !== undefined ? ` (${n(r.toolcodeSchemaTokens)} with toolcode's schemas)` : ""} | ${n(r.codeTokens)} | **${pct(reduction(r.classicTokens, r.codeTokens))}** | ${r.declarationsEstimated ? "≈ " : ""}${n(r.declarationTokens)} |`,
  );
  return [...head, ...body].join("\n");
}

/** The method section: what is counted and how. */
export function methodText(): string {
  return `### Method

Every task runs twice against the same real servers and data, and both runs must produce the answer
the bench computes independently from the seeded data (it throws otherwise):

- **classic**: every tool definition of the task's sources in context (MCP \`tools/list\` as
  \`{ name, description, parameters }\`; OpenAPI operations converted by
  \`bench/tokens/openapi-definitions.ts\`), servers' \`instructions\` as the system prompt, one tool
  call per model turn, each call made for real (SDK client over stdio, or toolcode's OpenAPI source
  for GitHub) and its full result text (the \`text\` content a client puts in context) appended.
  The trajectories are the cheapest a careful model would take with those tools (batch tools such as
  \`read_multiple_files\` and \`create_entities\`, SQL aggregation, neighbourhood lookups instead of
  reading a whole graph when that suffices).
- **code mode**: toolcode's two definitions and instructions exactly as an SDK \`Client\` lists them
  from \`createMcpServer\` over an in-memory transport pair, the \`search\` call(s) and the result text,
  the script(s) a good model would write (including a probe \`execute\` where it must learn a text
  format before parsing it, and a schema query for SQL), each \`execute\` output, the final answer.
  The scripts are in \`bench/tokens/tasks/\`.

Counting (o200k_base, \`js-tiktoken\`): definitions as compact JSON of \`{ name, description, parameters }\`
(output schemas, titles and annotations are not sent to a model); a tool call as compact JSON of
\`{ name, arguments }\` (an \`execute\` call therefore includes its script, JSON-escaped); tool results and
messages as their text; ${MESSAGE_OVERHEAD} tokens of chat framing per message. The final answer text is the same in both modes.

- **cumulative tokens** = Σ over the model's turns of the whole context it reads at that turn
  (definitions + system + task + everything so far) + every token the model generates (tool calls
  and the final answer). **No prompt caching is assumed**: with caching, re-read prefixes get cheaper
  and the classic side gains most.
- **final context** = the context after the final answer: what must fit the model's window.
- **reduction** = 1 − code / classic; negative means code mode used more tokens.
- Categories (fixed per task before measuring): *data-heavy* = answering classically moves bulk data
  through context; *targeted* = a careful classic model can narrow the data with the tools themselves;
  *small* = one small call, where code mode is not expected to win.

Caveats, all in the classic side's favour: hidden reasoning is not counted in either mode, and the
classic model is assumed to read hundreds of rows or files and count, join and sort them without error
(the bench does that arithmetic for it). Where the classic final context exceeds a model's window
(128k/200k tokens), the classic trajectory could not run at all; it is reported anyway. Code mode pays a
fixed cost on every turn (its two definitions, instructions, the task and the \`search\` results it keeps
re-reading), so its cumulative tokens stay in the low thousands however large the data; the reduction
therefore grows with the data a task touches.`;
}
