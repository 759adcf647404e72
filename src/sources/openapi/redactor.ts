/**
 * Keeps credentials out of everything an OpenAPI source produces: error messages and details,
 * warnings and results (a server that echoes request headers back would otherwise hand the token
 * to the guest). Secrets are the configured token, key, password, client secret, static header
 * values, their encoded forms, and OAuth access tokens as they are fetched.
 *
 * @module
 */
import { ToolcodeError } from "../../errors.js";

/** Replacement text for a secret. */
export const REDACTED = "[redacted]";
/**
 * Shorter values are not treated as secrets: replacing every `1` or `ab` in results would
 * corrupt them, and a secret that short is no secret.
 */
const MIN_SECRET_LENGTH = 6;

/** Replaces known secret strings wherever they occur. */
export class Redactor {
  private secrets: string[] = [];

  /** @param secrets Initial secrets; shorter than 6 characters are ignored. */
  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Adds a secret, plus its URL-encoded and base64 forms (as they may appear in URLs and headers). */
  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH) return;
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")];
    for (const form of forms) if (!this.secrets.includes(form)) this.secrets.push(form);
    // Longest first, so a secret containing another is replaced whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** True when there is nothing to redact. */
  get empty(): boolean {
    return this.secrets.length === 0;
  }

  /** `text` with every secret replaced by `[redacted]`. */
  text(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** A copy of a JSON-like value with secrets replaced in every string (keys included). Unchanged values are returned as is. */
  value<T>(value: T): T {
    if (this.empty) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.text(value);
    if (depth > 200 || typeof value !== "object" || value === null) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        const next = this.walk(item, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    if (value instanceof Error || value instanceof Uint8Array) return value;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const nextKey = this.text(key);
      const next = this.walk(item, depth + 1);
      if (next !== item || nextKey !== key) changed = true;
      out[nextKey] = next;
    }
    return changed ? out : value;
  }

  /** Scrubs a thrown error in place (message, details, cause chain) and returns it. */
  error<E>(error: E): E {
    if (this.empty || !(error instanceof Error)) return error;
    let current: unknown = error;
    for (let depth = 0; current instanceof Error && depth < 5; depth++) {
      current.message = this.text(current.message);
      if (current.stack !== undefined) current.stack = this.text(current.stack);
      if (current instanceof ToolcodeError) {
        const details = current.details;
        for (const key of Object.keys(details)) details[key] = this.value(details[key]);
      }
      current = current.cause;
    }
    return error;
  }
}
