/**
 * `toolcode/ai-sdk`: toolcode's `search` and `execute` as Vercel AI SDK (`ai` 6) tools, with the
 * descriptions and input schemas of `toolcode serve`.
 *
 * ```ts
 * const { text } = await generateText({ model, tools: toolcodeTools(toolcode), stopWhen: stepCountIs(5), prompt });
 * ```
 *
 * Approvals: a script that reaches a call needing approval stops with `APPROVAL_REQUIRED` and an
 * approval id; the model then calls `execute` again with `approve: "<id>"`, and that call goes
 * through the AI SDK's tool approval (`needsApproval`): `generateText` returns a
 * `tool-approval-request` for the app to show its user, and runs the call only after a
 * `tool-approval-response` with `approved: true`. `toolcode.pendingApprovals({ sessionId })`
 * tells the app what the id stands for (tool, arguments, reason).
 *
 * @module
 */
import { type Tool, tool } from "ai";
import type { Toolcode } from "../../execute/create-toolcode.js";
import { type ExecuteInput, type SearchInput, executeDescription, executeInputSchema, searchDescription, searchInputSchema } from "../../server/tool-descriptions.js";
import { type AdapterExecuteOutput, type AdapterOptions, adapterCalls } from "../adapter-tools.js";

export type { AdapterExecuteOutput as ToolcodeExecuteOutput } from "../adapter-tools.js";
export type { ExecuteInput, SearchInput } from "../../server/tool-descriptions.js";

export type { ProgressUpdate } from "../adapter-tools.js";

/** Options for {@link toolcodeTools}. */
export interface ToolcodeToolsOptions extends AdapterOptions {
  /**
   * Who approves resuming a run with an approval id: `"ai-sdk"` (default) through the AI SDK's
   * tool approval, so the app's user decides; `"model"`: no AI SDK approval, the model passes
   * the id on the user's word (as over MCP without elicitation).
   */
  approvals?: "ai-sdk" | "model";
}

/** The AI SDK tool set: `search` and `execute` (a `ToolSet`; spread it to add tools of your own). */
export type ToolcodeTools = {
  search: Tool<SearchInput, string>;
  execute: Tool<ExecuteInput, AdapterExecuteOutput>;
};

/** toolcode's `search` and `execute` as AI SDK tools, for `generateText` / `streamText` / `Agent`. */
export function toolcodeTools(toolcode: Toolcode, options: ToolcodeToolsOptions = {}): ToolcodeTools {
  const calls = adapterCalls(toolcode, options);
  return {
    search: tool({
      description: searchDescription(toolcode),
      inputSchema: searchInputSchema,
      execute: async (input) => calls.search(input),
    }),
    execute: tool({
      description: executeDescription(toolcode),
      inputSchema: executeInputSchema,
      needsApproval: options.approvals === "model" ? false : (input) => input.approve !== undefined,
      execute: (input) => calls.execute(input),
      // The model reads the same text as over MCP; the app gets the structured result.
      toModelOutput: ({ output }) => ({ type: "text", value: output.text }),
    }),
  };
}
