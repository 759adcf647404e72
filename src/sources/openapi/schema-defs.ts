/**
 * Self-contained JSON Schemas from a spec whose schemas point at each other with `$ref`.
 *
 * Every schema a `$ref` points at (`#/components/schemas/Issue`, Swagger's `#/definitions/Pet`,
 * or any other local pointer) becomes one named definition, copied once with its own refs
 * rewritten to `#/$defs/<key>`. An operation's schema then carries, in `$defs`, exactly the
 * definitions it needs transitively. Circular schemas stay finite (a cycle is two `$defs` entries
 * pointing at each other) and keep their names, which is what the type generator renders as
 * named types. Operations record only the definitions they point at directly; {@link DefClosures}
 * computes the transitive sets, once per cycle, so thousands of operations stay linear.
 *
 * @module
 */
import type { JsonSchema } from "../tool-source.js";

/** Keys dropped from copied schemas: documentation the model never needs, or refs we do not follow. */
const DROPPED_KEYS = new Set(["xml", "externalDocs", "discriminator", "$schema", "$id", "$anchor", "$dynamicAnchor"]);
/** Keys whose values are data, not schemas: copied verbatim (when kept), never searched for refs. */
const DATA_KEYS = new Set(["enum", "const", "default", "example", "examples"]);
/** Schema keywords skipped when deriving a readable definition name from a pointer. */
const POINTER_NOISE = new Set([
  "properties", "items", "allOf", "anyOf", "oneOf", "not", "additionalProperties", "patternProperties", "prefixItems",
  "content", "schema", "responses", "requestBody", "parameters", "paths", "components", "schemas", "definitions", "$defs",
]);
const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
/** Longest string `example` kept (longer examples and object examples are dropped: size, not meaning). */
const MAX_EXAMPLE_CHARS = 200;

/** Markdown links reduced to their text (`[the guide](https://…)` → `the guide`): URLs cost tokens and say little. */
export function stripLinks(text: string): string {
  return text.replace(/\[([^\]]+)\]\([^)\s]+\)/g, "$1");
}

/** Decodes one JSON pointer segment (`a~1b` → `a/b`). */
function decodeSegment(segment: string): string {
  let text = segment;
  try {
    text = decodeURIComponent(segment);
  } catch {
    // not percent-encoded after all
  }
  return text.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Encodes a definition key as a ref: `simple-user` → `#/$defs/simple-user`. */
export function defRef(key: string): string {
  return `#/$defs/${encodeURIComponent(key.replace(/~/g, "~0").replace(/\//g, "~1"))}`;
}

/** Resolves a local JSON pointer (`#/components/schemas/Pet`) in `root`; `undefined` when absent. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === "#") return root;
  if (!pointer.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(2).split("/")) {
    const key = decodeSegment(raw);
    if (Array.isArray(node)) node = node[Number(key)];
    else if (typeof node === "object" && node !== null) node = (node as Record<string, unknown>)[key];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A data value worth keeping as an `example`: short primitives only. */
function keepExample(value: unknown): boolean {
  if (typeof value === "string") return value.length <= MAX_EXAMPLE_CHARS;
  return typeof value === "number" || typeof value === "boolean";
}

/** One definition: the rewritten schema and the keys of the definitions it points at directly. */
interface Definition {
  schema: JsonSchema | boolean;
  deps: string[];
}

/** What {@link DefsBuilder.rewrite} found: the copied schema and the definitions it needs directly. */
export interface RewriteResult {
  schema: JsonSchema;
  refs: Set<string>;
}

/**
 * Copies schemas out of one spec document, turning refs into `#/$defs/<key>` and collecting the
 * definitions lazily. One builder per spec; not thread-safe (there are no threads).
 */
export class DefsBuilder {
  private readonly keyByPointer = new Map<string, string>();
  private readonly usedKeys = new Set<string>();
  private readonly definitions = new Map<string, Definition>();
  /** Pointers that resolved to nothing, for one warning each. */
  readonly dangling = new Set<string>();

  /**
   * @param root The spec document (refs are resolved in it).
   * @param componentPrefix `#/components/schemas/` (OpenAPI 3) or `#/definitions/` (Swagger 2):
   *   schemas under it keep their own name as key.
   */
  constructor(
    private readonly root: unknown,
    private readonly componentPrefix: string,
  ) {
    // Component names claim their keys first, so derived names never take them.
    const components = resolvePointer(root, componentPrefix.replace(/\/$/, ""));
    if (isRecord(components)) {
      for (const name of Object.keys(components)) {
        const pointer = `${componentPrefix}${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        this.keyByPointer.set(pointer, name);
        this.usedKeys.add(name);
      }
    }
  }

  /**
   * Deep-copies `schema`, rewriting every local `$ref` to `#/$defs/<key>` and dropping noise
   * (`x-*` extensions, `xml`, long examples). The refs found are added to `refs`.
   */
  rewrite(schema: unknown, refs: Set<string> = new Set()): RewriteResult {
    const copied = this.copy(schema, refs);
    return { schema: isRecord(copied) ? copied : {}, refs };
  }

  /** Copies any schema node (including `true`/`false`). */
  private copy(node: unknown, refs: Set<string>): unknown {
    if (Array.isArray(node)) return node.map((item) => this.copy(item, refs));
    if (!isRecord(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") {
        out.$ref = this.refFor(value, refs);
      } else if (key.startsWith("x-")) {
        if (key === "x-nullable" && value === true) out.nullable = true; // Swagger 2 vendor extension
      } else if (DROPPED_KEYS.has(key)) {
        continue;
      } else if (key === "example") {
        if (keepExample(value)) out.example = value;
      } else if (key === "examples") {
        // OpenAPI 3.1 / JSON Schema `examples` is an array of values; keep short primitives only.
        if (Array.isArray(value)) {
          const kept = value.filter(keepExample).slice(0, 3);
          if (kept.length > 0) out.examples = kept;
        }
      } else if (DATA_KEYS.has(key)) {
        out[key] = value;
      } else if (key === "properties" || key === "patternProperties" || key === "$defs" || key === "definitions" || key === "dependentSchemas") {
        // Maps from names to schemas: the names are data (a property may be called "$ref" or "x-id").
        if (isRecord(value)) {
          const map: Record<string, unknown> = {};
          for (const [name, sub] of Object.entries(value)) map[name] = this.copy(sub, refs);
          out[key] = map;
        } else {
          out[key] = value;
        }
      } else if (key === "description" && typeof value === "string") {
        out.description = stripLinks(value);
      } else if (key === "required" || key === "type" || key === "format" || key === "pattern") {
        out[key] = value;
      } else {
        out[key] = typeof value === "object" && value !== null ? this.copy(value, refs) : value;
      }
    }
    return out;
  }

  /** The rewritten ref for `ref`, registering its definition. Non-local or dangling refs become `{}`-like refs. */
  private refFor(ref: string, refs: Set<string>): string {
    if (!ref.startsWith("#")) {
      this.dangling.add(ref);
      return ref;
    }
    const key = this.keyFor(ref);
    if (key === undefined) return ref;
    refs.add(key);
    return defRef(key);
  }

  /** The definition key for a pointer, creating the definition on first use; `undefined` if it does not resolve. */
  keyFor(pointer: string): string | undefined {
    let key = this.keyByPointer.get(pointer);
    if (key !== undefined && this.definitions.has(key)) return key;
    const target = resolvePointer(this.root, pointer);
    if (target === undefined || (typeof target !== "boolean" && !isRecord(target))) {
      this.dangling.add(pointer);
      return undefined;
    }
    if (key === undefined) {
      key = this.deriveKey(pointer);
      this.keyByPointer.set(pointer, key);
    }
    // Register before copying, so a cycle back to this pointer finds the key and stops.
    const definition: Definition = { schema: true, deps: [] };
    this.definitions.set(key, definition);
    if (typeof target === "boolean") {
      definition.schema = target;
    } else {
      const deps = new Set<string>();
      definition.schema = this.copy(target, deps) as JsonSchema;
      definition.deps = [...deps];
    }
    return key;
  }

  /**
   * A readable, unique key for a pointer outside the component section: its meaningful words
   * (`#/paths/~1things/get/responses/200/content/application~1json/schema/items` → `things`).
   */
  private deriveKey(pointer: string): string {
    const words: string[] = [];
    for (const segment of pointer.slice(2).split("/").map(decodeSegment)) {
      if (segment === "" || POINTER_NOISE.has(segment) || HTTP_METHODS.has(segment) || /^(\d+|\dXX|default)$/i.test(segment)) continue;
      if (segment.startsWith("/")) {
        // A path: its last literal word.
        const literal = segment.split("/").filter((w) => w !== "" && !w.startsWith("{")).pop();
        if (literal !== undefined) words.push(literal);
      } else if (!segment.includes("/")) {
        words.push(segment); // media types (`application/json`) say nothing about the schema
      }
    }
    const base = (words.slice(-2).join("_") || "schema").replace(/[^A-Za-z0-9_.-]/g, "_");
    let key = base;
    for (let n = 2; this.usedKeys.has(key); n++) key = `${base}_${n}`;
    this.usedKeys.add(key);
    return key;
  }

  /** Every definition created so far, by key (rewritten schemas, shared: treat as read-only). */
  allDefinitions(): Record<string, JsonSchema | boolean> {
    const out: Record<string, JsonSchema | boolean> = {};
    for (const [key, definition] of this.definitions) out[key] = definition.schema;
    return out;
  }

  /** Direct dependencies of every definition created so far (what {@link DefClosures} needs). */
  allDeps(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, definition] of this.definitions) if (definition.deps.length > 0) out[key] = definition.deps;
    return out;
  }
}

/**
 * Transitive closures over a definition graph. Strongly connected components are found once
 * (Tarjan's algorithm, iterative so long chains cannot overflow the stack); a closure is then
 * computed by one depth-first walk per component that is actually asked for, and shared by every
 * member of that component (so callers can share what they build from it: Stripe has one cycle
 * of ~300 schemas behind nearly every response). Cost: linear in the graph once, plus linear in
 * each closure handed out; never quadratic in the length of a chain.
 */
export class DefClosures {
  private readonly componentOf = new Map<string, number>();
  private readonly closures = new Map<number, readonly string[]>();
  private components = 0;

  /** @param depsOf Direct dependencies of a definition key. */
  constructor(private readonly depsOf: (key: string) => readonly string[]) {}

  /** The keys `roots` need, transitively (roots included), without duplicates. A single root returns a shared array. */
  closure(roots: readonly string[]): readonly string[] {
    if (roots.length === 0) return [];
    if (roots.length === 1) return this.closureOf(roots[0]!);
    const seen = new Set<string>();
    for (const root of roots) {
      if (seen.has(root)) continue;
      for (const key of this.closureOf(root)) seen.add(key);
    }
    return [...seen];
  }

  private closureOf(start: string): readonly string[] {
    if (!this.componentOf.has(start)) this.assignComponents(start);
    const component = this.componentOf.get(start)!;
    const memo = this.closures.get(component);
    if (memo !== undefined) return memo;
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (seen.has(key)) continue;
      seen.add(key);
      const deps = this.depsOf(key);
      for (let i = deps.length - 1; i >= 0; i--) if (!seen.has(deps[i]!)) stack.push(deps[i]!);
    }
    const result = [...seen];
    this.closures.set(component, result);
    return result;
  }

  /** Tarjan's strongly connected components for everything reachable from `start` not yet assigned. */
  private assignComponents(start: string): void {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    let counter = 0;
    // Explicit call stack: node and the position in its dependency list.
    const frames: { key: string; deps: readonly string[]; next: number }[] = [];
    const enter = (key: string): void => {
      index.set(key, counter);
      low.set(key, counter);
      counter++;
      stack.push(key);
      onStack.add(key);
      frames.push({ key, deps: this.depsOf(key), next: 0 });
    };
    enter(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.next < frame.deps.length) {
        const dep = frame.deps[frame.next++]!;
        if (this.componentOf.has(dep)) continue; // assigned earlier: not on this stack
        if (!index.has(dep)) enter(dep);
        else if (onStack.has(dep)) low.set(frame.key, Math.min(low.get(frame.key)!, index.get(dep)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.key, Math.min(low.get(parent.key)!, low.get(frame.key)!));
      if (low.get(frame.key) !== index.get(frame.key)) continue;
      // frame.key roots a component: pop its members.
      const component = this.components++;
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        this.componentOf.set(member, component);
      } while (member !== frame.key);
    }
  }
}
