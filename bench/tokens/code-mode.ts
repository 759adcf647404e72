/**
 * The code-mode side: a real toolcode instance served by its real MCP server, reached by an SDK
 * client over an in-memory linked transport pair, exactly as an MCP client sees it: the two tool
 * definitions from `tools/list`, the server's instructions, and the text of each `search` and
 * `execute` result.
 *
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import type { ToolSource } from "../../src/sources/tool-source.js";
import { mcpResultText, mcpToolDefinition } from "./classic.js";
import { type FunctionDefinition, Trajectory } from "./trajectory.js";

/** Removes the common leading indentation and surrounding blank lines of a template literal. */
export function dedent(text: string): string {
  const lines = text.replace(/^\s*\n/, "").replace(/\n\s*$/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return lines.map((l) => l.slice(indent)).join("\n");
}

/**
 * Which surface the sessions started next offer: `code` (search + execute only) or `hybrid`
 * (`server.directTools: "auto"`: small sources' tools offered directly beside them).
 */
export type Surface = "code" | "hybrid";
let surface: Surface = "code";

/** Sets the surface of the sessions started from now on. */
export function useSurface(next: Surface): void {
  surface = next;
}

/** A running toolcode behind its MCP server, with a connected client. */
export class CodeModeSession {
  private constructor(
    readonly toolcode: Toolcode,
    private readonly client: Client,
    readonly definitions: readonly FunctionDefinition[],
    readonly instructions: string,
    readonly surface: Surface,
  ) {}

  /** Starts toolcode with `mcpServers` (and extra `sources`) and connects a client to it. */
  static async start(mcpServers: NonNullable<ConfigInput["mcpServers"]>, sources: ToolSource[] = []): Promise<CodeModeSession> {
    // The benchmark's tasks write files and graph entities; a guarded default would stop them.
    const toolcode = await createToolcode({
      config: { mcpServers, policy: { default: "allow-all", approveDestructive: false }, server: { directTools: surface === "hybrid" ? "auto" : "off" } },
      sources,
    });
    if (toolcode.failures.length > 0) {
      await toolcode.close();
      throw new Error(`toolcode could not connect: ${toolcode.failures.map((f) => `${f.name}: ${f.error.message}`).join("; ")}`);
    }
    const server = createMcpServer(toolcode);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: "token-bench-code", version: "1.0.0" });
    await client.connect(clientTransport);
    const { tools } = await client.listTools();
    return new CodeModeSession(toolcode, client, tools.map(mcpToolDefinition), client.getInstructions() ?? "", surface);
  }

  /** Whether the client lists a tool of this name (a direct tool under the hybrid surface). */
  offers(name: string): boolean {
    return this.definitions.some((definition) => definition.name === name);
  }

  /** Calls `search`, `execute` or a direct tool as the model would; throws when the tool reports an error. */
  async call(name: string, args: Record<string, unknown>): Promise<string> {
    const result = await this.client.callTool({ name, arguments: args });
    const text = mcpResultText(result);
    if (result.isError === true) throw new Error(`code mode ${name} failed: ${text}`);
    return text;
  }

  /** A new conversation against this session. */
  run(task: string): CodeModeRun {
    return new CodeModeRun(this, task);
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.toolcode.close();
  }
}

/** One code-mode conversation: `search` calls, `execute` calls, the final answer. */
export class CodeModeRun {
  readonly trajectory: Trajectory;

  constructor(
    private readonly session: CodeModeSession,
    task: string,
  ) {
    this.trajectory = new Trajectory(session.surface, session.instructions, session.definitions, task);
  }

  /** The model calls `search(args)`; `mustFind` are tool ids the results have to show (else the model could not write its script). */
  async search(args: { query: string; detail?: "names" | "signatures" | "full"; limit?: number; server?: string }, mustFind: string[] = []): Promise<string> {
    this.trajectory.call("search", args);
    const text = await this.session.call("search", args);
    this.trajectory.result("search", text);
    for (const id of mustFind) {
      if (!text.includes(`${id}(`) && !text.includes(`function ${id.split(".").at(-1) ?? id}(`)) {
        throw new Error(`search ${JSON.stringify(args.query)} does not show ${id}; the script could not be written from it:\n${text}`);
      }
    }
    return text;
  }

  /** The model calls `execute` with `code` (dedented as a model would write it); returns the output text. */
  async execute(code: string): Promise<string> {
    const args = { code: dedent(code) };
    this.trajectory.call("execute", args);
    const text = await this.session.call("execute", args);
    this.trajectory.result("execute", text);
    return text;
  }

  /** The model calls a tool the hybrid surface offers directly (`server__tool`); returns its result text. */
  async direct(name: string, args: Record<string, unknown>): Promise<string> {
    this.trajectory.call(name, args);
    const text = await this.session.call(name, args);
    this.trajectory.result(name, text);
    return text;
  }

  /** The model's final answer. */
  answer(text: string): Trajectory {
    return this.trajectory.answer(text);
  }
}
