/**
 * Direct tools: the hybrid surface of `toolcode serve` (`server.directTools`). Sources whose
 * classic tool definitions are small are also offered to the client as ordinary MCP tools beside
 * `search` + `execute`, so a one-call task costs what classic function calling costs, while bulk
 * work still goes through `execute`.
 *
 * A direct call is an `execute` of one generated line (`return await server["tool"](args)`), so
 * the policy, approvals (and their journal), PII tokens, audit, output budget and per-tenant
 * limits apply exactly as they do to a script; the client's arguments become a JSON literal and
 * never code.
 *
 * `auto` picks every source whose tools' classic definitions (name, description, input schema
 * as JSON) come to at most `server.directToolsMaxTokens` tokens, estimated as characters ÷ 4;
 * a list of `server.tool` globs picks those tools; `off` (the default) offers none.
 *
 * @module
 */
import type { Toolcode } from "../execute/create-toolcode.js";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { GlobList } from "../guard/glob.js";
import { Policy } from "../guard/policy.js";

/** Estimated tokens of a text: characters ÷ 4 (close to o200k_base on JSON schemas and English). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** One tool offered directly. */
export interface DirectTool {
  /** Its MCP name: `<server>__<tool>` (letters, digits, `_` and `-`; at most 64 characters). */
  name: string;
  tool: CatalogTool;
}

/** The classic definition of a tool (what a client would put in the model's context). */
export function classicDefinition(tool: CatalogTool): string {
  return JSON.stringify({ name: tool.spec.name, description: tool.spec.description ?? "", parameters: tool.spec.inputSchema });
}

const chosen = new WeakMap<Toolcode, readonly DirectTool[]>();

/**
 * The tools `toolcode` offers directly under its config (computed once per instance: the catalog
 * is fixed once sources are connected). Denied and hidden tools are never offered.
 */
export function directTools(toolcode: Toolcode): readonly DirectTool[] {
  const cached = chosen.get(toolcode);
  if (cached !== undefined) return cached;
  const setting = toolcode.config.serve?.directTools ?? toolcode.config.server.directTools;
  const maxTokens = toolcode.config.serve?.directToolsMaxTokens ?? toolcode.config.server.directToolsMaxTokens;
  const policy = new Policy(toolcode.config.policy);
  const visible = toolcode.catalog.tools().filter((tool) => policy.decide(tool).action !== "deny");
  let picked: CatalogTool[] = [];
  if (setting === "auto") {
    const perServer = new Map<string, CatalogTool[]>();
    for (const tool of visible) perServer.set(tool.server, [...(perServer.get(tool.server) ?? []), tool]);
    for (const tools of perServer.values()) {
      const tokens = tools.reduce((sum, tool) => sum + estimateTokens(classicDefinition(tool)), 0);
      if (tokens <= maxTokens) picked.push(...tools);
    }
  } else if (Array.isArray(setting)) {
    const globs = new GlobList(setting);
    picked = visible.filter((tool) => globs.test(tool.id));
  }
  const used = new Set(["search", "execute"]);
  const result: DirectTool[] = [];
  for (const tool of picked) {
    const name = mcpName(tool, used);
    used.add(name);
    result.push({ name, tool });
  }
  chosen.set(toolcode, result);
  return result;
}

/** `<server>__<tool>`, cut to 64 characters, made unique with a number when two collide. */
function mcpName(tool: CatalogTool, used: ReadonlySet<string>): string {
  const base = `${tool.server}__${tool.tool}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base.slice(0, 64 - String(n).length - 1)}_${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** The one-line script a direct call runs: the arguments as a JSON literal, never as code. */
export function directCallCode(tool: CatalogTool, args: Record<string, unknown>): string {
  // JSON is a JavaScript expression; U+2028/2029 are valid in string literals since ES2019.
  return `return await ${tool.server}[${JSON.stringify(tool.tool)}](${JSON.stringify(args)});`;
}

/**
 * What the client reads of a direct call's value: a string as it is, anything else as compact
 * JSON (already cut to the output budget by `execute`).
 */
export function directResultText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value);
}
