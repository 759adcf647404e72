/**
 * `toolcode/openai-agents`: an OpenAI Agents SDK `Agent` with the toolcode tools, run by the
 * SDK's own `run()` with a scripted `Model` (the SDK's plug point for models; it ships no fake),
 * calls `search`, then `execute`, against the real embedded default servers; resuming an
 * approval goes through the SDK's human-in-the-loop interruption.
 */
import { Agent, type AgentInputItem, type Model, type ModelRequest, type ModelResponse, Usage, run, setTracingDisabled } from "@openai/agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolcodeTools } from "../../src/adapters/openai-agents/index.js";
import { executeDescription, searchDescription } from "../../src/server/tool-descriptions.js";
import { storedGraph } from "../guard/helpers.js";
import { type AdapterFixture, CREATE_ENTITY_SCRIPT, approvalIdIn, countMarkdownScript, startAdapterFixture } from "./helpers.js";

setTracingDisabled(true); // no trace export: nothing leaves the machine

type Step = (input: string) => { text: string } | { tool: string; input: unknown };

/** A model whose reply at each step is computed from the input items it received (as JSON text). */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  #index = 0;

  constructor(private readonly steps: Step[]) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const step = this.steps[this.#index++];
    if (!step) throw new Error(`scripted model: no step ${this.#index}`);
    const reply = step(JSON.stringify(request.input));
    const output: AgentInputItem[] =
      "text" in reply
        ? [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: reply.text }] }]
        : [{ type: "function_call", callId: `call-${this.#index}`, name: reply.tool, arguments: JSON.stringify(reply.input), status: "completed" }];
    return { usage: new Usage(), output: output as ModelResponse["output"] };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("not used: the tests run without streaming");
  }
}

describe("toolcode/openai-agents", () => {
  let f: AdapterFixture;

  beforeAll(async () => {
    f = await startAdapterFixture();
  });

  afterAll(async () => {
    await f?.toolcode.close();
  });

  it("run() calls search, then execute, and the model reads their output", async () => {
    const model = new ScriptedModel([
      () => ({ tool: "search", input: { query: "list directory", detail: "names", limit: null, server: null } }),
      (input) => {
        expect(input).toContain("filesystem.list_directory");
        return { tool: "execute", input: { code: countMarkdownScript(f.dir), language: null, timeoutMs: null, maxTokens: null, approve: null, typeCheck: null, retryOf: null } };
      },
      (input) => ({ text: /(\d+) markdown files/.exec(input)?.[0] ?? "no count" }),
    ]);
    const agent = new Agent({ name: "coder", instructions: "Use search, then execute.", model, tools: toolcodeTools(f.toolcode) });
    const result = await run(agent, "How many markdown files are in the project?");
    expect(result.finalOutput).toBe("3 markdown files");
    const calls = result.newItems.filter((item) => item.type === "tool_call_item").map((item) => (item.rawItem as { name: string }).name);
    expect(calls).toEqual(["search", "execute"]);
    const offered = model.requests[0]?.tools ?? [];
    expect(offered.map((t) => t.name)).toEqual(["search", "execute"]);
    const byName = Object.fromEntries(offered.map((t) => [t.name, t as { description: string; parameters: { required?: string[] }; strict: boolean }]));
    expect(byName.search?.description).toBe(searchDescription(f.toolcode));
    expect(byName.execute?.description).toBe(executeDescription(f.toolcode));
    // Strict schemas: every field required, optional ones nullable.
    expect(byName.execute?.strict).toBe(true);
    expect(byName.execute?.parameters.required?.sort()).toEqual(["approve", "code", "language", "maxTokens", "retryOf", "timeoutMs", "typeCheck"]);
  });

  it("a run that needs approval stops with an interruption and resumes once approved", async () => {
    let approvalId: string | undefined;
    const model = new ScriptedModel([
      () => ({ tool: "execute", input: { code: CREATE_ENTITY_SCRIPT, language: null, timeoutMs: null, maxTokens: null, approve: null, typeCheck: null, retryOf: null } }),
      (input) => {
        expect(input).toContain("APPROVAL_REQUIRED");
        approvalId = approvalIdIn(input);
        return { tool: "execute", input: { code: CREATE_ENTITY_SCRIPT, language: null, timeoutMs: null, maxTokens: null, approve: approvalId, typeCheck: null, retryOf: null } };
      },
      (input) => ({ text: input.includes("created") ? "Created the entity." : "Something went wrong." }),
    ]);
    const agent = new Agent({ name: "coder", instructions: "Use execute.", model, tools: toolcodeTools(f.toolcode) });
    const first = await run(agent, "Remember that toolcode has adapters.");
    expect(first.interruptions).toHaveLength(1);
    const interruption = first.interruptions[0];
    expect(interruption?.name).toBe("execute");
    expect(JSON.parse(interruption?.arguments ?? "{}")).toMatchObject({ approve: approvalId });
    expect(storedGraph(f.memoryFile).entities).toEqual([]);
    if (interruption) first.state.approve(interruption);
    const second = await run(agent, first.state);
    expect(second.finalOutput).toBe("Created the entity.");
    expect(storedGraph(f.memoryFile).entities.map((e) => e.name)).toEqual(["toolcode"]);
  });
});
