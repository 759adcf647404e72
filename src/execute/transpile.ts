/**
 * Turns the model's TypeScript into JavaScript the sandbox runs.
 *
 * Guest code is an async module body: top-level `await` and top-level `return` work, and
 * `import { x } from "./servers/fs"` becomes a call to the sandbox's module loader. Types are
 * stripped with sucrase (fast enough for the hot path, keeps line numbers); nothing is
 * type-checked here. The result is one JavaScript expression, an async function
 * `(require, exports) => …`, which sandbox engines evaluate and call with their module loader.
 *
 * @module
 */
import { LRUCache } from "lru-cache";
import { transform } from "sucrase";
import { ToolcodeError } from "../errors.js";
import { codeExcerpt } from "../sandbox/code-excerpt.js";

/** Transpiled guest code, ready for {@link RunRequest}. */
export interface TranspiledGuest {
  /**
   * A JavaScript expression evaluating to `async function (require, exports) { … }` whose body
   * is the user's code. Its line `n + lineOffset` is the user's line `n`.
   */
  code: string;
  /** Lines the wrapper adds before the user's first line; engines subtract it for line numbers. */
  lineOffset: number;
}

/** Options of {@link transpileGuest}. */
export interface TranspileOptions {
  /**
   * JavaScript run inside the wrapper before the user's code, in the same scope (e.g. guest
   * built-ins like `const workspace = …`). It is placed on the wrapper's first line; each newline
   * in it adds one to `lineOffset`, so user line numbers stay right either way.
   */
  prelude?: string;
}

/**
 * The wrapper's first line. Sucrase puts its prologue (`"use strict"`, interop helpers) on the
 * first line of its output; we feed it a leading blank line so that prologue lands on the
 * wrapper's line and the user's line `n` is output line `n + 1`.
 */
const WRAPPER_HEAD = "(async function (require, exports) {";
const WRAPPER_TAIL = "\n})";
const LINE_OFFSET = 1;

/**
 * Sucrase's output for guest scripts seen lately, keyed by the script (the transform's options
 * are fixed), so a repeated script skips the parse. Bounded by entries and by characters held;
 * a script that does not parse is not kept (it throws again, the same way).
 */
const STRIPPED = new LRUCache<string, string>({ max: 256, maxSize: 4 * 1024 * 1024, sizeCalculation: (output, source) => Math.max(1, output.length + source.length) });

/** Sucrase's output for `source` (types stripped, imports rewritten), cached. */
function stripTypes(source: string): string {
  const cached = STRIPPED.get(source);
  if (cached !== undefined) return cached;
  let output: string;
  try {
    output = transform(`\n${source}`, {
      transforms: ["typescript", "imports"],
      // QuickJS runs modern JavaScript; keep optional chaining, class fields, etc. as written.
      disableESTransforms: true,
    }).code;
  } catch (error) {
    throw syntaxError(source, error);
  }
  STRIPPED.set(source, output);
  return output;
}

/**
 * Strips types and rewrites imports of guest code.
 *
 * @throws {ToolcodeError} `GUEST_SYNTAX_ERROR` with `details: { line, column }` (1-based, in the
 * user's code) and a message with `line:column` and an excerpt, when the code does not parse.
 */
export function transpileGuest(source: string, options: TranspileOptions = {}): TranspiledGuest {
  const output = stripTypes(source);
  const prelude = options.prelude ?? "";
  if (prelude === "") return { code: `${WRAPPER_HEAD}${output}${WRAPPER_TAIL}`, lineOffset: LINE_OFFSET };
  // Output line 1 holds only sucrase's prologue (from the blank line we added): the prelude goes
  // after it, so a "use strict" directive stays the body's first statement.
  const firstNewline = output.indexOf("\n");
  const head = firstNewline === -1 ? output : output.slice(0, firstNewline);
  const rest = firstNewline === -1 ? "" : output.slice(firstNewline);
  const extraLines = prelude.split("\n").length - 1;
  return {
    code: `${WRAPPER_HEAD}${head}${prelude.endsWith(";") ? prelude : `${prelude};`}${rest}${WRAPPER_TAIL}`,
    lineOffset: LINE_OFFSET + extraLines,
  };
}

/**
 * Transpiles a guest module (e.g. a skill) for {@link GuestApi.modules}: types stripped and ES
 * imports/exports rewritten to a CommonJS body that uses `require`, `exports` and `module`.
 * Line numbers are kept. Modules are not async: top-level `await` is a syntax error here.
 *
 * @throws {ToolcodeError} `GUEST_SYNTAX_ERROR` naming `specifier`, with `details: { module, line, column }`.
 */
export function transpileGuestModule(source: string, specifier: string): string {
  try {
    // The leading newline keeps sucrase's prologue on a line of its own, as in transpileGuest.
    return transform(`\n${source}`, { transforms: ["typescript", "imports"], disableESTransforms: true }).code;
  } catch (error) {
    const inner = syntaxError(source, error);
    throw new ToolcodeError("GUEST_SYNTAX_ERROR", `In module ${specifier}: ${inner.message}`, { ...inner.details, module: specifier });
  }
}

function syntaxError(source: string, error: unknown): ToolcodeError {
  if (error instanceof RangeError) {
    return new ToolcodeError(
      "GUEST_SYNTAX_ERROR",
      "SyntaxError: the code is nested too deeply to parse. Flatten deeply nested expressions or data literals.",
    );
  }
  const loc = locationOf(error);
  const raw = error instanceof Error ? error.message : String(error);
  const reason = raw.replace(/\s*\(\d+:\d+\)\s*$/, "");
  if (loc === undefined) return new ToolcodeError("GUEST_SYNTAX_ERROR", `SyntaxError: ${reason}`);
  // The leading blank line we added shifts sucrase's lines by one; its columns are 1-based.
  const line = Math.max(1, loc.line - 1);
  const column = Math.max(1, loc.column);
  const excerpt = codeExcerpt(source, line, column);
  return new ToolcodeError(
    "GUEST_SYNTAX_ERROR",
    `SyntaxError: ${reason} (at line ${line}:${column})${excerpt ? `\n${excerpt}` : ""}`,
    { line, column },
  );
}

function locationOf(error: unknown): { line: number; column: number } | undefined {
  if (typeof error !== "object" || error === null || !("loc" in error)) return undefined;
  const loc: unknown = error.loc;
  if (typeof loc !== "object" || loc === null) return undefined;
  const line = "line" in loc ? loc.line : undefined;
  const column = "column" in loc ? loc.column : undefined;
  return typeof line === "number" && typeof column === "number" ? { line, column } : undefined;
}
