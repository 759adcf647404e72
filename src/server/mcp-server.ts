/**
 * `toolcode serve`: an MCP server exposing two tools, `search` and `execute`, over every
 * configured source, and the virtual tree of declarations as resources.
 *
 * @module
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Toolcode } from "../execute/create-toolcode.js";
import { SessionStore } from "../execute/sessions.js";

/** Package version reported to clients. */
export const TOOLCODE_VERSION = "0.1.0";

const RESOURCE_PREFIX = "toolcode://";

/** The `search` tool's description: how to find tools and what comes back. */
export function searchDescription(toolcode: Toolcode): string {
  const servers = toolcode.catalog
    .serverIds()
    .map((id) => `${id} (${toolcode.catalog.server(id)?.tools.length ?? 0} tools)`)
    .join(", ");
  return [
    "Find the tools you need before writing code for `execute`. Ranked full-text search over tool names, descriptions and parameter names.",
    `Servers: ${servers || "(none connected)"}.`,
    'detail: "names" (one line each, cheapest), "signatures" (default: TypeScript signature + summary), "full" (complete declarations with JSDoc and constraints).',
    "An empty query lists tools. Each result is callable in `execute` as `await <server>.<tool>({ ...input })`.",
  ].join("\n");
}

/** The `execute` tool's description: the guest API shape, what comes back, and the limits. */
export function executeDescription(toolcode: Toolcode): string {
  const { sandbox } = toolcode.config;
  return [
    "Run TypeScript in a sandbox that can call every tool as an async function. Use it to chain calls, loop, filter and join data in code, so only what you print or return comes back to you.",
    "",
    "The script is an async module body: top-level `await` and `return` work.",
    "- Each server is a global object; each tool a function taking ONE object argument: `const r = await server.tool({ name: value })`. Find names and input types with `search` first.",
    '- Also `import { tool } from "./servers/<server>"`.',
    "- Results are plain values (parsed JSON when the tool returns JSON, text otherwise). A failing tool throws `ToolError` with `.code` and `.message`; catch it to handle it.",
    "- `console.log` what you need and/or `return` a JSON-serializable value. Print summaries, not raw data.",
    "- `workspace.read(path)`, `workspace.write(path, data)`, `workspace.list()`, `workspace.remove(path)`: files kept for this session, so a later `execute` can reuse data without calling the tools again.",
    "- No fetch, timers, process, require or filesystem: only the tools and the workspace.",
    `Output is capped at ${toolcode.config.output.maxTokens} tokens: big values are cut (arrays keep their head, with a count of what was left out) and saved in full to the workspace, whose path the output names.`,
    `Limits: ${Math.round(sandbox.timeoutMs / 1000)} s wall clock, ${sandbox.memoryMb} MB memory, ${sandbox.maxToolCalls} tool calls per run.`,
    "",
    "Example:",
    "```ts",
    'const items = await fs.list_directory({ path: "." });',
    "console.log(String(items).split(\"\\n\").filter((l) => l.endsWith(\".md\")).length);",
    "```",
  ].join("\n");
}

/** Options for {@link createMcpServer}. */
export interface McpServerOptions {
  /** The session id (workspace) of this client; default: a new random id. */
  sessionId?: string;
}

/**
 * Creates an MCP server for one client session, backed by a shared {@link Toolcode}. All
 * `execute` calls of the session share its workspace; the session ends when the server closes.
 */
export function createMcpServer(toolcode: Toolcode, options: McpServerOptions = {}): McpServer {
  const sessionId = options.sessionId ?? SessionStore.newId();
  const server = new McpServer(
    { name: "toolcode", version: TOOLCODE_VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        "toolcode fronts many tools behind two: use `search` to find tools and their TypeScript signatures, then `execute` to run a TypeScript script that calls them and prints or returns only what you need. Declarations are also readable as resources (toolcode://servers/<server>/index.d.ts).",
    },
  );

  server.registerTool(
    "search",
    {
      title: "Search tools",
      description: searchDescription(toolcode),
      inputSchema: {
        query: z.string().describe("Words describing what you want to do, e.g. \"read file\" or \"create issue\". Empty lists tools."),
        detail: z.enum(["names", "signatures", "full"]).optional().describe("How much to show per tool (default signatures)."),
        limit: z.number().int().min(1).max(50).optional().describe("Max results (default 10)."),
        server: z.string().optional().describe("Only tools of this server."),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, detail, limit, server: only }): CallToolResult => {
      const response = toolcode.search(query, {
        ...(detail !== undefined ? { detail } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(only !== undefined ? { server: only } : {}),
      });
      return { content: [{ type: "text", text: response.text }] };
    },
  );

  server.registerTool(
    "execute",
    {
      title: "Execute TypeScript",
      description: executeDescription(toolcode),
      inputSchema: {
        code: z.string().describe("TypeScript: an async module body. Call tools as `await server.tool({...})`; console.log or return the result."),
        timeoutMs: z.number().int().positive().optional().describe("Lower time limit for this run, in ms."),
        maxTokens: z.number().int().positive().max(100_000).optional().describe("Token budget of the output for this run (default from config)."),
      },
      outputSchema: {
        result: z.unknown().optional().describe("The script's return value."),
        logs: z.array(z.string()).describe("Console output lines."),
        error: z
          .object({ code: z.string(), message: z.string(), line: z.number().optional(), column: z.number().optional() })
          .nullable()
          .describe("Set when the script failed."),
        truncated: z.boolean().describe("True when logs or result were cut to the token budget."),
        spilled: z.object({ logs: z.string().optional(), result: z.string().optional() }).describe("Workspace paths of the full values that were cut."),
        tokens: z.object({ output: z.number(), toolResults: z.number(), saved: z.number() }).describe("o200k_base token accounting."),
      },
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async ({ code, timeoutMs, maxTokens }): Promise<CallToolResult> => {
      const result = await toolcode.execute(code, {
        sessionId,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
      });
      const error = result.error
        ? {
            code: result.error.code,
            message: result.error.message,
            ...(result.error.line !== undefined ? { line: result.error.line } : {}),
            ...(result.error.column !== undefined ? { column: result.error.column } : {}),
          }
        : null;
      return {
        content: [{ type: "text", text: result.text }],
        structuredContent: {
          ...(result.result !== undefined ? { result: result.result } : {}),
          logs: result.logs,
          error,
          truncated: result.metadata.truncated,
          spilled: result.metadata.spilled,
          tokens: result.metadata.tokens,
        },
        ...(result.error ? { isError: true } : {}),
      };
    },
  );

  server.registerResource(
    "declarations",
    new ResourceTemplate(`${RESOURCE_PREFIX}{+path}`, {
      list: () => ({
        resources: toolcode.virtualPaths().map((path) => ({
          uri: `${RESOURCE_PREFIX}${path}`,
          name: path,
          mimeType: "text/plain",
        })),
      }),
    }),
    { title: "TypeScript declarations of the tools", mimeType: "text/plain" },
    (uri, variables) => {
      const path = String(variables.path ?? "");
      const text = toolcode.virtualFile(path);
      if (text === undefined) {
        throw new Error(`No declaration file ${path}. List resources to see the tree (servers/<server>/index.d.ts).`);
      }
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text }] };
    },
  );

  const close = server.server.onclose;
  server.server.onclose = () => {
    close?.();
    void toolcode.endSession(sessionId);
  };
  return server;
}
