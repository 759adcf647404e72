/**
 * A model conversation as the sequence of things that enter its context, and the token metrics
 * of that sequence. Both modes of the token benchmark (classic function calling and code mode)
 * are recorded as a {@link Trajectory} and measured the same way.
 *
 * Context layout: system text (server instructions), tool definitions, the user's task, then one
 * entry per model turn and tool result: `call` (the model's tool call, output tokens), `result`
 * (the tool result text, input from then on), and a final `answer` (output tokens).
 *
 * @module
 */
import { countTokens } from "./count-tokens.js";

/**
 * Tokens a chat format adds around each message (role markers, separators). OpenAI's published
 * estimate for its chat format is 3 per message; applied to both modes alike.
 */
export const MESSAGE_OVERHEAD = 3;

/** A JSON Schema object. */
export type JsonSchema = { [key: string]: unknown };

/** A tool as a function-calling API receives it: name, description, JSON Schema parameters. */
export interface FunctionDefinition {
  name: string;
  description: string;
  parameters: JsonSchema;
}

/**
 * The text a definition is counted as: compact JSON of `{ name, description, parameters }`.
 * Providers render definitions differently (OpenAI turns them into a TypeScript-like block,
 * Anthropic sends JSON); compact JSON is a neutral estimate used for both modes.
 */
export function definitionText(definition: FunctionDefinition): string {
  return JSON.stringify({ name: definition.name, description: definition.description, parameters: definition.parameters });
}

/** Tokens of a list of definitions (each counted as {@link definitionText}). */
export function definitionTokens(definitions: readonly FunctionDefinition[]): number {
  return definitions.reduce((sum, definition) => sum + countTokens(definitionText(definition)), 0);
}

/** One thing in the context after the fixed prefix. */
export type TrajectoryEntry =
  | { kind: "call"; name: string; arguments: Record<string, unknown> }
  | { kind: "result"; name: string; text: string }
  | { kind: "answer"; text: string };

/** Token metrics of a trajectory. All counts are o200k_base tokens. */
export interface TrajectoryMetrics {
  /** Tool definitions in context. */
  definitionTokens: number;
  /** System text (instructions) and the user's task, with message overhead. */
  promptTokens: number;
  /** Model turns: one per tool call, plus the final answer. */
  turns: number;
  /** Tool calls made. */
  toolCalls: number;
  /** Tool result text that entered the context. */
  toolResultTokens: number;
  /** Everything the model generated: tool calls (name + JSON arguments) and the final answer. */
  outputTokens: number;
  /** Σ over turns of the context the model reads at that turn (no prompt caching). */
  inputTokens: number;
  /** `inputTokens + outputTokens`: every token the model processes over the whole task. */
  cumulativeTokens: number;
  /** The context after the final answer: prefix + every call, result and the answer. */
  finalContextTokens: number;
}

/** The text a model's tool call is counted as: compact JSON of `{ name, arguments }`. */
export function callText(name: string, args: Record<string, unknown>): string {
  return JSON.stringify({ name, arguments: args });
}

/** A recorded conversation. Build it with {@link Trajectory.call}, {@link Trajectory.result}, {@link Trajectory.answer}. */
export class Trajectory {
  readonly entries: TrajectoryEntry[] = [];

  constructor(
    /** `classic`, `code` (search + execute) or `hybrid` (direct tools beside them). */
    readonly mode: "classic" | "code" | "hybrid",
    /** Instructions the client puts in the system prompt (servers' `instructions`); may be empty. */
    readonly system: string,
    readonly definitions: readonly FunctionDefinition[],
    /** The user's task, identical in both modes. */
    readonly task: string,
  ) {}

  /** Records a model turn that calls `name` with `args`. */
  call(name: string, args: Record<string, unknown>): this {
    this.entries.push({ kind: "call", name, arguments: args });
    return this;
  }

  /** Records the text of a tool result returned into the context. */
  result(name: string, text: string): this {
    this.entries.push({ kind: "result", name, text });
    return this;
  }

  /** Records the model's final answer (its last turn). */
  answer(text: string): this {
    this.entries.push({ kind: "answer", text });
    return this;
  }

  /** The final answer text; throws when the trajectory has none. */
  get finalAnswer(): string {
    const last = this.entries.at(-1);
    if (last?.kind !== "answer") throw new Error(`${this.mode} trajectory for "${this.task.slice(0, 40)}…" has no final answer`);
    return last.text;
  }

  /** Counts every piece and sums per turn; see {@link TrajectoryMetrics}. */
  measure(): TrajectoryMetrics {
    const defs = definitionTokens(this.definitions);
    const prompt = (this.system === "" ? 0 : countTokens(this.system) + MESSAGE_OVERHEAD) + countTokens(this.task) + MESSAGE_OVERHEAD;
    let context = defs + prompt;
    let input = 0;
    let output = 0;
    let results = 0;
    let turns = 0;
    let toolCalls = 0;
    for (const entry of this.entries) {
      if (entry.kind === "result") {
        const tokens = countTokens(entry.text) + MESSAGE_OVERHEAD;
        results += tokens;
        context += tokens;
        continue;
      }
      // A model turn: it reads the whole context, then generates this entry.
      turns++;
      input += context;
      const generated = countTokens(entry.kind === "call" ? callText(entry.name, entry.arguments) : entry.text) + MESSAGE_OVERHEAD;
      if (entry.kind === "call") toolCalls++;
      output += generated;
      context += generated;
    }
    return {
      definitionTokens: defs,
      promptTokens: prompt,
      turns,
      toolCalls,
      toolResultTokens: results,
      outputTokens: output,
      inputTokens: input,
      cumulativeTokens: input + output,
      finalContextTokens: context,
    };
  }

  /** The conversation as readable text (for transcripts). */
  transcript(): string {
    const lines = [`# ${this.mode}`, "", "## system", this.system || "(none)", "", `## tools (${this.definitions.length})`];
    for (const definition of this.definitions) lines.push(definitionText(definition));
    lines.push("", "## user", this.task);
    for (const entry of this.entries) {
      if (entry.kind === "call") lines.push("", `## assistant → ${entry.name}`, JSON.stringify(entry.arguments, null, 2));
      else if (entry.kind === "result") lines.push("", `## tool ${entry.name}`, entry.text);
      else lines.push("", "## assistant", entry.text);
    }
    return `${lines.join("\n")}\n`;
  }
}
