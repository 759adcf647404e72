/**
 * Tolerant JSON for model replies: raw newlines inside strings, unescaped quotes inside strings,
 * trailing commas, text around the object, and replies cut off mid-object (closed at the last
 * complete member).
 *
 * @module
 */

/** A value read from almost-JSON. */
export interface LooseJson {
  value: unknown;
  /** The text was not valid JSON and had to be repaired. */
  repaired: boolean;
  /** The text ended before the JSON did (open strings, objects or arrays were closed). */
  truncated: boolean;
  /** Truncated inside a string: the last string value is incomplete. */
  cutInString: boolean;
}

/** Parses `text` as JSON, repairing what models commonly get wrong; undefined if hopeless. */
export function parseLooseJson(text: string): LooseJson | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    return { value: JSON.parse(trimmed), repaired: false, truncated: false, cutInString: false };
  } catch {
    // repaired below
  }
  const repair = repairJson(trimmed);
  for (const candidate of repair.candidates) {
    try {
      return { value: JSON.parse(candidate), repaired: true, truncated: repair.truncated, cutInString: repair.cutInString };
    } catch {
      // try the next, shorter candidate
    }
  }
  return undefined;
}

/**
 * The first JSON object in `text` (from its first `{` to the matching `}`, or to the end when the
 * object is cut off), or undefined when there is no `{`.
 */
export function findJsonObject(text: string): string | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  let escape = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escape) escape = false;
      else if (ch === "\\") escape = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return text.slice(start);
}

interface Repair {
  /** Repaired texts to try, best first. */
  candidates: string[];
  truncated: boolean;
  cutInString: boolean;
}

/** Characters that may follow the closing quote of a JSON string. */
const AFTER_STRING = new Set([",", "}", "]", ":"]);

function repairJson(text: string): Repair {
  let out = "";
  const stack: string[] = [];
  /** Places where the text can be cut and closed: after a complete member, with the closers needed then. */
  const cuts: { at: number; closers: string }[] = [];
  let inString = false;
  let escape = false;
  let ended = false;
  for (let i = 0; i < text.length && !ended; i++) {
    const ch = text[i] as string;
    if (inString) {
      if (escape) {
        out += ch;
        escape = false;
      } else if (ch === "\\") {
        out += ch;
        escape = true;
      } else if (ch === '"') {
        if (closesString(text, i + 1)) {
          inString = false;
          out += ch;
        } else {
          out += '\\"';
        }
      } else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (ch < " ") out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
      else out += ch;
      continue;
    }
    switch (ch) {
      case '"':
        inString = true;
        out += ch;
        break;
      case "{":
        stack.push("}");
        out += ch;
        break;
      case "[":
        stack.push("]");
        out += ch;
        break;
      case "}":
      case "]":
        if (stack[stack.length - 1] !== ch) {
          ended = true;
          break;
        }
        stack.pop();
        out = out.replace(/,\s*$/, "") + ch;
        if (stack.length === 0) ended = true;
        else cuts.push({ at: out.length, closers: [...stack].reverse().join("") });
        break;
      case ",":
        cuts.push({ at: out.length, closers: [...stack].reverse().join("") });
        out += ch;
        break;
      default:
        out += ch;
    }
  }
  const truncated = !ended && (inString || stack.length > 0);
  const cutInString = !ended && inString;
  let tail = out;
  if (inString) {
    if (escape) tail = tail.slice(0, -1);
    // A cut inside a \u escape leaves an invalid escape: drop it.
    tail = tail.replace(/\\u[0-9a-fA-F]{0,3}$/, "");
    tail += '"';
  }
  const closers = [...stack].reverse().join("");
  const candidates = [closeValue(tail) + closers];
  for (let k = cuts.length - 1; k >= 0; k--) {
    const cut = cuts[k] as { at: number; closers: string };
    candidates.push(out.slice(0, cut.at).replace(/,\s*$/, "") + cut.closers);
  }
  return { candidates, truncated, cutInString };
}

/**
 * Whether a quote inside a string (in a text that is not valid JSON) ends it: only when what
 * follows reads as JSON structure — `:` or `,` then a value or key, `}`/`]` then more closers, a
 * comma or the end. `"hi" }));` inside code does not.
 */
function closesString(text: string, from: number): boolean {
  const j = skipBlanks(text, from);
  if (j >= text.length) return true;
  const next = text[j] as string;
  if (!AFTER_STRING.has(next)) return false;
  const k = skipBlanks(text, j + 1);
  if (k >= text.length) return true;
  const after = text[k] as string;
  if (next === ":" || next === ",") return /["{[\-\dtfn\]}]/.test(after);
  return after === "," || after === "}" || after === "]";
}

function skipBlanks(text: string, from: number): number {
  let j = from;
  while (j < text.length && /\s/.test(text[j] as string)) j++;
  return j;
}

/** Completes a dangling `"key":` or trailing comma before closing. */
function closeValue(text: string): string {
  const trimmed = text.replace(/\s+$/, "");
  if (trimmed.endsWith(":")) return `${trimmed} null`;
  return trimmed.replace(/,$/, "");
}
