/**
 * `toolcode/langchain`: LangChain.js's own fake chat model (`FakeStreamingChatModel` from
 * `@langchain/core/utils/testing`, bound to the tools with `bindTools`) replies with tool calls
 * that a standard tool-calling loop runs through the toolcode tools: `search`, then `execute`,
 * against the real embedded default servers.
 */
import { AIMessage, AIMessageChunk, type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { FakeStreamingChatModel } from "@langchain/core/utils/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolcodeTools } from "../../src/adapters/langchain/index.js";
import { executeDescription, searchDescription } from "../../src/server/tool-descriptions.js";
import { type AdapterFixture, CREATE_ENTITY_SCRIPT, approvalIdIn, countMarkdownScript, startAdapterFixture } from "./helpers.js";

type Reply = { text: string } | { calls: ToolCall[] };

/** The text of every message so far (what the scripted model "reads"). */
function transcript(messages: BaseMessage[]): string {
  return messages.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join("\n");
}

/**
 * Runs the standard LangChain tool-calling loop: at each step, the fake chat model (bound to the
 * tools) replies with what `steps` computes from the transcript; every tool call of the reply is
 * run with `tool.invoke(toolCall)`, whose `ToolMessage` joins the messages.
 */
async function runLoop(tools: ReturnType<typeof toolcodeTools>, prompt: string, steps: ((transcript: string) => Reply)[]): Promise<BaseMessage[]> {
  const [search, execute] = tools;
  const messages: BaseMessage[] = [new HumanMessage(prompt)];
  for (const step of steps) {
    const reply = step(transcript(messages));
    const model = new FakeStreamingChatModel({
      responses: [new AIMessage("text" in reply ? reply.text : "")],
      chunks: "calls" in reply ? [new AIMessageChunk({ content: "", tool_calls: reply.calls })] : [],
    }).bindTools([search, execute]);
    const ai = await model.invoke(messages);
    messages.push(ai);
    for (const call of ai.tool_calls ?? []) {
      const message = call.name === "search" ? await search.invoke(call) : await execute.invoke(call);
      messages.push(message);
    }
  }
  return messages;
}

describe("toolcode/langchain", () => {
  let f: AdapterFixture;

  beforeAll(async () => {
    f = await startAdapterFixture();
  });

  afterAll(async () => {
    await f?.toolcode.close();
  });

  it("the fake chat model calls search, then execute, and reads their output", async () => {
    const messages = await runLoop(toolcodeTools(f.toolcode), "How many markdown files are in the project?", [
      () => ({ calls: [{ id: "c1", name: "search", args: { query: "list directory", detail: "names" }, type: "tool_call" }] }),
      (seen) => {
        expect(seen).toContain("filesystem.list_directory");
        return { calls: [{ id: "c2", name: "execute", args: { code: countMarkdownScript(f.dir) }, type: "tool_call" }] };
      },
      (seen) => ({ text: /(\d+) markdown files/.exec(seen)?.[0] ?? "no count" }),
    ]);
    const tools = messages.filter((m): m is ToolMessage => m instanceof ToolMessage);
    expect(tools.map((m) => m.name)).toEqual(["search", "execute"]);
    expect(tools[1]?.content).toBe("3 markdown files");
    expect(tools[1]?.artifact).toMatchObject({ logs: ["3 markdown files"], error: null });
    expect(messages.at(-1)?.content).toBe("3 markdown files");
  });

  it("the tools carry the serve descriptions and schemas", () => {
    const [search, execute] = toolcodeTools(f.toolcode).map((t) => convertToOpenAITool(t));
    expect(search?.function).toMatchObject({ name: "search", description: searchDescription(f.toolcode) });
    expect(execute?.function).toMatchObject({ name: "execute", description: executeDescription(f.toolcode) });
    expect(execute?.function.parameters).toMatchObject({ type: "object", required: ["code"] });
  });

  it("approval by id: the model asks, then resumes with approve", async () => {
    const messages = await runLoop(toolcodeTools(f.toolcode), "Remember that toolcode has adapters.", [
      () => ({ calls: [{ id: "c1", name: "execute", args: { code: CREATE_ENTITY_SCRIPT }, type: "tool_call" }] }),
      (seen) => ({ calls: [{ id: "c2", name: "execute", args: { code: CREATE_ENTITY_SCRIPT, approve: approvalIdIn(seen) }, type: "tool_call" }] }),
    ]);
    const [asked, done] = messages.filter((m): m is ToolMessage => m instanceof ToolMessage);
    expect(asked?.artifact).toMatchObject({ error: { code: "APPROVAL_REQUIRED" }, approval: { tool: "memory.create_entities" } });
    expect(done?.artifact).toMatchObject({ error: null, logs: ["created"] });
  });
});
