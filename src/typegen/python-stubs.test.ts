import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { pythonDeclaration, pythonServerStub, pythonSignature, schemaToPython } from "./python-stubs.js";
import { describePythonResults } from "./search-render.js";

const tool = (name: string, spec: Partial<CatalogTool["spec"]>): CatalogTool => ({
  server: "github",
  tool: name,
  id: `github.${name}`,
  sourceName: "github",
  spec: { name, inputSchema: { type: "object" }, ...spec },
});

describe("python stubs", () => {
  it("maps JSON Schema types to Python types", () => {
    expect(schemaToPython({ type: "string" })).toBe("str");
    expect(schemaToPython({ type: "array", items: { type: "integer" } })).toBe("list[int]");
    expect(schemaToPython({ enum: ["open", "closed"] })).toBe('Literal["open", "closed"]');
    expect(schemaToPython({ anyOf: [{ type: "string" }, { type: "null" }] })).toBe("str | None");
    expect(schemaToPython({ type: ["number", "boolean"] })).toBe("float | bool");
    expect(schemaToPython({ type: "object", properties: {} })).toBe("dict[str, Any]");
    let deep: unknown = { type: "string" };
    for (let i = 0; i < 1000; i++) deep = { type: "array", items: deep };
    expect(schemaToPython(deep)).toMatch(/list\[Any\]]+$/);
  });

  it("writes a TypedDict of the input, keyword parameters, the return type and docstrings", () => {
    const stub = pythonServerStub("github", [
      tool("issues_list", {
        description: 'List issues. Say """hi""".',
        inputSchema: { type: "object", properties: { owner: { type: "string", description: "Account" }, state: { enum: ["open", "closed"] }, "per-page": { type: "integer" } }, required: ["owner"] },
        outputSchema: { type: "array", items: { type: "object" } },
      }),
      tool("class", {}),
    ]);
    expect(stub).toContain("class IssuesListInput(TypedDict):");
    expect(stub).toContain("    owner: str\n");
    expect(stub).toContain('    state: NotRequired[Literal["open", "closed"]]');
    expect(stub).toContain('    per_page: NotRequired[int]  # key "per-page"');
    expect(stub).toContain('async def issues_list(*, owner: str, state: Literal["open", "closed"] = ..., per_page: int = ...) -> list[dict[str, Any]]:');
    expect(stub).toContain('List issues. Say \\"\\"\\"hi\\"\\"\\".');
    expect(stub).toContain("async def class_() -> Any:");
  });

  it("renders one tool for Python search: a signature with its server, and the tool's own stub", () => {
    const issues = tool("issues_list", {
      description: "List issues. Newest first.",
      inputSchema: { type: "object", properties: { owner: { type: "string" }, state: { enum: ["open", "closed"] } }, required: ["owner"] },
    });
    expect(pythonSignature(issues)).toBe('async def github.issues_list(*, owner: str, state: Literal["open", "closed"] = ...) -> Any');
    const declaration = pythonDeclaration(issues);
    expect(declaration.split("\n")[0]).toBe("# from servers.github import issues_list");
    expect(declaration).toContain("class IssuesListInput(TypedDict):");
    expect(declaration).toContain("async def issues_list(*, owner: str");
    expect(pythonServerStub("github", [issues])).toContain(declaration.split("\n").slice(1).join("\n"));
    const results = [{ tool: issues, score: 1 }, { tool: tool("class", {}), score: 0.5 }];
    expect(describePythonResults(results)).toBe(`# List issues.\n${pythonSignature(issues)}\nasync def github.class_() -> Any`);
    expect(describePythonResults(results, "full")).toContain("\n\n# from servers.github import class_");
  });
});
