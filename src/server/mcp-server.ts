/**
 * `toolcode serve`: an MCP server exposing two tools, `search` and `execute`, over every
 * configured source, and the virtual tree of declarations as resources.
 *
 * @module
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type CallToolResult, ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
import type { ExecuteOptions, Toolcode } from "../execute/create-toolcode.js";
import { ToolcodeError } from "../errors.js";
import { SessionStore } from "../execute/sessions.js";
import type { TraceCarrier } from "../telemetry/telemetry.js";
import { ExecuteProgress } from "./execute-progress.js";
import { executeDescription, executeInputShape, executeOptions, executeOutput, executeOutputShape, runSearch, searchDescription, searchInputShape } from "./tool-descriptions.js";

/** Package version reported to clients. */
export const TOOLCODE_VERSION = "0.1.0";

const RESOURCE_PREFIX = "toolcode://";

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
      inputSchema: searchInputShape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (input, extra): Promise<CallToolResult> => searchResult(() => runSearch(toolcode, input, traceCarrier(extra))),
  );

  server.registerTool(
    "execute",
    {
      title: "Execute TypeScript",
      description: executeDescription(toolcode),
      inputSchema: executeInputShape,
      outputSchema: executeOutputShape,
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async (input, extra): Promise<CallToolResult> => {
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
      // With a progressToken, the client hears from a long run (tool calls and a heartbeat).
      const token = extra._meta?.progressToken;
      const progress =
        token !== undefined
          ? new ExecuteProgress(
              (update) => extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, ...update } }),
              Math.min(input.timeoutMs ?? Infinity, toolcode.config.sandbox.timeoutMs),
            )
          : undefined;
      const trace = traceCarrier(extra);
      const base: ExecuteOptions = {
        sessionId,
        ...(trace !== undefined ? { trace } : {}),
        ...elicit,
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(progress ? { onToolCall: (tool: string) => progress.toolCall(tool) } : {}),
      };
      const result = await toolcode.execute(input.code, executeOptions(input, base)).finally(() => progress?.stop());
      return {
        content: [{ type: "text", text: result.text }],
        structuredContent: { ...executeOutput(result) },
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

/** A search answer, or its error as `Error CODE: message` (e.g. SEARCH_LIMIT) marked `isError`. */
async function searchResult(run: () => Promise<string>): Promise<CallToolResult> {
  try {
    return { content: [{ type: "text", text: await run() }] };
  } catch (error) {
    if (!(error instanceof ToolcodeError)) throw error;
    return { content: [{ type: "text", text: `Error ${error.code}: ${error.message}` }], isError: true };
  }
}

/**
 * The caller's W3C trace context: `traceparent` / `tracestate` in the request's `_meta` (any
 * transport), else in the HTTP request's headers (streamable HTTP).
 */
function traceCarrier(extra: { _meta?: Record<string, unknown>; requestInfo?: { headers?: Record<string, string | string[] | undefined> } }): TraceCarrier | undefined {
  if (typeof extra._meta?.traceparent === "string") return extra._meta;
  const headers = extra.requestInfo?.headers;
  const traceparent = headers?.traceparent;
  if (typeof traceparent !== "string") return undefined;
  const tracestate = headers?.tracestate;
  return { traceparent, ...(typeof tracestate === "string" ? { tracestate } : {}) };
}
