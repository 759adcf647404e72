import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { SearchResult } from "../catalog/search-index.js";
import { renderSignature, renderToolDeclaration } from "./declarations.js";
import { describeResults, firstSentence } from "./search-render.js";

const readFile: CatalogTool = {
  server: "fs",
  tool: "read_file",
  id: "fs.read_file",
  sourceName: "fs",
  spec: {
    name: "read_file",
    description: "Read a file as text. Only works within allowed directories.",
    inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    outputSchema: { type: "object", properties: { content: { type: "string" } }, required: ["content"] },
    annotations: { readOnlyHint: true },
  },
};
const ping: CatalogTool = { server: "util", tool: "ping", id: "util.ping", sourceName: "util", spec: { name: "ping", inputSchema: { type: "object" } } };
const results: SearchResult[] = [
  { tool: readFile, score: 3 },
  { tool: ping, score: 1 },
];

describe("describeResults", () => {
  it("names: one line per tool with the first sentence", () => {
    expect(describeResults(results, "names")).toBe("fs.read_file — Read a file as text.\nutil.ping");
  });

  it("signatures: the first sentence as a comment, then the compact signature", () => {
    expect(describeResults(results, "signatures")).toBe(
      [
        "// Read a file as text.",
        "fs.read_file(input: { path: string }): Promise<{ content: string }>",
        "util.ping(input?: {}): Promise<unknown>",
      ].join("\n"),
    );
    expect(describeResults(results)).toBe(describeResults(results, "signatures"));
    expect(describeResults(results, "signatures")).toContain(renderSignature(readFile));
  });

  it("full: each tool's complete declaration", () => {
    const text = describeResults(results, "full");
    expect(text).toBe(`${renderToolDeclaration(readFile).trimEnd()}\n\n${renderToolDeclaration(ping).trimEnd()}`);
    expect(text).toContain("Read a file as text. Only works within allowed directories. @readonly");
  });

  it("says what to do when nothing matched", () => {
    expect(describeResults([], "names")).toMatch(/No tools match/);
  });
});

describe("firstSentence", () => {
  it("cuts at the first sentence end, joins lines, and caps the length", () => {
    expect(firstSentence("Read it. Then more.")).toBe("Read it.");
    expect(firstSentence("Does it work? Yes.")).toBe("Does it work?");
    expect(firstSentence("Version 1.2 of the\n  API")).toBe("Version 1.2 of the API");
    expect(firstSentence(undefined)).toBe("");
    const long = firstSentence("word ".repeat(100));
    expect(long.length).toBe(160);
    expect(long.endsWith("…")).toBe(true);
  });
});
