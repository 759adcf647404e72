/**
 * Full agent runs over real HTTP: a scripted OpenAI-compatible server on 127.0.0.1 plays the
 * model (through the real @ai-sdk/openai-compatible provider), real MCP servers do the work.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../../src/agent/agent-events.js";
import { createAgent } from "../../src/agent/create-agent.js";
import type { Toolcode } from "../../src/execute/create-toolcode.js";
import { PEOPLE, startAgentTools } from "./helpers.js";
import { type ScriptedServer, lastObservation, startScriptedServer, textOf } from "./scripted-model-server.js";

const F = "```";
const ts = (code: string, thought = ""): string => `${thought ? `${thought}\n\n` : ""}${F}ts\n${code}\n${F}`;

describe("agent loop over a scripted OpenAI-compatible server and real MCP servers", () => {
  let toolcode: Toolcode;
  let data: string;
  const servers: ScriptedServer[] = [];

  const scripted = async (script: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> => {
    const server = await startScriptedServer(script);
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    ({ toolcode, data } = await startAgentTools());
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await toolcode.close();
  });

  it("completes a multi-step task: search, then tools with data kept in the workspace, then final()", async () => {
    const server = await scripted([
      { content: ts('console.log(await searchTools("list files in a directory", { limit: 3 }));', "I need the tool that lists a directory.") },
      {
        content: ts(
          [
            `const { content } = await files.list_directory({ path: ${JSON.stringify(data)} });`,
            'const md = content.split("\\n").filter((l) => l.startsWith("[FILE]") && l.endsWith(".md"));',
            'await workspace.write("md.json", md.length);',
            "console.log(`${md.length} markdown files`);",
          ].join("\n"),
          "Count the markdown files and keep the count.",
        ),
      },
      {
        content: ts(
          ['const count = await workspace.read("md.json");', "const sum = await everything.get_sum({ a: count, b: 10 });", "return final(`${count} markdown files; ${sum}`);"].join("\n"),
        ),
      },
    ]);
    const events: AgentEvent[] = [];
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted-coder", baseUrl: server.baseUrl, mode: "code" });
    const result = await agent.run("How many markdown files are in the data directory? Add 10 to that count with the sum tool.", { onEvent: (e) => events.push(e) });

    expect(result.status).toBe("final");
    expect(result.answer).toBe("3 markdown files; The sum of 3 and 10 is 13.");
    expect(result.steps).toHaveLength(3);
    expect(result.steps.map((s) => s.error ?? null)).toEqual([null, null, null]);
    // What the model was told: the search results, then the count, each in the next request.
    expect(server.requests).toHaveLength(3);
    const system = textOf(server.requests[0]?.messages[0]);
    expect(server.requests[0]?.messages[0]?.role).toBe("system");
    expect(system).toContain("files: ");
    expect(system).toContain("searchTools");
    expect(system).toContain("final(answer)");
    expect(lastObservation(server.requests[1]!)).toContain("files.list_directory(");
    expect(lastObservation(server.requests[2]!)).toContain("3 markdown files");
    // Token usage per step, as the server reported it, and the total.
    expect(result.steps.every((s) => s.usage.input > 0 && s.usage.output > 0)).toBe(true);
    expect(result.usage.total).toBe(result.steps.reduce((n, s) => n + s.usage.input + s.usage.output, 0));
    expect(result.usage.input).toBe(result.steps.reduce((n, s) => n + s.usage.input, 0));
    // The event stream, in order.
    const kinds = events.map((e) => e.type);
    expect(kinds[0]).toBe("start");
    expect(kinds.at(-1)).toBe("done");
    expect(kinds.filter((k) => k === "step")).toHaveLength(3);
    expect(kinds.indexOf("tokens")).toBeLessThan(kinds.indexOf("code"));
    expect(kinds.indexOf("code")).toBeLessThan(kinds.indexOf("output"));
    expect(events.find((e) => e.type === "thoughts")).toMatchObject({ step: 1, text: "I need the tool that lists a directory." });
    expect(events.find((e) => e.type === "final")).toMatchObject({ step: 3, answer: result.answer });
  });

  it("recovers from a malformed reply: one targeted retry, then unfenced code, then a plain-text answer", async () => {
    const server = await scripted([
      { content: `${F}python\ngraph = memory.read_graph()\nprint(len([e for e in graph["entities"] if e["entityType"] == "person"]))\n${F}` },
      { content: 'Sorry, in TypeScript:\n\nconst g = await memory.read_graph();\nconsole.log(g.entities.filter((e) => e.entityType === "person").map((e) => e.name).join(", "));' },
      { content: `There are ${PEOPLE.length} people: ${PEOPLE.join(", ")}.` },
    ]);
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, mode: "code" });
    const result = await agent.run("Who are the people in the knowledge graph?");

    expect(result.status).toBe("final");
    expect(result.answer).toBe(`There are 3 people: ${PEOPLE.join(", ")}.`);
    expect(result.steps[0]?.parseProblem).toMatchObject({ problem: "not-typescript" });
    const retry = lastObservation(server.requests[1]!);
    expect(retry).toContain("Python");
    expect(retry).toContain("runs only TypeScript");
    expect(result.steps[1]?.recovered).toEqual(expect.arrayContaining(["unfenced", "prose-around-code"]));
    expect(result.steps[1]?.output).toBe(PEOPLE.join(", "));
    expect(lastObservation(server.requests[2]!)).toContain(PEOPLE.join(", "));
  });

  it("feeds a tool error back with what to fix, and the model recovers", async () => {
    const missing = path.join(data, "missing.md");
    const server = await scripted([
      { content: ts(`const t = await files.read_text_file({ path: ${JSON.stringify(missing)} });\nconsole.log(t);`) },
      { content: ts(`const t = await files.read_text_file({ path: ${JSON.stringify(path.join(data, "a.md"))} });\nconsole.log(JSON.stringify(t));`) },
      { content: ts('return final("a.md starts with # A")') },
    ]);
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, mode: "code" });
    const result = await agent.run("Read missing.md, or a.md if that does not exist, and tell me its first line.");

    expect(result.status).toBe("final");
    expect(result.answer).toBe("a.md starts with # A");
    expect(result.steps[0]?.error?.code).toMatch(/TOOL_ERROR|GUEST_ERROR/);
    const told = lastObservation(server.requests[1]!);
    expect(told).toContain("Step 1 failed.");
    expect(told).toMatch(/ENOENT|no such file|not found/i);
    expect(told).toMatch(/fix the arguments|Fix the code/);
    expect(result.steps[1]?.error).toBeNull();
    expect(result.steps[1]?.output).toContain("# A");
  });

  it("stops at the step limit, warning the model before its last step", async () => {
    const server = await scripted(() => ({ content: ts("console.log(await everything.echo({ message: 'still working' }));") }));
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, mode: "code", maxSteps: 3 });
    const result = await agent.run("Echo forever.");

    expect(result.status).toBe("max_steps");
    expect(result.answer).toBeUndefined();
    expect(result.steps).toHaveLength(3);
    expect(server.requests).toHaveLength(3);
    expect(lastObservation(server.requests[1]!)).toContain("(2 steps left)");
    expect(lastObservation(server.requests[2]!)).toContain("Your next step is the last one");
  });

  it("function-calling mode: every tool as a function, results (and errors) as tool messages, a plain-text answer ends it", async () => {
    const server = await scripted([
      {
        content: "Listing and adding.",
        toolCalls: [
          { name: "files__list_directory", arguments: { path: data } },
          { name: "everything__get_sum", arguments: { a: 3, b: 10 } },
        ],
      },
      { toolCalls: [{ name: "everything__get_sum", arguments: { a: "three", b: 10 } }, { name: "nope__missing", arguments: {} }] },
      { content: "There are 3 markdown files; 3 + 10 = 13." },
    ]);
    const events: AgentEvent[] = [];
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, mode: "tools" });
    const result = await agent.run("Count the markdown files and add 10.", { onEvent: (e) => events.push(e) });

    expect(result.mode).toBe("tools");
    expect(result.status).toBe("final");
    expect(result.answer).toBe("There are 3 markdown files; 3 + 10 = 13.");
    const offered = server.requests[0]?.tools?.map((t) => t.function.name) ?? [];
    expect(offered).toEqual(expect.arrayContaining(["files__list_directory", "everything__get_sum", "memory__read_graph"]));
    expect(offered).toHaveLength(toolcode.catalog.tools().length);
    const toolMessages = server.requests[1]?.messages.filter((m) => m.role === "tool") ?? [];
    expect(toolMessages.map(textOf).join("\n")).toContain("a.md");
    expect(toolMessages.map(textOf).join("\n")).toContain("The sum of 3 and 10 is 13.");
    const errors = server.requests[2]?.messages.filter((m) => m.role === "tool").slice(-2).map(textOf) ?? [];
    // The type-check stops the wrong argument before the call once its worker is warm; before, the server refuses it.
    expect(errors[0]).toMatch(/^Error (INVALID_ARGUMENTS|TOOL_ERROR|GUEST_TYPE_ERROR)/);
    expect(errors[1]).toContain("Unknown function nope__missing");
    expect(result.steps[0]?.toolCalls?.map((c) => c.tool)).toEqual(["files.list_directory", "everything.get_sum"]);
    expect(events.filter((e) => e.type === "toolCall")).toHaveLength(4);
  });

  it("structured mode: the JSON envelope through response_format; a cut-off reply gets a retry", async () => {
    const server = await scripted([
      { content: '{"thoughts": "Read the graph.", "code": "const g = await memory.read_graph();\\nconsole.log(g.entities.len', finishReason: "length" },
      { content: JSON.stringify({ thoughts: "Shorter.", code: "const g = await memory.read_graph();\nconsole.log(g.entities.length);" }) },
      { content: JSON.stringify({ thoughts: "Done.", code: 'final("4 entities")' }) },
    ]);
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, mode: "structured" });
    const result = await agent.run("How many entities are in the knowledge graph?");

    expect(server.requests[0]?.response_format?.type).toBe("json_schema");
    expect(result.status).toBe("final");
    expect(result.answer).toBe("4 entities");
    expect(result.steps[0]?.parseProblem?.problem).toBe("truncated");
    expect(lastObservation(server.requests[1]!)).toContain("cut off");
    expect(result.steps[1]?.thoughts).toBe("Shorter.");
    expect(result.steps[1]?.output).toBe("4");
  });

  it("auto mode falls back to code blocks when the server rejects function calling", async () => {
    const server = await scripted((request) =>
      request.tools ? { status: 400, content: "tools are not supported by this server" } : { content: ts('final("fallback works")') },
    );
    const events: AgentEvent[] = [];
    const agent = createAgent({ toolcode, model: "openai-compatible:tiny-3b", baseUrl: server.baseUrl, maxRetries: 0 });
    expect(agent.mode).toBe("tools");
    const result = await agent.run("Say something.", { onEvent: (e) => events.push(e) });
    expect(result.status).toBe("final");
    expect(result.mode).toBe("code");
    expect(result.answer).toBe("fallback works");
    expect(events.find((e) => e.type === "error")).toMatchObject({ kind: "mode" });
  });

  it("reports a failing model as a result (MODEL_CALL_FAILED with the HTTP status), not a throw", async () => {
    const server = await scripted(() => ({ status: 500, content: "upstream exploded" }));
    const agent = createAgent({ toolcode, model: "openai-compatible:scripted", baseUrl: server.baseUrl, mode: "code", maxRetries: 0 });
    const result = await agent.run("Anything.");
    expect(result.status).toBe("error");
    expect(result.error?.code).toBe("MODEL_CALL_FAILED");
    expect(result.error?.message).toContain("HTTP 500");
  });
});
