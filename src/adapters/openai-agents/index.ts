/**
 * `toolcode/openai-agents`: toolcode's `search` and `execute` as OpenAI Agents SDK
 * (`@openai/agents`) function tools, with the descriptions of `toolcode serve`.
 *
 * ```ts
 * const agent = new Agent({ name: "coder", instructions: "…", tools: toolcodeTools(toolcode) });
 * const result = await run(agent, "How many markdown files are in the project?");
 * ```
 *
 * The input schemas are the `serve` ones in the SDK's strict form (optional fields become
 * nullable; a `null` means "not given"). Approvals: a script that reaches a call needing approval
 * stops with `APPROVAL_REQUIRED` and an approval id; the model then calls `execute` again with
 * `approve: "<id>"`, and that call goes through the SDK's human-in-the-loop approval
 * (`needsApproval`): the run stops with an interruption, and continues after
 * `result.state.approve(interruption)` (or `reject`) and `run(agent, result.state)`.
 *
 * @module
 */
import { type FunctionTool, tool } from "@openai/agents";
import { z } from "zod";
import type { Toolcode } from "../../execute/create-toolcode.js";
import {
  type ExecuteInput,
  type SearchInput,
  executeDescription,
  executeInputShape,
  searchDescription,
  searchInputShape,
} from "../../server/tool-descriptions.js";
import { type AdapterOptions, adapterCalls } from "../adapter-tools.js";

export type { ProgressUpdate } from "../adapter-tools.js";

/** Options for {@link toolcodeTools}. */
export interface ToolcodeToolsOptions extends AdapterOptions {
  /**
   * Who approves resuming a run with an approval id: `"agents"` (default) through the SDK's
   * `needsApproval` interruption, so the app's user decides; `"model"`: no interruption, the
   * model passes the id on the user's word.
   */
  approvals?: "agents" | "model";
}

/** The strict form of a zod object shape: `.optional()` fields become `.nullable()` (required, null for "not given"). */
function strictShape<S extends z.ZodRawShape>(shape: S): z.ZodObject<{ [K in keyof S]: S[K] extends z.ZodOptional<infer T> ? z.ZodNullable<T> : S[K] }> {
  const out: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) {
    if (field instanceof z.ZodOptional) {
      const inner = field.unwrap() as z.ZodType;
      const description = field.description ?? inner.description;
      out[key] = description !== undefined ? inner.nullable().describe(description) : inner.nullable();
    } else {
      out[key] = field as z.ZodType;
    }
  }
  return z.object(out) as never;
}

/** Drops the `null`s of a strict input, so it reads as the `serve` input. */
function withoutNulls<T extends object>(input: { [K in keyof T]: T[K] | null }): T {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null)) as T;
}

const searchParameters = strictShape(searchInputShape);
const executeParameters = strictShape(executeInputShape);

/** The two Agents SDK tools, `search` then `execute`. */
export type ToolcodeTools = [search: FunctionTool<unknown, typeof searchParameters, string>, execute: FunctionTool<unknown, typeof executeParameters, string>];

/** toolcode's `search` and `execute` as Agents SDK tools, for `new Agent({ tools })`. */
export function toolcodeTools(toolcode: Toolcode, options: ToolcodeToolsOptions = {}): ToolcodeTools {
  const calls = adapterCalls(toolcode, options);
  const search = tool({
    name: "search",
    description: searchDescription(toolcode),
    parameters: searchParameters,
    execute: async (input) => calls.search(withoutNulls<SearchInput>(input)),
  });
  const execute = tool({
    name: "execute",
    description: executeDescription(toolcode),
    parameters: executeParameters,
    needsApproval: options.approvals === "model" ? false : async (_context, input) => typeof input.approve === "string",
    execute: async (input) => (await calls.execute(withoutNulls<ExecuteInput>(input))).text,
  });
  return [search, execute];
}
