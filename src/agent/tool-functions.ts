/**
 * `tools` mode: every catalog tool as a classic function for the model (its JSON Schema as the
 * parameters), and the call path back. Calls run through `toolcode.execute` as a one-line script,
 * so they take exactly the path guest calls take (policies, approvals, limits, output budget).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type ToolSet, jsonSchema, tool } from "ai";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { Toolcode } from "../execute/create-toolcode.js";
import type { ExecuteResult } from "../execute/execute-result.js";

/** Longest function name providers accept (OpenAI: `^[a-zA-Z0-9_-]{1,64}$`). */
const MAX_NAME = 64;

/** The JSON Schema type `jsonSchema` takes (not re-exported by `ai`). */
type JsonSchema7 = Exclude<Parameters<typeof jsonSchema>[0], PromiseLike<unknown> | (() => unknown)>;

/** The model-facing functions and the map back to catalog tools. */
export interface ToolFunctions {
  tools: ToolSet;
  /** Function name → catalog tool. */
  byName: Map<string, CatalogTool>;
}

/** `server__tool`, cut to 64 characters with a short hash when longer. */
export function functionName(server: string, toolName: string): string {
  const name = `${server}__${toolName}`.replace(/[^A-Za-z0-9_-]/g, "_");
  if (name.length <= MAX_NAME) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9)}_${hash}`;
}

/** Builds the functions of every catalog tool. */
export function toolFunctions(toolcode: Toolcode): ToolFunctions {
  const tools: ToolSet = {};
  const byName = new Map<string, CatalogTool>();
  for (const entry of toolcode.catalog.tools()) {
    const name = functionName(entry.server, entry.tool);
    byName.set(name, entry);
    const { $schema: _ignored, ...schema } = entry.spec.inputSchema;
    const parameters = { type: "object", properties: {}, ...schema } as JsonSchema7;
    tools[name] = tool({
      description: (entry.spec.description ?? entry.spec.title ?? entry.id).slice(0, 1024),
      inputSchema: jsonSchema(parameters),
    });
  }
  return { tools, byName };
}

/**
 * Calls one tool through the sandbox path: `return await server.tool(args)`. Never throws; a
 * failure is the result's `error`.
 */
export function callThroughSandbox(toolcode: Toolcode, entry: CatalogTool, args: unknown, sessionId: string): Promise<ExecuteResult> {
  const input = args === undefined || args === null ? {} : args;
  return toolcode.execute(`return await ${entry.server}.${entry.tool}(${JSON.stringify(input)});`, { sessionId });
}

/** The text the model reads for a tool call: the value, or `Error CODE: message` without script line numbers. */
export function toolResultText(result: ExecuteResult): string {
  if (result.error) return `Error ${result.error.code}: ${result.error.message.replace(/\s*\(at line \d+:\d+\)/g, "")}`;
  return result.text;
}
