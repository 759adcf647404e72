/**
 * `toolcode/langchain`: toolcode's `search` and `execute` as LangChain.js tools
 * (`@langchain/core` `tool()`, i.e. `DynamicStructuredTool`), with the descriptions and input
 * schemas of `toolcode serve`.
 *
 * ```ts
 * const [search, execute] = toolcodeTools(toolcode);
 * const model = chatModel.bindTools([search, execute]);
 * // for each tool call of the model's reply: messages.push(await execute.invoke(toolCall))
 * ```
 *
 * `execute` answers with `content_and_artifact`: the `ToolMessage` content is the text the model
 * reads, its `artifact` the structured result (`result`, `logs`, `error`, `approval`, …).
 * Approvals: LangChain core has no approval step of its own, so a script that reaches a call
 * needing approval stops with `APPROVAL_REQUIRED` and an approval id, the model asks the user,
 * and calls `execute` again with `approve: "<id>"` (the artifact's `approval` lets an app ask
 * its user itself, e.g. with a LangGraph interrupt).
 *
 * @module
 */
import { tool } from "@langchain/core/tools";
import type { Toolcode } from "../../execute/create-toolcode.js";
import { executeDescription, executeInputSchema, searchDescription, searchInputSchema } from "../../server/tool-descriptions.js";
import { type AdapterExecuteOutput, type AdapterOptions, adapterCalls } from "../adapter-tools.js";

export type { AdapterExecuteOutput as ToolcodeExecuteOutput } from "../adapter-tools.js";

export type { ProgressUpdate } from "../adapter-tools.js";

/** Options for {@link toolcodeTools}. */
export type ToolcodeToolsOptions = AdapterOptions;

/** Builds the two tools (typed by inference from `tool()`). */
function build(toolcode: Toolcode, options: ToolcodeToolsOptions) {
  const calls = adapterCalls(toolcode, options);
  const search = tool(async (input) => calls.search(input), {
    name: "search",
    description: searchDescription(toolcode),
    schema: searchInputSchema,
  });
  const execute = tool(
    async (input): Promise<[string, AdapterExecuteOutput]> => {
      const output = await calls.execute(input);
      return [output.text, output];
    },
    { name: "execute", description: executeDescription(toolcode), schema: executeInputSchema, responseFormat: "content_and_artifact" },
  );
  return [search, execute] as const;
}

/** The two LangChain tools, `search` then `execute`. */
export type ToolcodeTools = ReturnType<typeof build>;

/** toolcode's `search` and `execute` as LangChain tools, for `bindTools` and tool-calling loops. */
export function toolcodeTools(toolcode: Toolcode, options: ToolcodeToolsOptions = {}): ToolcodeTools {
  return build(toolcode, options);
}
