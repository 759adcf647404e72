/**
 * Turns a parsed OpenAPI 3.0 / 3.1 or Swagger 2.0 document into {@link OperationPlan}s: one per
 * operation, with a self-contained input schema (path, query, header and cookie parameters as
 * properties, the request body as `body`), an output schema from the first 2xx response, and
 * everything the HTTP client needs to serialize a call. Operations that cannot be called (an
 * unsupported request content type, a parameter in an unknown place) are skipped with a warning.
 *
 * Schemas are never dereferenced into (possibly circular) object graphs: refs become
 * `#/$defs/<name>` entries via {@link DefsBuilder}.
 *
 * @module
 */
import type { JsonSchema } from "../tool-source.js";
import { BINARY_INPUT_SCHEMA, BINARY_OUTPUT_SCHEMA, essence, isJsonType, isTextType } from "./media-types.js";
import {
  PROCESSING_VERSION,
  type BodyKind,
  type BodyPlan,
  type OperationPlan,
  type ParamLocation,
  type ParamPlan,
  type ParamStyle,
  type ProcessedSpec,
  type PropertyEncoding,
  type ResponseKind,
} from "./operation-plan.js";
import { DefsBuilder, resolvePointer, stripLinks } from "./schema-defs.js";

/** HTTP methods an OpenAPI path item may hold, in the order tools are listed. */
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
/** Name of the generic request tool; an operation with the same name gets a suffix. */
export const REQUEST_TOOL_NAME = "request";
/** Descriptions longer than this are cut at a word boundary. */
const MAX_DESCRIPTION_CHARS = 1000;
/** Most operation names listed in the "no operationId" warning. */
const MAX_LISTED = 20;
/** Header parameters OpenAPI says to ignore (they are set by the client itself). */
const IGNORED_HEADERS = new Set(["accept", "content-type", "authorization"]);
/** Swagger 2 parameter keys that carry over into a JSON Schema. */
const SWAGGER2_SCHEMA_KEYS = [
  "type", "format", "enum", "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
  "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "multipleOf", "description",
] as const;

type Obj = Record<string, unknown>;

function isRecord(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** Thrown inside operation processing: the operation is skipped and the message becomes a warning. */
class SkipOperation extends Error {}

/** Follows `$ref` chains of non-schema objects (parameters, request bodies, responses, path items). */
function deref(doc: unknown, value: unknown): unknown {
  let node = value;
  for (let hops = 0; isRecord(node) && typeof node.$ref === "string"; hops++) {
    if (hops > 20) throw new SkipOperation(`$ref chain too long at ${node.$ref}`);
    const target = resolvePointer(doc, node.$ref);
    if (target === undefined) throw new SkipOperation(`unresolved $ref ${node.$ref}`);
    node = target;
  }
  return node;
}

/** `https://{region}.example.com/v{version}` with each variable's default filled in. */
function fillServerUrl(server: unknown): string | undefined {
  if (!isRecord(server) || typeof server.url !== "string") return undefined;
  const variables = isRecord(server.variables) ? server.variables : {};
  return server.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const variable = variables[name];
    return isRecord(variable) && variable.default !== undefined ? String(variable.default) : whole;
  });
}

function serverList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const urls = value.map(fillServerUrl).filter((u): u is string => u !== undefined);
  return urls.length > 0 ? urls : undefined;
}

/** Servers of the whole API: OpenAPI 3 `servers`, Swagger 2 `schemes` + `host` + `basePath`. */
function documentServers(doc: Obj, swagger2: boolean): string[] {
  if (!swagger2) return serverList(doc.servers) ?? [];
  const basePath = str(doc.basePath) ?? "";
  const host = str(doc.host);
  if (host === undefined) return basePath === "" ? [] : [basePath];
  const schemes = Array.isArray(doc.schemes) ? doc.schemes.filter((s): s is string => typeof s === "string") : [];
  const scheme = schemes.includes("https") ? "https" : (schemes[0] ?? "https");
  return [`${scheme}://${host}${basePath}`];
}

/** Summary + description as one text: markdown links reduced to their text, capped. */
export function describeOperation(summary: string | undefined, description: string | undefined, deprecated: boolean): string | undefined {
  const parts: string[] = [];
  if (deprecated) parts.push("Deprecated.");
  if (summary !== undefined) parts.push(summary.trim().replace(/\.?$/, "."));
  if (description !== undefined && description.trim() !== summary?.trim()) parts.push(description.trim());
  if (parts.length === 0) return undefined;
  let text = stripLinks(parts.join("\n\n")).replace(/\n{3,}/g, "\n\n").trim();
  if (text.length > MAX_DESCRIPTION_CHARS) {
    const cut = text.slice(0, MAX_DESCRIPTION_CHARS);
    const space = cut.lastIndexOf(" ");
    text = `${(space > MAX_DESCRIPTION_CHARS * 0.8 ? cut.slice(0, space) : cut).trimEnd()} …`;
  }
  return text;
}

/** `GET /pets/{petId}` → `get_pets_petId`. */
export function nameFromPath(method: string, path: string): string {
  const words = path
    .split("/")
    .filter(Boolean)
    .map((segment) => segment.replace(/[{}]/g, ""))
    .join("_");
  return `${method.toLowerCase()}_${words}`.replace(/[^A-Za-z0-9_]+/g, "_").replace(/_+/g, "_").replace(/_$/, "");
}

/** Swagger 2 `collectionFormat` as an OpenAPI 3 style. */
function styleFromCollectionFormat(format: unknown, location: ParamLocation): { style: ParamStyle; explode: boolean } {
  switch (format) {
    case "multi":
      return { style: "form", explode: true };
    case "ssv":
      return { style: "spaceDelimited", explode: false };
    case "tsv":
      return { style: "tabDelimited", explode: false };
    case "pipes":
      return { style: "pipeDelimited", explode: false };
    default:
      return { style: location === "query" || location === "cookie" ? "form" : "simple", explode: false };
  }
}

/** A Swagger 2 non-body parameter (or its `items`) as JSON Schema. */
function swagger2Schema(param: Obj): JsonSchema {
  const schema: JsonSchema = {};
  for (const key of SWAGGER2_SCHEMA_KEYS) if (param[key] !== undefined) schema[key] = param[key];
  if (param.type === "file") {
    schema.type = "string";
    schema.format = "binary";
  }
  if (isRecord(param.items)) schema.items = swagger2Schema(param.items);
  if (param["x-nullable"] === true) schema.nullable = true;
  return schema;
}

/**
 * How a request body of `mediaType` with `schema` can be sent: JSON, form and multipart from a
 * value; any other type only when its schema is a string (or absent), as text or bytes. A
 * structured schema for, say, `application/xml` cannot be encoded and is unsupported.
 */
function bodyKindOf(mediaType: string, schema: unknown): BodyKind | undefined {
  const type = essence(mediaType);
  if (isJsonType(type) || type === "*/*" || type === "application/*") return "json";
  if (type === "application/x-www-form-urlencoded") return "form";
  if (type === "multipart/form-data" || type === "multipart/mixed") return "multipart";
  const stringy = schema === undefined || (isRecord(schema) && (schema.type === "string" || Object.keys(schema).length === 0));
  if (!stringy) return undefined;
  if (isTextType(type)) return "text";
  return "binary";
}

const BODY_PREFERENCE: BodyKind[] = ["json", "form", "multipart", "text", "binary"];

/** The best media type we can send, from `[mediaType, schema]` pairs. */
function pickBodyType(types: [string, unknown][]): { mediaType: string; kind: BodyKind } | undefined {
  let best: { mediaType: string; kind: BodyKind } | undefined;
  for (const [mediaType, schema] of types) {
    const kind = bodyKindOf(mediaType, schema);
    if (kind === undefined) continue;
    if (best === undefined || BODY_PREFERENCE.indexOf(kind) < BODY_PREFERENCE.indexOf(best.kind)) best = { mediaType, kind };
  }
  return best;
}

function responseKindOf(mediaType: string): ResponseKind {
  const type = essence(mediaType);
  if (isJsonType(type) || type === "*/*") return "json";
  if (isTextType(type)) return "text";
  return "binary";
}

/** 2xx response codes in order: `200` before `201` … before `2XX`. */
function successCodes(responses: Obj): string[] {
  return Object.keys(responses)
    .filter((code) => /^2(\d\d|XX)$/i.test(code))
    .sort((a, b) => (a.toUpperCase() === "2XX" ? 1 : b.toUpperCase() === "2XX" ? -1 : Number(a) - Number(b)));
}

function parseEncoding(value: unknown): Record<string, PropertyEncoding> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, PropertyEncoding> = {};
  for (const [prop, raw] of Object.entries(value)) {
    if (!isRecord(raw)) continue;
    const encoding: PropertyEncoding = {};
    if (typeof raw.style === "string") encoding.style = raw.style as ParamStyle;
    if (typeof raw.explode === "boolean") encoding.explode = raw.explode;
    if (typeof raw.contentType === "string") encoding.contentType = raw.contentType;
    out[prop] = encoding;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A parameter as collected before property names are assigned. */
interface RawParam {
  name: string;
  in: ParamLocation;
  required: boolean;
  style: ParamStyle;
  explode: boolean;
  json: boolean;
  schema: JsonSchema;
}

/** State shared by every operation of one document. */
class SpecProcessor {
  readonly defs: DefsBuilder;
  readonly warnings: string[] = [];
  private readonly swagger2: boolean;
  private readonly names = new Set<string>([REQUEST_TOOL_NAME]);
  private readonly unnamed: string[] = [];

  constructor(private readonly doc: Obj) {
    this.swagger2 = doc.swagger === "2.0";
    this.defs = new DefsBuilder(doc, this.swagger2 ? "#/definitions/" : "#/components/schemas/");
  }

  run(): ProcessedSpec {
    const operations: OperationPlan[] = [];
    const paths = isRecord(this.doc.paths) ? this.doc.paths : {};
    for (const [path, rawItem] of Object.entries(paths)) {
      let item: unknown;
      try {
        item = deref(this.doc, rawItem);
      } catch (error) {
        this.warnings.push(`skipped path ${path}: ${(error as Error).message}`);
        continue;
      }
      if (!isRecord(item)) continue;
      for (const method of METHODS) {
        const op = item[method];
        if (!isRecord(op)) continue;
        const label = `${method.toUpperCase()} ${path}${typeof op.operationId === "string" ? ` (${op.operationId})` : ""}`;
        try {
          operations.push(this.operation(path, method, item, op));
        } catch (error) {
          if (!(error instanceof SkipOperation)) throw error;
          this.warnings.push(`skipped ${label}: ${error.message}`);
        }
      }
    }
    if (this.unnamed.length > 0) {
      const shown = this.unnamed.slice(0, MAX_LISTED).join(", ");
      const more = this.unnamed.length > MAX_LISTED ? `, … (${this.unnamed.length - MAX_LISTED} more)` : "";
      this.warnings.push(`${this.unnamed.length} operation(s) have no operationId and were named from method and path: ${shown}${more}`);
    }
    for (const pointer of this.defs.dangling) this.warnings.push(`unresolved $ref ${pointer}: treated as any value`);
    const info = isRecord(this.doc.info) ? this.doc.info : {};
    return {
      version: PROCESSING_VERSION,
      specVersion: String(this.doc.openapi ?? this.doc.swagger ?? ""),
      title: str(info.title) ?? "",
      servers: documentServers(this.doc, this.swagger2),
      defs: this.defs.allDefinitions(),
      deps: this.defs.allDeps(),
      operations,
      warnings: this.warnings,
    };
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base}_${n}`;
    this.names.add(name);
    return name;
  }

  /** A schema with a top-level `$ref` followed (for deciding how a body is encoded; not copied). */
  private resolveSchema(schema: unknown): unknown {
    try {
      return deref(this.doc, schema);
    } catch {
      return schema;
    }
  }

  private operation(path: string, method: string, item: Obj, op: Obj): OperationPlan {
    const inputRefs = new Set<string>();
    const rawParams = this.parameters(path, item, op, inputRefs);
    let body = this.swagger2 ? this.swagger2Body(item, op, inputRefs) : this.requestBody(op, inputRefs);
    if (body !== undefined && (method === "get" || method === "head")) {
      // fetch cannot send a body with GET or HEAD; the operation stays usable without it.
      this.warnings.push(`ignored the request body of ${method.toUpperCase()} ${path}${typeof op.operationId === "string" ? ` (${op.operationId})` : ""}: a ${method.toUpperCase()} request cannot carry a body`);
      body = undefined;
    }
    const params = assignProps(rawParams, body !== undefined);

    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [index, param] of params.entries()) {
      properties[param.prop] = rawParams[index]!.schema;
      if (param.required) required.push(param.prop);
    }
    if (body !== undefined) {
      properties.body = body.schema;
      if (body.plan.required) required.push("body");
    }
    const inputSchema: JsonSchema = { type: "object", properties };
    if (required.length > 0) inputSchema.required = required;
    inputSchema.additionalProperties = false;

    const outputRefs = new Set<string>();
    const output = this.response(op, outputRefs);

    const operationId = str(op.operationId);
    const baseName = operationId ?? nameFromPath(method, path);
    const name = this.uniqueName(baseName);
    if (operationId === undefined) this.unnamed.push(name);
    else if (name !== baseName) this.warnings.push(`duplicate operationId "${operationId}" (${method.toUpperCase()} ${path}) renamed to "${name}"`);

    const deprecated = op.deprecated === true;
    const plan: OperationPlan = {
      name,
      method: method.toUpperCase(),
      path,
      tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === "string") : [],
      params,
      response: output.kind,
      inputSchema,
      inputRefs: [...inputRefs],
      outputRefs: [],
    };
    if (operationId !== undefined) plan.operationId = operationId;
    const servers = this.swagger2 ? undefined : (serverList(op.servers) ?? serverList(item.servers));
    if (servers !== undefined) plan.servers = servers;
    if (body !== undefined) plan.body = body.plan;
    if (output.accept !== undefined) plan.accept = output.accept;
    const summary = str(op.summary);
    if (summary !== undefined) plan.title = summary.trim();
    const description = describeOperation(summary, str(op.description), deprecated);
    if (description !== undefined) plan.description = description;
    if (deprecated) plan.deprecated = true;
    if (output.schema !== undefined) {
      plan.outputSchema = output.schema;
      plan.outputRefs = [...outputRefs];
    }
    return plan;
  }

  /** Path-level and operation-level parameters (the operation's win), in declaration order. */
  private parameters(path: string, item: Obj, op: Obj, refs: Set<string>): RawParam[] {
    const byKey = new Map<string, RawParam>();
    const lists = [item.parameters, op.parameters];
    for (const list of lists) {
      if (list === undefined) continue;
      if (!Array.isArray(list)) throw new SkipOperation("parameters is not an array");
      for (const raw of list) {
        const param = deref(this.doc, raw);
        if (!isRecord(param)) throw new SkipOperation("a parameter is not an object");
        const location = param.in;
        if (location === "body" || location === "formData") continue; // Swagger 2: handled as the body
        const parsed = this.parameter(param, refs);
        byKey.set(`${parsed.in}:${parsed.name}`, parsed);
      }
    }
    const templateNames = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const result: RawParam[] = [];
    for (const param of byKey.values()) {
      if (param.in === "path" && !templateNames.includes(param.name)) continue; // declared but not in the path
      if (param.in === "header" && IGNORED_HEADERS.has(param.name.toLowerCase())) continue;
      result.push(param);
    }
    for (const name of templateNames) {
      if (!byKey.has(`path:${name}`)) {
        result.push({ name, in: "path", required: true, style: "simple", explode: false, json: false, schema: { type: "string" } });
      }
    }
    // Path parameters first, in template order: they read naturally in a call.
    const pathOrder = (p: RawParam): number => (p.in === "path" ? templateNames.indexOf(p.name) : templateNames.length);
    return result.map((p, i) => ({ p, i })).sort((a, b) => pathOrder(a.p) - pathOrder(b.p) || a.i - b.i).map(({ p }) => p);
  }

  private parameter(param: Obj, refs: Set<string>): RawParam {
    const name = str(param.name);
    const location = param.in;
    if (name === undefined) throw new SkipOperation("a parameter has no name");
    if (location !== "path" && location !== "query" && location !== "header" && location !== "cookie") {
      throw new SkipOperation(`parameter "${name}" is in "${String(location)}", which is not supported`);
    }
    let schema: JsonSchema;
    let json = false;
    let style: ParamStyle;
    let explode: boolean;
    if (this.swagger2) {
      schema = this.defs.rewrite(swagger2Schema(param), refs).schema;
      ({ style, explode } = styleFromCollectionFormat(param.collectionFormat, location));
    } else {
      if (isRecord(param.schema) || typeof param.schema === "boolean") {
        schema = this.defs.rewrite(param.schema, refs).schema;
      } else if (isRecord(param.content)) {
        const [mediaType, media] = Object.entries(param.content)[0] ?? [];
        if (mediaType === undefined || !isJsonType(mediaType)) {
          throw new SkipOperation(`parameter "${name}" has content type ${mediaType ?? "(none)"}, which is not supported`);
        }
        schema = this.defs.rewrite(isRecord(media) ? media.schema : undefined, refs).schema;
        json = true;
      } else {
        schema = {};
      }
      const defaultStyle: ParamStyle = location === "query" || location === "cookie" ? "form" : "simple";
      style = typeof param.style === "string" ? (param.style as ParamStyle) : defaultStyle;
      explode = typeof param.explode === "boolean" ? param.explode : style === "form";
      const description = str(param.description);
      if (description !== undefined && schema.description === undefined) schema = { ...schema, description: stripLinks(description) };
      if (param.deprecated === true) schema = { ...schema, deprecated: true };
      if (param.example !== undefined && schema.example === undefined && ["string", "number", "boolean"].includes(typeof param.example)) {
        schema = { ...schema, example: param.example };
      }
    }
    return { name, in: location, required: location === "path" || param.required === true, style, explode, json, schema };
  }

  /** OpenAPI 3 `requestBody`. */
  private requestBody(op: Obj, refs: Set<string>): { plan: BodyPlan; schema: JsonSchema } | undefined {
    if (op.requestBody === undefined) return undefined;
    const body = deref(this.doc, op.requestBody);
    if (!isRecord(body) || !isRecord(body.content)) return undefined;
    const types = Object.keys(body.content);
    if (types.length === 0) return undefined;
    const content = body.content;
    const schemaOf = (type: string): unknown => {
      const media = content[type];
      return isRecord(media) ? this.resolveSchema(media.schema) : undefined;
    };
    const picked = pickBodyType(types.map((t) => [t, schemaOf(t)]));
    if (picked === undefined) {
      throw new SkipOperation(
        `request body type ${types.join(", ")} is not supported (supported: JSON, form, multipart; other types only as a string or bytes)`,
      );
    }
    const media = content[picked.mediaType];
    const mediaObj = isRecord(media) ? media : {};
    let schema: JsonSchema;
    if (picked.kind === "binary") schema = { ...BINARY_INPUT_SCHEMA };
    else if (picked.kind === "text") schema = { type: "string" };
    else schema = this.defs.rewrite(mediaObj.schema ?? {}, refs).schema;
    const description = str(body.description);
    if (description !== undefined && schema.description === undefined) schema = { ...schema, description };
    const mediaType = picked.mediaType === "*/*" || picked.mediaType === "application/*" ? "application/json" : picked.mediaType;
    const plan: BodyPlan = { mediaType, kind: picked.kind, required: body.required === true };
    const encoding = parseEncoding(mediaObj.encoding);
    if (encoding !== undefined) plan.encoding = encoding;
    return { plan, schema };
  }

  /** Swagger 2 `in: body` / `in: formData` parameters as the body. */
  private swagger2Body(item: Obj, op: Obj, refs: Set<string>): { plan: BodyPlan; schema: JsonSchema } | undefined {
    const params: Obj[] = [];
    for (const list of [item.parameters, op.parameters]) {
      if (!Array.isArray(list)) continue;
      for (const raw of list) {
        const param = deref(this.doc, raw);
        if (isRecord(param) && (param.in === "body" || param.in === "formData")) params.push(param);
      }
    }
    if (params.length === 0) return undefined;
    const consumes = (Array.isArray(op.consumes) ? op.consumes : Array.isArray(this.doc.consumes) ? this.doc.consumes : []).filter(
      (t): t is string => typeof t === "string",
    );
    const bodyParam = params.find((p) => p.in === "body");
    if (bodyParam !== undefined) {
      const bodySchema = this.resolveSchema(bodyParam.schema);
      const picked = pickBodyType((consumes.length > 0 ? consumes : ["application/json"]).map((t) => [t, bodySchema]));
      if (picked === undefined) throw new SkipOperation(`request body type ${consumes.join(", ")} is not supported`);
      if (picked.mediaType === "*/*" || picked.mediaType === "application/*") picked.mediaType = "application/json";
      let schema: JsonSchema =
        picked.kind === "binary" ? { ...BINARY_INPUT_SCHEMA } : picked.kind === "text" ? { type: "string" } : this.defs.rewrite(bodyParam.schema ?? {}, refs).schema;
      const description = str(bodyParam.description);
      if (description !== undefined && schema.description === undefined) schema = { ...schema, description };
      return { plan: { mediaType: picked.mediaType, kind: picked.kind, required: bodyParam.required === true }, schema };
    }
    // formData: an object whose properties are the form fields.
    const hasFile = params.some((p) => p.type === "file");
    const multipart = hasFile || consumes.some((t) => essence(t) === "multipart/form-data");
    if (consumes.length > 0 && !consumes.some((t) => ["multipart/form-data", "application/x-www-form-urlencoded"].includes(essence(t)))) {
      throw new SkipOperation(`form parameters with content type ${consumes.join(", ")} are not supported`);
    }
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    const encoding: Record<string, PropertyEncoding> = {};
    for (const param of params) {
      const name = str(param.name);
      if (name === undefined) throw new SkipOperation("a form parameter has no name");
      properties[name] = this.defs.rewrite(swagger2Schema(param), refs).schema;
      if (param.required === true) required.push(name);
      if (param.type === "array") encoding[name] = styleFromCollectionFormat(param.collectionFormat, "query");
    }
    const schema: JsonSchema = { type: "object", properties };
    if (required.length > 0) schema.required = required;
    const plan: BodyPlan = {
      mediaType: multipart ? "multipart/form-data" : "application/x-www-form-urlencoded",
      kind: multipart ? "multipart" : "form",
      required: required.length > 0,
    };
    if (Object.keys(encoding).length > 0) plan.encoding = encoding;
    return { plan, schema };
  }

  /** The first 2xx response: output schema, `Accept` header and kind. */
  private response(op: Obj, refs: Set<string>): { kind: ResponseKind; accept?: string; schema?: JsonSchema } {
    const responses = isRecord(op.responses) ? op.responses : {};
    for (const code of successCodes(responses)) {
      let response: unknown;
      try {
        response = deref(this.doc, responses[code]);
      } catch {
        continue;
      }
      if (!isRecord(response)) continue;
      if (this.swagger2) {
        if (response.schema === undefined) return { kind: "none" };
        const produces = (Array.isArray(op.produces) ? op.produces : Array.isArray(this.doc.produces) ? this.doc.produces : []).filter(
          (t): t is string => typeof t === "string",
        );
        const schemaObj = response.schema;
        if (isRecord(schemaObj) && schemaObj.type === "file") {
          return { kind: "binary", accept: produces.join(", ") || "*/*", schema: BINARY_OUTPUT_SCHEMA };
        }
        const jsonType = produces.length === 0 ? "application/json" : produces.find(isJsonType);
        if (jsonType !== undefined) {
          return { kind: "json", accept: produces.length > 0 ? orderAccept(produces) : jsonType, schema: this.defs.rewrite(schemaObj, refs).schema };
        }
        const kind = responseKindOf(produces[0] ?? "");
        return { kind, accept: produces.join(", "), schema: kind === "text" ? { type: "string" } : BINARY_OUTPUT_SCHEMA };
      }
      if (!isRecord(response.content) || Object.keys(response.content).length === 0) return { kind: "none" };
      const types = Object.keys(response.content);
      const jsonType = types.find((t) => responseKindOf(t) === "json");
      const accept = orderAccept(types);
      if (jsonType !== undefined) {
        const media = response.content[jsonType];
        const schema = isRecord(media) && media.schema !== undefined ? this.defs.rewrite(media.schema, refs).schema : undefined;
        return schema === undefined ? { kind: "json", accept } : { kind: "json", accept, schema };
      }
      const kind = responseKindOf(types[0]!);
      return { kind, accept, schema: kind === "text" ? { type: "string" } : BINARY_OUTPUT_SCHEMA };
    }
    return { kind: "none" };
  }
}

/** JSON media types first, `*\/*` dropped (it is implied), joined for an `Accept` header. */
function orderAccept(types: string[]): string {
  const concrete = types.filter((t) => t !== "*/*");
  const json = concrete.filter(isJsonType);
  const rest = concrete.filter((t) => !isJsonType(t));
  const list = [...json, ...rest];
  return list.length > 0 ? list.join(", ") : "*/*";
}

/**
 * Gives each parameter its property name: the wire name, unless another parameter (in another
 * place) or the request body already uses it; then `<in>_<name>` (`query_body`, `header_id`).
 */
function assignProps(params: RawParam[], hasBody: boolean): ParamPlan[] {
  const count = new Map<string, number>();
  for (const p of params) count.set(p.name, (count.get(p.name) ?? 0) + 1);
  const used = new Set<string>(hasBody ? ["body"] : []);
  const result: ParamPlan[] = [];
  for (const p of params) {
    let prop = p.name;
    if (used.has(prop) || ((count.get(prop) ?? 0) > 1 && p.in !== "path")) prop = `${p.in}_${p.name}`;
    for (let n = 2; used.has(prop); n++) prop = `${p.in}_${p.name}_${n}`;
    used.add(prop);
    const plan: ParamPlan = { prop, name: p.name, in: p.in, required: p.required, style: p.style, explode: p.explode };
    if (p.json) plan.json = true;
    result.push(plan);
  }
  return result;
}

/**
 * Processes a parsed, version-checked spec document (refs still in place) into operation plans,
 * shared definitions and warnings. Pure and synchronous; its output is what the cache stores.
 */
export function processSpec(doc: Record<string, unknown>): ProcessedSpec {
  return new SpecProcessor(doc).run();
}
