/**
 * Python stubs of a server's tools, from the same catalog as the TypeScript declarations: one
 * `servers/<server>/__init__.pyi` per server, with a `TypedDict` of each tool's input (what
 * `await server.tool(**args)` takes, also accepted as one dict), the return type from the output
 * schema (`Any` without one), and docstrings from the descriptions. Served in the virtual tree.
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { JsonSchema } from "../sources/tool-source.js";

/** Deepest schema nesting rendered as a type (deeper: `Any`), so a hostile schema stays linear. */
const MAX_DEPTH = 6;
const PYTHON_KEYWORDS = new Set(["False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"]);

/** The Python type of a JSON Schema (a readable subset: scalars, lists, dicts, enums, unions). */
export function schemaToPython(schema: unknown, depth = 0): string {
  if (typeof schema !== "object" || schema === null || depth > MAX_DEPTH) return "Any";
  const s = schema as JsonSchema;
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
    return `Literal[${s.enum.slice(0, 50).map((v) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "boolean" ? (v ? "True" : "False") : String(v))).join(", ")}]`;
  }
  if ("const" in s && typeof s.const === "string") return `Literal[${JSON.stringify(s.const)}]`;
  const union = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as unknown[] | undefined;
  if (union !== undefined && union.length > 0) return [...new Set(union.slice(0, 20).map((part) => schemaToPython(part, depth + 1)))].join(" | ");
  const type = s.type;
  if (Array.isArray(type)) return [...new Set(type.map((t) => schemaToPython({ ...s, type: t }, depth + 1)))].join(" | ");
  switch (type) {
    case "string":
      return "str";
    case "integer":
      return "int";
    case "number":
      return "float";
    case "boolean":
      return "bool";
    case "null":
      return "None";
    case "array":
      return `list[${schemaToPython(s.items, depth + 1)}]`;
    case "object":
      return "dict[str, Any]";
    default:
      return s.properties !== undefined ? "dict[str, Any]" : "Any";
  }
}

/** A docstring body: the text with triple quotes and backslashes made harmless, cut to `max` characters. */
function docstring(text: string | undefined, indent: string, max = 600): string {
  const clean = (text ?? "").replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"').trim();
  if (clean === "") return "";
  const cut = clean.length > max ? `${clean.slice(0, max)}…` : clean;
  return `${indent}"""${cut.split("\n").join(`\n${indent}`)}"""\n`;
}

/** A Python identifier for a property or tool name (keywords get a `_` suffix, other characters `_`). */
function identifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (/^\d/.test(id)) id = `_${id}`;
  return PYTHON_KEYWORDS.has(id) ? `${id}_` : id || "_";
}

function className(tool: string): string {
  return `${tool.split("_").filter(Boolean).map((part) => part[0]!.toUpperCase() + part.slice(1)).join("") || "Tool"}Input`;
}

/** The stub of one server's tools. */
export function pythonServerStub(server: string, tools: readonly CatalogTool[]): string {
  const lines = [
    `"""Tools of server ${server}: \`from servers.${server} import <tool>\` or \`await ${server}.<tool>(...)\`. Failures raise ToolError (HttpError for API errors)."""`,
    "from typing import Any, Literal, NotRequired, TypedDict",
    "",
  ];
  for (const tool of tools) lines.push("", ...pythonToolLines(server, tool));
  return `${lines.join("\n")}\n`;
}

/** The stub lines of one tool: its TypedDict of arguments and its `async def`. */
function pythonToolLines(server: string, { tool, spec }: CatalogTool): string[] {
  const lines: string[] = [];
  const { names, properties, required } = inputProperties(spec.inputSchema);
  const cls = className(tool);
  lines.push(`class ${cls}(TypedDict):`);
  lines.push(docstring(`Arguments of ${server}.${tool}.`, "    ").trimEnd());
  for (const name of names) {
    const type = schemaToPython(properties[name]);
    const safe = identifier(name);
    // A property whose name is not an identifier keeps its real key in the comment.
    lines.push(`    ${safe}: ${required.has(name) ? type : `NotRequired[${type}]`}${safe === name ? "" : `  # key "${name.replace(/[\r\n]/g, " ")}"`}`);
    const doc = docstring(typeof properties[name]?.description === "string" ? (properties[name]?.description as string) : undefined, "    ", 200);
    if (doc !== "") lines.push(doc.trimEnd());
  }
  lines.push("", `async def ${identifier(tool)}(${pythonParams(spec.inputSchema)}) -> ${pythonReturns(spec.outputSchema)}:`);
  lines.push(docstring(spec.description ?? spec.title ?? tool, "    ").trimEnd() || "    ...");
  lines.push("    ...");
  return lines;
}

function inputProperties(schema: unknown): { names: string[]; properties: Record<string, JsonSchema>; required: Set<string> } {
  const input = (schema ?? {}) as JsonSchema;
  const properties = (typeof input.properties === "object" && input.properties !== null ? input.properties : {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(input.required) ? input.required.filter((r): r is string => typeof r === "string") : []);
  return { names: Object.keys(properties).slice(0, 200), properties, required };
}

function pythonParams(schema: unknown): string {
  const { names, properties, required } = inputProperties(schema);
  const params = names.map((name) => `${identifier(name)}: ${schemaToPython(properties[name])}${required.has(name) ? "" : " = ..."}`);
  return params.length > 0 ? `*, ${params.join(", ")}` : "";
}

function pythonReturns(outputSchema: unknown): string {
  return outputSchema !== undefined ? schemaToPython(outputSchema) : "Any";
}

/** One tool as Python search shows it: `async def <server>.<tool>(*, a: int, b: str = ...) -> Any`. */
export function pythonSignature(tool: CatalogTool): string {
  return `async def ${tool.server}.${identifier(tool.tool)}(${pythonParams(tool.spec.inputSchema)}) -> ${pythonReturns(tool.spec.outputSchema)}`;
}

/** One tool's full Python stub (its argument TypedDict and `async def` with docstrings), as in `servers/<server>/__init__.pyi`. */
export function pythonDeclaration(tool: CatalogTool): string {
  return `# from servers.${tool.server} import ${identifier(tool.tool)}\n${pythonToolLines(tool.server, tool).join("\n")}`;
}
