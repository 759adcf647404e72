/**
 * JSON Schema → TypeScript type text, hand-written to stay synchronous, fast and compact.
 *
 * Covers what MCP servers (draft 7, 2020-12) and OpenAPI 3 (`nullable`, `example`) emit:
 * objects with required/optional properties and JSDoc (description plus constraint tags),
 * `enum`/`const` literals, type arrays, `anyOf`/`oneOf` unions, `allOf` intersections, arrays and
 * tuples, index signatures, and `$ref`s, which become named aliases emitted once (or are inlined,
 * for one-line signatures). Circular references never recurse; nesting beyond `maxDepth` renders
 * `unknown` with a comment. Output is deterministic: schema order, 2-space indent. No I/O.
 *
 * @module
 */
import { sanitizeIdentifier } from "../catalog/names.js";
import type { JsonSchema } from "../sources/tool-source.js";

/** A schema as it may appear anywhere in a JSON Schema document (`true`/`false` are schemas too). */
export type SchemaNode = JsonSchema | boolean;

/** What a {@link RefResolver} returns for a `$ref` the root document does not contain. */
export interface ResolvedRef {
  /** The referenced schema. */
  schema: SchemaNode;
  /** Preferred alias name (made PascalCase and unique); derived from the ref when absent. */
  name?: string;
  /** Document that `#/…` refs inside `schema` resolve against (default: `schema` itself). */
  root?: unknown;
}

/** Resolves a `$ref` that is not a JSON pointer into the root document (e.g. another file). */
export type RefResolver = (ref: string) => ResolvedRef | undefined;

/** Options shared by every rendering entry point. */
export interface SchemaToTsOptions {
  /** Object/array nesting beyond which `unknown /* … *\/` is rendered. Default 8. */
  maxDepth?: number;
  /** Emit JSDoc (descriptions, constraint tags) on properties and aliases. Default true. */
  comments?: boolean;
  /** Render object types over several lines (2-space indent). Default true; false gives one line. */
  multiline?: boolean;
  /**
   * `alias` (default): every `$ref` becomes a named type alias, collected by the emitter and
   * emitted once. `inline`: refs are expanded in place; a recursive ref renders `unknown`.
   */
  refs?: "alias" | "inline";
  /**
   * Render parts cut by `maxDepth` as `{ … }` / `…[]` instead of `unknown /* … *\/`. For display
   * lines (search signatures) only: the result is no longer valid TypeScript. Default false.
   */
  elide?: boolean;
  /** Resolver for refs the root document does not contain (unresolved ones render `unknown`). */
  resolveRef?: RefResolver;
  /**
   * Soft size budget, in characters, for the aliases one emitter declares (alias mode), so that a
   * schema graph with hundreds of connected types (Stripe) cannot explode one declaration. Aliases
   * that {@link TypeEmitter.type} / {@link TypeEmitter.declaration} refer to directly are always
   * declared; aliases only other aliases need are declared while the estimated size of all aliases
   * so far (their schemas' JSON length) stays within the budget. A ref beyond it renders
   * `Record<string, unknown> /* Name: not expanded … *\/` (object schemas), `unknown[]` (arrays)
   * or `unknown`, with the name in the comment. Default: no budget.
   */
  maxAliasChars?: number;
  /**
   * Most schema nodes one emitter visits before it gives up with a {@link RenderBudgetError}.
   * Inline rendering (`refs: "inline"`) of a large cyclic schema graph grows exponentially with
   * `maxDepth`; callers that only need a short line set this and fall back to less detail.
   * Default: no limit.
   */
  maxNodes?: number;
}

/** Thrown when rendering visits more than `maxNodes` schema nodes. */
export class RenderBudgetError extends Error {
  constructor(readonly maxNodes: number) {
    super(`rendering visited more than ${maxNodes} schema nodes`);
    this.name = "RenderBudgetError";
  }
}

/** Per-call options of {@link TypeEmitter.type}. */
export interface TypeOptions {
  /** Document that `#/…` refs resolve against. Default: the schema itself. */
  root?: unknown;
  /** Indentation of the line the type starts on (nested lines get 2 more spaces each). */
  indent?: string;
}

/** Per-call options of {@link TypeEmitter.declaration}. */
export interface DeclareOptions extends TypeOptions {
  /** JSDoc text to put above the declaration (default: the schema's own description and tags). */
  doc?: string;
}

const DEFAULT_MAX_DEPTH = 8;

/** A rendered type plus its precedence: 0 union, 1 intersection, 2 atom (needs no parentheses). */
interface Out {
  t: string;
  p: 0 | 1 | 2;
  /** Set when `t` is an object literal that may be declared as an `interface`. */
  obj?: boolean;
  /** The members of a union, so that nested unions flatten and deduplicate. */
  members?: Out[];
}

/** Where a node is rendered: its document, indentation, nesting depth, and recursion guards. */
interface Frame {
  root: unknown;
  indent: string;
  depth: number;
  /** Alias whose body is being rendered at this position outside any object/array (alias mode). */
  bare?: string;
  /** Refs being expanded on the current path (inline mode). */
  inlining: ReadonlySet<string>;
}

/** A resolved `$ref`: the schema, the document its refs resolve in, and its alias-map key. */
interface Target {
  schema: SchemaNode;
  root: unknown;
  key: unknown;
  ref: string;
  name?: string | undefined;
}

interface Alias {
  name: string;
  schema: SchemaNode;
  root: unknown;
}

const atom = (t: string): Out => ({ t, p: 2 });
const UNKNOWN = atom("unknown");
const NEVER = atom("never");

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Keywords that carry no type information; a `$ref` with only these beside it is a pure ref. */
const ANNOTATIONS = new Set(["$ref", "description", "title", "$comment", "examples", "example", "default", "deprecated"]);

/** Path segments skipped when naming an alias after a ref (`#/properties/user/items` → `UserItem`). */
const SCHEMA_KEYWORDS = new Set([
  "$defs", "definitions", "properties", "patternProperties", "additionalProperties", "items", "prefixItems",
  "additionalItems", "anyOf", "oneOf", "allOf", "not", "if", "then", "else", "components", "schemas",
]);

/**
 * `read_file` → `ReadFile`, `get-sum` → `GetSum`, `getSum` → `GetSum`: words are capitalized and
 * joined; inner capitals are kept. The result is a valid identifier (see `sanitizeIdentifier`).
 */
export function pascalCase(name: string): string {
  const joined = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
  return sanitizeIdentifier(joined === "" ? "Type" : joined);
}

/** Quotes a property name unless it is a plain identifier. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** Makes text safe inside a `/** … *\/` comment. */
function escapeComment(text: string): string {
  return text.replace(/\*\//g, "*\\/");
}

/** Compact JSON for tag values (`"text"`, `3`, `[]`), capped so huge defaults or examples do not flood the output. */
function tagValue(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

/**
 * The JSDoc text of a schema: its trimmed description, then constraint tags
 * (`@minimum 1`, `@default "x"`, `@deprecated`, `@example …`), one per line.
 */
export function schemaDoc(schema: SchemaNode): string {
  if (!isRecord(schema)) return "";
  const lines: string[] = [];
  if (typeof schema.description === "string" && schema.description.trim() !== "") lines.push(schema.description.trim());
  const exclusiveMinimumFlag = schema.exclusiveMinimum === true; // draft 4 style
  const exclusiveMaximumFlag = schema.exclusiveMaximum === true;
  const tags: [string, unknown][] = [
    [exclusiveMinimumFlag ? "exclusiveMinimum" : "minimum", schema.minimum],
    [exclusiveMaximumFlag ? "exclusiveMaximum" : "maximum", schema.maximum],
    ["exclusiveMinimum", typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum : undefined],
    ["exclusiveMaximum", typeof schema.exclusiveMaximum === "number" ? schema.exclusiveMaximum : undefined],
    ["multipleOf", schema.multipleOf],
    ["minLength", schema.minLength],
    ["maxLength", schema.maxLength],
    ["pattern", schema.pattern],
    ["format", schema.format],
    ["minItems", schema.minItems],
    ["maxItems", schema.maxItems],
    ["uniqueItems", schema.uniqueItems === true ? true : undefined],
    ["default", schema.default],
  ];
  for (const [tag, value] of tags) {
    if (value === undefined) continue;
    lines.push(`@${tag} ${tag === "pattern" || tag === "format" ? String(value) : tagValue(value)}`);
  }
  if (schema.deprecated === true) lines.push("@deprecated");
  const examples = Array.isArray(schema.examples) ? schema.examples : "example" in schema ? [schema.example] : [];
  for (const example of examples) lines.push(`@example ${tagValue(example)}`);
  return escapeComment(lines.join("\n"));
}

/**
 * Formats doc text as comment lines: one line `/** … *\/` when short, else a block.
 * Returns no lines for empty text.
 */
export function formatDoc(text: string, indent = ""): string[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const lines = trimmed.split(/\r?\n/).map((l) => l.trimEnd());
  const oneLine = lines.join(" ");
  const prose = lines.filter((l) => !l.startsWith("@"));
  if (prose.length <= 1 && indent.length + oneLine.length + 7 <= 110) {
    return [`${indent}/** ${oneLine} */`];
  }
  return [`${indent}/**`, ...lines.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`];
}

/** Renders a JSON value as a literal type: `"a"`, `1`, `null`, `[1, 2]`, `{ a: true }`. */
function literal(value: unknown): Out {
  if (value === null) return atom("null");
  switch (typeof value) {
    case "string":
      return atom(JSON.stringify(value));
    case "number":
      return atom(Number.isFinite(value) ? String(value) : "number");
    case "boolean":
      return atom(String(value));
  }
  if (Array.isArray(value)) return atom(`[${value.map((v) => literal(v).t).join(", ")}]`);
  if (isRecord(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${propertyKey(k)}: ${literal(v).t}`);
    return atom(entries.length === 0 ? "Record<string, never>" : `{ ${entries.join("; ")} }`);
  }
  return UNKNOWN;
}

/** `A | B`, with duplicates removed; `unknown` absorbs everything, `never` disappears. */
function union(parts: Out[]): Out {
  const seen = new Map<string, Out>();
  for (const part of parts.flatMap((p) => p.members ?? [p])) {
    if (part.t === "unknown") return UNKNOWN;
    if (part.t !== "never" && !seen.has(part.t)) seen.set(part.t, part);
  }
  const members = [...seen.values()];
  if (members.length === 0) return NEVER;
  if (members.length === 1) return members[0]!;
  return { t: members.map((m) => m.t).join(" | "), p: 0, members };
}

/** `A & B`, with duplicates and `unknown` removed; parenthesizes unions. */
function intersection(parts: Out[]): Out {
  const seen = new Map<string, Out>();
  for (const part of parts) {
    if (part.t === "never") return NEVER;
    if (part.t !== "unknown" && !seen.has(part.t)) seen.set(part.t, part);
  }
  const members = [...seen.values()];
  if (members.length === 0) return UNKNOWN;
  if (members.length === 1) return members[0]!;
  return { t: members.map((m) => (m.p === 0 ? `(${m.t})` : m.t)).join(" & "), p: 1 };
}

/** `T[]`, parenthesizing `T` when needed. */
function arrayOf(item: Out): Out {
  return atom(item.p < 2 ? `(${item.t})[]` : `${item.t}[]`);
}

/** Resolves a local JSON pointer (`#`, `#/$defs/Pet`, `#/properties/a~1b`) in `root`. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isRecord(node)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Derives an alias name from a ref: `#/$defs/Pet` → `Pet`, `#/properties/user/items` → `UserItem`. */
function refName(ref: string): string {
  const segments = ref
    .split(/[#/]/)
    .filter(Boolean)
    .map((s) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~"));
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!;
    if (SCHEMA_KEYWORDS.has(segment) || /^\d+$/.test(segment)) continue;
    const suffix = segments.slice(i + 1).includes("items") ? "Item" : "";
    return pascalCase(segment.replace(/\.(json|ya?ml)$/i, "") + suffix);
  }
  return "Root";
}

/** What a ref beyond the alias budget renders: the kind of value, and the type's name in a comment. */
function notExpanded(name: string, schema: SchemaNode): Out {
  const comment = `/* ${name}: not expanded (declaration size limit) */`;
  if (!isRecord(schema)) return atom(`unknown ${comment}`);
  const type = schema.type;
  if (type === "object" || (type === undefined && ["properties", "additionalProperties"].some((k) => k in schema))) {
    return atom(`Record<string, unknown> ${comment}`);
  }
  if (type === "array") return atom(`unknown[] ${comment}`);
  return atom(`unknown ${comment}`);
}

/** Whether a schema says nothing but "see `$ref`". */
function isPureRef(schema: unknown): schema is { $ref: string } {
  return isRecord(schema) && typeof schema.$ref === "string" && Object.keys(schema).every((k) => ANNOTATIONS.has(k));
}

/**
 * Renders schemas to TypeScript, collecting the named aliases their `$ref`s need so that each is
 * emitted exactly once across everything rendered with the same emitter (e.g. one namespace).
 *
 * Typical use: {@link TypeEmitter.reserve} the names you declare yourself, render with
 * {@link TypeEmitter.type} / {@link TypeEmitter.declaration}, then emit
 * {@link TypeEmitter.takeAliases} beside them.
 */
export class TypeEmitter {
  private readonly maxDepth: number;
  private readonly comments: boolean;
  private readonly multiline: boolean;
  private readonly inlineRefs: boolean;
  private readonly elide: boolean;
  private readonly resolveRef: RefResolver | undefined;
  private readonly taken = new Set<string>();
  /** Alias name per document and ref; external refs are keyed under `externalKey`. */
  private readonly aliases = new Map<unknown, Map<string, string>>();
  private readonly pending: Alias[] = [];
  private readonly externalKey = {};
  private readonly docIds = new Map<unknown, number>();
  private readonly maxAliasChars: number;
  /** Estimated size of the aliases queued so far (for `maxAliasChars`). */
  private aliasChars = 0;
  /** True while {@link takeAliases} renders alias bodies (refs found there are not direct). */
  private inAliases = false;
  private readonly estimates = new WeakMap<object, number>();
  private readonly maxNodes: number;
  private visited = 0;

  /** An emitter whose aliases and reserved names are shared by everything it renders. */
  constructor(options: SchemaToTsOptions = {}) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.comments = options.comments ?? true;
    this.multiline = options.multiline ?? true;
    this.inlineRefs = options.refs === "inline";
    this.elide = options.elide ?? false;
    this.resolveRef = options.resolveRef;
    this.maxAliasChars = options.maxAliasChars ?? Number.POSITIVE_INFINITY;
    this.maxNodes = options.maxNodes ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Reserves a name so no alias takes it; on collision appends `2`, `3`, … and returns the name
   * actually reserved.
   */
  reserve(name: string): string {
    let unique = name;
    for (let n = 2; this.taken.has(unique); n++) unique = `${name}${n}`;
    this.taken.add(unique);
    return unique;
  }

  /** Renders `schema` as a type expression. Aliases its refs need are queued for {@link takeAliases}. */
  type(schema: SchemaNode, options: TypeOptions = {}): string {
    const root = options.root ?? schema;
    // When the schema is its document's root, `$ref: "#"` inside it is a recursion.
    const inlining = new Set(root === schema ? [`${this.docId(root)}:#`] : []);
    return this.node(schema, { root, indent: options.indent ?? "", depth: 0, inlining }).t;
  }

  /**
   * Renders `interface Name { … }` (plain object schemas) or `type Name = …;`, with JSDoc.
   * A `$ref: "#"` inside `schema` refers to `name`. The caller should have reserved `name`.
   */
  declaration(name: string, schema: SchemaNode, options: DeclareOptions = {}): string {
    const root = options.root ?? schema;
    const indent = options.indent ?? "";
    if (options.root === undefined) this.aliasMap(root).set("#", name);
    const out = this.node(schema, { root, indent, depth: 0, bare: name, inlining: new Set() });
    const doc = this.comments ? formatDoc(options.doc ?? schemaDoc(schema), indent) : [];
    const body = out.obj ? `interface ${name} ${out.t}` : `type ${name} = ${out.t};`;
    return [...doc, `${indent}${body}`].join("\n");
  }

  /**
   * Renders every alias queued since the last call (including aliases those aliases need), in
   * first-use order, each as a declaration at `indent`. Each alias is returned only once.
   */
  takeAliases(indent = ""): string[] {
    const out: string[] = [];
    this.inAliases = true;
    try {
      for (let alias = this.pending.shift(); alias; alias = this.pending.shift()) {
        const rendered = this.node(alias.schema, { root: alias.root, indent, depth: 0, bare: alias.name, inlining: new Set() });
        const doc = this.comments ? formatDoc(schemaDoc(alias.schema), indent) : [];
        const body = rendered.obj ? `interface ${alias.name} ${rendered.t}` : `type ${alias.name} = ${rendered.t};`;
        out.push([...doc, `${indent}${body}`].join("\n"));
      }
    } finally {
      this.inAliases = false;
    }
    return out;
  }

  private aliasMap(root: unknown): Map<string, string> {
    let map = this.aliases.get(root);
    if (!map) this.aliases.set(root, (map = new Map()));
    return map;
  }

  private docId(root: unknown): number {
    let id = this.docIds.get(root);
    if (id === undefined) this.docIds.set(root, (id = this.docIds.size));
    return id;
  }

  /** Follows `$ref` (and chains of pure refs) to a target schema, or undefined when unresolvable. */
  private resolve(ref: string, root: unknown): Target | undefined {
    const seen = new Set<string>();
    let target: Target | undefined;
    for (let next: string | undefined = ref; next !== undefined; ) {
      const local = resolvePointer(root, next);
      if (local === true || local === false || isRecord(local)) {
        target = { schema: local, root, key: root, ref: next };
      } else {
        const external: ResolvedRef | undefined = this.resolveRef?.(next);
        if (!external) return undefined;
        root = external.root ?? external.schema;
        target = { schema: external.schema, root, key: this.externalKey, ref: next, name: external.name };
      }
      const id = `${this.docId(target.key)}:${next}`;
      if (seen.has(id)) return { ...target, schema: true }; // a cycle of pure refs says nothing
      seen.add(id);
      next = isPureRef(target.schema) ? target.schema.$ref : undefined;
    }
    return target;
  }

  private ref(ref: string, f: Frame): Out {
    const target = this.resolve(ref, f.root);
    if (!target) return atom(`unknown /* unresolved $ref ${escapeComment(ref)} */`);
    if (this.inlineRefs) {
      const key = `${this.docId(target.key)}:${target.ref}`;
      if (f.inlining.has(key)) return atom(`unknown /* recursive ${refName(target.ref)} */`);
      return this.node(target.schema, { ...f, root: target.root, inlining: new Set([...f.inlining, key]) });
    }
    const map = this.aliasMap(target.key);
    let name = map.get(target.ref);
    if (name === undefined) {
      const preferred = target.name ? pascalCase(target.name) : refName(target.ref);
      if (this.maxAliasChars !== Number.POSITIVE_INFINITY) {
        const size = this.estimate(target.schema);
        if (this.inAliases && this.aliasChars + size > this.maxAliasChars) return notExpanded(preferred, target.schema);
        this.aliasChars += size;
      }
      name = this.reserve(preferred);
      map.set(target.ref, name);
      this.pending.push({ name, schema: target.schema, root: target.root });
    }
    // `type A = A | B` is an error in TypeScript: a self-reference outside any object is unknown.
    return name === f.bare ? UNKNOWN : atom(name);
  }

  /** Rough size of an alias's declaration: its schema's JSON length (cached per schema object). */
  private estimate(schema: SchemaNode): number {
    if (!isRecord(schema)) return 16;
    let size = this.estimates.get(schema);
    if (size === undefined) this.estimates.set(schema, (size = JSON.stringify(schema).length));
    return size;
  }

  private node(schema: SchemaNode | undefined, f: Frame): Out {
    if (++this.visited > this.maxNodes) throw new RenderBudgetError(this.maxNodes);
    if (schema === false) return NEVER;
    if (!isRecord(schema)) return UNKNOWN;
    const parts: Out[] = [];
    const hasRef = typeof schema.$ref === "string";
    if (hasRef) parts.push(this.ref(schema.$ref as string, f));
    if ("const" in schema) parts.push(literal(schema.const));
    else if (Array.isArray(schema.enum)) parts.push(union(schema.enum.map(literal)));
    // Beside a `$ref`, a bare `type` repeats the target's; only own structure adds to it.
    else if (!hasRef || ["properties", "items", "prefixItems"].some((k) => k in schema)) parts.push(this.typed(schema, f));
    if (Array.isArray(schema.anyOf)) parts.push(union(schema.anyOf.map((s: SchemaNode) => this.node(s, f))));
    if (Array.isArray(schema.oneOf)) parts.push(union(schema.oneOf.map((s: SchemaNode) => this.node(s, f))));
    if (Array.isArray(schema.allOf)) parts.push(...schema.allOf.map((s: SchemaNode) => this.node(s, f)));
    const out = intersection(parts);
    return schema.nullable === true ? union([out, atom("null")]) : out;
  }

  /** The part of a schema described by `type` (or implied by object/array keywords). */
  private typed(schema: JsonSchema, f: Frame): Out {
    let types: unknown[];
    if (Array.isArray(schema.type)) types = schema.type;
    else if (typeof schema.type === "string") types = [schema.type];
    else if (["properties", "additionalProperties", "patternProperties", "required"].some((k) => k in schema)) types = ["object"];
    else if ("items" in schema || "prefixItems" in schema) types = ["array"];
    else return UNKNOWN;
    return union(
      types.map((type): Out => {
        switch (type) {
          case "string":
          case "number":
          case "boolean":
          case "null":
            return atom(type);
          case "integer":
            return atom("number");
          case "object":
            return this.object(schema, f);
          case "array":
            return this.array(schema, f);
          default:
            return UNKNOWN;
        }
      }),
    );
  }

  private tooDeep(f: Frame, elided: string): Out | undefined {
    if (f.depth < this.maxDepth) return undefined;
    return atom(this.elide ? elided : `unknown /* nested deeper than ${this.maxDepth} levels */`);
  }

  private array(schema: JsonSchema, f: Frame): Out {
    const deep = this.tooDeep(f, "…[]");
    if (deep) return deep;
    const inner: Frame = { ...f, depth: f.depth + 1, bare: undefined };
    const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : undefined;
    if (tuple) {
      const rest = Array.isArray(schema.prefixItems) ? schema.items : schema.additionalItems;
      const elements = tuple.map((s: SchemaNode) => this.node(s, inner).t);
      if (rest === true || isRecord(rest)) elements.push(`...${arrayOf(this.node(rest, inner)).t}`);
      return atom(`[${elements.join(", ")}]`);
    }
    return arrayOf(this.node(schema.items as SchemaNode | undefined, inner));
  }

  private object(schema: JsonSchema, f: Frame): Out {
    const deep = this.tooDeep(f, "{ … }");
    if (deep) return deep;
    const inner: Frame = { ...f, depth: f.depth + 1, bare: undefined, indent: f.indent + "  " };
    const properties = isRecord(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : []);
    const names = [...Object.keys(properties), ...[...required].filter((r) => !(r in properties))];
    const extra: SchemaNode[] = [];
    const additional = schema.additionalProperties;
    if (additional === true || isRecord(additional)) extra.push(additional);
    if (isRecord(schema.patternProperties)) extra.push(...(Object.values(schema.patternProperties) as SchemaNode[]));

    if (names.length === 0) {
      if (extra.length > 0) return atom(`Record<string, ${union(extra.map((s) => this.node(s, inner))).t}>`);
      return atom(additional === false ? "Record<string, never>" : "Record<string, unknown>");
    }
    const members: string[] = [];
    const propertyTypes: Out[] = [];
    for (const name of names) {
      const propertySchema = properties[name] as SchemaNode | undefined;
      const type = this.node(propertySchema, inner);
      const optional = !required.has(name);
      propertyTypes.push(type);
      if (optional) propertyTypes.push(atom("undefined"));
      const doc = this.comments && this.multiline ? formatDoc(schemaDoc(propertySchema ?? true), inner.indent) : [];
      members.push([...doc, `${inner.indent}${propertyKey(name)}${optional ? "?" : ""}: ${type.t};`].join("\n"));
    }
    if (extra.length > 0) {
      // Every property must be assignable to the index signature, so it includes their types.
      const index = union([...extra.map((s) => this.node(s, inner)), ...propertyTypes]);
      members.push(`${inner.indent}[key: string]: ${index.t};`);
    }
    if (!this.multiline) {
      return { t: `{ ${members.map((m) => m.trim().replace(/;$/, "")).join("; ")} }`, p: 2, obj: true };
    }
    return { t: `{\n${members.join("\n")}\n${f.indent}}`, p: 2, obj: true };
  }
}

/**
 * Renders one schema as a type expression. Refs are inlined (a recursive ref renders `unknown`),
 * so the result is self-contained. Use {@link schemaToDeclarations} to keep refs as named types.
 */
export function schemaToType(schema: SchemaNode, options: SchemaToTsOptions & TypeOptions = {}): string {
  return new TypeEmitter({ refs: "inline", ...options }).type(schema, options);
}

/**
 * Renders `schema` as a declaration named `name` (`interface` for plain objects, else `type`),
 * followed by the aliases its `$ref`s need, each once; circular refs stay named. Self-contained text.
 */
export function schemaToDeclarations(name: string, schema: SchemaNode, options: SchemaToTsOptions & DeclareOptions = {}): string {
  const emitter = new TypeEmitter({ ...options, refs: "alias" });
  const declared = emitter.reserve(name);
  const main = emitter.declaration(declared, schema, options);
  return [main, ...emitter.takeAliases(options.indent)].join("\n");
}
