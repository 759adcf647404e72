/**
 * MCP source against the real `@modelcontextprotocol/server-everything` over stdio.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcpSource, type McpSource } from "../../src/sources/mcp/mcp-source.js";
import { bin, rejection } from "./helpers.js";

describe("server-everything over stdio", () => {
  let source: McpSource;

  beforeAll(async () => {
    source = await connectMcpSource(
      "everything",
      { command: bin("mcp-server-everything"), args: ["stdio"], env: { TOOLCODE_PROBE: "forty-two" } },
      { callTimeoutMs: 10_000 },
    );
  });
  afterAll(async () => {
    await source?.close();
  });

  it("lists its tools with schemas, titles and annotations", async () => {
    const tools = await source.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "echo",
        "get-sum",
        "get-structured-content",
        "get-tiny-image",
        "get-annotated-message",
        "get-resource-reference",
        "get-resource-links",
        "get-env",
        "trigger-long-running-operation",
      ]),
    );
    const echo = tools.find((tool) => tool.name === "echo");
    expect(echo).toMatchObject({
      title: "Echo Tool",
      description: "Echoes back the input string",
      inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
      annotations: { readOnlyHint: true, destructiveHint: false },
    });
    const structured = tools.find((tool) => tool.name === "get-structured-content");
    expect(structured?.outputSchema).toMatchObject({ type: "object", properties: { temperature: { type: "number" } } });
  });

  it("calls echo and get-sum, returning plain text values", async () => {
    expect(await source.callTool("echo", { message: "hello" })).toBe("Echo: hello");
    expect(await source.callTool("get-sum", { a: 2, b: 3 })).toBe("The sum of 2 and 3 is 5.");
  });

  it("returns structuredContent as the value", async () => {
    expect(await source.callTool("get-structured-content", { location: "Chicago" })).toEqual({
      temperature: 36,
      conditions: "Light rain / drizzle",
      humidity: 82,
    });
  });

  it("returns images as { type, mimeType, data } among the other items", async () => {
    const value = (await source.callTool("get-tiny-image", {})) as unknown[];
    expect(value).toHaveLength(3);
    expect(value[0]).toBe("Here's the image you requested:");
    expect(value[1]).toMatchObject({ type: "image", mimeType: "image/png" });
    const image = value[1] as { data: string };
    expect(Buffer.from(image.data, "base64").subarray(1, 4).toString()).toBe("PNG");
  });

  it("returns embedded resources and resource links", async () => {
    const reference = (await source.callTool("get-resource-reference", { resourceType: "Text", resourceId: 2 })) as unknown[];
    expect(reference[1]).toMatchObject({ type: "resource", uri: "demo://resource/dynamic/text/2", mimeType: "text/plain" });
    expect(typeof (reference[1] as { text: unknown }).text).toBe("string");

    const blob = (await source.callTool("get-resource-reference", { resourceType: "Blob", resourceId: 1 })) as unknown[];
    expect(blob[1]).toMatchObject({ type: "resource", uri: "demo://resource/dynamic/blob/1" });
    expect(typeof (blob[1] as { blob: unknown }).blob).toBe("string");

    const links = (await source.callTool("get-resource-links", { count: 2 })) as unknown[];
    expect(links).toHaveLength(3);
    expect(links[1]).toEqual({
      type: "resource_link",
      uri: "demo://resource/dynamic/blob/1",
      name: "Blob Resource 1",
      mimeType: "text/plain",
      description: "Resource 1: plaintext resource",
    });
  });

  it("parses JSON text and passes config.env to the server", async () => {
    const env = (await source.callTool("get-env", {})) as Record<string, string>;
    expect(env.TOOLCODE_PROBE).toBe("forty-two");
    expect(typeof env.PATH).toBe("string");
  });

  it("reports wrong argument types with the server's message", async () => {
    const error = await rejection(source.callTool("get-sum", { a: "two", b: 3 }));
    expect(error.code).toBe("INVALID_ARGUMENTS");
    expect(error.message).toMatch(/^Input validation error: Invalid arguments for tool get-sum/);
    expect(error.message).toContain("expected number");
    expect(error.details).toMatchObject({ tool: "get-sum", server: "everything" });
  });

  it("rejects an unknown tool with TOOL_NOT_FOUND listing the valid names", async () => {
    const error = await rejection(source.callTool("get_sum", { a: 1, b: 2 }));
    expect(error.code).toBe("TOOL_NOT_FOUND");
    expect(error.message).toMatch(/Unknown tool "get_sum" on MCP server "everything"\. Available tools: .*echo.*get-sum/);
    expect(error.details?.validNames).toContain("get-sum");
  });

  it("keeps a long call alive while the server reports progress", async () => {
    const slowButAlive = await connectMcpSource(
      "everything-progress",
      { command: bin("mcp-server-everything"), args: ["stdio"] },
      { callTimeoutMs: 800 },
    );
    try {
      // 2 s in total, progress every 0.4 s: longer than the 0.8 s timeout, but never silent for that long.
      const value = await slowButAlive.callTool("trigger-long-running-operation", { duration: 2, steps: 5 });
      expect(value).toBe("Long running operation completed. Duration: 2 seconds, Steps: 5.");
    } finally {
      await slowButAlive.close();
    }
  });

  it("cancels a call when its signal aborts", async () => {
    const controller = new AbortController();
    const pending = source.callTool("trigger-long-running-operation", { duration: 5, steps: 5 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("execution timed out")), 100);
    // Rejected by the abort, not completed: the operation itself takes 5 s.
    const error = await rejection(pending);
    expect(error.message).toContain("was cancelled: execution timed out");
    // The source is still usable afterwards.
    expect(await source.callTool("echo", { message: "still here" })).toBe("Echo: still here");
  });
});
