/**
 * Unit tests of the token benchmark's helpers: token counting, trajectory metrics, the OpenAPI →
 * function definition conversion, MCP result text and output parsing.
 */
import { describe, expect, it } from "vitest";
import { mcpResultText } from "../../bench/tokens/classic.js";
import { dedent } from "../../bench/tokens/code-mode.js";
import { countTokens } from "../../bench/tokens/count-tokens.js";
import { openApiDefinitions } from "../../bench/tokens/openapi-definitions.js";
import { returnedValue } from "../../bench/tokens/task.js";
import { MESSAGE_OVERHEAD, Trajectory, callText, definitionText } from "../../bench/tokens/trajectory.js";

describe("countTokens", () => {
  it("counts o200k_base tokens and treats special-token text as data", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("hello world")).toBe(2);
    expect(countTokens("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("Trajectory.measure", () => {
  const definition = { name: "get", description: "Get a thing.", parameters: { type: "object", properties: { id: { type: "string" } } } };

  it("sums the context read at every model turn plus everything the model generates", () => {
    const t = new Trajectory("classic", "", [definition], "Get thing 1.")
      .call("get", { id: "1" })
      .result("get", "a long result text with many words")
      .answer("It is a long result.");
    const defs = countTokens(definitionText(definition));
    const prompt = countTokens("Get thing 1.") + MESSAGE_OVERHEAD;
    const call = countTokens(callText("get", { id: "1" })) + MESSAGE_OVERHEAD;
    const result = countTokens("a long result text with many words") + MESSAGE_OVERHEAD;
    const answer = countTokens("It is a long result.") + MESSAGE_OVERHEAD;
    const m = t.measure();
    expect(m.definitionTokens).toBe(defs);
    expect(m.promptTokens).toBe(prompt);
    expect(m.turns).toBe(2);
    expect(m.toolCalls).toBe(1);
    expect(m.toolResultTokens).toBe(result);
    expect(m.outputTokens).toBe(call + answer);
    // Turn 1 reads defs + prompt; turn 2 reads that plus the call and its result.
    expect(m.inputTokens).toBe(defs + prompt + (defs + prompt + call + result));
    expect(m.cumulativeTokens).toBe(m.inputTokens + m.outputTokens);
    expect(m.finalContextTokens).toBe(defs + prompt + call + result + answer);
    expect(t.finalAnswer).toBe("It is a long result.");
  });

  it("counts the system text as one more message when present", () => {
    const without = new Trajectory("code", "", [], "task").answer("x").measure();
    const withSystem = new Trajectory("code", "Be brief.", [], "task").answer("x").measure();
    expect(withSystem.promptTokens - without.promptTokens).toBe(countTokens("Be brief.") + MESSAGE_OVERHEAD);
  });

  it("refuses a trajectory without a final answer", () => {
    expect(() => new Trajectory("code", "", [], "task").call("search", {}).finalAnswer).toThrow(/no final answer/);
  });
});

describe("openApiDefinitions", () => {
  const doc = {
    openapi: "3.0.3",
    paths: {
      "/things/{id}": {
        parameters: [{ $ref: "#/components/parameters/id" }],
        get: { operationId: "things/get", summary: "Get a thing", description: "Returns it.", "x-internal": true },
        put: {
          operationId: "things/put",
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } },
        },
      },
      "/loose": { post: { summary: "No id" } },
    },
    components: {
      parameters: { id: { name: "id", in: "path", required: true, description: "The id.", schema: { type: "string" } } },
      schemas: {
        Thing: { type: "object", properties: { name: { type: "string" }, child: { $ref: "#/components/schemas/Thing" } }, "x-note": "dropped" },
      },
    },
  };

  it("turns each operation into a function definition with path-level parameters and a body", () => {
    const { operations } = openApiDefinitions(doc);
    expect(operations.map((o) => o.definition.name)).toEqual(["things_get", "things_put", "post__loose"]);
    const get = operations[0]?.definition;
    expect(get?.description).toBe("Get a thing\n\nReturns it.");
    expect(get?.parameters).toEqual({ type: "object", properties: { id: { type: "string", description: "The id." } }, required: ["id"] });
    const put = operations[1]?.definition.parameters as { properties: { body: { properties: Record<string, unknown> } }; required: string[] };
    expect(put.required).toEqual(["id", "body"]);
    expect(put.properties.body.properties.name).toEqual({ type: "string" });
    expect(JSON.stringify(put)).not.toContain("x-note");
  });

  it("inlines refs up to the depth cap, then leaves a placeholder (which also cuts cycles)", () => {
    const { operations, cappedRefs } = openApiDefinitions(doc, 2);
    const body = (operations[1]?.definition.parameters as { properties: { body: { properties: { child: { properties: { child: unknown } } } } } }).properties.body;
    expect(body.properties.child.properties.child).toEqual({ type: "object", description: "Thing (not expanded)" });
    expect(cappedRefs).toBe(1);
  });
});

describe("output helpers", () => {
  it("takes the text content of an MCP result, or its structured content when there is no text", () => {
    expect(mcpResultText({ content: [{ type: "text", text: "a" }, { type: "text", text: "b" }], structuredContent: { x: 1 } })).toBe("a\nb");
    expect(mcpResultText({ content: [], structuredContent: { x: 1 } })).toBe('{"x":1}');
  });

  it("parses the value an execute returned, with or without logs before it", () => {
    expect(returnedValue('[\n  "a"\n]')).toEqual(["a"]);
    expect(returnedValue('log line\nReturned:\n{\n  "n": 1\n}')).toEqual({ n: 1 });
    expect(() => returnedValue("just text")).toThrow(/returned JSON value/);
  });

  it("dedents scripts the way a model writes them", () => {
    expect(dedent("\n      const a = 1;\n        if (a) {}\n    ")).toBe("const a = 1;\n  if (a) {}");
  });
});
