/**
 * The agent loop driven by the AI SDK's mock language model (no HTTP), against real MCP servers:
 * the event stream, bounded context, parse failures, final() misuse, abort, and the prompt text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../../src/agent/agent-events.js";
import { createAgent } from "../../src/agent/create-agent.js";
import { systemPrompt } from "../../src/agent/prompts.js";
import type { Toolcode } from "../../src/execute/create-toolcode.js";
import { mockModel, startAgentTools } from "./helpers.js";

const F = "```";
const ts = (code: string): string => `${F}ts\n${code}\n${F}`;

/** The text of every message the mock model received in call `index`. */
function promptText(model: ReturnType<typeof mockModel>, index: number): string {
  return JSON.stringify(model.doGenerateCalls[index]?.prompt ?? []);
}

describe("agent loop with the AI SDK mock model", () => {
  let toolcode: Toolcode;

  beforeAll(async () => {
    ({ toolcode } = await startAgentTools());
  });

  afterAll(async () => {
    await toolcode.close();
  });

  it("streams typed events as they happen and resolves the result", async () => {
    const model = mockModel([`Summing.\n${ts("console.log(await everything.get_sum({ a: 20, b: 22 }));")}`, ts('final({ sum: 42 })')]);
    const run = createAgent({ toolcode, model, mode: "code" }).stream("What is 20 + 22?");
    const events: AgentEvent[] = [];
    for await (const event of run) events.push(event);
    const result = await run.result;

    expect(events.map((e) => e.type)).toEqual(["start", "step", "tokens", "thoughts", "code", "output", "step", "tokens", "code", "final", "done"]);
    expect(events[0]).toMatchObject({ type: "start", mode: "code", model: "mock:scripted", maxSteps: 10 });
    expect(events.find((e) => e.type === "output")).toMatchObject({ step: 1, text: "The sum of 20 and 22 is 42.", error: null, toolCalls: 1 });
    expect(result).toMatchObject({ status: "final", value: { sum: 42 }, answer: '{\n  "sum": 42\n}', usage: { input: 200, output: 20, total: 220 } });
    expect(events.at(-1)).toEqual({ type: "done", result });
  });

  it("keeps the context bounded: older observations are shortened, recent ones verbatim", async () => {
    const long = (tag: string): string => ts(`console.log("${tag}" + "x".repeat(3000));`);
    const model = mockModel([long("first"), long("second"), long("third"), "done"]);
    const result = await createAgent({ toolcode, model, mode: "code", keepSteps: 1 }).run("Print a lot.");
    expect(result.status).toBe("final");
    const fourth = promptText(model, 3);
    expect(fourth).toContain("older output shortened");
    expect(fourth).toContain(`third${"x".repeat(2000)}`);
    expect(fourth).not.toContain(`first${"x".repeat(2000)}`);
    expect(fourth.length).toBeLessThan(promptText(model, 2).length + 1500);
  });

  it("drops the oldest steps when even shortened history exceeds maxContextTokens", async () => {
    const step = (i: number): string => ts(`console.log("step ${i} " + "y".repeat(1500));`);
    const model = mockModel([step(1), step(2), step(3), step(4), step(5), "done"]);
    const result = await createAgent({ toolcode, model, mode: "code", keepSteps: 2, maxContextTokens: 1000 }).run("Loop.");
    expect(result.status).toBe("final");
    const last = promptText(model, 5);
    expect(last).toMatch(/Steps 1–\d were dropped to keep the context small/);
    expect(last).not.toContain("step 1 y");
    expect(last).toContain(`step 5 ${"y".repeat(1500)}`);
  });

  it("ends with ACTION_PARSE_FAILED when the retry is also unusable", async () => {
    const model = mockModel(["Let me check the files:", `${F}bash\nls -la\n${F}`]);
    const events: AgentEvent[] = [];
    const result = await createAgent({ toolcode, model, mode: "code" }).run("List files.", { onEvent: (e) => events.push(e) });
    expect(result.status).toBe("error");
    expect(result.error?.code).toBe("ACTION_PARSE_FAILED");
    expect(result.steps.map((s) => s.parseProblem?.problem)).toEqual(["no-code", "not-typescript"]);
    expect(promptText(model, 1)).toContain("contained no code block");
    expect(events.filter((e) => e.type === "error").map((e) => (e as { kind: string }).kind)).toEqual(["parse", "parse"]);
  });

  it("final() without an answer is an error the model sees; final_answer() and searchTools() work", async () => {
    const model = mockModel([ts("final();"), ts('console.log(await searchTools("echo message", { detail: "names", limit: 1 }));'), ts('final_answer("echoed")')]);
    const result = await createAgent({ toolcode, model, mode: "code" }).run("Echo.");
    expect(result.status).toBe("final");
    expect(result.answer).toBe("echoed");
    expect(result.steps[0]?.error?.code).toBe("GUEST_ERROR");
    expect(result.steps[0]?.output).toContain("final(answer) needs the answer");
    expect(result.steps[1]?.output).toMatch(/^everything\.echo — /);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    const model = mockModel([ts("console.log(1)"), ts("console.log(2)"), ts("console.log(3)")]);
    const result = await createAgent({ toolcode, model, mode: "code" }).run("Count.", {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "output") controller.abort();
      },
    });
    expect(result.status).toBe("aborted");
    expect(result.steps).toHaveLength(1);
  });

  it("uses the workspace session given, and keeps it", async () => {
    const model = mockModel([ts('await workspace.write("note.txt", "kept"); final("ok")')]);
    await createAgent({ toolcode, model, mode: "code" }).run("Write.", { sessionId: "agent-test-session" });
    const read = await toolcode.execute('return await workspace.read("note.txt")', { sessionId: "agent-test-session" });
    expect(read.result).toBe("kept");
    await toolcode.endSession("agent-test-session");
  });

  it("takes its defaults from the config's agent section", () => {
    const agent = createAgent({ toolcode: { ...toolcode, config: { ...toolcode.config, agent: { mode: "structured", maxSteps: 4, model: "openai-compatible:x", baseUrl: "http://127.0.0.1:9/v1" } } } as Toolcode });
    expect(agent.mode).toBe("structured");
    expect(agent.model).toBe("openai-compatible:x");
  });

  it("prompts: the system prompt of each mode (snapshot)", () => {
    for (const mode of ["code", "structured", "tools"] as const) {
      expect(systemPrompt(mode, toolcode, { maxSteps: 10 })).toMatchSnapshot(mode);
    }
  });
});
