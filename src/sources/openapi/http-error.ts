/**
 * The error a guest sees when an API answers with a non-2xx status, and the phrases the OpenAPI
 * source uses for transport failures.
 *
 * @module
 */
import { ToolError } from "../../errors.js";

/** Longest body excerpt carried in an error. */
export const MAX_BODY_EXCERPT = 500;

/** What an {@link HttpError} carries in `details`. */
export interface HttpErrorDetails {
  [key: string]: unknown;
  /** Config key of the source. */
  server: string;
  tool: string;
  status: number;
  statusText: string;
  method: string;
  /** The request URL without credentials. */
  url: string;
  /** Up to 500 characters of the response body. */
  bodyExcerpt: string;
  /** Seconds the server asked to wait (429/503 `Retry-After`). */
  retryAfterSeconds?: number;
}

/**
 * A non-2xx HTTP response (code `HTTP_ERROR`). A `ToolError`, so code that handles tool failures
 * handles it; `details` has the status, method, URL and a body excerpt.
 */
export class HttpError extends ToolError {
  override readonly code = "HTTP_ERROR" as const;
  declare readonly details: HttpErrorDetails;

  constructor(message: string, details: HttpErrorDetails) {
    super(message, details);
    this.name = "HttpError";
  }

  /** The HTTP status code. */
  get status(): number {
    return this.details.status;
  }
}

/** The first `max` characters of a body, whitespace collapsed, with `…` when cut. */
export function excerpt(text: string, max = MAX_BODY_EXCERPT): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The API's own error message from a JSON error body (`message`, `error.message`, `error_description`, …). */
export function apiMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const pick = (value: unknown): string | undefined => {
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      return pick(obj.message) ?? pick(obj.error_description) ?? pick(obj.detail) ?? pick(obj.title) ?? pick(obj.error);
    }
    return undefined;
  };
  const found = pick(parsed)?.replace(/\.+$/, "");
  // Field-level problems (GitHub `errors`, problem+json `validation`/`errors`, …): the first few.
  const problems: string[] = [];
  if (typeof parsed === "object" && parsed !== null) {
    for (const key of ["errors", "validation", "invalid_params"]) {
      const list = (parsed as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (typeof item === "string") problems.push(item);
        else if (typeof item === "object" && item !== null) {
          const entry = item as Record<string, unknown>;
          const text = pick(entry.message) ?? pick(entry.detail) ?? pick(entry.reason) ?? (typeof entry.code === "string" && typeof entry.field === "string" ? `${entry.field}: ${entry.code}` : undefined);
          if (text !== undefined) problems.push(text.replace(/\.+$/, ""));
        }
      }
    }
  }
  const shown = problems.slice(0, 3).join("; ");
  const text = [found, shown].filter((part) => part !== undefined && part !== "").join(": ");
  return text === "" ? undefined : excerpt(text, 300);
}

/** What the model should change, by status. */
export function statusAdvice(status: number, server: string): string {
  if (status === 400 || status === 422) return "Check the arguments against the tool's parameter types.";
  if (status === 401) return `The API rejected the credentials; the operator should check openapi.${server}.auth.`;
  if (status === 403) return `The credentials lack permission for this operation (or a rate limit applies); the operator may check openapi.${server}.auth.`;
  if (status === 404) return "Check the path parameters (owner, id, …): the resource does not exist or is not visible with these credentials.";
  if (status === 405) return "The API does not allow this method on this path.";
  if (status === 409) return "The request conflicts with the resource's current state.";
  if (status === 429) return "Rate limited: make fewer calls, or wait and try again.";
  if (status >= 500) return "The API failed; try again later.";
  return "";
}
