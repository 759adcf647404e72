/**
 * Turns an MCP `CallToolResult` envelope into the plain value guest code receives.
 *
 * Guest code should see `{ temperature: 36 }`, not `{ content: [{ type: "text", text: "{…}" }] }`:
 * leaking raw envelopes into guest code is what STYLE.md warns against. The conversion is
 * faithful (nothing is dropped except presentation-only `annotations` / `_meta`) and
 * predictable (the rules below never depend on what the text "looks like" beyond valid JSON).
 *
 * @module
 */
import type { CallToolResult, ContentBlock } from "@modelcontextprotocol/sdk/types.js";
import { ToolError } from "../../errors.js";
import { jsonDepthExceeds, valueDepthExceeds } from "../../json-depth.js";

/** Nesting depth allowed in a tool result unless the caller says otherwise (`sandbox.maxJsonDepth`'s default). */
export const DEFAULT_MAX_RESULT_DEPTH = 256;

/** An image or audio item as the guest sees it; `data` stays base64. */
export interface MediaValue {
  type: "image" | "audio";
  mimeType: string;
  data: string;
}

/** An embedded resource (`type: "resource"`) as the guest sees it: `text` or base64 `blob`. */
export interface ResourceValue {
  type: "resource";
  uri: string;
  mimeType?: string;
  text?: string;
  blob?: string;
}

/** A link to a resource the server can serve (`type: "resource_link"`). */
export interface ResourceLinkValue {
  type: "resource_link";
  uri: string;
  name: string;
  title?: string;
  mimeType?: string;
  description?: string;
}

/** Text starting with one of these characters may be JSON worth parsing (objects, arrays, numbers, literals). */
const JSON_START = /^\s*[[{\-0-9tfn]/;

/** The SDK's `McpServer` reports JSON-RPC "invalid params" (argument validation) as this text prefix. */
const INVALID_PARAMS_PREFIX = /^(?:MCP error -32602: )+/;

/**
 * Parses `text` as JSON when it is a JSON object, array, number, boolean or null; otherwise
 * returns the text unchanged. A JSON string literal (`"\"hi\""`) and plain words stay text.
 * JSON nested deeper than `maxDepth` throws `SANDBOX_LIMIT` (checked by a linear scan before
 * parsing: nothing recursive ever walks a nesting bomb).
 */
export function parseTextValue(text: string, maxDepth = DEFAULT_MAX_RESULT_DEPTH): unknown {
  if (!JSON_START.test(text)) return text;
  if (jsonDepthExceeds(text, maxDepth)) throw tooDeep(maxDepth);
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "string" ? text : parsed;
  } catch {
    return text;
  }
}

function tooDeep(maxDepth: number, where?: { tool: string; server?: string }): ToolError {
  const name = where ? `${where.server === undefined ? "" : `${where.server}.`}${where.tool}` : "the tool";
  return new ToolError(
    `The result of ${name} nests deeper than ${maxDepth} levels (sandbox.maxJsonDepth), so it was refused before parsing. Ask for a flatter or smaller result (a narrower query, fewer fields), or raise sandbox.maxJsonDepth.`,
    { ...(where ?? {}), limit: "maxJsonDepth", max: maxDepth },
    "SANDBOX_LIMIT",
  );
}

/** Converts one content item to its plain value. Unknown future kinds are passed through without `annotations`/`_meta`. */
export function contentToValue(item: ContentBlock, maxDepth = DEFAULT_MAX_RESULT_DEPTH): unknown {
  switch (item.type) {
    case "text":
      return parseTextValue(item.text, maxDepth);
    case "image":
    case "audio":
      return { type: item.type, mimeType: item.mimeType, data: item.data } satisfies MediaValue;
    case "resource": {
      const resource = item.resource;
      const value: ResourceValue = { type: "resource", uri: resource.uri };
      if (resource.mimeType !== undefined) value.mimeType = resource.mimeType;
      if ("text" in resource && typeof resource.text === "string") value.text = resource.text;
      if ("blob" in resource && typeof resource.blob === "string") value.blob = resource.blob;
      return value;
    }
    case "resource_link": {
      const value: ResourceLinkValue = { type: "resource_link", uri: item.uri, name: item.name };
      if (item.title !== undefined) value.title = item.title;
      if (item.mimeType !== undefined) value.mimeType = item.mimeType;
      if (item.description !== undefined) value.description = item.description;
      return value;
    }
    default: {
      const { annotations: _annotations, _meta, ...rest } = item as Record<string, unknown>;
      return rest;
    }
  }
}

/** The message a failed call reports: its text items joined, or its structured content, or a generic line. */
function errorMessage(result: CallToolResult, toolName: string): string {
  const texts = (result.content ?? []).flatMap((item) => (item.type === "text" ? [item.text] : []));
  const text = texts.join("\n").trim();
  if (text !== "") return text;
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return `Tool ${toolName} reported an error without a message.`;
}

/**
 * Converts a tool result to the value the guest receives.
 *
 * Rules, in order:
 * 1. `isError: true` → throws `ToolError` with the server's text as the message and
 *    `{ tool, server }` details. The code is `TOOL_ERROR`, except when the text is the SDK
 *    server's JSON-RPC "invalid params" report (`MCP error -32602: …`, e.g. argument
 *    validation), which is `INVALID_ARGUMENTS` with that prefix removed.
 * 2. `structuredContent` present → that value (the `content` items are its text rendering).
 * 3. Otherwise each content item becomes a value:
 *    - text → `JSON.parse`d when it is a JSON object, array, number, boolean or null; any other
 *      text (plain words, JSON string literals, invalid JSON) stays the string as sent;
 *    - image / audio → `{ type, mimeType, data }` with `data` still base64;
 *    - embedded resource → `{ type: "resource", uri, mimeType?, text | blob }`;
 *    - resource link → `{ type: "resource_link", uri, name, title?, mimeType?, description? }`.
 * 4. No items → `null`; exactly one item → its value; several → the array of their values.
 *    Several text items are *not* concatenated: they stay an array of parsed values, so a
 *    server that returns one JSON document per item yields an array of objects.
 *
 * @param result The result as returned by the MCP client.
 * @param toolName The tool's source name, for error messages.
 * Results nested deeper than `maxDepth` (text parsed as JSON, or `structuredContent`) throw
 * `SANDBOX_LIMIT`.
 *
 * @param server The source (config key), for error details.
 */
export function toolResultToValue(result: CallToolResult, toolName: string, server?: string, maxDepth = DEFAULT_MAX_RESULT_DEPTH): unknown {
  if (result.isError === true) {
    const message = errorMessage(result, toolName);
    const details: Record<string, unknown> = server === undefined ? { tool: toolName } : { tool: toolName, server };
    if (INVALID_PARAMS_PREFIX.test(message)) {
      throw new ToolError(message.replace(INVALID_PARAMS_PREFIX, ""), details, "INVALID_ARGUMENTS");
    }
    throw new ToolError(message, details, "TOOL_ERROR");
  }
  const where = server === undefined ? { tool: toolName } : { tool: toolName, server };
  if (result.structuredContent !== undefined) {
    if (valueDepthExceeds(result.structuredContent, maxDepth)) throw tooDeep(maxDepth, where);
    return result.structuredContent;
  }
  const content = result.content ?? [];
  try {
    if (content.length === 0) return null;
    if (content.length === 1) return contentToValue(content[0] as ContentBlock, maxDepth);
    return content.map((item) => contentToValue(item, maxDepth));
  } catch (error) {
    if (error instanceof ToolError && error.code === "SANDBOX_LIMIT") throw tooDeep(maxDepth, where);
    throw error;
  }
}
