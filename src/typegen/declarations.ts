/**
 * The TypeScript declarations the model reads: one `declare namespace <server>` per server, with an
 * `…Input` (and, when the tool declares an output schema, `…Output`) interface and a documented
 * function per tool; plus one-line signatures for search results.
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { JsonSchema } from "../sources/tool-source.js";
import { RenderBudgetError, TypeEmitter, formatDoc, pascalCase, propertyKey, schemaToType } from "./schema-to-ts.js";

/** Options for the declaration renderers. */
export interface DeclarationRenderOptions {
  /** Object/array nesting beyond which types render as `unknown`. Default 8. */
  maxDepth?: number;
  /**
   * Soft budget (characters of schema JSON) for the named types one declaration expands beyond
   * those the tool's input and output refer to directly (see `SchemaToTsOptions.maxAliasChars`).
   * {@link renderToolDeclaration} defaults to {@link TOOL_ALIAS_BUDGET}; {@link renderServerIndex}
   * has no budget.
   */
  maxAliasChars?: number;
  /**
   * {@link toolTypeNames} of the siblings, computed once by callers that render many tool files
   * of one server (otherwise each call recomputes them: quadratic for big servers).
   */
  typeNames?: ReadonlyMap<string, ToolTypeNames>;
}

/** Options for {@link renderSignature}. */
export interface SignatureOptions {
  /** Longest signature, in characters, before nested types and then parameters are elided. Default 300. */
  maxLength?: number;
}

const INDENT = "  ";

/**
 * Default alias budget of one tool's declaration: enough for GitHub's operations to render their
 * types in full, small enough that an operation of an API whose schemas form one big cycle
 * (Stripe: ~300 types reachable from most responses) stays a readable declaration.
 */
export const TOOL_ALIAS_BUDGET = 16_000;

/** Interface names of one tool within its namespace. */
export interface ToolTypeNames {
  /** `ReadFileInput` */
  input: string;
  /** `ReadFileOutput` (declared only when the tool has an output schema) */
  output: string;
}

/**
 * PascalCase interface names per tool (`read_file` → `ReadFileInput`/`ReadFileOutput`), unique
 * within the server: when two identifiers map to the same PascalCase base (`read_file`,
 * `readFile`), later tools get `ReadFile2…`, `ReadFile3…` in list order.
 */
export function toolTypeNames(tools: readonly CatalogTool[]): Map<string, ToolTypeNames> {
  const used = new Set<string>();
  const names = new Map<string, ToolTypeNames>();
  for (const tool of tools) {
    const pascal = pascalCase(tool.tool);
    let base = pascal;
    for (let n = 2; used.has(base); n++) base = `${pascal}${n}`;
    used.add(base);
    names.set(tool.tool, { input: `${base}Input`, output: `${base}Output` });
  }
  return names;
}

/** Whether an input schema declares nothing to pass (no properties, no combinators, no refs). */
function isEmptyInput(schema: JsonSchema): boolean {
  const properties = schema.properties;
  const hasProperties = typeof properties === "object" && properties !== null && Object.keys(properties).length > 0;
  return !hasProperties && !["anyOf", "oneOf", "allOf", "$ref", "additionalProperties", "patternProperties", "items"].some((k) => k in schema);
}

/** Whether the input object may be omitted: nothing required at the top level and no combinators. */
function isOptionalInput(schema: JsonSchema): boolean {
  const required = Array.isArray(schema.required) ? schema.required.length : 0;
  return required === 0 && !["anyOf", "oneOf", "allOf", "$ref"].some((k) => k in schema);
}

/** The tool's JSDoc text: its trimmed description, then `@readonly` / `@destructive` from annotations. */
function toolDoc(tool: CatalogTool): string {
  const lines: string[] = [];
  const description = tool.spec.description?.trim();
  if (description) lines.push(description.replace(/\*\//g, "*\\/"));
  const annotations = tool.spec.annotations;
  if (annotations?.readOnlyHint === true) lines.push("@readonly");
  else if (annotations?.destructiveHint === true) lines.push("@destructive");
  return lines.join("\n");
}

/** Renders one tool's interfaces, the aliases they need, and its function, indented for a namespace body. */
function renderToolMembers(tool: CatalogTool, names: ToolTypeNames, emitter: TypeEmitter): string[] {
  const { inputSchema, outputSchema } = tool.spec;
  const out: string[] = [];
  let inputParam = "input?: {}";
  if (!isEmptyInput(inputSchema)) {
    out.push(emitter.declaration(names.input, inputSchema, { indent: INDENT, doc: `Input of {@link ${tool.id}}.` }));
    inputParam = `input${isOptionalInput(inputSchema) ? "?" : ""}: ${names.input}`;
  }
  let result = "unknown";
  if (outputSchema) {
    out.push(emitter.declaration(names.output, outputSchema, { indent: INDENT, doc: `Output of {@link ${tool.id}}.` }));
    result = names.output;
  }
  out.push(...emitter.takeAliases(INDENT));
  const doc = formatDoc(toolDoc(tool), INDENT);
  out.push([...doc, `${INDENT}function ${tool.tool}(${inputParam}): Promise<${result}>;`].join("\n"));
  return out;
}

/** Reserves a tool's interface names in `emitter` so that no `$ref` alias takes them. */
function reserveNames(emitter: TypeEmitter, names: ToolTypeNames): void {
  emitter.reserve(names.input);
  emitter.reserve(names.output);
}

/**
 * Servers with more tools than this are shown as a listing ({@link renderServerListing}) rather
 * than their full namespace: GitHub's 1,224 tools would be ~7 MB of declarations.
 */
export const MAX_NAMESPACE_TOOLS = 100;

/** Longest one-line summary before it is cut with `…`. */
const SENTENCE_MAX = 160;

/**
 * The first sentence of a description, on one line and at most 160 characters
 * (`"Read a file. Also …"` → `"Read a file."`). Empty for no description.
 */
export function firstSentence(description: string | undefined): string {
  const text = (description ?? "").replace(/\s+/g, " ").trim();
  const end = /[.!?](\s|$)/.exec(text);
  const sentence = end ? text.slice(0, end.index + 1) : text;
  return sentence.length > SENTENCE_MAX ? `${sentence.slice(0, SENTENCE_MAX - 1).trimEnd()}…` : sentence;
}

/** A tool's one-line summary: its title (OpenAPI `summary`), else its description's first sentence. */
export function toolSummary(tool: CatalogTool): string {
  const title = tool.spec.title?.replace(/\s+/g, " ").trim();
  return title ? title : firstSentence(tool.spec.description);
}

/**
 * A big server's index, for servers with more than {@link MAX_NAMESPACE_TOOLS} tools: one line per
 * tool (`- issues_list_for_repo — List repository issues`) and where to read one tool's full
 * declaration, in a comment. Nothing is declared: the file is valid TypeScript, and cheap to
 * produce and to read (GitHub: ~70 KB instead of ~7 MB).
 */
export function renderServerListing(server: string, tools: readonly CatalogTool[]): string {
  const lines = [
    "/**",
    ` * Server \`${server}\` — ${tools.length.toLocaleString("en-US")} tools, too many to declare here: this index lists each tool's name and summary.`,
    ` * Call as \`await ${server}.<tool>({ … })\`. One tool's full declaration (input and output types): the file`,
    ` * servers/${server}/<tool>.d.ts, or \`search\` with detail "full"; \`search\` also finds tools by what they do.`,
    " *",
  ];
  for (const tool of tools) {
    const summary = toolSummary(tool).replace(/\*\//g, "*\\/");
    lines.push(` * - ${tool.tool}${summary ? ` — ${summary}` : ""}`);
  }
  lines.push(" */", `declare namespace ${server} {}`);
  return `${lines.join("\n")}\n`;
}

/**
 * What `servers/<server>/index.d.ts` and `types(server)` show: the full namespace
 * ({@link renderServerIndex}), or the listing ({@link renderServerListing}) for servers with
 * more than `maxTools` tools.
 */
export function renderServerFile(server: string, tools: readonly CatalogTool[], maxTools = MAX_NAMESPACE_TOOLS): string {
  return tools.length > maxTools ? renderServerListing(server, tools) : renderServerIndex(server, tools);
}

/**
 * The full namespace of one server, as the model reads it:
 * a header (tool count, how to call), then per tool its interfaces and function.
 * `$ref` aliases are emitted once per namespace. Tools keep their given order.
 */
export function renderServerIndex(server: string, tools: readonly CatalogTool[], options: DeclarationRenderOptions = {}): string {
  const emitter = new TypeEmitter({ maxDepth: options.maxDepth });
  const names = toolTypeNames(tools);
  for (const tool of tools) reserveNames(emitter, names.get(tool.tool)!);
  const count = `${tools.length} tool${tools.length === 1 ? "" : "s"}`;
  const example = tools[0] ? ` Call as \`await ${server}.${tools[0].tool}({ … })\`.` : "";
  const members = tools.map((tool) => renderToolMembers(tool, names.get(tool.tool)!, emitter).join("\n"));
  const body = members.length > 0 ? `\n${members.join("\n\n")}\n` : "";
  return `/** Server \`${server}\` — ${count}.${example} */\ndeclare namespace ${server} {${body}}\n`;
}

/**
 * One tool's complete declaration (interfaces, aliases, documented function) wrapped in
 * `declare namespace <server> { … }`; self-contained. Pass the server's other tools as
 * `siblings` to get the same interface names as {@link renderServerIndex} when names collide.
 */
export function renderToolDeclaration(
  tool: CatalogTool,
  siblings: readonly CatalogTool[] = [tool],
  options: DeclarationRenderOptions = {},
): string {
  const emitter = new TypeEmitter({ maxDepth: options.maxDepth, maxAliasChars: options.maxAliasChars ?? TOOL_ALIAS_BUDGET });
  const names =
    options.typeNames?.get(tool.tool) ?? toolTypeNames(siblings.includes(tool) ? siblings : [...siblings, tool]).get(tool.tool)!;
  reserveNames(emitter, names);
  return `declare namespace ${tool.server} {\n${renderToolMembers(tool, names, emitter).join("\n")}\n}\n`;
}

/**
 * Schema nodes one signature attempt may visit (4 per output character allowed): inlining the refs
 * of a cyclic schema graph (Stripe) at depth 8 would otherwise take minutes; the attempt gives up
 * and the next one, with less depth, is tried.
 */
const SIGNATURE_NODES_PER_CHAR = 4;

/** Renders `schema` on one line with refs inlined, eliding nesting beyond `maxDepth`; undefined when over the node budget. */
function inlineType(schema: JsonSchema, maxDepth: number, maxNodes: number, root?: JsonSchema): string | undefined {
  try {
    return schemaToType(schema, { multiline: false, comments: false, maxDepth, elide: true, maxNodes, ...(root ? { root, refs: "inline" } : {}) });
  } catch (error) {
    if (error instanceof RenderBudgetError) return undefined;
    throw error;
  }
}

/**
 * One compact line for search results:
 * `fs.read_file(input: { path: string; tail?: number }): Promise<unknown>` — types inline, no
 * comments. Longer than `maxLength`, nested types become `{ … }`, then trailing parameters `…`.
 * For display only (elided parts are not valid TypeScript).
 */
export function renderSignature(tool: CatalogTool, options: SignatureOptions = {}): string {
  const maxLength = options.maxLength ?? 300;
  const { inputSchema, outputSchema } = tool.spec;
  const empty = isEmptyInput(inputSchema);
  const param = empty ? "input?" : `input${isOptionalInput(inputSchema) ? "?" : ""}`;
  const line = (input: string, output: string): string => `${tool.id}(${param}: ${input}): Promise<${output}>`;
  const maxNodes = maxLength * SIGNATURE_NODES_PER_CHAR;
  let candidate = "";
  for (const depth of [8, 3, 2, 1]) {
    const input = empty ? "{}" : inlineType(inputSchema, depth, maxNodes);
    if (input === undefined) continue;
    const output = outputSchema ? (inlineType(outputSchema, depth, maxNodes) ?? "…") : "unknown";
    candidate = line(input, output);
    if (candidate.length <= maxLength) return candidate;
  }
  // Still too long: keep as many top-level parameters as fit and elide the rest and the output.
  const properties = inputSchema.properties;
  if (typeof properties !== "object" || properties === null) return candidate || line("{ … }", outputSchema ? "…" : "unknown");
  const required = new Set(Array.isArray(inputSchema.required) ? inputSchema.required : []);
  const budget = maxLength - line("{  }", "…").length - 4;
  const kept: string[] = [];
  let used = 0;
  for (const [name, schema] of Object.entries(properties as Record<string, JsonSchema>)) {
    const type = inlineType(schema, 1, maxNodes, inputSchema) ?? "unknown";
    const member = `${propertyKey(name)}${required.has(name) ? "" : "?"}: ${type}`;
    if (used + member.length + 2 > budget && kept.length > 0) break;
    kept.push(member);
    used += member.length + 2;
  }
  const more = kept.length < Object.keys(properties).length ? "; …" : "";
  return line(`{ ${kept.join("; ")}${more} }`, outputSchema ? "…" : "unknown");
}
