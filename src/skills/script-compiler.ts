/**
 * Type-checks an `execute` script before it runs, against the declarations of the session's
 * tools and guest built-ins (the program host of {@link memoryHost}, as for skills).
 *
 * Scripts are model-written JavaScript-ish TypeScript with top-level `await` and `return`: the
 * script is checked as a module (`export {}` appended, so no position moves), `return` outside
 * a function (TS1108) is ignored, and the options are relaxed (no `strict`, no
 * `noImplicitAny`). Tool results without an output schema are `unknown`; diagnostics that only
 * say so are dropped (they are about our typing, not a mistake in the script).
 *
 * A diagnostic is **blocking** when it is certainly a wrong call into the host API: an argument
 * error (unknown or misspelt property, missing required property, wrong type, wrong argument
 * count) inside the innermost call whose callee is declared by the ambient tool / built-in
 * declarations, or a member missing from a server namespace (a misspelt tool). Everything else
 * is a warning. Syntax errors are left to the transpiler (`GUEST_SYNTAX_ERROR`).
 *
 * The declarations are parsed and bound once and kept (see {@link ScriptProgramCache}); each
 * check builds a program over them and the script, reusing the previous program's structure.
 * A check past its `deadline` is cancelled through TypeScript's cancellation token.
 *
 * @module
 */
import type { CancellationToken, CompilerOptions, Node, Program, SourceFile, TypeChecker } from "typescript";
import type * as TS from "typescript";
import { type SourceFileCache, loadTypeScript, memoryHost, resolveModule } from "./skill-compiler.js";

type TypeScript = typeof TS;

/** One diagnostic of a script, positioned in the user's code (1-based). */
export interface ScriptDiagnostic {
  /** `TS2353` etc. */
  code: string;
  message: string;
  line?: number;
  column?: number;
  /** Certainly a wrong call into the host API (blocks the run in `error` mode). */
  blocking: boolean;
}

/** What a check reports. */
export interface ScriptCheck {
  diagnostics: ScriptDiagnostic[];
  /** True when the check ran past its deadline and was cancelled (diagnostics then empty). */
  timedOut: boolean;
}

/** Parsed declarations and the last program, kept between checks of one worker. */
export interface ScriptProgramCache {
  files: SourceFileCache;
  program?: Program;
}

/** A script check's inputs. */
export interface ScriptCheckInput {
  /** Global declarations: server namespaces and guest built-ins (as {@link checkEnvironment} renders them). */
  ambient: string;
  /** Server identifier → tool identifiers (for `./servers/<server>[/<tool>]` imports). */
  servers: ReadonlyMap<string, readonly string[]>;
  code: string;
  cache: ScriptProgramCache;
  /** `Date.now()` past which the check is cancelled. */
  deadline?: number;
}

const GLOBALS_FILE = "/toolcode/globals.d.ts";
const LOOSE_FILE = "/toolcode/script-globals.d.ts";
const ANY_MODULE_FILE = "/toolcode/any-module.d.ts";
const SCRIPT_FILE = "/script.ts";
const MAX_DIAGNOSTICS = 50;

/** Codes that, inside a host call, mean its arguments are wrong. */
const ARGUMENT_ERRORS = new Set([2322, 2345, 2353, 2561, 2741, 2739, 2740, 2559, 2554, 2555, 2556, 2769]);
/** Property does not exist (/ did you mean). */
const MISSING_MEMBER = new Set([2339, 2551]);
/** Dropped: return outside a function; "x is of type unknown"; "Object is of type unknown". */
const IGNORED = new Set([1108, 18046, 2571]);

/**
 * The script globals the skill declarations do not give: `skills` (its members are per user and
 * change; checked loosely) and module `./skills/<name>` (any).
 */
const LOOSE_GLOBALS = "declare const skills: any;\n";

let options: CompilerOptions | undefined;

function scriptOptions(ts: TypeScript): CompilerOptions {
  options ??= {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    lib: ["lib.es2023.d.ts"],
    types: [],
    strict: false,
    noImplicitAny: false,
    skipLibCheck: true,
    noEmit: true,
    allowUnreachableCode: true,
    allowUnusedLabels: true,
    esModuleInterop: true,
  };
  return options;
}

/** Type-checks one script. Never throws for the script's errors: they are diagnostics. */
export function checkScript(input: ScriptCheckInput): ScriptCheck {
  const ts = loadTypeScript();
  const compilerOptions = scriptOptions(ts);
  const files = new Map<string, string>();
  files.set(GLOBALS_FILE, input.ambient);
  files.set(LOOSE_FILE, LOOSE_GLOBALS);
  files.set(ANY_MODULE_FILE, "declare const skill: any;\nexport = skill;\n");
  for (const [server, tools] of input.servers) {
    files.set(`/servers/${server}/index.d.ts`, `export = ${server};\n`);
    for (const tool of tools) {
      files.set(`/servers/${server}/${tool}.d.ts`, `declare const __tool: typeof ${server}.${tool};\nexport { __tool as ${tool} };\nexport default __tool;\n`);
    }
  }
  files.set(SCRIPT_FILE, `${checkableText(ts, input.code)}\n;export {};\n`);
  const host = memoryHost(ts, files, compilerOptions, input.cache.files, (specifier, containing) => {
    if (/^\.?\/?skills(?:\/|$)/.test(specifier.replace(/^\.\//, ""))) return ANY_MODULE_FILE;
    return resolveModule(specifier, containing, files);
  });
  // The script's old parse must not be reused for new text: the cache keys on text, so it is not.
  const program = ts.createProgram({ rootNames: [GLOBALS_FILE, LOOSE_FILE, SCRIPT_FILE], options: compilerOptions, host, ...(input.cache.program ? { oldProgram: input.cache.program } : {}) });
  input.cache.program = program;
  input.cache.files.delete(SCRIPT_FILE);
  const file = program.getSourceFile(SCRIPT_FILE);
  if (!file) return { diagnostics: [], timedOut: false };
  const deadline = input.deadline;
  const token: CancellationToken = {
    isCancellationRequested: () => deadline !== undefined && Date.now() > deadline,
    throwIfCancellationRequested: () => {
      if (deadline !== undefined && Date.now() > deadline) throw new ts.OperationCanceledException();
    },
  };
  let raw: readonly TS.Diagnostic[];
  try {
    raw = program.getSemanticDiagnostics(file, token);
  } catch (error) {
    if (error instanceof ts.OperationCanceledException) return { diagnostics: [], timedOut: true };
    throw error;
  }
  const checker = program.getTypeChecker();
  const diagnostics: ScriptDiagnostic[] = [];
  for (const d of raw) {
    if (d.category !== ts.DiagnosticCategory.Error || IGNORED.has(d.code) || d.file?.fileName !== SCRIPT_FILE || d.start === undefined) continue;
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    // Assignability of an `unknown` tool result: our typing, not the script's mistake.
    if (/^(?:Argument of )?[Tt]ype 'unknown'/.test(message)) continue;
    if (d.start >= input.code.length) continue;
    const pos = file.getLineAndCharacterOfPosition(d.start);
    diagnostics.push({ code: `TS${d.code}`, message, line: pos.line + 1, column: pos.character + 1, blocking: isBlocking(ts, checker, file, d.code, d.start) });
    if (diagnostics.length >= MAX_DIAGNOSTICS) break;
  }
  return { diagnostics, timedOut: false };
}

/**
 * The script with each top-level `return` made checkable without moving any position: the
 * checker skips the expression of a `return` outside a function (TS1108), and scripts often
 * end with `return await server.tool({ … })`. `return expr` becomes `void   expr` (same length),
 * a bare `return` becomes spaces.
 */
function checkableText(ts: TypeScript, code: string): string {
  if (!code.includes("return")) return code;
  const file = ts.createSourceFile("/return-scan.ts", code, ts.ScriptTarget.ES2022, true);
  const edits: { start: number; bare: boolean }[] = [];
  const visit = (node: Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isReturnStatement(node)) edits.push({ start: node.getStart(file), bare: node.expression === undefined });
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  let text = code;
  for (const edit of edits) {
    if (text.slice(edit.start, edit.start + 6) !== "return") continue;
    text = `${text.slice(0, edit.start)}${edit.bare ? "      " : "void  "}${text.slice(edit.start + 6)}`;
  }
  return text;
}

/** See the module comment: an argument error inside a host call, or a missing member of a server namespace. */
function isBlocking(ts: TypeScript, checker: TypeChecker, file: SourceFile, code: number, start: number): boolean {
  if (MISSING_MEMBER.has(code)) {
    const access = innermost(ts, file, start, (node) => ts.isPropertyAccessExpression(node) && node.name.getStart(file) === start);
    if (!access || !ts.isPropertyAccessExpression(access)) return false;
    const symbol = checker.getSymbolAtLocation(access.expression);
    return symbol !== undefined && (symbol.flags & ts.SymbolFlags.Module) !== 0 && declaredByHost(symbol.declarations);
  }
  if (!ARGUMENT_ERRORS.has(code)) return false;
  const call = innermost(ts, file, start, (node) => ts.isCallExpression(node));
  if (!call || !ts.isCallExpression(call)) return false;
  const callee = ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression;
  let symbol = checker.getSymbolAtLocation(callee);
  if (symbol && (symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol);
  return symbol !== undefined && declaredByHost(symbol.declarations);
}

/** The innermost node containing `pos` that `test` accepts. */
function innermost(ts: TypeScript, file: SourceFile, pos: number, test: (node: Node) => boolean): Node | undefined {
  let found: Node | undefined;
  const visit = (node: Node): void => {
    if (pos < node.getStart(file) || pos >= node.getEnd()) return;
    if (test(node)) found = node;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  return found;
}

function declaredByHost(declarations: readonly TS.Declaration[] | undefined): boolean {
  return (declarations ?? []).some((d) => {
    const name = d.getSourceFile().fileName;
    return name === GLOBALS_FILE || name.startsWith("/servers/");
  });
}
