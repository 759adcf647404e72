/**
 * The classic function-calling side: real servers whose every tool definition is in context,
 * and a driver that makes one real call per model turn and records the full result text.
 *
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { ToolSource } from "../../src/sources/tool-source.js";
import { type FunctionDefinition, type JsonSchema, Trajectory } from "./trajectory.js";

/** A stdio MCP server command, as in a `mcpServers` config entry. */
export interface ServerCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Something that offers tools to a classic agent: definitions in, result text out. */
export interface ClassicProvider {
  /** The server's `instructions` (put in the system prompt by MCP clients), or "". */
  readonly instructions: string;
  readonly definitions: readonly FunctionDefinition[];
  /** Calls a tool and returns the text a client puts into the model's context. */
  call(name: string, args: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** An MCP tool (from `tools/list`) as a function-calling definition. */
export function mcpToolDefinition(tool: { name: string; description?: string | undefined; inputSchema: JsonSchema }): FunctionDefinition {
  return { name: tool.name, description: tool.description ?? "", parameters: tool.inputSchema };
}

/**
 * The text of an MCP `tools/call` result as a classic client puts it in context: the `text`
 * content items, joined by newlines (non-text items as their JSON). `structuredContent` is not
 * added when text content is present (servers duplicate it there); it is used, as JSON, only
 * when the result has no content.
 */
export function mcpResultText(raw: object): string {
  const result = raw as { content?: unknown; structuredContent?: unknown };
  const content = Array.isArray(result.content) ? (result.content as { type?: string; text?: string }[]) : [];
  if (content.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return content.map((item) => (item.type === "text" && typeof item.text === "string" ? item.text : JSON.stringify(item))).join("\n");
}

/** A real MCP server over stdio, called through the SDK client. */
export class McpProvider implements ClassicProvider {
  private constructor(
    readonly name: string,
    private readonly client: Client,
    readonly definitions: readonly FunctionDefinition[],
    readonly instructions: string,
  ) {}

  static async connect(name: string, server: ServerCommand): Promise<McpProvider> {
    const client = new Client({ name: "token-bench-classic", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: server.command, args: server.args, env: { ...inheritedEnv(), ...server.env }, stderr: "ignore" }),
    );
    const { tools } = await client.listTools();
    return new McpProvider(name, client, tools.map(mcpToolDefinition), client.getInstructions() ?? "");
  }

  async call(name: string, args: Record<string, unknown>): Promise<string> {
    const result = await this.client.callTool({ name, arguments: args });
    const text = mcpResultText(result);
    if (result.isError === true) throw new Error(`${this.name}.${name} failed: ${text}`);
    return text;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** PATH and HOME only: servers do not need the rest of the bench's environment. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "TZ"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/**
 * A {@link ToolSource} (e.g. toolcode's OpenAPI source) behind explicit classic definitions.
 * `toSourceName` maps a definition name back to the source's tool name. Results are rendered as
 * 2-space-indented JSON, the way api.github.com sends its bodies.
 */
export class SourceProvider implements ClassicProvider {
  readonly instructions = "";

  constructor(
    private readonly source: ToolSource,
    readonly definitions: readonly FunctionDefinition[],
    private readonly toSourceName: (name: string) => string,
  ) {}

  async call(name: string, args: Record<string, unknown>): Promise<string> {
    const value = await this.source.callTool(this.toSourceName(name), args);
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

/**
 * One classic conversation: every definition of `providers` in context, one tool call per
 * model turn, each result returned in full.
 */
export class ClassicRun {
  readonly trajectory: Trajectory;
  private readonly owner = new Map<string, ClassicProvider>();

  constructor(providers: readonly ClassicProvider[], task: string) {
    for (const provider of providers) {
      for (const definition of provider.definitions) {
        if (this.owner.has(definition.name)) throw new Error(`two providers define tool "${definition.name}"`);
        this.owner.set(definition.name, provider);
      }
    }
    const system = providers.map((p) => p.instructions).filter((text) => text !== "").join("\n\n");
    this.trajectory = new Trajectory("classic", system, providers.flatMap((p) => p.definitions), task);
  }

  /** The model calls `name(args)`; the real result text is recorded and returned. */
  async call(name: string, args: Record<string, unknown>): Promise<string> {
    const provider = this.owner.get(name);
    if (!provider) throw new Error(`classic run: no tool "${name}" in context`);
    this.trajectory.call(name, args);
    const text = await provider.call(name, args);
    this.trajectory.result(name, text);
    return text;
  }

  /** The model's final answer. */
  answer(text: string): Trajectory {
    return this.trajectory.answer(text);
  }
}
