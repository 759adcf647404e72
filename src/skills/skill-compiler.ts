/**
 * Type-checks skills with the TypeScript compiler API against the tools that exist right now,
 * and extracts what the rest of toolcode shows about them: one signature line per exported
 * function, and the module's declarations (`skills/<name>/index.d.ts`).
 *
 * The program is in memory: the guest's globals (one `declare namespace` per server, rendered
 * by typegen, plus `workspace`, `skills`, `console`, `ToolError`), one module per server
 * (`./servers/<server>` → `export = <server>`, `./servers/<server>/<tool>`), the `./skills`
 * module, and every skill at `/skills/<name>/index.ts`. Module specifiers resolve like the
 * sandbox's loader: from the root first (`./servers/fs` works from any skill), then relative to
 * the importing skill (`./other-skill`). Compiler options are strict.
 *
 * TypeScript is loaded lazily (it is large and only needed when a skill is saved or its
 * declarations are first rendered); its standard library files are parsed once per process.
 *
 * @module
 */
import { createRequire } from "node:module";
import path from "node:path";
import { readFileSync } from "node:fs";
import type * as TS from "typescript";
import type {
  CompilerHost,
  CompilerOptions,
  Diagnostic,
  ResolvedModuleWithFailedLookupLocations,
  ScriptTarget,
  SourceFile,
  StringLiteralLike,
} from "typescript";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { ToolcodeError } from "../errors.js";
import { codeExcerpt } from "../sandbox/code-excerpt.js";
import { renderServerIndex } from "../typegen/declarations.js";
import { groupByServer } from "../typegen/virtual-tree.js";
import { GUEST_GLOBALS_DECLARATION } from "./skill-declarations.js";

type TypeScript = typeof TS;

/** A diagnostic of the compiler, positioned in a skill's own source when it is about that file. */
export interface SkillDiagnostic {
  /** `TS2339` etc. */
  code: string;
  message: string;
  /** Skill name when the diagnostic is in a skill's file. */
  skill?: string;
  /** 1-based, in the skill's source. */
  line?: number;
  column?: number;
}

/** What {@link checkSkills} reports per skill. */
export interface CheckedSkill {
  name: string;
  /** Errors of this skill's file (empty when it compiles). */
  diagnostics: SkillDiagnostic[];
  /** `name(params): Result`, one per exported function (and per overload). */
  signatures: string[];
  /** The module's declarations (`export declare function …`), as TypeScript emits them. */
  declaration: string;
}

/** The tools and skills a check runs against. */
export interface CheckInput {
  /** Global declarations: server namespaces, `workspace`, `console`, `ToolError`, `skills` API. */
  ambient: string;
  /** Server identifier → its tool identifiers (for `./servers/<server>[/<tool>]` imports). */
  servers: ReadonlyMap<string, readonly string[]>;
  /** Every skill in the program: name → TypeScript source. */
  skills: ReadonlyMap<string, string>;
  /** Skill name → guest identifier (`skills.<id>`). */
  identifiers: ReadonlyMap<string, string>;
  /** Only these skills are checked and described (default: all). */
  only?: readonly string[];
  /**
   * Parsed (and bound) files kept between checks, keyed by file name: a file whose text did not
   * change is reused instead of parsed again (the tool declarations of a big API are megabytes).
   */
  cache?: SourceFileCache;
}

/** See {@link CheckInput.cache}. */
export type SourceFileCache = Map<string, { text: string; file: SourceFile }>;

/** The tools and guest globals skills are checked against. */
export interface CheckEnvironment {
  ambient: string;
  servers: Map<string, string[]>;
}

/**
 * Renders the environment a check needs from the catalog: one `declare namespace` per server
 * (typegen's full declarations, with every tool's types), the guest globals and `builtins`
 * (e.g. the `workspace` declaration). `skills` entries of the catalog are left out.
 */
export function checkEnvironment(tools: readonly CatalogTool[], builtins: string): CheckEnvironment {
  const groups = groupByServer(tools.filter((t) => t.server !== "skills"));
  const namespaces = [...groups].map(([server, group]) => renderServerIndex(server, group));
  return {
    ambient: [GUEST_GLOBALS_DECLARATION, builtins, ...namespaces].join("\n"),
    servers: new Map([...groups].map(([server, group]) => [server, group.map((t) => t.tool)])),
  };
}

const GLOBALS_FILE = "/toolcode/globals.d.ts";
const SKILLS_GLOBAL_FILE = "/toolcode/skills.d.ts";
const SKILLS_MODULE_FILE = "/toolcode/skills-module.d.ts";
const MAX_DIAGNOSTICS = 10;

let typescript: TypeScript | undefined;

/** The TypeScript compiler, loaded on first use. */
export function loadTypeScript(): TypeScript {
  if (typescript) return typescript;
  try {
    typescript = createRequire(import.meta.url)("typescript") as TypeScript;
  } catch (error) {
    throw new ToolcodeError(
      "INTERNAL",
      `Saving skills type-checks them with the TypeScript compiler, which is not installed (${(error as Error).message}). Operator: npm install typescript.`,
    );
  }
  return typescript;
}

/** Parsed standard-library files, shared by every program of this process. */
const libCache = new Map<string, SourceFile>();

/** Path of a skill's source inside the program. */
export function skillFile(name: string): string {
  return `/skills/${name}/index.ts`;
}

/**
 * A compiler host over in-memory `files` (parsed files kept in `cache` while their text is the
 * same) and the standard library read from TypeScript's own directory (parsed once per process).
 * `resolve` maps a module specifier to a file of `files` (or undefined: not found).
 */
export function memoryHost(
  ts: TypeScript,
  files: ReadonlyMap<string, string>,
  options: CompilerOptions,
  cache: SourceFileCache | undefined,
  resolve: (specifier: string, containingFile: string) => string | undefined,
): CompilerHost {
  const target = options.target ?? ts.ScriptTarget.ES2022;
  const libDir = path.dirname(ts.getDefaultLibFilePath(options));
  const readLib = (file: string): string | undefined => {
    if (!file.startsWith(libDir)) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  return {
    getSourceFile(fileName) {
      const text = files.get(fileName);
      if (text !== undefined) {
        const cached = cache?.get(fileName);
        if (cached?.text === text) return cached.file;
        const file = ts.createSourceFile(fileName, text, target, true);
        cache?.set(fileName, { text, file });
        return file;
      }
      const cached = libCache.get(fileName);
      if (cached) return cached;
      const lib = readLib(fileName);
      if (lib === undefined) return undefined;
      const parsed = ts.createSourceFile(fileName, lib, target, false);
      libCache.set(fileName, parsed);
      return parsed;
    },
    getDefaultLibFileName: (o) => path.join(libDir, ts.getDefaultLibFileName(o)),
    getDefaultLibLocation: () => libDir,
    writeFile: () => undefined,
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => files.has(f) || readLib(f) !== undefined,
    readFile: (f) => files.get(f) ?? readLib(f),
    resolveModuleNameLiterals: (literals: readonly StringLiteralLike[], containingFile: string): ResolvedModuleWithFailedLookupLocations[] =>
      literals.map((literal) => {
        const resolved = resolve(literal.text, containingFile);
        return {
          resolvedModule: resolved === undefined
            ? undefined
            : { resolvedFileName: resolved, extension: resolved.endsWith(".d.ts") ? ts.Extension.Dts : ts.Extension.Ts, isExternalLibraryImport: false },
        };
      }),
  };
}

/**
 * Type-checks skills and extracts their signatures and declarations. Never throws for errors in
 * the skills' code: they come back as diagnostics.
 */
export function checkSkills(input: CheckInput): Map<string, CheckedSkill> {
  const ts = loadTypeScript();
  const target: ScriptTarget = ts.ScriptTarget.ES2022;
  const options: CompilerOptions = {
    strict: true,
    target,
    module: ts.ModuleKind.CommonJS,
    lib: ["lib.es2023.d.ts"],
    types: [],
    declaration: true,
    emitDeclarationOnly: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmitOnError: false,
    newLine: ts.NewLineKind.LineFeed,
  };
  const files = new Map<string, string>();
  files.set(GLOBALS_FILE, input.ambient);
  files.set(SKILLS_GLOBAL_FILE, skillsGlobalDeclaration(input));
  files.set(SKILLS_MODULE_FILE, "export = skills;\n");
  for (const [server, tools] of input.servers) {
    files.set(`/servers/${server}/index.d.ts`, `export = ${server};\n`);
    for (const tool of tools) {
      files.set(`/servers/${server}/${tool}.d.ts`, `declare const __tool: typeof ${server}.${tool};\nexport { __tool as ${tool} };\nexport default __tool;\n`);
    }
  }
  for (const [name, source] of input.skills) files.set(skillFile(name), source);

  const host = memoryHost(ts, files, options, input.cache, (specifier, containingFile) => resolveModule(specifier, containingFile, files));

  const names = input.only ?? [...input.skills.keys()];
  const roots = [GLOBALS_FILE, SKILLS_GLOBAL_FILE, ...[...input.skills.keys()].map(skillFile)];
  const program = ts.createProgram({ rootNames: roots, options, host });
  const checker = program.getTypeChecker();
  const results = new Map<string, CheckedSkill>();
  for (const name of names) {
    const sourceFile = program.getSourceFile(skillFile(name));
    if (!sourceFile) continue;
    const raw: Diagnostic[] = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    if (raw.length === 0) raw.push(...program.getDeclarationDiagnostics(sourceFile));
    const diagnostics = raw.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => toSkillDiagnostic(ts, d, name));
    const signatures: string[] = [];
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    if (moduleSymbol) {
      for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
        const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
        if (!declaration) continue;
        const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
        for (const signature of type.getCallSignatures()) {
          signatures.push(`${symbol.name}${checker.signatureToString(signature, undefined, ts.TypeFormatFlags.NoTruncation)}`);
        }
      }
    }
    let declaration = "";
    program.emit(sourceFile, (_file, text) => (declaration = text), undefined, true);
    results.set(name, { name, diagnostics, signatures, declaration });
  }
  return results;
}

/** Formats diagnostics for the model: `index.ts:3:7 - error TS2339: …` plus the line with a caret. */
export function formatDiagnostics(diagnostics: readonly SkillDiagnostic[], source: string, file: string): string {
  const lines: string[] = [];
  for (const d of diagnostics.slice(0, MAX_DIAGNOSTICS)) {
    const where = d.line !== undefined ? `${file}:${d.line}:${d.column ?? 1}` : file;
    lines.push(`${where} - error ${d.code}: ${d.message}`);
    if (d.line !== undefined) {
      const excerpt = codeExcerpt(source, d.line, d.column ?? 1);
      if (excerpt) lines.push(excerpt);
    }
  }
  if (diagnostics.length > MAX_DIAGNOSTICS) lines.push(`… and ${diagnostics.length - MAX_DIAGNOSTICS} more errors.`);
  return lines.join("\n");
}

function toSkillDiagnostic(ts: TypeScript, diagnostic: Diagnostic, skill: string): SkillDiagnostic {
  let message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  if (diagnostic.code === 1378 || diagnostic.code === 1375) {
    message = "Top-level await is not allowed in a skill: a skill is a module of functions. Put the awaiting code inside an exported async function.";
  }
  const out: SkillDiagnostic = { code: `TS${diagnostic.code}`, message };
  if (diagnostic.file && diagnostic.start !== undefined && diagnostic.file.fileName === skillFile(skill)) {
    const pos = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    out.skill = skill;
    out.line = pos.line + 1;
    out.column = pos.character + 1;
  }
  return out;
}

/** The `skills` namespace the checker sees: the API plus `skills.<id>` for every skill in the program. */
function skillsGlobalDeclaration(input: CheckInput): string {
  const members = [...input.skills.keys()].map((name) => `  const ${input.identifiers.get(name) ?? name}: typeof import("./skills/${name}");`);
  return `declare namespace skills {\n${members.join("\n")}\n}\n`;
}

/**
 * Resolves a module specifier the way the sandbox's loader does: root first, then relative to
 * the importing skill. Extensions and a trailing `/index` are ignored.
 */
export function resolveModule(specifier: string, containingFile: string, files: ReadonlyMap<string, string>): string | undefined {
  const candidates = [normalizePath(specifier)];
  const skill = /^\/skills\/([^/]+)\/index\.ts$/.exec(containingFile)?.[1];
  if (skill !== undefined && /^\.\.?\//.test(specifier)) candidates.push(normalizePath(`skills/${specifier}`));
  for (const candidate of candidates) {
    if (candidate === "skills") return SKILLS_MODULE_FILE;
    const server = /^servers\/([^/]+)(?:\/([^/]+))?$/.exec(candidate);
    if (server) {
      const file = server[2] === undefined ? `/servers/${server[1]}/index.d.ts` : `/servers/${server[1]}/${server[2]}.d.ts`;
      if (files.has(file)) return file;
      continue;
    }
    const skillMatch = /^skills\/([^/]+)$/.exec(candidate);
    if (skillMatch && files.has(skillFile(skillMatch[1]!))) return skillFile(skillMatch[1]!);
  }
  return undefined;
}

/** `./skills/a.ts`, `skills/a/index`, `../skills/a` → `skills/a` (no leading `./`). */
function normalizePath(specifier: string): string {
  const out: string[] = [];
  for (const part of specifier.replace(/\.(?:d\.ts|ts|js|mjs|cjs)$/, "").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      out.pop();
      continue;
    }
    out.push(part);
  }
  if (out.length > 1 && out[out.length - 1] === "index") out.pop();
  return out.join("/");
}
