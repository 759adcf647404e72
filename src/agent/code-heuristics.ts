/**
 * Is this text TypeScript the sandbox can run, Python, or a shell command? Used by action parsing
 * to pick code out of a model's reply when fences, tags or language labels are missing or wrong.
 *
 * @module
 */
import { transpileGuest } from "../execute/transpile.js";

/** Signs that a text that parses as TypeScript was meant as code (English rarely parses, but "Paris" does). */
const SCRIPT_SIGNAL =
  /\b(?:await|const|let|var|return|function|async|import|export|throw|new)\b|console\.\w+\s*\(|=>|;\s*$|\bfinal\s*\(|\bsearchTools\s*\(|\bworkspace\.\w+\s*\(|[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*\s*\(/m;

/** True when `code` strips to JavaScript without a syntax error. */
export function transpiles(code: string): boolean {
  try {
    transpileGuest(code);
    return true;
  } catch {
    return false;
  }
}

/** True when `code` parses as TypeScript and has something only code has (a keyword, a call, `=>`, `;`). */
export function looksLikeScript(code: string): boolean {
  return SCRIPT_SIGNAL.test(code) && transpiles(code);
}

const PYTHON_LINE =
  /^\s*(?:def \w+\(.*\)\s*(?:->.*)?:\s*$|import [\w.]+(?:\s+as \w+)?\s*$|from [\w.]+ import |print\(|elif .*:\s*$|for [\w, ]+ in .+:\s*$|while .+:\s*$|if .+:\s*$|else:\s*$|with .+ as \w+:\s*$|try:\s*$|except\b.*:\s*$|async def |[\w.]+ = await [\w.]+\(.*\)\s*$)/m;
const JS_ONLY = /\b(?:const|let|var)\s|=>|console\.\w+\(|;\s*$|\bfunction\b|===/m;

/** True when `code` has Python-only lines (`print(…)`, `def f():`, `for x in y:`) and nothing only TypeScript has. */
export function looksLikePython(code: string): boolean {
  return PYTHON_LINE.test(code) && !JS_ONLY.test(code);
}

const SHELL_LINE = /^\s*(?:\$ |#!\/|(?:npm|npx|node|ls|cat|cd|curl|wget|echo|grep|find|mkdir|rm|cp|mv|git|pip|python3?|sqlite3|psql|toolcode|jq|head|tail)(?:\s|$))/m;

/** True when `code` reads as shell commands. */
export function looksLikeShell(code: string): boolean {
  return SHELL_LINE.test(code) && !JS_ONLY.test(code);
}

/**
 * A line that starts like a statement: a keyword, a call or assignment, a closing bracket, a
 * comment. Used to find code in text without fences.
 */
const CODE_LINE =
  /^\s*(?:(?:const|let|var|await|return|import|export|async|function|for|while|if|else|try|catch|finally|throw|switch|case|default|break|continue|class|interface|type)\b|console\.|final\s*\(|searchTools\s*\(|[\])}]|\/\/|\/\*|\*\/|[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*\s*(?:\(|=(?!=)|\+=|-=|\+\+|--)|\.\w)/;
/** A line that continues a statement started above: an object property, an argument, a chained call. */
const CONTINUATION_LINE = /^\s+\S|^\s*["']?[\w$]+["']?\s*:|^\s*[\w$"'`[{(].*[,([{]\s*$/;

/** A span of lines, `[start, end)`. */
interface Region {
  start: number;
  end: number;
}

/**
 * Finds TypeScript written without fences in prose: the longest run of code-like lines that
 * parses. Returns the code and the prose before and after, or undefined.
 */
export function findUnfencedCode(text: string): UnfencedCode | undefined {
  const lines = text.split("\n");
  const regions: Region[] = [];
  let current: Region | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const blank = line.trim() === "";
    const code = CODE_LINE.test(line);
    if (current === undefined) {
      if (code) current = { start: i, end: i + 1 };
      continue;
    }
    if (code || CONTINUATION_LINE.test(line)) current.end = i + 1;
    else if (!blank) {
      regions.push(current);
      current = undefined;
    }
  }
  if (current) regions.push(current);
  regions.sort((a, b) => b.end - b.start - (a.end - a.start));
  const result = (region: Region, parses: boolean): UnfencedCode => ({
    code: lines.slice(region.start, region.end).join("\n").trim(),
    before: lines.slice(0, region.start).join("\n").trim(),
    after: lines.slice(region.end).join("\n").trim(),
    parses,
  });
  for (const region of regions) {
    if (looksLikeScript(lines.slice(region.start, region.end).join("\n"))) return result(region, true);
  }
  // Unmistakable code with a syntax error: run it anyway, so the sandbox reports the line to fix.
  const longest = regions[0];
  if (longest !== undefined && longest.end - longest.start >= 2) {
    const code = lines.slice(longest.start, longest.end).join("\n");
    const prose = lines.filter((line, i) => (i < longest.start || i >= longest.end) && line.trim() !== "").length;
    if (STRONG_SIGNAL.test(code) && prose <= longest.end - longest.start) return result(longest, false);
  }
  return undefined;
}

/** Code found without fences, with the prose around it. */
export interface UnfencedCode {
  code: string;
  before: string;
  after: string;
  /** False when the code has a syntax error (it is still unmistakably code). */
  parses: boolean;
}

/** Only code looks like this: a declaration or an awaited/printed call. */
const STRONG_SIGNAL = /^\s*(?:const|let)\s+[\w${[]|\bawait\s+[\w$]+\.[\w$]+\(|console\.log\(/m;

/** Top-level names a block declares (`const x`, `let { a, b }`, `function f`), for spotting alternatives. */
export function declaredNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const match of code.matchAll(/^(?:export\s+)?(?:const|let|var|function\*?|class|async\s+function)\s+([A-Za-z_$][\w$]*)/gm)) {
    names.add(match[1] as string);
  }
  for (const match of code.matchAll(/^(?:const|let|var)\s+[{[]([^}\]=]*)[}\]]\s*=/gm)) {
    for (const part of (match[1] as string).split(",")) {
      const name = /([A-Za-z_$][\w$]*)\s*$/.exec(part.split(":").pop() ?? "")?.[1];
      if (name) names.add(name);
    }
  }
  return names;
}
