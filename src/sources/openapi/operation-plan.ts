/**
 * What the OpenAPI source keeps of a spec after processing: per operation, how to turn a tool's
 * input into an HTTP request and what it answers, plus the shared schema definitions. Plain JSON,
 * so it can be cached on disk and reused while the spec bytes are unchanged.
 *
 * @module
 */
import type { JsonSchema } from "../tool-source.js";

/** Where a parameter travels. */
export type ParamLocation = "path" | "query" | "header" | "cookie";

/**
 * Parameter serialization style (OpenAPI 3 `style`; Swagger 2 `collectionFormat` is mapped onto
 * it, with `tabDelimited` for `tsv`).
 */
export type ParamStyle = "simple" | "label" | "matrix" | "form" | "spaceDelimited" | "pipeDelimited" | "tabDelimited" | "deepObject";

/** One parameter of an operation. */
export interface ParamPlan {
  /** Property name in the tool's input (the wire name unless two parameters share it). */
  prop: string;
  /** Name on the wire. */
  name: string;
  in: ParamLocation;
  required: boolean;
  style: ParamStyle;
  explode: boolean;
  /** Send the value JSON-encoded (OpenAPI 3 parameters with `content: application/json`). */
  json?: boolean;
}

/** How a request body is encoded. */
export type BodyKind = "json" | "form" | "multipart" | "text" | "binary";

/** Per-property encoding of form bodies (OpenAPI 3 `encoding`). */
export interface PropertyEncoding {
  style?: ParamStyle;
  explode?: boolean;
  contentType?: string;
}

/** The request body of an operation. */
export interface BodyPlan {
  /** Content-Type sent. */
  mediaType: string;
  kind: BodyKind;
  required: boolean;
  encoding?: Record<string, PropertyEncoding>;
}

/** What the first 2xx response declares. */
export type ResponseKind = "json" | "text" | "binary" | "none";

/** One operation, ready to become a tool and to be called. */
export interface OperationPlan {
  /** Tool name at the source: the operationId, else `<method>_<path words>`. Unique per spec. */
  name: string;
  /** Upper-case HTTP method. */
  method: string;
  /** Path template, e.g. `/repos/{owner}/{repo}/issues`. */
  path: string;
  operationId?: string;
  tags: string[];
  /** Operation- or path-level server URLs (used when the config sets no `baseUrl`). */
  servers?: string[];
  params: ParamPlan[];
  body?: BodyPlan;
  /** `Accept` header: the media types the first 2xx response declares. */
  accept?: string;
  response: ResponseKind;
  title?: string;
  description?: string;
  deprecated?: boolean;
  /** Input schema without `$defs`; {@link inputRefs} lists the definitions it points at directly. */
  inputSchema: JsonSchema;
  inputRefs: string[];
  /** Output schema (first 2xx response) without `$defs`. */
  outputSchema?: JsonSchema;
  outputRefs: string[];
}

/** A processed spec: what the disk cache holds. */
export interface ProcessedSpec {
  /** {@link PROCESSING_VERSION} that produced it. */
  version: number;
  /** `openapi` or `swagger` version string of the spec. */
  specVersion: string;
  title: string;
  /** Server URLs from the spec (variables filled with their defaults; possibly relative). */
  servers: string[];
  /** Every definition any operation needs, by key (refs inside point to `#/$defs/<key>`). */
  defs: Record<string, JsonSchema | boolean>;
  /** Direct dependencies between definitions (keys without any are omitted). */
  deps: Record<string, string[]>;
  operations: OperationPlan[];
  /** Problems found while processing (skipped operations, dangling refs), without the source name. */
  warnings: string[];
}

/** Bump when processing changes what it produces, so old cache entries are ignored. */
export const PROCESSING_VERSION = 2;
