/**
 * The token budget on everything `execute` hands back to the model.
 *
 * The full output (logs, return value, error) is rendered; if it is over budget, the return value
 * is truncated structurally — arrays keep a head and say how many items were left out, long
 * strings are cut with a marker, objects below a depth are elided — and long logs keep their head
 * and tail, at increasingly tight levels until the text fits. JSON stays valid at every level.
 * A notice says what was cut, where the full value was saved (when a spill path is given) and how
 * to narrow the query.
 *
 * Pure: the caller passes the token counter and decides where spilled values go.
 *
 * @module
 */
import type { GuestErrorInfo } from "./execute-result.js";

/** What a script produced. */
export interface RawOutput {
  logs: readonly string[];
  /** The return value; `undefined` when the script returned nothing. */
  result: unknown;
  error: GuestErrorInfo | null;
}

/** Options for {@link shapeOutput}. */
export interface ShapeOptions {
  maxTokens: number;
  /**
   * Counts tokens of a text (o200k_base in production). Given a `limit`, it may stop as soon as
   * the text is over it and return any number above the limit (so a huge text costs only the
   * work of reaching the budget).
   */
  count: (text: string, limit?: number) => number;
  /** Workspace paths where the full logs / result are saved if they get cut. */
  spill?: { logs?: string; result?: string };
}

/** The text the model reads, and what had to be cut. */
export interface ShapedOutput {
  text: string;
  /** The logs as shown (possibly cut). */
  logs: string[];
  /** The return value as shown (possibly cut; still JSON). */
  result: unknown;
  tokens: number;
  truncated: boolean;
  /** Which parts were cut (so the caller writes their full form to the spill paths). */
  cut: { logs: boolean; result: boolean };
}

interface Level {
  items: number;
  chars: number;
  depth: number;
  lines: number;
}

const LEVELS: readonly Level[] = [
  { items: 100, chars: 4000, depth: 12, lines: 400 },
  { items: 50, chars: 1000, depth: 8, lines: 200 },
  { items: 20, chars: 400, depth: 6, lines: 80 },
  { items: 10, chars: 200, depth: 4, lines: 40 },
  { items: 5, chars: 100, depth: 3, lines: 20 },
  { items: 3, chars: 60, depth: 2, lines: 10 },
  { items: 1, chars: 40, depth: 1, lines: 4 },
];

/** Renders logs, return value and error as the model sees them (no budget). */
export function renderOutput(output: RawOutput): string {
  const parts: string[] = [];
  if (output.logs.length > 0) parts.push(output.logs.join("\n"));
  if (output.result !== undefined) {
    // Compact JSON: indentation costs ~60% more tokens for the same value.
    const json = JSON.stringify(output.result) ?? "undefined";
    parts.push(parts.length > 0 ? `Returned:\n${json}` : json);
  }
  if (output.error) parts.push(renderError(output.error));
  if (parts.length === 0) parts.push("(no output: the script printed nothing and returned undefined; console.log or return what you need)");
  return parts.join("\n");
}

function renderError(error: GuestErrorInfo): string {
  const hasLine = error.line !== undefined && error.message.includes(`line ${error.line}`);
  const where = error.line !== undefined && !hasLine ? ` (line ${error.line}${error.column !== undefined ? `:${error.column}` : ""})` : "";
  return `Error ${error.code}: ${error.message}${where}`;
}

/** Fits the output into `maxTokens`, cutting structurally; see the module doc. */
export function shapeOutput(output: RawOutput, options: ShapeOptions): ShapedOutput {
  const full = renderOutput(output);
  const fullTokens = options.count(full, options.maxTokens);
  if (fullTokens <= options.maxTokens) {
    return { text: full, logs: [...output.logs], result: output.result, tokens: fullTokens, truncated: false, cut: { logs: false, result: false } };
  }

  // The error is what the model most needs: keep it, capped to a quarter of the budget.
  const error = output.error ? { ...output.error, message: cutString(output.error.message, Math.max(200, options.maxTokens)) } : null;
  let best: Omit<ShapedOutput, "truncated"> | undefined;
  for (const level of LEVELS) {
    const logs = truncateLogs(output.logs, level);
    const result = output.result === undefined ? { value: undefined, cut: false } : truncateValue(output.result, level);
    const cut = { logs: logs.cut, result: result.cut };
    const text = withNotice(renderOutput({ logs: logs.lines, result: result.value, error }), cut, output, options);
    const tokens = options.count(text, options.maxTokens);
    best = { text, logs: logs.lines, result: result.value, tokens, cut };
    if (tokens <= options.maxTokens) break;
  }
  if (!best || best.tokens > options.maxTokens) {
    // Still too big (e.g. a huge error or thousands of keys): drop the bodies, keep the notice.
    const cut = { logs: output.logs.length > 0, result: output.result !== undefined };
    const placeholder = output.result === undefined ? undefined : `[return value omitted: over the ${options.maxTokens}-token budget]`;
    const logs = output.logs.length > 0 ? [`[${output.logs.length} log lines omitted: over the ${options.maxTokens}-token budget]`] : [];
    const slimError = error ? { ...error, message: cutString(error.message, 200) } : null;
    const text = withNotice(renderOutput({ logs, result: placeholder, error: slimError }), cut, output, options);
    best = { text, logs, result: placeholder, tokens: options.count(text), cut };
  }
  return { ...best, truncated: true };
}

function withNotice(text: string, cut: { logs: boolean; result: boolean }, output: RawOutput, options: ShapeOptions): string {
  const saved: string[] = [];
  if (cut.result && options.spill?.result) saved.push(`the full return value is in workspace file "${options.spill.result}"`);
  if (cut.logs && options.spill?.logs) saved.push(`the full log (${output.logs.length} lines) is in "${options.spill.logs}"`);
  const where = saved.length > 0 ? ` ${capitalize(saved.join("; "))}: read it in your next script with \`await workspace.read("…")\` instead of calling the tools again.` : "";
  return `${text}\n[output truncated to fit ${options.maxTokens} tokens.${where} Narrow it: filter, aggregate or slice in code and print only what you need.]`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function cutString(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [+${(text.length - max).toLocaleString("en-US")} chars]`;
}

function truncateLogs(logs: readonly string[], level: Level): { lines: string[]; cut: boolean } {
  let cut = false;
  const line = (text: string): string => {
    const limit = level.chars * 2;
    if (text.length <= limit) return text;
    cut = true;
    return cutString(text, limit);
  };
  if (logs.length <= level.lines) return { lines: logs.map(line), cut };
  const head = Math.ceil((level.lines * 2) / 3);
  const tail = level.lines - head;
  const omitted = logs.length - head - tail;
  return {
    lines: [...logs.slice(0, head).map(line), `… ${omitted.toLocaleString("en-US")} log lines omitted …`, ...logs.slice(logs.length - tail).map(line)],
    cut: true,
  };
}

/**
 * Truncates a JSON value structurally. Arrays keep their first `items` elements plus a marker
 * string, strings keep `chars` characters plus a marker, objects deeper than `depth` become a
 * summary string. The result is always JSON-serializable.
 */
export function truncateValue(value: unknown, level: { items: number; chars: number; depth: number }): { value: unknown; cut: boolean } {
  let cut = false;
  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === "string") {
      if (node.length <= level.chars) return node;
      cut = true;
      return cutString(node, level.chars);
    }
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) {
      if (depth >= level.depth) {
        cut = true;
        return `[array of ${node.length.toLocaleString("en-US")} items]`;
      }
      const kept = node.slice(0, level.items).map((item) => walk(item, depth + 1));
      if (node.length > level.items) {
        cut = true;
        kept.push(`… ${(node.length - level.items).toLocaleString("en-US")} more items (${node.length.toLocaleString("en-US")} in total)`);
      }
      return kept;
    }
    const entries = Object.entries(node);
    if (depth >= level.depth) {
      cut = true;
      return `{object with ${entries.length} keys: ${entries.slice(0, 5).map(([k]) => k).join(", ")}${entries.length > 5 ? ", …" : ""}}`;
    }
    const maxKeys = Math.max(level.items * 2, 8);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries.slice(0, maxKeys)) out[key] = walk(item, depth + 1);
    if (entries.length > maxKeys) {
      cut = true;
      out["…"] = `${entries.length - maxKeys} more keys`;
    }
    return out;
  };
  return { value: walk(value, 0), cut };
}
