/**
 * The PII vault of one session: personal values found in tool results are swapped for stable
 * tokens (`<email_3>`, `<name_1>`) before they enter the sandbox, and tokens in tool arguments
 * are swapped back in the host. It lives in host memory and is dropped with its session; the
 * entries a pending approval references are kept with it, encrypted, in the state store.
 *
 * What counts as personal: matches of the configured detectors ({@link detectPii}), the values
 * of configured field names (in structured results and in JSON text), and any value the vault
 * already holds wherever it appears again (so a name first seen in a `name` field is also hidden
 * in prose, relation ends or error messages).
 *
 * @module
 */
import type { PiiKind } from "../config/guard-schema.js";
import { nameGlob } from "./glob.js";
import { detectPii } from "./pii-detectors.js";

/** What the vault looks for. */
export interface PrivacyRules {
  kinds: readonly PiiKind[];
  /** Field-name globs (case-insensitive). */
  fields: readonly string[];
}

/** A token as it appears in text: `<kind_n>`. */
const TOKEN = /<([a-z][a-z0-9_]*)_(\d+)>/g;
/** Strings this long that look like base64 (images, blobs) are left alone. */
const BLOB_MIN = 512;
const BLOB = /^[A-Za-z0-9+/=\s]+$/;
/** `"key": "string"` or `"key": number` inside JSON text. */
const JSON_PAIR = /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

interface Span {
  start: number;
  end: number;
  replacement: string;
}

/** Per-session token ↔ value store. */
export class PiiVault {
  readonly #kinds: ReadonlySet<PiiKind>;
  readonly #fields: RegExp[];
  readonly #tokenOf = new Map<string, string>();
  readonly #valueOf = new Map<string, string | number | boolean>();
  readonly #counters = new Map<string, number>();
  /**
   * Known values for the sweep: raw and JSON-escaped form → raw form, the set of their first
   * words, and the most words any of them spans. Matching looks up text slices that start at a
   * known first word, so thousands of values stay linear in the text.
   */
  readonly #known = new Map<string, string>();
  readonly #firstWords = new Set<string>();
  #maxWords = 0;

  constructor(rules: PrivacyRules) {
    this.#kinds = new Set(rules.kinds);
    this.#fields = rules.fields.map(nameGlob);
  }

  /** True when the rules can find anything (otherwise tokenize is the identity). */
  get enabled(): boolean {
    return this.#kinds.size > 0 || this.#fields.length > 0;
  }

  /** Number of distinct values held. */
  get size(): number {
    return this.#valueOf.size;
  }

  /** Every entry (token → real value), in the order they were made. */
  entries(): [string, string | number | boolean][] {
    return [...this.#valueOf];
  }

  /** The highest number given to a token of `prefix` here (0: none). */
  counter(prefix: string): number {
    return this.#counters.get(prefix) ?? 0;
  }

  /** A new vault with the same rules and entries (a draft: tokenizing it leaves this one alone). */
  fork(): PiiVault {
    const copy = new PiiVault({ kinds: [...this.#kinds], fields: [] });
    copy.#fields.push(...this.#fields);
    copy.adopt(this.entries());
    return copy;
  }

  /** The token for a value, creating it on first sight. */
  tokenFor(kind: string, value: string | number | boolean): string {
    const text = String(value);
    const existing = this.#tokenOf.get(text);
    if (existing !== undefined) return existing;
    const prefix = kind.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").replace(/^(?=\d)/, "f") || "field";
    const n = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, n);
    const token = `<${prefix}_${n}>`;
    this.#tokenOf.set(text, token);
    this.#valueOf.set(token, value);
    this.#remember(text, text);
    const escaped = JSON.stringify(text).slice(1, -1);
    if (escaped !== text) this.#remember(escaped, text);
    return token;
  }

  /**
   * Replaces personal data in a value (a tool result or error) by tokens. Field values are
   * collected first over the whole value, so every later occurrence is caught too.
   */
  tokenize<T>(value: T): T {
    if (!this.enabled) return value;
    if (this.#fields.length > 0) this.#collectFields(value, undefined);
    return this.#tokenizeDeep(value, undefined, new Map()) as T;
  }

  /** Replaces tokens of this vault in a value (tool arguments) by the real values. */
  detokenize<T>(value: T): T {
    if (this.#valueOf.size === 0) return value;
    return this.#detokenizeDeep(value) as T;
  }

  /** The entries (token → real value) of this vault whose tokens appear in `text` (what a kept approval needs). */
  entriesIn(text: string): [string, string | number | boolean][] {
    const out = new Map<string, string | number | boolean>();
    if (this.#valueOf.size === 0) return [];
    for (const match of text.matchAll(TOKEN)) {
      const value = this.#valueOf.get(match[0]);
      if (value !== undefined) out.set(match[0], value);
    }
    return [...out];
  }

  /**
   * Adds entries of another vault (an approval resumed in a new session or on another replica),
   * all or none: `{ ok: false, token }` when a token already stands for another value here.
   */
  adopt(entries: readonly (readonly [string, string | number | boolean])[]): { ok: true } | { ok: false; token: string } {
    for (const [token, value] of entries) {
      const existing = this.#valueOf.get(token);
      if (existing !== undefined && existing !== value) return { ok: false, token };
    }
    for (const [token, value] of entries) {
      const parsed = /^<([a-z][a-z0-9_]*)_(\d+)>$/.exec(token);
      if (!parsed || this.#valueOf.has(token)) continue;
      const text = String(value);
      this.#valueOf.set(token, value);
      const prefix = parsed[1] ?? "field";
      this.#counters.set(prefix, Math.max(this.#counters.get(prefix) ?? 0, Number(parsed[2])));
      if (this.#tokenOf.has(text)) continue;
      this.#tokenOf.set(text, token);
      this.#remember(text, text);
      const escaped = JSON.stringify(text).slice(1, -1);
      if (escaped !== text) this.#remember(escaped, text);
    }
    return { ok: true };
  }

  /** Tokenizes one string (detectors, JSON fields, known values). */
  tokenizeText(text: string): string {
    if (!this.enabled || text.length === 0) return text;
    if (text.length >= BLOB_MIN && BLOB.test(text)) return text;
    if (this.#fields.length > 0 && text.includes('"')) this.#collectJsonFields(text);
    const spans: Span[] = [];
    // Characters already claimed by a span: a later candidate overlapping one is dropped.
    const claimed = new Uint8Array(text.length);
    const taken = (start: number, end: number): boolean => claimed.subarray(start, end).includes(1);
    const claim = (span: Span): void => {
      claimed.fill(1, span.start, span.end);
      spans.push(span);
    };
    for (const match of text.matchAll(TOKEN)) claim({ start: match.index, end: match.index + match[0].length, replacement: match[0] });
    if (this.#fields.length > 0 && text.includes('"')) {
      for (const match of text.matchAll(JSON_PAIR)) {
        const key = decodeJsonString(match[1] ?? "");
        const rawValue = match[3] ?? "";
        if (key === undefined || !this.#isField(key) || TOKEN_ONLY.test(rawValue.replace(/^"|"$/g, ""))) continue;
        const decoded = rawValue.startsWith('"') ? decodeJsonString(rawValue.slice(1, -1)) : rawValue;
        if (decoded === undefined || decoded === "") continue;
        const start = match.index + match[0].length - rawValue.length;
        const end = match.index + match[0].length;
        if (!taken(start, end)) claim({ start, end, replacement: `"${this.tokenFor(key, decoded)}"` });
      }
    }
    // Every detector needs a digit, "@" or ":" (IPv6); most strings have none of them.
    if (this.#kinds.size > 0 && MAYBE_PII.test(text)) {
      for (const match of detectPii(text, this.#kinds)) {
        if (!taken(match.start, match.end)) claim({ start: match.start, end: match.end, replacement: this.tokenFor(tokenKind(match.kind), match.value) });
      }
    }
    if (this.#known.size > 0) {
      const words = [...text.matchAll(WORD)].map((m) => [m.index, m.index + m[0].length, m[0]] as const);
      for (let i = 0; i < words.length; i++) {
        const [start, , first] = words[i] as readonly [number, number, string];
        if (!this.#firstWords.has(first)) continue;
        // Longest first: try the furthest word end a known value could reach, then shorter.
        for (let k = Math.min(words.length, i + this.#maxWords) - 1; k >= i; k--) {
          const end = (words[k] as readonly [number, number, string])[1];
          const raw = this.#known.get(text.slice(start, end));
          const token = raw === undefined ? undefined : this.#tokenOf.get(raw);
          if (token !== undefined && !taken(start, end)) {
            claim({ start, end, replacement: token });
            break;
          }
        }
      }
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a.start - b.start);
    let out = "";
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start) + span.replacement;
      at = span.end;
    }
    return out + text.slice(at);
  }

  /** Replaces this vault's tokens in one string; inside JSON text, values are JSON-escaped. */
  detokenizeText(text: string): string {
    if (!text.includes("<")) return text;
    let json = false;
    const trimmed = text.trimStart();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        JSON.parse(text);
        json = true;
      } catch {
        json = false;
      }
    }
    return text.replace(TOKEN, (token) => {
      const value = this.#valueOf.get(token);
      if (value === undefined) return token;
      return json ? JSON.stringify(String(value)).slice(1, -1) : String(value);
    });
  }

  #isField(key: string): boolean {
    return this.#fields.some((glob) => glob.test(key));
  }

  #collectFields(value: unknown, field: string | undefined): void {
    if (typeof value === "string") {
      if (field !== undefined && value !== "" && !TOKEN_ONLY.test(value)) this.tokenFor(field, value);
      else if (value.includes('"')) this.#collectJsonFields(value);
    } else if (typeof value === "number" || typeof value === "boolean") {
      if (field !== undefined && typeof value === "number") this.tokenFor(field, value);
    } else if (Array.isArray(value)) {
      for (const item of value) this.#collectFields(item, field);
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) this.#collectFields(item, field ?? (this.#isField(key) ? key : undefined));
    }
  }

  #collectJsonFields(text: string): void {
    for (const match of text.matchAll(JSON_PAIR)) {
      const key = decodeJsonString(match[1] ?? "");
      if (key === undefined || !this.#isField(key)) continue;
      const rawValue = match[3] ?? "";
      const decoded = rawValue.startsWith('"') ? decodeJsonString(rawValue.slice(1, -1)) : rawValue;
      if (decoded !== undefined && decoded !== "" && !TOKEN_ONLY.test(decoded)) this.tokenFor(key, decoded);
    }
  }

  /** `keys` caches the tokenized form of object keys for one call (records repeat them). */
  #tokenizeDeep(value: unknown, field: string | undefined, keys: Map<string, string>): unknown {
    if (typeof value === "string") {
      if (field !== undefined && value !== "" && !TOKEN_ONLY.test(value)) return this.tokenFor(field, value);
      return this.tokenizeText(value);
    }
    if (typeof value === "number") return field !== undefined ? this.tokenFor(field, value) : value;
    if (Array.isArray(value)) return value.map((item) => this.#tokenizeDeep(item, field, keys));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        let safeKey = keys.get(key);
        if (safeKey === undefined) keys.set(key, (safeKey = this.tokenizeText(key)));
        out[safeKey] = this.#tokenizeDeep(item, field ?? (this.#isField(key) ? key : undefined), keys);
      }
      return out;
    }
    return value;
  }

  #detokenizeDeep(value: unknown): unknown {
    if (typeof value === "string") {
      const whole = this.#valueOf.get(value);
      return whole !== undefined ? whole : this.detokenizeText(value);
    }
    if (Array.isArray(value)) return value.map((item) => this.#detokenizeDeep(item));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[this.detokenizeText(key)] = this.#detokenizeDeep(item);
      return out;
    }
    return value;
  }

  /** Adds one form of a known value to the sweep (only forms that start and end with a word character). */
  #remember(text: string, raw: string): void {
    const words = [...text.matchAll(WORD)];
    const first = words[0];
    const last = words.at(-1);
    if (!first || !last || first.index !== 0 || last.index + last[0].length !== text.length || text.length < 2 || words.length > MAX_SWEEP_WORDS) return;
    this.#known.set(text, raw);
    this.#firstWords.add(first[0]);
    this.#maxWords = Math.max(this.#maxWords, words.length);
  }
}

const TOKEN_ONLY = /^<[a-z][a-z0-9_]*_\d+>$/;
const WORD = /[\p{L}\p{N}_]+/gu;
const MAYBE_PII = /[\d@:]/;
/** Known values longer than this many words are not swept for (detectors and fields still apply). */
const MAX_SWEEP_WORDS = 16;

/** The token prefix of a detector kind (`national-id` → `national_id`). */
function tokenKind(kind: PiiKind): string {
  return kind.replace(/-/g, "_");
}

function decodeJsonString(inner: string): string | undefined {
  try {
    return JSON.parse(`"${inner}"`) as string;
  } catch {
    return undefined;
  }
}
