/**
 * `toolcode serve`: an MCP server exposing two tools, `search` and `execute`, over every
 * configured source, and the virtual tree of declarations as resources.
 *
 * @module
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { type CallToolResult, ElicitResultSchema, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { ExecuteOptions, Toolcode } from "../execute/create-toolcode.js";
import { ToolcodeError } from "../errors.js";
import { SessionStore } from "../execute/sessions.js";
import type { TraceCarrier } from "../telemetry/telemetry.js";
import { z } from "zod";
import { directCallCode, directResultText, directTools } from "./direct-tools.js";
import { ExecuteProgress } from "./execute-progress.js";
import { compactExecuteDescription, compactExecuteInputShape, executeDescription, executeInputShape, executeOptions, executeOutput, executeOutputShape, type ExecuteInput, runSearch, searchDescription, searchInputShape } from "./tool-descriptions.js";

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
  // Every tool offered directly (and no skills or hidden tools to find): nothing left to search for.
  const direct = directTools(toolcode);
  const searchNeeded = direct.length === 0 || direct.length < toolcode.catalog.tools().length || toolcode.skills.list().length > 0 || toolcode.hidden.summary() !== undefined;
  const server = new McpServer(
    { name: "toolcode", version: TOOLCODE_VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      // With every tool offered directly there is nothing to search: the execute description says the rest.
      ...(searchNeeded
        ? {
            instructions:
              "toolcode fronts many tools behind two: use `search` to find tools and their TypeScript signatures, then `execute` to run a TypeScript script that calls them and prints or returns only what you need. Declarations are also readable as resources (toolcode://servers/<server>/index.d.ts).",
          }
        : {}),
    },
  );

  // The language of this session's latest `execute` (search renders signatures for it).
  let language: "javascript" | "python" | undefined;
  if (searchNeeded) {
    server.registerTool(
      "search",
      {
        title: "Search tools",
        description: searchDescription(toolcode),
        inputSchema: z.object(searchInputShape).meta({ $schema: undefined }),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async (input, extra): Promise<CallToolResult> => searchResult(() => runSearch(toolcode, input, traceCarrier(extra), language)),
    );
  }

  server.registerTool(
    "execute",
    {
      title: "Execute TypeScript",
      description: searchNeeded ? executeDescription(toolcode) : compactExecuteDescription(toolcode),
      inputSchema: z.object(searchNeeded ? executeInputShape : compactExecuteInputShape).meta({ $schema: undefined }),
      outputSchema: executeOutputShape,
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async (raw: Record<string, unknown>, extra: ToolExtra): Promise<CallToolResult> => {
      // The compact schema's fields are a subset of the full one's.
      const input = raw as ExecuteInput;
      // search shows signatures in the language of the session's latest script.
      if (input.language !== undefined) language = input.language;
      // With a client that supports elicitation, approvals are asked right away, in the client.
      const elicit = elicitApprovals(server, extra);
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

  registerDirectTools(server, toolcode, sessionId, options.user);

  // Registered before `declarations`, whose `{+path}` template would match these URIs too.
  server.registerResource(
    "skills",
    new ResourceTemplate(`${RESOURCE_PREFIX}skills/{name}/{file}`, {
      list: () => ({
        resources: toolcode.skills.list().flatMap((skill) => [
          { uri: `${RESOURCE_PREFIX}skills/${skill.name}/SKILL.md`, name: `skills/${skill.name}/SKILL.md`, description: skill.description, mimeType: "text/markdown" },
          skill.language === "python"
            ? { uri: `${RESOURCE_PREFIX}skills/${skill.name}/index.py`, name: `skills/${skill.name}/index.py`, description: `Source of skill ${skill.name} (Python)`, mimeType: "text/x-python" }
            : { uri: `${RESOURCE_PREFIX}skills/${skill.name}/index.ts`, name: `skills/${skill.name}/index.ts`, description: `Source of skill ${skill.name}`, mimeType: "text/x-typescript" },
        ]),
      }),
    }),
    { title: "Saved skills (SKILL.md and TypeScript or Python source)", mimeType: "text/markdown" },
    async (uri, variables) => {
      const name = String(variables.name ?? "");
      const file = String(variables.file ?? "");
      const [text, mimeType] =
        file === "SKILL.md"
          ? [await toolcode.skills.markdown(name), "text/markdown"]
          : file === "index.ts" || file === "index.py"
            ? [toolcode.skills.get(name)?.language === (file === "index.py" ? "python" : "typescript") ? toolcode.skills.source(name) : undefined, file === "index.py" ? "text/x-python" : "text/x-typescript"]
            : [toolcode.virtualFile(`skills/${name}/${file}`), "text/plain"];
      if (text === undefined) {
        throw new Error(`No skill file skills/${name}/${file}. Skills: ${toolcode.skills.list().map((s) => s.name).join(", ") || "(none saved)"}; each has SKILL.md and index.ts with index.d.ts (a Python skill: index.py).`);
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
    // Only this process lets go: with state.redis another replica may serve the session on (a
    // client's HTTP DELETE ends it everywhere, in http-server.ts).
    void toolcode.endSession(sessionId, { local: true });
  };
  return server;
}

/** With a client that supports elicitation, approvals are asked right away, in the client. */
function elicitApprovals(server: McpServer, extra: ToolExtra): Pick<ExecuteOptions, "onApproval" | "approvalVia"> {
  if (!server.server.getClientCapabilities()?.elicitation) return {};
  return {
    approvalVia: "elicitation",
    onApproval: async (request) => {
      const answer = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message:
              request.kind === "plan"
                ? `Allow this script's write calls (${request.tool})? Asked once before it runs; calls outside the plan still ask.\nPlan: ${JSON.stringify(request.arguments, null, 2)}`
                : `Allow ${request.tool}? It needs approval: ${request.reason}.\nArguments: ${JSON.stringify(request.arguments, null, 2)}`,
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
  };
}

/** The request context the SDK hands a tool callback. */
type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Offers the tools `server.directTools` picks as ordinary MCP tools: their own names (`server__tool`),
 * descriptions and input schemas (advertised as the source declares them; the source validates).
 * Each call is an `execute` of one generated line, so the guard, approvals, PII tokens, audit and
 * output budget are the same as in a script. A call that needs an approval without elicitation
 * returns the approval id; the same call with `"approve": "<id>"` added performs it.
 */
function registerDirectTools(server: McpServer, toolcode: Toolcode, sessionId: string, user: string | undefined): void {
  for (const { name, tool } of directTools(toolcode)) {
    const schema = tool.spec.inputSchema as Record<string, unknown>;
    // A loose object that advertises the source's own JSON Schema (zod's metadata is merged into it).
    const { $schema: _ignored, ...advertised } = schema;
    // `$schema` and zod's own `additionalProperties` are dropped (undefined is not sent): the model reads the source's schema only.
    const inputSchema = z.looseObject({}).meta({ $schema: undefined, additionalProperties: undefined, ...advertised });
    const readOnly = tool.spec.annotations?.readOnlyHint === true;
    // The approval id rides along as an extra argument, under a name the tool itself does not use.
    const properties = (advertised.properties ?? {}) as Record<string, unknown>;
    const approveKey = Object.hasOwn(properties, "approve") ? "toolcode_approve" : "approve";
    server.registerTool(
      name,
      {
        ...(tool.spec.title !== undefined ? { title: tool.spec.title } : {}),
        description: `${tool.spec.description ?? tool.spec.name} (${tool.id} in execute)`,
        inputSchema,
        annotations: { ...(tool.spec.annotations ?? {}), readOnlyHint: readOnly },
      },
      async (input, extra): Promise<CallToolResult> => {
        const { [approveKey]: approve, ...args } = input as Record<string, unknown>;
        const trace = traceCarrier(extra);
        const result = await toolcode.execute(directCallCode(tool, args), {
          sessionId,
          typeCheck: "off",
          ...(typeof approve === "string" ? { approve } : {}),
          ...(trace !== undefined ? { trace } : {}),
          ...elicitApprovals(server, extra),
          ...(user !== undefined ? { user } : {}),
        });
        if (result.error === null) return { content: [{ type: "text", text: directResultText(result.result) }] };
        const text = result.approval
          ? `This call needs the user's approval (${result.approval.reason}). Ask the user; if they agree, call ${name} again with the same arguments and "${approveKey}": "${result.approval.id}".`
          : `Error ${result.error.code}: ${result.error.message}`;
        return { content: [{ type: "text", text }], isError: true };
      },
    );
  }
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
