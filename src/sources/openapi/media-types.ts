/**
 * Media-type classification shared by spec processing (which request bodies we can send, what a
 * response declares) and the HTTP client (how to decode what arrived).
 *
 * @module
 */
import type { JsonSchema } from "../tool-source.js";

/** The essence of a Content-Type: lower case, parameters dropped. */
export function essence(mediaType: string): string {
  return (mediaType.split(";")[0] ?? "").trim().toLowerCase();
}

/** `application/json`, `application/vnd.github+json`, `application/json; charset=utf-8`. */
export function isJsonType(mediaType: string): boolean {
  const type = essence(mediaType);
  return /^application\/(?:[\w.+-]+\+)?json$/.test(type) || type === "application/x-ndjson" || type === "text/json";
}

/** Types whose bodies are text: `text/*`, XML, YAML, JavaScript, form data. */
export function isTextType(mediaType: string): boolean {
  const type = essence(mediaType);
  return (
    type.startsWith("text/") ||
    /^application\/(?:[\w.+-]+\+)?(?:xml|yaml|x-yaml|javascript|ecmascript|x-www-form-urlencoded|graphql|sql)$/.test(type) ||
    /\.(?:diff|patch|sha)$/.test(type) ||
    /\+(?:xml|yaml)$/.test(type)
  );
}

/** `text/html` or XHTML: what a login page or proxy error sends where an API should answer JSON. */
export function isHtmlType(mediaType: string): boolean {
  const type = essence(mediaType);
  return type === "text/html" || type === "application/xhtml+xml";
}

/** The shape of a binary value in tool inputs and results. */
export interface BinaryValue {
  type: "binary";
  mimeType: string;
  base64: string;
}

/** Output schema of operations that answer bytes. */
export const BINARY_OUTPUT_SCHEMA: JsonSchema = {
  type: "object",
  description: "Binary response body, base64-encoded.",
  properties: {
    type: { const: "binary" },
    mimeType: { type: "string" },
    base64: { type: "string" },
  },
  required: ["type", "mimeType", "base64"],
  additionalProperties: false,
};

/** Input schema of `application/octet-stream` bodies: text (sent as UTF-8) or base64 bytes. */
export const BINARY_INPUT_SCHEMA: JsonSchema = {
  anyOf: [
    { type: "string", description: "Text content, sent as UTF-8." },
    {
      type: "object",
      description: "Bytes, base64-encoded.",
      properties: { base64: { type: "string" }, mimeType: { type: "string" } },
      required: ["base64"],
      additionalProperties: false,
    },
  ],
};
