/**
 * `toolcode serve`: an MCP server exposing two tools, `search` and `execute`, over every
 * configured source, and the virtual tree of declarations as resources.
 *
 * @module
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type CallToolResult, ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ExecuteOptions, Toolcode } from "../execute/create-toolcode.js";
import { SessionStore } from "../execute/sessions.js";
import { Policy } from "../guard/policy.js";

/** Package version reported to clients. */
export const TOOLCODE_VERSION = "0.1.0";

const RESOURCE_PREFIX = "toolcode://";

/** The `search` tool's description: how to find tools and what comes back. Kept short: a client re-reads it every turn. */
export function searchDescription(toolcode: Toolcode): string {
  const servers = toolcode.catalog
    .serverIds()
    .map((id) => `${id} (${toolcode.catalog.server(id)?.tools.length ?? 0})`)
    .join(", ");
  return [
    "Find tools to call from `execute`: ranked search over tool names, descriptions and parameters. Empty query lists tools.",
    `Servers (tools): ${servers || "none connected"}.${skillsLine(toolcode)}`,
    'detail: "names" (cheapest), "signatures" (default), "full" (declarations with docs, constraints and result types).',
  ].join("\n");
}

/** ` Saved skills: N (search them like tools).` when there are any. */
function skillsLine(toolcode: Toolcode): string {
  const count = toolcode.skills.list().length;
  return count > 0 ? ` Saved skills: ${count} (found like tools, as skills.<name>).` : "";
}

/** The `execute` tool's description: the guest API shape, what comes back, and the limits. Kept short: a client re-reads it every turn. */
export function executeDescription(toolcode: Toolcode): string {
  const { sandbox, output } = toolcode.config;
  return [
    "Run TypeScript (an async module body: top-level await and return) that calls tools, so loops, filters and joins happen here and only what you print or return comes back.",
    "- Call a tool: `const r = await server.tool({ arg: value })` (one object argument; find names with search). Results are plain values; a failing tool throws `ToolError` (.code, .message).",
    "- `console.log` or `return` only what you need: summaries, not raw data.",
    "- `workspace.read/write/list/remove(path)`: files kept for this session, for later runs.",
    '- Reuse work: `await skills.save({ name, description, code })` type-checks and keeps a TS module of functions (tool calls allowed); later runs `import { fn } from "./skills/<name>"` or call `skills.<name>.fn()`. search finds skills.',
    `- Output is capped at ${output.maxTokens} tokens; a cut value is saved in full to the workspace (the output names the file).`,
    `- No fetch, timers or process. Limits: ${Math.round(sandbox.timeoutMs / 1000)} s, ${sandbox.memoryMb} MB, ${sandbox.maxToolCalls} tool calls.`,
  ].join("\n");
}

/** Lines added to the `execute` description when guardrails apply (approvals, PII tokens). */
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
  return lines;
}

/** Options for {@link createMcpServer}. */
export interface McpServerOptions {
  /** The session id (workspace, PII vault, approvals) of this client; default: a new random id. */
  sessionId?: string;
  /** The authenticated user (HTTP bearer token), for the audit log and session ownership. */
  user?: string;
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
        query: z.string().describe('What you want to do, e.g. "read file".'),
        detail: z.enum(["names", "signatures", "full"]).optional(),
        limit: z.number().min(1).max(50).optional().describe("Max results (default 5)."),
        server: z.string().optional().describe("Only this server's tools."),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, detail, limit, server: only }): CallToolResult => {
      const response = toolcode.search(query, {
        ...(detail !== undefined ? { detail } : {}),
        limit: Math.floor(limit ?? 5),
        ...(only !== undefined ? { server: only } : {}),
      });
      return { content: [{ type: "text", text: response.text }] };
    },
  );

  server.registerTool(
    "execute",
    {
      title: "Execute TypeScript",
      description: [executeDescription(toolcode), ...guardDescription(toolcode)].join("\n"),
      inputSchema: {
        code: z.string().describe("TypeScript to run."),
        timeoutMs: z.number().positive().optional().describe("Lower time limit, ms."),
        maxTokens: z.number().positive().max(100_000).optional().describe("Output token budget for this run."),
        approve: z.string().optional().describe("An approval id from an APPROVAL_REQUIRED result, once the user approved that call: runs the same code again and performs it."),
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
        approval: z
          .object({ id: z.string(), tool: z.string(), arguments: z.unknown(), reason: z.string(), expiresAt: z.string() })
          .optional()
          .describe("Set with APPROVAL_REQUIRED: the call waiting for the user's approval."),
      },
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async ({ code, timeoutMs, maxTokens, approve }, extra): Promise<CallToolResult> => {
      // With a client that supports elicitation, approvals are asked right away, in the client.
      const elicit: Pick<ExecuteOptions, "onApproval" | "approvalVia"> = server.server.getClientCapabilities()?.elicitation
        ? {
            approvalVia: "elicitation",
            onApproval: async (request) => {
              const answer = await extra.sendRequest(
                {
                  method: "elicitation/create",
                  params: {
                    message: `Allow ${request.tool}? It needs approval: ${request.reason}.\nArguments: ${JSON.stringify(request.arguments, null, 2)}`,
                    requestedSchema: {
                      type: "object",
                      properties: { approve: { type: "boolean", title: "Run this call", description: `Run ${request.tool} with these arguments` } },
                      required: ["approve"],
                    },
                  },
                },
                ElicitResultSchema,
                { signal: request.signal },
              );
              return answer.action === "accept" && answer.content?.approve === true;
            },
          }
        : {};
      const result = await toolcode.execute(code, {
        sessionId,
        ...elicit,
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(approve !== undefined ? { approve } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs: Math.floor(timeoutMs) } : {}),
        ...(maxTokens !== undefined ? { maxTokens: Math.floor(maxTokens) } : {}),
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
          ...(result.approval ? { approval: result.approval } : {}),
        },
        ...(result.error ? { isError: true } : {}),
      };
    },
  );

  // Registered before `declarations`, whose `{+path}` template would match these URIs too.
  server.registerResource(
    "skills",
    new ResourceTemplate(`${RESOURCE_PREFIX}skills/{name}/{file}`, {
      list: () => ({
        resources: toolcode.skills.list().flatMap((skill) => [
          { uri: `${RESOURCE_PREFIX}skills/${skill.name}/SKILL.md`, name: `skills/${skill.name}/SKILL.md`, description: skill.description, mimeType: "text/markdown" },
          { uri: `${RESOURCE_PREFIX}skills/${skill.name}/index.ts`, name: `skills/${skill.name}/index.ts`, description: `Source of skill ${skill.name}`, mimeType: "text/x-typescript" },
        ]),
      }),
    }),
    { title: "Saved skills (SKILL.md and TypeScript source)", mimeType: "text/markdown" },
    async (uri, variables) => {
      const name = String(variables.name ?? "");
      const file = String(variables.file ?? "");
      const [text, mimeType] =
        file === "SKILL.md"
          ? [await toolcode.skills.markdown(name), "text/markdown"]
          : file === "index.ts"
            ? [toolcode.skills.source(name), "text/x-typescript"]
            : [toolcode.virtualFile(`skills/${name}/${file}`), "text/plain"];
      if (text === undefined) {
        throw new Error(`No skill file skills/${name}/${file}. Skills: ${toolcode.skills.list().map((s) => s.name).join(", ") || "(none saved)"}; each has SKILL.md, index.ts and index.d.ts.`);
      }
      return { contents: [{ uri: uri.href, mimeType, text }] };
    },
  );
  const stopWatchingSkills = toolcode.skills.onChange(() => {
    if (server.isConnected()) server.server.sendResourceListChanged().catch(() => undefined);
  });

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
    stopWatchingSkills();
    void toolcode.endSession(sessionId);
  };
  return server;
}
