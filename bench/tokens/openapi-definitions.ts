/**
 * Classic function-calling definitions straight from an OpenAPI 3 document, independent of
 * toolcode's OpenAPI source, the way an "OpenAPI → tools" converter presents an API to a model.
 *
 * Per operation (every method of every path):
 * - `name`: the operationId with every character outside `[A-Za-z0-9_-]` replaced by `_`
 *   (`issues/list-for-repo` → `issues_list-for-repo`), cut to 64 characters (OpenAI's limit), a
 *   name already taken gets `_2`, `_3`;
 *   `method_path` when there is no operationId;
 * - `description`: summary, a blank line, then the description, in full;
 * - `parameters`: an object schema with one property per path, query and header parameter (the
 *   parameter's schema plus its description; path-level parameters included, operation-level ones
 *   override) and `body` for a JSON (or the first) request body; `required` as the spec says.
 * - `$ref`s are inlined recursively; a ref nested inside {@link DEFAULT_MAX_REF_DEPTH} other refs
 *   becomes `{ "type": "object", "description": "<Name> (not expanded)" }`, which also cuts cycles.
 *   `x-*` vendor keys are dropped. Responses are not part of a function definition.
 *
 * @module
 */
import type { FunctionDefinition, JsonSchema } from "./trajectory.js";

/** How many nested `$ref`s are inlined before a ref is replaced by a placeholder. */
export const DEFAULT_MAX_REF_DEPTH = 3;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An operation's definition and how to call it. */
export interface OpenApiOperation {
  definition: FunctionDefinition;
  operationId: string | undefined;
  method: string;
  path: string;
}

/** Result of {@link openApiDefinitions}. */
export interface OpenApiDefinitions {
  operations: OpenApiOperation[];
  /** Refs replaced by a placeholder because they were nested too deep (or cyclic). */
  cappedRefs: number;
}

/** Converts every operation of `doc`; see the module comment for the rules. */
export function openApiDefinitions(doc: Obj, maxRefDepth = DEFAULT_MAX_REF_DEPTH): OpenApiDefinitions {
  let cappedRefs = 0;
  const resolve = (ref: string): unknown => {
    if (!ref.startsWith("#/")) return undefined;
    let node: unknown = doc;
    for (const part of ref.slice(2).split("/")) {
      if (!isObj(node)) return undefined;
      node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return node;
  };
  const inline = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) return value.map((item) => inline(item, depth));
    if (!isObj(value)) return value;
    if (typeof value.$ref === "string") {
      const target = resolve(value.$ref);
      const name = value.$ref.split("/").at(-1) ?? value.$ref;
      if (target === undefined || depth >= maxRefDepth) {
        cappedRefs++;
        return { type: "object", description: `${name} (not expanded)` };
      }
      return inline(target, depth + 1);
    }
    const out: Obj = {};
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith("x-")) continue;
      out[key] = inline(item, depth);
    }
    return out;
  };
  const deref = (value: unknown): Obj | undefined => {
    let node = value;
    for (let hops = 0; isObj(node) && typeof node.$ref === "string" && hops < 10; hops++) node = resolve(node.$ref);
    return isObj(node) ? node : undefined;
  };

  const operations: OpenApiOperation[] = [];
  const names = new Set<string>();
  const paths = isObj(doc.paths) ? doc.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = deref(rawItem);
    if (!item) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const params = new Map<string, Obj>();
      for (const raw of [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const param = deref(raw);
        if (param && typeof param.name === "string" && param.in !== "cookie") params.set(`${String(param.in)}:${param.name}`, param);
      }
      const properties: Obj = {};
      const required: string[] = [];
      for (const param of params.values()) {
        const name = param.name as string;
        const inlined = inline(param.schema ?? {}, 0);
        const schema = isObj(inlined) ? inlined : {};
        properties[name] = typeof param.description === "string" ? { ...schema, description: param.description } : schema;
        if (param.required === true) required.push(name);
      }
      const body = deref(op.requestBody);
      if (body && isObj(body.content)) {
        const content = body.content;
        const mediaType = Object.keys(content).find((type) => type.includes("json")) ?? Object.keys(content)[0];
        const media = mediaType !== undefined ? content[mediaType] : undefined;
        if (isObj(media)) {
          const schema = inline(media.schema ?? {}, 0);
          properties.body = typeof body.description === "string" && isObj(schema) && schema.description === undefined ? { ...schema, description: body.description } : schema;
          if (body.required === true) required.push("body");
        }
      }
      const parameters: JsonSchema = { type: "object", properties };
      if (required.length > 0) parameters.required = required;
      const operationId = typeof op.operationId === "string" ? op.operationId : undefined;
      const rawName = operationId ?? `${method}_${path}`;
      let name = rawName.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
      for (let n = 2; names.has(name); n++) name = `${name.slice(0, 64 - String(n).length - 1)}_${n}`;
      names.add(name);
      const description = [op.summary, op.description].filter((text): text is string => typeof text === "string" && text.trim() !== "").join("\n\n");
      operations.push({ definition: { name, description, parameters }, operationId, method: method.toUpperCase(), path });
    }
  }
  return { operations, cappedRefs };
}
