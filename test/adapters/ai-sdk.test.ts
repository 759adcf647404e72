/**
 * `toolcode/ai-sdk`: the AI SDK's own `MockLanguageModelV3` drives `generateText` to call
 * `search`, then `execute`, against the real embedded default servers; the tools carry the
 * `serve` descriptions; resuming an approval goes through the AI SDK's tool approval.
 */
import { type LanguageModelV3CallOptions, type LanguageModelV3GenerateResult } from "@ai-sdk/provider";
import { type ModelMessage, generateText, stepCountIs } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProgressUpdate, toolcodeTools } from "../../src/adapters/ai-sdk/index.js";
import { executeDescription, searchDescription } from "../../src/server/tool-descriptions.js";
import { storedGraph } from "../guard/helpers.js";
import { type AdapterFixture, CREATE_ENTITY_SCRIPT, approvalIdIn, countMarkdownScript, startAdapterFixture } from "./helpers.js";

type Step = (prompt: string) => { text: string } | { tool: string; input: unknown };

/** A mock model whose reply at each step is computed from the prompt it received (as JSON text). */
function scripted(steps: Step[]): MockLanguageModelV3 {
  let index = 0;
  return new MockLanguageModelV3({
    doGenerate: async (options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> => {
      const step = steps[index++];
      if (!step) throw new Error(`mock model: no step ${index}`);
      const reply = step(JSON.stringify(options.prompt));
      return {
        content: "text" in reply ? [{ type: "text", text: reply.text }] : [{ type: "tool-call", toolCallId: `call-${index}`, toolName: reply.tool, input: JSON.stringify(reply.input) }],
        finishReason: { unified: "text" in reply ? "stop" : "tool-calls", raw: undefined },
        usage: { inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 5, text: 5, reasoning: undefined } },
        warnings: [],
      };
    },
  });
}

describe("toolcode/ai-sdk", () => {
  let f: AdapterFixture;

  beforeAll(async () => {
    f = await startAdapterFixture();
  });

  afterAll(async () => {
    await f?.toolcode.close();
  });

  it("generateText calls search, then execute, and the model reads their output", async () => {
    const model = scripted([
      () => ({ tool: "search", input: { query: "list directory", detail: "names" } }),
      (prompt) => {
        expect(prompt).toContain("filesystem.list_directory");
        return { tool: "execute", input: { code: countMarkdownScript(f.dir) } };
      },
      (prompt) => ({ text: /(\d+) markdown files/.exec(prompt)?.[0] ?? "no count" }),
    ]);
    const progress: ProgressUpdate[] = [];
    const tools = toolcodeTools(f.toolcode, { onProgress: (update) => progress.push(update) });
    const result = await generateText({ model, tools, stopWhen: stepCountIs(5), prompt: "How many markdown files are in the project?" });
    // onProgress heard the script's tool call, as MCP progress would.
    // (A heartbeat may come first when the machine is busy.)
    expect(progress.map((u) => u.message)).toContainEqual(expect.stringMatching(/1 tool call, last filesystem\.list_directory/));
    expect(progress.every((u) => u.total === f.toolcode.config.sandbox.timeoutMs)).toBe(true);
    expect(result.text).toBe("3 markdown files");
    expect(result.steps.flatMap((s) => s.toolCalls.map((c) => c.toolName))).toEqual(["search", "execute"]);
    const executed = result.steps[1]?.toolResults[0]?.output as { text: string; logs: string[]; error: unknown };
    expect(executed).toMatchObject({ logs: ["3 markdown files"], error: null, text: "3 markdown files" });
    // The model was offered the two tools with the serve descriptions.
    const offered = model.doGenerateCalls[0]?.tools ?? [];
    expect(offered.map((t) => t.name)).toEqual(["search", "execute"]);
    const byName = Object.fromEntries(offered.map((t) => [t.name, t]));
    expect(byName.search).toMatchObject({ type: "function", description: searchDescription(f.toolcode) });
    expect(byName.execute).toMatchObject({ type: "function", description: executeDescription(f.toolcode) });
    expect(JSON.stringify(byName.execute)).toContain('"code"');
  });

  it("a run that needs approval resumes only after the AI SDK's tool approval", async () => {
    let approvalId: string | undefined;
    const model = scripted([
      () => ({ tool: "execute", input: { code: CREATE_ENTITY_SCRIPT } }),
      (prompt) => {
        expect(prompt).toContain("APPROVAL_REQUIRED");
        approvalId = approvalIdIn(prompt);
        return { tool: "execute", input: { code: CREATE_ENTITY_SCRIPT, approve: approvalId } };
      },
      (prompt) => ({ text: prompt.includes("created") ? "Created the entity." : "Something went wrong." }),
    ]);
    const tools = toolcodeTools(f.toolcode);
    const messages: ModelMessage[] = [{ role: "user", content: "Remember that toolcode has adapters." }];
    const first = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
    const request = first.content.find((part) => part.type === "tool-approval-request");
    expect(request).toBeDefined();
    expect(request?.toolCall.input).toMatchObject({ approve: approvalId });
    expect(storedGraph(f.memoryFile).entities).toEqual([]); // nothing ran before the user said yes
    const pending = await f.toolcode.pendingApprovals({ sessionId: undefined });
    expect(pending).toEqual([]); // the pending approval lives in the tool set's own session, not the default one

    messages.push(...first.response.messages, { role: "tool", content: [{ type: "tool-approval-response", approvalId: request?.approvalId ?? "", approved: true }] });
    const second = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
    expect(second.text).toBe("Created the entity.");
    expect(storedGraph(f.memoryFile).entities.map((e) => e.name)).toEqual(["toolcode"]);
  });

  it("a denied approval never runs the call", async () => {
    const sessionId = "ai-sdk-denied";
    const model = scripted([
      () => ({ tool: "execute", input: { code: CREATE_ENTITY_SCRIPT.replace('"toolcode"', '"never"') } }),
      (prompt) => ({ tool: "execute", input: { code: CREATE_ENTITY_SCRIPT.replace('"toolcode"', '"never"'), approve: approvalIdIn(prompt) } }),
      () => ({ text: "The user said no." }),
    ]);
    const tools = toolcodeTools(f.toolcode, { sessionId });
    const messages: ModelMessage[] = [{ role: "user", content: "Add an entity." }];
    const first = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
    const request = first.content.find((part) => part.type === "tool-approval-request");
    expect((await f.toolcode.pendingApprovals({ sessionId })).map((a) => a.tool)).toEqual(["memory.create_entities"]);
    messages.push(...first.response.messages, { role: "tool", content: [{ type: "tool-approval-response", approvalId: request?.approvalId ?? "", approved: false }] });
    const second = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
    expect(second.text).toBe("The user said no.");
    expect(storedGraph(f.memoryFile).entities.map((e) => e.name)).not.toContain("never");
  });
});
