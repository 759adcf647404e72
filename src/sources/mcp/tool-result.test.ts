import { describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ToolError } from "../../errors.js";
import { parseTextValue, toolResultToValue } from "./tool-result.js";

const text = (t: string) => ({ type: "text" as const, text: t });

describe("parseTextValue", () => {
  it("parses JSON objects, arrays, numbers, booleans and null", () => {
    expect(parseTextValue('{"a":1,"b":[true,null]}')).toEqual({ a: 1, b: [true, null] });
    expect(parseTextValue("[1, 2, 3]")).toEqual([1, 2, 3]);
    expect(parseTextValue("42")).toBe(42);
    expect(parseTextValue("-1.5e3")).toBe(-1500);
    expect(parseTextValue("true")).toBe(true);
    expect(parseTextValue("false")).toBe(false);
    expect(parseTextValue("null")).toBeNull();
    expect(parseTextValue('\n  {"pretty": "printed"}\n')).toEqual({ pretty: "printed" });
  });

  it("keeps everything else as the exact text", () => {
    expect(parseTextValue("hello")).toBe("hello");
    expect(parseTextValue("Echo: hi")).toBe("Echo: hi");
    expect(parseTextValue("nothing to see")).toBe("nothing to see");
    expect(parseTextValue("true story")).toBe("true story");
    expect(parseTextValue("007")).toBe("007");
    expect(parseTextValue("12 apples")).toBe("12 apples");
    expect(parseTextValue("{not json}")).toBe("{not json}");
    expect(parseTextValue('"quoted"')).toBe('"quoted"');
    expect(parseTextValue("")).toBe("");
  });
});

describe("toolResultToValue", () => {
  it("prefers structuredContent over content", () => {
    const result: CallToolResult = { content: [text('{"temperature":36}')], structuredContent: { temperature: 36, unit: "C" } };
    expect(toolResultToValue(result, "weather")).toEqual({ temperature: 36, unit: "C" });
  });

  it("returns null for no content", () => {
    expect(toolResultToValue({ content: [] }, "noop")).toBeNull();
  });

  it("returns a single text item as its (parsed) value", () => {
    expect(toolResultToValue({ content: [text("Echo: hi")] }, "echo")).toBe("Echo: hi");
    expect(toolResultToValue({ content: [text('{"id":7,"tags":["a"]}')] }, "get")).toEqual({ id: 7, tags: ["a"] });
    expect(toolResultToValue({ content: [text("3")] }, "count")).toBe(3);
  });

  it("keeps several text items as an array of parsed values (not concatenated)", () => {
    const result: CallToolResult = { content: [text('{"a":1}'), text('{"a":2}'), text("done")] };
    expect(toolResultToValue(result, "list")).toEqual([{ a: 1 }, { a: 2 }, "done"]);
  });

  it("converts images and audio, keeping base64 data", () => {
    const image = { type: "image" as const, data: "iVBORw0KGgo=", mimeType: "image/png", annotations: { priority: 0.5 } };
    expect(toolResultToValue({ content: [image] }, "img")).toEqual({ type: "image", mimeType: "image/png", data: "iVBORw0KGgo=" });
    const audio = { type: "audio" as const, data: "UklGRg==", mimeType: "audio/wav" };
    expect(toolResultToValue({ content: [audio] }, "snd")).toEqual({ type: "audio", mimeType: "audio/wav", data: "UklGRg==" });
  });

  it("converts embedded text and blob resources", () => {
    const textResource = { type: "resource" as const, resource: { uri: "file:///a.txt", mimeType: "text/plain", text: "hello" } };
    expect(toolResultToValue({ content: [textResource] }, "r")).toEqual({
      type: "resource",
      uri: "file:///a.txt",
      mimeType: "text/plain",
      text: "hello",
    });
    const blobResource = { type: "resource" as const, resource: { uri: "demo://blob/1", blob: "AAEC" } };
    expect(toolResultToValue({ content: [blobResource] }, "r")).toEqual({ type: "resource", uri: "demo://blob/1", blob: "AAEC" });
  });

  it("converts resource links", () => {
    const link = {
      type: "resource_link" as const,
      uri: "demo://resource/1",
      name: "Resource 1",
      mimeType: "text/plain",
      description: "the first",
    };
    expect(toolResultToValue({ content: [link] }, "links")).toEqual({
      type: "resource_link",
      uri: "demo://resource/1",
      name: "Resource 1",
      mimeType: "text/plain",
      description: "the first",
    });
    expect(toolResultToValue({ content: [{ type: "resource_link", uri: "x://y", name: "y" }] }, "links")).toEqual({
      type: "resource_link",
      uri: "x://y",
      name: "y",
    });
  });

  it("returns an array of values for mixed content", () => {
    const result: CallToolResult = {
      content: [text("Here's the image:"), { type: "image", data: "AAAA", mimeType: "image/png" }, text("[1,2]")],
    };
    expect(toolResultToValue(result, "mixed")).toEqual(["Here's the image:", { type: "image", mimeType: "image/png", data: "AAAA" }, [1, 2]]);
  });

  it("throws TOOL_ERROR with the server's text on isError", () => {
    const result: CallToolResult = { isError: true, content: [text("quota exceeded"), text("try tomorrow")] };
    let error: unknown;
    try {
      toolResultToValue(result, "search", "web");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({ code: "TOOL_ERROR", message: "quota exceeded\ntry tomorrow", details: { tool: "search", server: "web" } });
  });

  it("reports the SDK server's invalid-params text as INVALID_ARGUMENTS", () => {
    const result: CallToolResult = {
      isError: true,
      content: [text("MCP error -32602: Input validation error: Invalid arguments for tool get-sum: expected number, received string at a")],
    };
    expect(() => toolResultToValue(result, "get-sum")).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENTS",
        message: "Input validation error: Invalid arguments for tool get-sum: expected number, received string at a",
      }),
    );
  });

  it("still produces a message when an error result has no text", () => {
    expect(() => toolResultToValue({ isError: true, content: [] }, "quiet")).toThrow("Tool quiet reported an error without a message.");
    expect(() => toolResultToValue({ isError: true, content: [], structuredContent: { reason: "nope" } }, "s")).toThrow('{"reason":"nope"}');
  });
});

describe("nesting limits", () => {
  it("refuses text JSON nested deeper than maxDepth with SANDBOX_LIMIT, before parsing", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(() => toolResultToValue({ content: [{ type: "text", text: deep }] }, "deep", "s")).toThrow(expect.objectContaining({ code: "SANDBOX_LIMIT", details: expect.objectContaining({ tool: "deep", server: "s", max: 256 }) }));
    expect(toolResultToValue({ content: [{ type: "text", text: "[[1]]" }] }, "shallow", "s", 2)).toEqual([[1]]);
    expect(() => toolResultToValue({ content: [{ type: "text", text: "[[[1]]]" }] }, "three", "s", 2)).toThrow(expect.objectContaining({ code: "SANDBOX_LIMIT" }));
  });

  it("refuses structuredContent nested deeper than maxDepth", () => {
    let value: unknown = 1;
    for (let i = 0; i < 300; i++) value = { v: value };
    expect(() => toolResultToValue({ content: [], structuredContent: { value } as Record<string, unknown> }, "deep", "s")).toThrow(expect.objectContaining({ code: "SANDBOX_LIMIT" }));
    expect(toolResultToValue({ content: [], structuredContent: { a: { b: 1 } } }, "ok", "s")).toEqual({ a: { b: 1 } });
  });
});
