/**
 * The two tools toolcode offers a model, `search` and `execute`, in one place: their
 * descriptions, input schemas (zod), and how a call maps onto {@link Toolcode}. The MCP server
 * (`toolcode serve`) and every framework adapter (`toolcode/ai-sdk`, `toolcode/openai-agents`,
 * `toolcode/langchain`) build their tools from here, so the model reads the same words everywhere.
 *
 * @module
 */
import { z } from "zod";
import type { ExecuteOptions, Toolcode } from "../execute/create-toolcode.js";
import type { ExecuteResult } from "../execute/execute-result.js";
import { PYTHON_ENGINE_NAME } from "../execute/python-engine.js";
import { Policy } from "../guard/policy.js";
import { engineUnavailable } from "../sandbox/create-engine.js";
import type { TraceCarrier } from "../telemetry/telemetry.js";

/** The `search` tool's description: how to find tools and what comes back. Kept short: a client re-reads it every turn. */
export function searchDescription(toolcode: Toolcode): string {
  const servers = toolcode.catalog
    .serverIds()
    .map((id) => `${id} (${toolcode.catalog.server(id)?.tools.length ?? 0})`)
    .join(", ");
  const hidden = toolcode.hidden.summary();
  return [
    "Find tools to call from `execute` (ranked over names, descriptions, parameters). Empty query lists tools.",
    `Servers (tools): ${servers || "none connected"}.${skillsLine(toolcode)}`,
    ...(hidden !== undefined ? [`Hidden: ${hidden}`] : []),
    'detail: "names" (cheapest), "signatures" (default), "full" (declarations with docs and result types).',
  ].join("\n");
}

/** ` Saved skills: N (search them like tools).` when there are any. */
function skillsLine(toolcode: Toolcode): string {
  const count = toolcode.skills.list().length;
  return count > 0 ? ` Saved skills: ${count} (found like tools, as skills.<name>).` : "";
}

/**
 * The `execute` tool's description: the guest API shape, what comes back, the limits, and the
 * guardrails that apply (approvals, PII tokens, hidden tools). Kept short: a client re-reads it every turn.
 */
export function executeDescription(toolcode: Toolcode): string {
  const { sandbox, output } = toolcode.config;
  return [
    "Run TypeScript (async module body: top-level await, return) that calls tools, so loops, filters and joins run here; only what you print or return comes back.",
    "- `await server.tool({ arg: value })` (names from search) returns plain values; a failing tool throws `ToolError` (.code, .message). Print or return summaries, not raw data.",
    "- Kept for the session: files via `workspace.read/write/list/remove(path)`, and `state` (a JSON object, like REPL variables).",
    "- `await skills.save({ name, description, code })` keeps a type-checked TS module of functions; later runs call `skills.<name>.fn()`.",
    `- Output ≤ ${output.maxTokens} tokens; a cut value is saved whole to the workspace (the output names the file).`,
    `- No fetch, timers or process. Limits: ${Math.round(sandbox.timeoutMs / 1000)} s, ${sandbox.memoryMb} MB, ${sandbox.maxToolCalls} tool calls.`,
    ...(pythonAvailable() ? [PYTHON_LINE] : []),
    ...guardDescription(toolcode),
  ].join("\n");
}

/**
 * The `execute` description when every tool is also offered directly (the hybrid surface with
 * nothing left to search): the model already reads each tool's schema, so only how to call the
 * same tools from code is said. Kept to a few lines: it is re-read every turn of a small task.
 */
export function compactExecuteDescription(toolcode: Toolcode): string {
  return [
    `Run TypeScript (async body: await, return) calling the tools above as \`server.tool({ ... })\` (\`a__b\` is \`a.b\`), so loops, filters and joins happen here; only what you print or return comes back (≤ ${toolcode.config.output.maxTokens} tokens). Failing tools throw ToolError.`,
    ...guardDescription(toolcode),
  ].join("\n");
}

/** Input of the compact `execute` (see {@link compactExecuteDescription}): the code and an approval id. */
export const compactExecuteInputShape = {
  code: z.string(),
  approve: z.string().optional().describe("Approval id, to run the same code again once approved."),
};

/** The `execute` description's line about Python scripts (shown when Pyodide is installed). */
const PYTHON_LINE =
  '- Python (`language: "python"`): `await server.tool(arg=value)`, `print`; the last expression or `return` is the result; failures raise `ToolError`/`HttpError` (.status); `workspace`, `state` (a dict) too.';

/** True when Python scripts can run here (Pyodide installed). */
function pythonAvailable(): boolean {
  return engineUnavailable({ engine: PYTHON_ENGINE_NAME, isolation: "process" }) === undefined;
}

/** Lines added to the `execute` description when guardrails apply (approvals, PII tokens, hidden tools). */
export function guardDescription(toolcode: Toolcode): string[] {
  const lines: string[] = [];
  const policy = new Policy(toolcode.config.policy);
  if (toolcode.catalog.tools().some((tool) => policy.decide(tool).action === "approve")) {
    lines.push('- Some calls need the user\'s approval: the run then stops with APPROVAL_REQUIRED and an approval id. Ask the user; if they agree, run the same code again with `approve: "<id>"`.');
  }
  const { privacy } = toolcode.config;
  if (privacy.tokenize.length > 0 || privacy.fields.length > 0) {
    lines.push("- Personal data in tool results appears as tokens like `<email_3>`. Pass tokens to tools unchanged (the host fills in the real values); never guess what they stand for.");
  }
  const hidden = toolcode.hidden.summary();
  if (hidden !== undefined) lines.push(`- Not callable: ${hidden}`);
  return lines;
}

/** Input of the `search` tool (a zod object shape, as MCP's `registerTool` takes it). */
export const searchInputShape = {
  query: z.string().describe('What you want to do, e.g. "read file".'),
  detail: z.enum(["names", "signatures", "full"]).optional(),
  limit: z.number().min(1).max(50).optional().describe("Max results (default 5)."),
  server: z.string().optional().describe("Only this server's tools."),
};

/** Input of the `search` tool as one zod object. */
export const searchInputSchema = z.object(searchInputShape);

/** Arguments of one `search` call. */
export type SearchInput = z.infer<typeof searchInputSchema>;

/** Input of the `execute` tool (a zod object shape). */
export const executeInputShape = {
  code: z.string().describe("TypeScript (or Python, with language)."),
  language: z.enum(["javascript", "python"]).optional(),
  timeoutMs: z.number().positive().optional().describe("A lower time limit, ms."),
  maxTokens: z.number().positive().max(100_000).optional().describe("Output token budget."),
  approve: z.string().optional().describe("Approval id from APPROVAL_REQUIRED, once the user agreed: reruns the code and performs the call."),
  retryOf: z.string().optional().describe("executionId of a run that failed after writes: replays its writes, never repeats them."),
  typeCheck: z.enum(["off", "warn", "error"]).optional().describe("Type-check tool calls first; error (default) stops before any call runs."),
};

/** Input of the `execute` tool as one zod object. */
export const executeInputSchema = z.object(executeInputShape);

/** Arguments of one `execute` call. */
export type ExecuteInput = z.infer<typeof executeInputSchema>;

/** Structured output of the `execute` tool (a zod object shape). */
export const executeOutputShape = {
  result: z.unknown().optional().describe("The script's return value."),
  logs: z.array(z.string()).describe("Console output lines."),
  error: z
    .object({ code: z.string(), message: z.string(), line: z.number().optional(), column: z.number().optional(), execution: z.unknown().optional() })
    .nullable()
    .describe("Set when the script failed."),
  truncated: z.boolean().describe("True when logs or result were cut to the token budget."),
  spilled: z.object({ logs: z.string().optional(), result: z.string().optional() }).describe("Workspace paths of the full values that were cut."),
  tokens: z.object({ output: z.number(), toolResults: z.number(), saved: z.number(), estimated: z.boolean().optional() }).describe("o200k_base token accounting."),
  executionId: z.string().optional().describe("This execution's id (the audit log's execution field)."),
  approval: z
    .object({ id: z.string(), tool: z.string(), arguments: z.unknown(), reason: z.string(), expiresAt: z.string(), kind: z.literal("plan").optional(), note: z.string().optional() })
    .optional()
    .describe("Set with APPROVAL_REQUIRED: the call waiting for the user's approval."),
};

/** Structured output of one `execute` call. */
export interface ExecuteOutput {
  result?: unknown;
  logs: string[];
  error: { code: string; message: string; line?: number; column?: number; execution?: unknown } | null;
  truncated: boolean;
  spilled: { logs?: string; result?: string };
  executionId?: string;
  tokens: { output: number; toolResults: number; saved: number; estimated?: boolean };
  approval?: { id: string; tool: string; arguments: unknown; reason: string; expiresAt: string; kind?: "plan"; note?: string };
}

/** Runs one `search` call: the text the model reads (re-ranked by `search.embeddings` when configured; Python stubs once the session's scripts are Python). */
export async function runSearch(toolcode: Toolcode, input: SearchInput, trace?: TraceCarrier, language?: "javascript" | "python"): Promise<string> {
  const response = await toolcode.semanticSearch(input.query, {
    ...(trace !== undefined ? { trace } : {}),
    ...(language !== undefined ? { language } : {}),
    ...(input.detail !== undefined ? { detail: input.detail } : {}),
    limit: Math.floor(input.limit ?? 5),
    ...(input.server !== undefined ? { server: input.server } : {}),
  });
  return response.text;
}

/** The {@link ExecuteOptions} of one `execute` call, on top of the caller's own (`sessionId`, `user`, …). */
export function executeOptions(input: ExecuteInput, base: ExecuteOptions = {}): ExecuteOptions {
  return {
    ...base,
    ...(input.approve !== undefined ? { approve: input.approve } : {}),
    ...(input.retryOf !== undefined ? { retryOf: input.retryOf } : {}),
    ...(input.language !== undefined ? { language: input.language } : {}),
    ...(input.typeCheck !== undefined ? { typeCheck: input.typeCheck } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: Math.floor(input.timeoutMs) } : {}),
    ...(input.maxTokens !== undefined ? { maxTokens: Math.floor(input.maxTokens) } : {}),
  };
}

/** The structured output of an `execute` result (what `structuredContent` carries). */
export function executeOutput(result: ExecuteResult): ExecuteOutput {
  const error = result.error
    ? {
        code: result.error.code,
        message: result.error.message,
        ...(result.error.line !== undefined ? { line: result.error.line } : {}),
        ...(result.error.column !== undefined ? { column: result.error.column } : {}),
        ...(result.error.details?.execution !== undefined ? { execution: result.error.details.execution } : {}),
      }
    : null;
  return {
    ...(result.result !== undefined ? { result: result.result } : {}),
    logs: result.logs,
    error,
    truncated: result.metadata.truncated,
    spilled: result.metadata.spilled,
    executionId: result.metadata.executionId,
    tokens: result.metadata.tokens,
    ...(result.approval ? { approval: result.approval } : {}),
  };
}
