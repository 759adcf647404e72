/**
 * The virtual tree the model can browse instead of reading every declaration at once:
 *
 * - `servers/index.d.ts` — the servers, their tool counts and how to call or import them;
 * - `servers/<server>/index.d.ts` — the server's full namespace, or for servers with more than
 *   {@link MAX_NAMESPACE_TOOLS} tools an index of names and summaries ({@link renderServerFile});
 * - `servers/<server>/<tool>.d.ts` — one tool ({@link renderToolDeclaration}).
 *
 * Every file has its own render function, so a caller can list paths cheaply and render only the
 * file asked for (servers with 1,000+ tools).
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { MAX_NAMESPACE_TOOLS, renderServerFile, renderToolDeclaration, toolTypeNames } from "./declarations.js";

/** Path of the file that lists every server. */
export const SERVERS_INDEX_PATH = "servers/index.d.ts";

/** How many tool names the servers index previews per server. */
const PREVIEW = 5;

/** Groups tools by server identifier, keeping each server's tool order; servers sorted by name. */
export function groupByServer(tools: readonly CatalogTool[]): Map<string, CatalogTool[]> {
  const groups = new Map<string, CatalogTool[]>();
  for (const tool of tools) {
    const group = groups.get(tool.server);
    if (group) group.push(tool);
    else groups.set(tool.server, [tool]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `servers/<server>/index.d.ts`. */
export function serverIndexPath(server: string): string {
  return `servers/${server}/index.d.ts`;
}

/**
 * `servers/<server>/<tool>.d.ts`. A tool named `index` gets `index.tool.d.ts` so it cannot shadow
 * the server's index (a `.` never occurs in an identifier, so that name is free).
 */
export function toolFilePath(tool: CatalogTool): string {
  return `servers/${tool.server}/${tool.tool === "index" ? "index.tool" : tool.tool}.d.ts`;
}

/** Every path of the tree, sorted, without rendering anything. */
export function virtualTreePaths(tools: readonly CatalogTool[]): string[] {
  const paths = [SERVERS_INDEX_PATH];
  for (const [server, group] of groupByServer(tools)) {
    paths.push(serverIndexPath(server), ...group.map(toolFilePath));
  }
  return paths.sort();
}

/** Renders `servers/index.d.ts`: usage, then one line per server; references every server index. */
export function renderServersIndex(tools: readonly CatalogTool[]): string {
  const groups = groupByServer(tools);
  const lines = [
    "/**",
    " * Tool servers. Each server is a global namespace whose functions take one object and return a",
    " * Promise: `const r = await <server>.<tool>({ … })`, or `import { <tool> } from \"./servers/<server>\"`.",
    " * Read servers/<server>/index.d.ts for a whole server, servers/<server>/<tool>.d.ts for one tool.",
    " *",
  ];
  if (groups.size === 0) lines.push(" * (no servers connected)");
  for (const [server, group] of groups) {
    const names = group.slice(0, PREVIEW).map((t) => t.tool);
    const more = group.length > PREVIEW ? ", …" : "";
    const listing = group.length > MAX_NAMESPACE_TOOLS ? " (its index.d.ts lists names and summaries; read one tool's file for its types)" : "";
    lines.push(` * - \`${server}\` — ${group.length} tool${group.length === 1 ? "" : "s"}${listing}: ${names.join(", ")}${more}`);
  }
  lines.push(" */");
  for (const server of groups.keys()) lines.push(`/// <reference path="./${server}/index.d.ts" />`);
  return `${lines.join("\n")}\n`;
}

/** Renders one file of the tree, or returns undefined when `path` is not in it. */
export function renderVirtualFile(path: string, tools: readonly CatalogTool[]): string | undefined {
  if (path === SERVERS_INDEX_PATH) return renderServersIndex(tools);
  const match = /^servers\/([^/]+)\/([^/]+)\.d\.ts$/.exec(path);
  if (!match) return undefined;
  const group = groupByServer(tools).get(match[1]!);
  if (!group) return undefined;
  if (match[2] === "index") return renderServerFile(match[1]!, group);
  const tool = group.find((t) => toolFilePath(t) === path);
  return tool ? renderToolDeclaration(tool, group) : undefined;
}

/** Renders the whole tree: path → content, in sorted path order. */
export function buildVirtualTree(tools: readonly CatalogTool[]): Map<string, string> {
  const tree = new Map<string, string>();
  tree.set(SERVERS_INDEX_PATH, renderServersIndex(tools));
  for (const [server, group] of groupByServer(tools)) {
    tree.set(serverIndexPath(server), renderServerFile(server, group));
    const typeNames = toolTypeNames(group);
    for (const tool of group) tree.set(toolFilePath(tool), renderToolDeclaration(tool, group, { typeNames }));
  }
  return new Map([...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
