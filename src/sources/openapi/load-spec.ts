/**
 * Reading, parsing and validating an OpenAPI document. Every failure is a `SourceError`
 * (`SOURCE_UNAVAILABLE`) naming `openapi.<name>.spec` and saying what is wrong with it.
 *
 * - Bytes: a file relative to the config directory, or an http(s) URL fetched with a timeout.
 * - Parse: JSON, else YAML (the `yaml` package).
 * - Validate with `@apidevtools/swagger-parser`: version check (Swagger 2.0, OpenAPI 3.0.x, 3.1.x)
 *   and the official OpenAPI JSON Schema. Its full `validate()` also dereferences every `$ref`
 *   into a shared object graph, which costs over a second on GitHub's spec and destroys the schema
 *   names the tools need; refs are resolved by {@link DefsBuilder} instead.
 * - External refs (`./schemas/pet.yaml#/Pet`) are bundled into the document with swagger-parser's
 *   `bundle()`; local refs are left in place.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { parse as parseYaml } from "yaml";
import { SourceError } from "../../errors.js";
import { describeNetworkFailure } from "../network-errors.js";
import { PROCESSING_VERSION } from "./operation-plan.js";

const require = createRequire(import.meta.url);

/** How long fetching a spec URL may take. */
const SPEC_FETCH_TIMEOUT_MS = 60_000;
/** Most characters of validation errors quoted in a message. */
const MAX_VALIDATION_CHARS = 1500;

/** A spec's raw bytes and where they came from. */
export interface SpecBytes {
  bytes: Buffer;
  /** Absolute file path or URL: what relative refs and server URLs resolve against. */
  location: string;
  /** `location` safe to show (no query string or user info: spec URLs may carry tokens). */
  display: string;
  isUrl: boolean;
}

/** Context for error messages. */
export interface SpecContext {
  /** Config key of the source. */
  source: string;
  /** The spec as configured. */
  spec: string;
}

function specKey(ctx: SpecContext): string {
  return `openapi.${ctx.source}.spec`;
}

function specError(ctx: SpecContext, display: string, message: string, cause?: unknown): SourceError {
  return new SourceError(
    "SOURCE_UNAVAILABLE",
    `OpenAPI source "${ctx.source}": ${message} Check ${specKey(ctx)}.`,
    { server: ctx.source, key: specKey(ctx), spec: display },
    cause === undefined ? undefined : { cause },
  );
}

/** A URL for messages: scheme, host and path only. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, "");
  }
}

/** Reads the spec bytes from a file (relative to `baseDir`) or an http(s) URL. */
export async function readSpecBytes(ctx: SpecContext, baseDir: string, fetchImpl: typeof fetch): Promise<SpecBytes> {
  if (/^https?:\/\//i.test(ctx.spec)) {
    const display = safeUrl(ctx.spec);
    let response: Response;
    let bytes: Buffer;
    try {
      response = await fetchImpl(ctx.spec, { signal: AbortSignal.timeout(SPEC_FETCH_TIMEOUT_MS), headers: { accept: "application/json, application/yaml, text/yaml, */*" } });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      const reason = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${SPEC_FETCH_TIMEOUT_MS} ms` : describeNetworkFailure(error);
      throw specError(ctx, display, `could not fetch the spec from ${display}: ${reason}.`, error);
    }
    if (!response.ok) throw specError(ctx, display, `fetching the spec from ${display} answered HTTP ${response.status} ${response.statusText}.`);
    return { bytes, location: ctx.spec, display, isUrl: true };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ctx.spec)) {
    throw specError(ctx, ctx.spec, `"${safeUrl(ctx.spec)}" is neither a file path nor an http(s) URL.`);
  }
  const file = path.resolve(baseDir, ctx.spec);
  try {
    return { bytes: await readFile(file), location: file, display: file, isUrl: false };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === "ENOENT"
        ? "does not exist (relative paths resolve against the config file's directory)"
        : code === "EISDIR"
          ? "is a directory, not a spec file"
          : `cannot be read (${code ?? (error as Error).message})`;
    throw specError(ctx, file, `spec file ${file} ${reason}.`, error);
  }
}

/** SHA-256 of the spec bytes and the processing version: the cache key. */
export function specHash(bytes: Uint8Array): string {
  return createHash("sha256").update(`toolcode-openapi-v${PROCESSING_VERSION}\0`).update(bytes).digest("hex");
}

/** Parses JSON or YAML text into a document object. */
export function parseSpecText(ctx: SpecContext, spec: SpecBytes): Record<string, unknown> {
  const text = spec.bytes.toString("utf8").replace(/^\uFEFF/, "");
  if (text.trim() === "") throw specError(ctx, spec.display, `the spec ${spec.display} is empty.`);
  let doc: unknown;
  const looksJson = /^\s*[{[]/.test(text);
  try {
    doc = looksJson ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 10_000 });
  } catch (jsonError) {
    if (looksJson) {
      // JSON with a syntax error, or YAML flow style starting with "{": try YAML before giving up.
      try {
        doc = parseYaml(text, { maxAliasCount: 10_000 });
      } catch {
        throw specError(ctx, spec.display, `the spec ${spec.display} is not valid JSON: ${(jsonError as Error).message}.`, jsonError);
      }
    } else {
      throw specError(ctx, spec.display, `the spec ${spec.display} is neither valid JSON nor YAML: ${(jsonError as Error).message.split("\n")[0]}.`, jsonError);
    }
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw specError(ctx, spec.display, `the spec ${spec.display} is not an OpenAPI document (expected an object with "openapi" or "swagger", "info" and "paths").`);
  }
  return doc as Record<string, unknown>;
}

type SchemaValidator = (api: unknown) => void;
let schemaValidator: SchemaValidator | undefined;

/** swagger-parser's JSON-Schema validator (ajv against the official OpenAPI schemas), loaded once. */
function validatorFor(): SchemaValidator {
  schemaValidator ??= require("@apidevtools/swagger-parser/lib/validators/schema.js") as SchemaValidator;
  return schemaValidator;
}

/**
 * Checks the version (swagger-parser `parse`) and, when `validate` is true, the document against
 * the OpenAPI JSON Schema. Relative server URLs stay relative (the source resolves them against
 * the spec URL).
 */
export async function checkSpec(ctx: SpecContext, spec: SpecBytes, doc: Record<string, unknown>, validate: boolean): Promise<void> {
  if (doc.openapi === undefined && doc.swagger === undefined) {
    throw specError(ctx, spec.display, `${spec.display} is not an OpenAPI document: it has no "openapi" (3.x) or "swagger" (2.0) version field.`);
  }
  try {
    // Only the document: with a location, swagger-parser would fetch or read it again.
    await new SwaggerParser().parse(doc as never);
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+$/, "");
    throw specError(ctx, spec.display, `${spec.display} is not a supported OpenAPI document: ${reason} (supported: Swagger 2.0, OpenAPI 3.0.x and 3.1.x).`, error);
  }
  if (!validate) return;
  try {
    validatorFor()(doc);
  } catch (error) {
    let reason = (error as Error).message.trim();
    if (reason.length > MAX_VALIDATION_CHARS) reason = `${reason.slice(0, MAX_VALIDATION_CHARS)} …`;
    throw specError(
      ctx,
      spec.display,
      `the spec ${spec.display} does not match the OpenAPI schema: ${reason}\nFix the spec, or set openapi.${ctx.source}.validate to false to load it anyway (broken operations are then skipped with a warning).`,
      error,
    );
  }
}

/** True when the document has a `$ref` that does not start with `#` (another file or URL). */
export function hasExternalRefs(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === "object" && item !== null) stack.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (typeof record.$ref === "string" && !record.$ref.startsWith("#")) return true;
    for (const key in record) {
      const item = record[key];
      if (typeof item === "object" && item !== null) stack.push(item);
    }
  }
  return false;
}

/** Inlines external refs (other files, URLs) so every ref is local. */
export async function bundleSpec(ctx: SpecContext, spec: SpecBytes, doc: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    const bundled = await new SwaggerParser().bundle(spec.location, doc as never);
    return bundled as unknown as Record<string, unknown>;
  } catch (error) {
    throw specError(ctx, spec.display, `resolving the external $refs of ${spec.display} failed: ${(error as Error).message}.`, error);
  }
}
