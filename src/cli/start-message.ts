/**
 * What `toolcode serve` says on stderr when it is ready: what it serves, what the policy lets
 * through, and how to connect a client (a config snippet with this install's absolute path).
 *
 * @module
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Toolcode } from "../execute/create-toolcode.js";

/** Absolute path of this package's bin (`dist/cli/main.js`). */
export function binPath(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), "main.js");
}

/** One line about the policy: its default, how many tools scripts see, and what it hides. */
export function policyLine(toolcode: Toolcode): string {
  const { policy } = toolcode.config;
  const hidden = toolcode.hidden.summary();
  return `policy ${policy.default}: ${toolcode.catalog.tools().length} of ${toolcode.catalog.tools().length + toolcode.hidden.count} tools callable${hidden !== undefined ? `; ${hidden}` : ""}`;
}

/** How the serve process was started, for the client snippet. */
export interface ServeShape {
  /** The HTTP endpoint, or undefined for stdio. */
  url?: string;
  /** `--config` as given (made absolute in the snippet). */
  config?: string;
  /** `--root` directories (made absolute in the snippet). */
  roots?: readonly string[];
  /** The web console's address, when it is on. */
  consoleUrl?: string;
}

/** The start message: ready line, notices, policy, and a client config snippet. */
export function startMessage(toolcode: Toolcode, shape: ServeShape): string {
  const servers = toolcode.catalog.serverIds().join(", ") || "no servers";
  const lines = [
    shape.url !== undefined
      ? `toolcode: MCP over streamable HTTP at ${shape.url} (${toolcode.catalog.tools().length} tools from ${servers})`
      : `toolcode: MCP over stdio (${toolcode.catalog.tools().length} tools from ${servers})`,
    ...(shape.consoleUrl !== undefined ? [`toolcode: console at ${shape.consoleUrl}${toolcode.config.auth.users && Object.keys(toolcode.config.auth.users).length > 0 ? " (sign in with your bearer token)" : ""}`] : []),
    ...toolcode.notices.map((notice) => `toolcode: ${notice}`),
    `toolcode: ${policyLine(toolcode)}`,
  ];
  const args = [binPath(), "serve"];
  if (shape.config !== undefined) args.push("--config", path.resolve(shape.config));
  for (const root of shape.roots ?? []) args.push("--root", path.isAbsolute(root) ? root : path.resolve(root));
  const stdio = { command: process.execPath, args };
  const entry = shape.url !== undefined ? { url: shape.url } : stdio;
  lines.push(
    `toolcode: connect a client (claude_desktop_config.json, .cursor/mcp.json: "mcpServers"; VS Code .vscode/mcp.json: "servers"):`,
    JSON.stringify({ mcpServers: { toolcode: entry } }),
  );
  if (shape.url !== undefined) lines.push(`toolcode: or over stdio: ${JSON.stringify({ mcpServers: { toolcode: stdio } })}`);
  return `${lines.join("\n")}\n`;
}
