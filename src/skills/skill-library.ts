/**
 * The skill library: reusable TypeScript functions that agents save and later import, so work
 * done once compounds across sessions.
 *
 * It ties together the stores on disk (the user's directory and an optional shared one, where
 * user skills shadow shared skills of the same name), the compiler (a skill is type-checked
 * against the current tool declarations before it is saved), usage tracking, and what the
 * rest of toolcode needs: the guest modules of a run ({@link SkillLibrary.beginRun}), catalog
 * entries for search, and declarations for the virtual tree.
 *
 * @module
 */
import { createHash } from "node:crypto";
import path from "node:path";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { SkillsConfig } from "../config/schema.js";
import { ToolcodeError, isToolcodeError } from "../errors.js";
import type { Engine } from "../sandbox/engine.js";
import { type SearchDetail, firstSentence } from "../typegen/search-render.js";
import {
  SKILLS_MODULE,
  SKILLS_PRELUDE,
  brokenModuleSource,
  skillModuleSource,
  skillsRuntimeModule,
  wrapMainForSkills,
} from "./guest-skills.js";
import { SkillChecker } from "./skill-checker.js";
import { type CheckedSkill, formatDiagnostics } from "./skill-compiler.js";
import { languageMismatchModule, pythonSkillFromJavaScript, pythonSkillsData } from "./guest-skills-python.js";
import { checkPythonSkill } from "./python-skill-check.js";
import { type DeclaredSkill, importLine, renderPythonSkillStub, renderSkillModule, renderSkillsNamespace } from "./skill-declarations.js";
import { type SkillLanguage, exportedNames } from "./skill-file.js";
import { skillIdentifier, validateSkillName } from "./skill-name.js";
import { type SkillScope, SkillStore, type StoredSkill, sourceFile } from "./skill-store.js";
import { type SkillUsage, UsageTracker, emptyUsage } from "./usage-tracker.js";

/** The catalog server identifier under which skills appear in search (`skills.<id>`). */
export const SKILLS_SERVER = "skills";

/** Longest skill source accepted by {@link SkillLibrary.save}. */
export const MAX_SKILL_SOURCE = 200_000;
const MAX_DESCRIPTION = 2_000;
/** `skills.save` calls one execution may make (each writes files and runs the type-checker). */
export const MAX_SAVES_PER_RUN = 20;

/** Options of {@link SkillLibrary.open}. */
export interface SkillLibraryOptions {
  /** The user's skill directory (writable). Relative to `baseDir`. */
  dir: string;
  /** A shared skill directory, read-only unless `allowSharedWrite`. Relative to `baseDir`. */
  shared?: string;
  allowSharedWrite?: boolean;
  /** Where relative directories resolve (default `process.cwd()`). */
  baseDir?: string;
  /** The tools skills are type-checked against (default: none). Read when a skill is checked. */
  tools?: () => readonly CatalogTool[];
  /** Declarations of other guest built-ins skills may use (e.g. `workspace`). */
  builtinDeclarations?: string;
  /** One line of JavaScript defining those built-ins, run at the top of every skill module. */
  builtinPrelude?: string;
  /** Longest type-check of one save, in ms (default 60 s); the check runs in a worker thread. */
  checkTimeoutMs?: number;
  /** A type-checker shared with other libraries (not closed by {@link SkillLibrary.close}); default: its own. */
  checker?: SkillChecker;
  /**
   * Makes a Python sandbox engine for one check of a Python skill (parsed and compiled there,
   * never on the host), closed after the check. Its own engine, not the executions' pool: a
   * Python script saving a skill holds one of that pool's workers while it waits. Without it,
   * saving a Python skill fails with `SANDBOX_UNAVAILABLE`.
   */
  pythonCheckEngine?: () => Engine;
}

/** A saved skill as toolcode shows it. */
export interface SkillInfo {
  name: string;
  /** Guest identifier: `skills.<id>`. */
  id: string;
  description: string;
  version: number;
  created: string;
  updated: string;
  /** One line per exported function, e.g. `normalizeAddress(address: string): string`. */
  signatures: string[];
  scope: SkillScope;
  /** Absolute path of its directory. */
  dir: string;
  /** `import { … } from "./skills/<name>"`, or for Python `from skills.<id> import …`. */
  import: string;
  /** The language it is written in: a TypeScript skill runs in JavaScript scripts, a Python skill in Python scripts. */
  language: SkillLanguage;
}

/** Input of {@link SkillLibrary.save} (and of `skills.save` in guest code). */
export interface SaveSkillInput {
  name: string;
  description: string;
  /** TypeScript module source exporting one or more functions (Python: a module of top-level functions). */
  code: string;
  /** Save to the shared directory (needs `skills.shared` and `skills.allowSharedWrite`). */
  shared?: boolean;
  /** `typescript` (default) or `python`; a Python script's `skills.save` defaults to `python`. */
  language?: SkillLanguage;
}

/** Result of {@link SkillLibrary.save}. */
export interface SavedSkill {
  name: string;
  version: number;
  signatures: string[];
  import: string;
  scope: SkillScope;
  /** True when code and description equal the saved version: nothing was written. */
  unchanged: boolean;
  language: SkillLanguage;
}

/** A skill with its usage, as `toolcode skills list --json` prints it. */
export interface SkillReport extends SkillInfo {
  usage: SkillUsage;
}

/**
 * The per-run part of skills handed to the sandbox: the guest modules, the prelude, the bridge
 * handler, and usage bookkeeping. Create one per execution with {@link SkillLibrary.beginRun}.
 */
export interface SkillRun {
  /** Guest modules: `./skills` and `./skills/<name>` for every skill. */
  readonly modules: Record<string, string>;
  /** One line of JavaScript binding `skills` in the script. */
  readonly prelude: string;
  /** Wraps the transpiled script so it reports usage when it ends. */
  wrapMain(code: string): string;
  /** Handles a call on the `__skills` bridge global. */
  call(tool: string, args: unknown): Promise<unknown>;
  /** JSON text the Python prelude reads (the skills a Python run may import); undefined for JavaScript runs. */
  readonly guestData?: string;
  /** Bridge calls made by the runtime itself (not by the script): the usage report. */
  readonly internalCalls: number;
  /** Records this run's usage (`succeeded`: the execution ended without error) and persists it. */
  finish(succeeded: boolean): Promise<void>;
}

/** The skill library. Open with {@link SkillLibrary.open}. */
export class SkillLibrary {
  readonly #user: SkillStore;
  readonly #shared: SkillStore | undefined;
  readonly #allowSharedWrite: boolean;
  readonly #tracker: UsageTracker;
  readonly #tools: () => readonly CatalogTool[];
  readonly #builtins: string;
  readonly #prelude: string;
  #skills = new Map<string, StoredSkill>();
  #sharedSkills = new Map<string, StoredSkill>();
  readonly #checker: SkillChecker;
  readonly #ownsChecker: boolean;
  #modules: Record<string, string> | undefined;
  readonly #pythonCheckEngine: (() => Engine) | undefined;
  /** Generations of the directories as last read (see {@link SkillLibrary.refresh}). */
  #generation = "";
  readonly #listeners = new Set<() => void>();
  /** Warnings from loading (skipped directories). */
  readonly warnings: string[] = [];

  private constructor(options: SkillLibraryOptions) {
    const base = options.baseDir ?? process.cwd();
    this.#user = new SkillStore(path.resolve(base, options.dir), "user");
    this.#shared = options.shared === undefined ? undefined : new SkillStore(path.resolve(base, options.shared), "shared");
    this.#allowSharedWrite = options.allowSharedWrite ?? false;
    this.#tracker = new UsageTracker(this.#user.usageFile);
    this.#tools = options.tools ?? (() => []);
    this.#builtins = options.builtinDeclarations ?? "";
    this.#prelude = options.builtinPrelude ?? "";
    this.#ownsChecker = options.checker === undefined;
    this.#checker = options.checker ?? new SkillChecker(options.checkTimeoutMs);
    this.#pythonCheckEngine = options.pythonCheckEngine;
  }

  /** Opens the library and reads every skill of its directories (synchronously: small files, once). */
  static open(options: SkillLibraryOptions): SkillLibrary {
    const library = new SkillLibrary(options);
    library.reload();
    return library;
  }

  /** Opens the library a config describes (`skills` section), relative to the config's directory. */
  static fromConfig(config: SkillsConfig, baseDir: string, extra: Pick<SkillLibraryOptions, "tools" | "builtinDeclarations" | "builtinPrelude" | "pythonCheckEngine"> = {}): SkillLibrary {
    return SkillLibrary.open({
      dir: config.dir,
      ...(config.shared !== undefined ? { shared: config.shared } : {}),
      allowSharedWrite: config.allowSharedWrite,
      baseDir,
      ...extra,
    });
  }

  /** Absolute path of the user's skill directory. */
  get dir(): string {
    return this.#user.root;
  }

  /** Absolute path of the shared directory, if configured. */
  get sharedDir(): string | undefined {
    return this.#shared?.root;
  }

  /** Re-reads both directories (skills saved or removed by other processes). */
  reload(): void {
    this.#generation = this.#currentGeneration();
    const user = this.#user.load();
    const shared = this.#shared?.load();
    this.warnings.length = 0;
    this.warnings.push(...user.warnings, ...(shared?.warnings ?? []));
    this.#skills = new Map(user.skills.map((s) => [s.name, s]));
    this.#sharedSkills = new Map((shared?.skills ?? []).map((s) => [s.name, s]));
    this.#changed(false);
  }

  /**
   * Re-reads the directories if another process (or `toolcode skills remove`) changed them since
   * they were last read: one small file read per directory. Notifies listeners on a change.
   */
  refresh(): void {
    if (this.#currentGeneration() === this.#generation) return;
    this.reload();
    for (const listener of this.#listeners) listener();
  }

  #currentGeneration(): string {
    return `${this.#user.generation()}|${this.#shared?.generation() ?? ""}`;
  }

  /** Calls `listener` after every save or removal. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every skill (user skills shadow shared ones of the same name), sorted by name. */
  list(): SkillInfo[] {
    return this.#effective().map(toInfo);
  }

  /** One skill by name or guest identifier. */
  get(nameOrId: string): SkillInfo | undefined {
    const skill = this.#find(nameOrId);
    return skill ? toInfo(skill) : undefined;
  }

  /** A skill's source (TypeScript, or Python for a Python skill). */
  source(name: string): string | undefined {
    return this.#find(name)?.source;
  }

  /** A skill's `SKILL.md`. */
  async markdown(name: string): Promise<string | undefined> {
    const skill = this.#find(name);
    if (!skill) return undefined;
    return (skill.scope === "user" ? this.#user : this.#shared)?.markdown(skill.name);
  }

  /** Earlier versions kept of a skill (`versions/<n>.ts`), ascending. */
  async versions(name: string): Promise<number[]> {
    const skill = this.#find(name);
    if (!skill) return [];
    return (skill.scope === "user" ? this.#user : this.#shared)?.versions(skill.name) ?? [];
  }

  /** Usage of every skill (zeros for never-used ones), including this process's pending counts. */
  async usage(): Promise<Record<string, SkillUsage>> {
    const recorded = await this.#tracker.read();
    return Object.fromEntries(this.#effective().map((s) => [s.name, recorded[s.name] ?? emptyUsage()]));
  }

  /** Skills with their usage. */
  async report(): Promise<SkillReport[]> {
    const usage = await this.usage();
    return this.list().map((info) => ({ ...info, usage: usage[info.name] ?? emptyUsage() }));
  }

  /**
   * Type-checks a skill against the current tools and saves it. Saving an existing name keeps
   * the previous version under `versions/`.
   *
   * @throws {ToolcodeError} `SKILL_INVALID` with the compiler's messages (or what is wrong with
   * the name, description or code); `SKILL_READ_ONLY` for the shared directory when not allowed.
   */
  async save(input: SaveSkillInput): Promise<SavedSkill> {
    const { name, description, code, shared, language } = validateInput(input);
    const store = this.#writableStore(shared, name);
    if (language === "python") return this.#savePython(store, name, description, code);
    const sources = new Map(this.#effective().filter((s) => s.language !== "python").map((s) => [s.name, s.source] as [string, string]));
    sources.set(name, code);
    const tools = this.#tools().filter((t) => t.server !== SKILLS_SERVER);
    const checked = (
      await this.#checker.check({
        environmentKey: environmentKey(tools),
        environment: () => ({ tools: [...tools], builtins: this.#builtins }),
        skills: sources,
        identifiers: identifiersOf(sources.keys()),
        only: [name],
      })
    ).get(name);
    if (!checked) throw new ToolcodeError("INTERNAL", `The compiler did not check skill "${name}".`);
    if (checked.diagnostics.length > 0) throw this.#compileError(name, code, checked, [...new Set(tools.map((t) => t.server))]);
    if (checked.signatures.length === 0) {
      throw new ToolcodeError(
        "SKILL_INVALID",
        `Skill "${name}" was not saved: it exports no function. A skill is a module of functions, e.g.\n` +
          "export async function normalizeAddress(address: string): Promise<string> { … }",
        { name },
      );
    }
    try {
      skillModuleSource(name, code);
    } catch (error) {
      throw new ToolcodeError("SKILL_INVALID", `Skill "${name}" was not saved: ${isToolcodeError(error) ? error.message : String(error)}`, { name });
    }
    const { skill, unchanged } = await store.write({
      name,
      description,
      source: code,
      signatures: checked.signatures,
      identifier: skillIdentifier(name),
      declaration: checked.declaration,
    });
    return this.#stored(store, skill, unchanged);
  }

  /** Keeps a written skill in memory and answers the save. */
  #stored(store: SkillStore, skill: StoredSkill, unchanged: boolean): SavedSkill {
    // Concurrent saves of one name finish in any order: keep the highest version in memory.
    const known = store.scope === "user" ? this.#skills : this.#sharedSkills;
    if ((known.get(skill.name)?.version ?? 0) <= skill.version) known.set(skill.name, skill);
    if (!unchanged) {
      this.#generation = this.#currentGeneration();
      this.#changed(true);
    }
    const language = skill.language ?? "typescript";
    return { name: skill.name, version: skill.version, signatures: skill.signatures, import: importLine({ ...skill, language }), scope: skill.scope, unchanged, language };
  }

  /**
   * A Python skill: parsed and compiled in the Python sandbox (never on the host), its tool calls
   * and skill imports checked against the catalog, then saved as `index.py`.
   */
  async #savePython(store: SkillStore, name: string, description: string, code: string): Promise<SavedSkill> {
    const id = skillIdentifier(name);
    if (PYTHON_KEYWORDS.has(id)) {
      throw new ToolcodeError("SKILL_INVALID", `Skill "${name}" was not saved: "${id}" is a Python keyword, so skills.${id} cannot be written in Python. Choose another name, e.g. "${name}-skill".`, { name, field: "name" });
    }
    if (this.#pythonCheckEngine === undefined) {
      throw new ToolcodeError("SANDBOX_UNAVAILABLE", `Skill "${name}" was not saved: Python skills are checked in the Python sandbox, which this library has none of. Save it from a toolcode instance (skills.save in a Python execute).`, { name });
    }
    const tools = this.#tools().filter((t) => t.server !== SKILLS_SERVER);
    const others = new Map(this.#effective().filter((s) => s.name !== name).map((s) => [skillIdentifier(s.name), s.language ?? "typescript"] as const));
    const engine = this.#pythonCheckEngine();
    const checked = await checkPythonSkill(engine, name, code, tools, others).finally(() => engine.close());
    const file = `skills/${name}/index.py`;
    if (checked.diagnostics.length > 0) {
      const syntax = checked.diagnostics.find((d) => d.code === "PY_SYNTAX");
      const text = formatDiagnostics(checked.diagnostics, code, file);
      throw new ToolcodeError(
        "SKILL_INVALID",
        syntax !== undefined
          ? `Skill "${name}" was not saved: it does not compile (Python).\n${text}\nFix the code and save again.`
          : `Skill "${name}" was not saved: it calls what the current tools do not have.\n${text}\n` +
              `Fix the code and save again. Servers: ${[...new Set(tools.map((t) => t.server))].join(", ") || "(none)"} (call as \`await <server>.<tool>(name=value)\`; search finds tools and their signatures).`,
        { name, language: "python", diagnostics: checked.diagnostics, ...(syntax !== undefined ? { line: syntax.line, column: syntax.column } : {}) },
      );
    }
    if (checked.signatures.length === 0) {
      throw new ToolcodeError(
        "SKILL_INVALID",
        `Skill "${name}" was not saved: it defines no public function. A Python skill is a module of top-level functions, e.g.\n` +
          "async def normalize_address(address: str) -> str: …",
        { name, language: "python" },
      );
    }
    const { skill, unchanged } = await store.write({ name, description, source: code, signatures: checked.signatures, identifier: id, declaration: checked.declaration, language: "python" });
    return this.#stored(store, skill, unchanged);
  }

  /**
   * Removes a skill (the user's copy when both directories have it) with its versions and usage.
   *
   * @throws {ToolcodeError} `SKILL_NOT_FOUND`, or `SKILL_READ_ONLY` for a shared skill when not allowed.
   */
  async remove(name: string): Promise<SkillInfo> {
    const skill = this.#find(name);
    if (!skill) throw this.#notFound(name);
    if (skill.scope === "shared" && !this.#allowSharedWrite) {
      throw new ToolcodeError(
        "SKILL_READ_ONLY",
        `Skill "${skill.name}" is in the shared directory ${this.#shared?.root}, which is read-only. Operator: set skills.allowSharedWrite to true to allow changes.`,
        { name: skill.name, dir: this.#shared?.root },
      );
    }
    const store = skill.scope === "user" ? this.#user : this.#shared;
    await store?.remove(skill.name);
    (skill.scope === "user" ? this.#skills : this.#sharedSkills).delete(skill.name);
    this.#generation = this.#currentGeneration();
    if (!this.#find(skill.name)) {
      this.#tracker.forget(skill.name);
      await this.#tracker.flush();
    }
    this.#changed(true);
    return toInfo(skill);
  }

  /** `skills/<name>/index.d.ts` paths (Python skills: `skills/<id>/__init__.pyi`), sorted, plus `skills/index.d.ts`. */
  virtualPaths(): string[] {
    return ["skills/index.d.ts", ...this.#effective().map((s) => (s.language === "python" ? `skills/${skillIdentifier(s.name)}/__init__.pyi` : `skills/${s.name}/index.d.ts`))];
  }

  /** A file of the virtual tree under `skills/`, or undefined. */
  virtualFile(file: string): string | undefined {
    if (file === "skills/index.d.ts") return this.namespaceDeclaration();
    const python = /^skills\/([^/]+)\/__init__\.pyi$/.exec(file)?.[1];
    if (python !== undefined) {
      const skill = this.#find(python);
      return skill?.language === "python" ? renderPythonSkillStub(skill) : undefined;
    }
    const name = /^skills\/([^/]+)\/index\.d\.ts$/.exec(file)?.[1];
    const skill = name === undefined ? undefined : this.#find(name);
    return skill && skill.language !== "python" ? renderSkillModule(this.#declared(skill)) : undefined;
  }

  /** The global `skills` namespace as the model reads it (API + every TypeScript skill's functions; Python skills are not callable from JavaScript). */
  namespaceDeclaration(): string {
    return renderSkillsNamespace(this.#effective().filter((s) => s.language !== "python").map((s) => this.#declared(s)));
  }

  /** Catalog entries that put skills into the search index (server {@link SKILLS_SERVER}). */
  catalogTools(): CatalogTool[] {
    return this.#effective().map((skill) => {
      const id = skillIdentifier(skill.name);
      return {
        server: SKILLS_SERVER,
        tool: id,
        id: `${SKILLS_SERVER}.${id}`,
        sourceName: SKILLS_SERVER,
        spec: {
          name: skill.name,
          title: exportedNames(skill.signatures).join(" "),
          description: skill.description,
          inputSchema: { type: "object", properties: {} },
        },
      };
    });
  }

  /**
   * A skill as a search result, at the detail levels of tool results: `names` (one line),
   * `signatures` (summary and import line, then `skills.<id>.<fn>(…)` per function), `full`
   * (its `index.d.ts`). Undefined for an unknown identifier.
   */
  describe(id: string, detail: SearchDetail): string | undefined {
    const skill = this.#find(id);
    if (!skill) return undefined;
    const info = toInfo(skill);
    const sentence = firstSentence(skill.description);
    switch (detail) {
      case "names":
        return `${SKILLS_SERVER}.${info.id} — ${sentence ? `${sentence} ` : ""}(skill; ${info.import})`;
      case "signatures":
        if (skill.language === "python") {
          // `async def skills.<id>.fn(…) -> …`, as Python search shows tools.
          return [`# ${sentence ? `${sentence} ` : ""}Skill (Python): ${info.import}`, ...skill.signatures.map((s) => s.replace(/^((?:async\s+)?def\s+)?/, `$1${SKILLS_SERVER}.${info.id}.`))].join("\n");
        }
        return [`// ${sentence ? `${sentence} ` : ""}Skill: ${info.import}`, ...skill.signatures.map((s) => `${SKILLS_SERVER}.${info.id}.${s}`)].join("\n");
      case "full":
        return (skill.language === "python" ? renderPythonSkillStub(skill) : renderSkillModule(this.#declared(skill))).trimEnd();
    }
  }

  /** The guest side of one execution. */
  /**
   * The guest side of one execution of `code`. Only the skills `code` can reach are handed to the
   * sandbox (those it names, and the skills they name, transitively), so a big library costs a
   * script that uses none of it almost nothing; code that picks skills dynamically
   * (`skills[name]`, `require(…)`) gets them all.
   */
  beginRun(code?: string, language: "javascript" | "python" = "javascript"): SkillRun {
    if (language === "python") return new Run(this, {}, new Set(this.#effective().map((s) => s.name)), "python", pythonSkillsData(this.#effective(), code));
    const all = this.#runModules();
    const skills = this.#effective();
    let modules = all;
    const known = new Set(skills.map((s) => s.name));
    const unknownImport = [...(code ?? "").matchAll(/["'](?:\.{0,2}\/)*skills\/([^"'/]+)/g)].some((m) => !known.has(m[1]!.replace(/\.(?:ts|js)$/, "")));
    // Dynamic picks, and imports of a name that does not exist (whose error lists the modules), get every skill.
    if (code !== undefined && !unknownImport && !/\bskills\s*\[|\brequire\s*\(/.test(code)) {
      modules = { [SKILLS_MODULE]: all[SKILLS_MODULE] ?? "" };
      const pending = [code];
      for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
        for (const skill of skills) {
          const key = `./skills/${skill.name}`;
          if (modules[key] !== undefined || !mentions(text, skill.name)) continue;
          modules[key] = all[key] ?? "";
          pending.push(skill.source);
        }
      }
    }
    return new Run(this, modules, known, "javascript");
  }

  /** Records usage reported by a run (used by {@link SkillRun}; not for library users). */
  recordUsage(name: string, delta: Parameters<UsageTracker["record"]>[1]): void {
    this.#tracker.record(name, delta);
  }

  /** Writes pending usage counts (used by {@link SkillRun} after each execution). */
  async flushUsage(): Promise<void> {
    await this.#tracker.flush();
  }

  /** Flushes usage and stops the type-checker. The library stays readable. */
  async close(): Promise<void> {
    await Promise.all([this.#tracker.flush(), this.#ownsChecker ? this.#checker.close() : undefined]);
  }

  #effective(): StoredSkill[] {
    const all = new Map(this.#sharedSkills);
    for (const [name, skill] of this.#skills) all.set(name, skill);
    return [...all.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #find(nameOrId: string): StoredSkill | undefined {
    const direct = this.#skills.get(nameOrId) ?? this.#sharedSkills.get(nameOrId);
    if (direct) return direct;
    return this.#effective().find((s) => skillIdentifier(s.name) === nameOrId);
  }

  #notFound(name: string): ToolcodeError {
    const names = this.#effective().map((s) => s.name);
    return new ToolcodeError("SKILL_NOT_FOUND", `No skill "${name}". Skills: ${names.join(", ") || "(none saved)"}.`, { name, available: names });
  }

  #writableStore(shared: boolean, name: string): SkillStore {
    if (!shared) return this.#user;
    if (!this.#shared) {
      throw new ToolcodeError("SKILL_READ_ONLY", `Cannot save "${name}" as shared: no shared skill directory is configured. Save it without shared: true (operator: set skills.shared).`, { name });
    }
    if (!this.#allowSharedWrite) {
      throw new ToolcodeError(
        "SKILL_READ_ONLY",
        `Cannot save "${name}" as shared: the shared skill directory is read-only. Save it without shared: true (operator: set skills.allowSharedWrite to true).`,
        { name, dir: this.#shared.root },
      );
    }
    return this.#shared;
  }

  #compileError(name: string, code: string, checked: CheckedSkill, ids: readonly string[]): ToolcodeError {
    const text = formatDiagnostics(checked.diagnostics, code, `skills/${name}/index.ts`);
    return new ToolcodeError(
      "SKILL_INVALID",
      `Skill "${name}" was not saved: it does not type-check against the current tools.\n${text}\n` +
        `Fix the code and save again. Servers: ${ids.join(", ") || "(none)"} (call as \`await <server>.<tool>({ … })\` or import from "./servers/<server>"; search finds tools and their signatures).`,
      { name, diagnostics: checked.diagnostics },
    );
  }

  /** What the model reads about a skill: its declarations as saved (or, without them, its signatures). */
  #declared(skill: StoredSkill): DeclaredSkill {
    const declaration = skill.declaration?.trim() ? skill.declaration : skill.signatures.map((s) => `export declare function ${s};`).join("\n");
    return { name: skill.name, id: skillIdentifier(skill.name), description: skill.description, signatures: skill.signatures, declaration };
  }

  /** Guest modules for a run (rebuilt after changes). */
  #runModules(): Record<string, string> {
    if (!this.#modules) {
      const skills = this.#effective();
      const modules: Record<string, string> = {
        [SKILLS_MODULE]: skillsRuntimeModule(skills.map((s) => ({ name: s.name, id: skillIdentifier(s.name) }))),
      };
      for (const skill of skills) {
        let source: string;
        try {
          source = skill.language === "python" ? languageMismatchModule(skill.name) : skillModuleSource(skill.name, skill.source, this.#prelude);
        } catch (error) {
          source = brokenModuleSource(`Skill "${skill.name}" cannot be loaded: ${error instanceof Error ? error.message : String(error)} Fix ${path.join(skill.dir, sourceFile(skill.language))}.`);
        }
        modules[`./skills/${skill.name}`] = source;
      }
      this.#modules = modules;
    }
    return this.#modules;
  }

  #changed(notify: boolean): void {
    this.#modules = undefined;
    if (!notify) return;
    for (const listener of this.#listeners) listener();
  }

  /** What `skills.list()` returns to guest code. */
  summaries(): { name: string; description: string; version: number; signatures: string[]; updated: string; language: SkillLanguage }[] {
    return this.#effective().map((s) => ({ name: s.name, description: s.description, version: s.version, signatures: s.signatures, updated: s.updated, language: s.language ?? "typescript" }));
  }
}

/** Reported counts of one skill in one run. */
interface RunCounts {
  imports: number;
  calls: number;
  failures: number;
}

class Run implements SkillRun {
  readonly prelude = SKILLS_PRELUDE;
  readonly guestData: string | undefined;
  #internalCalls = 0;
  #saves = 0;
  #reported = new Map<string, RunCounts>();

  constructor(
    private readonly library: SkillLibrary,
    readonly modules: Record<string, string>,
    private readonly names: ReadonlySet<string>,
    private readonly language: "javascript" | "python",
    guestData?: string,
  ) {
    this.guestData = guestData;
  }

  get internalCalls(): number {
    return this.#internalCalls;
  }

  wrapMain(code: string): string {
    return wrapMainForSkills(code);
  }

  async call(tool: string, args: unknown): Promise<unknown> {
    switch (tool) {
      case "save":
        if (++this.#saves > MAX_SAVES_PER_RUN) {
          throw new ToolcodeError("SANDBOX_LIMIT", `An execution may save at most ${MAX_SAVES_PER_RUN} skills. Save the rest in another execute.`, { limit: MAX_SAVES_PER_RUN });
        }
        // A Python script saves Python skills unless it says otherwise.
        if (this.language === "python" && typeof args === "object" && args !== null && !Array.isArray(args) && (args as { language?: unknown }).language === undefined) {
          return this.library.save({ ...(args as SaveSkillInput), language: "python" });
        }
        return this.library.save(args as SaveSkillInput);
      case "list":
        return this.library.summaries();
      case "report":
        this.#internalCalls += 1;
        this.#acceptReport(args);
        return null;
      case "mismatch": {
        // A JavaScript script used a Python skill (its module answers every call with this).
        this.#internalCalls += 1;
        const name = String((args as { name?: unknown } | null)?.name ?? "");
        throw new ToolcodeError("SKILL_LANGUAGE_MISMATCH", pythonSkillFromJavaScript(name), { name, language: "python" });
      }
      default:
        throw new ToolcodeError("TOOL_NOT_FOUND", `skills has no function "${tool}". Use skills.save, skills.list, or skills.<name>.<fn>().`, {
          available: ["save", "list"],
        });
    }
  }

  async finish(succeeded: boolean): Promise<void> {
    if (this.#reported.size === 0) return;
    const lastUsed = new Date().toISOString();
    for (const [name, counts] of this.#reported) {
      if (counts.imports === 0 && counts.calls === 0) continue;
      this.library.recordUsage(name, { imports: 1, calls: counts.calls, failures: counts.failures, executions: succeeded ? 1 : 0, lastUsed });
    }
    this.#reported.clear();
    await this.library.flushUsage();
  }

  /** Takes the guest's counts, trusting only known names and sane numbers. */
  #acceptReport(args: unknown): void {
    const usage = (args as { usage?: unknown } | null)?.usage;
    if (typeof usage !== "object" || usage === null) return;
    for (const [name, raw] of Object.entries(usage as Record<string, unknown>)) {
      if (!this.names.has(name) || typeof raw !== "object" || raw === null) continue;
      const r = raw as Record<string, unknown>;
      const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), 1e9) : 0);
      const previous = this.#reported.get(name) ?? { imports: 0, calls: 0, failures: 0 };
      const calls = count(r.calls);
      this.#reported.set(name, {
        imports: Math.min(1, previous.imports + count(r.imports)),
        calls: previous.calls + calls,
        failures: previous.failures + Math.min(count(r.failures), calls),
      });
    }
  }
}

function toInfo(skill: StoredSkill): SkillInfo {
  return {
    name: skill.name,
    id: skillIdentifier(skill.name),
    description: skill.description,
    version: skill.version,
    created: skill.created,
    updated: skill.updated,
    signatures: skill.signatures,
    scope: skill.scope,
    dir: skill.dir,
    import: importLine({ ...skill, language: skill.language ?? "typescript" }),
    language: skill.language ?? "typescript",
  };
}

/** Python keywords: a skill whose identifier is one cannot be named in Python code. */
const PYTHON_KEYWORDS = new Set(["False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"]);

/** Changes when the set of tools changes (their declarations are re-rendered then). */
function environmentKey(tools: readonly CatalogTool[]): string {
  return createHash("sha256").update(tools.map((t) => t.id).join("\n")).digest("hex");
}

/** Whether `text` may refer to skill `name`: by its module path (`…/normalize-address`) or identifier (`normalize_address`). */
function mentions(text: string, name: string): boolean {
  return text.includes(name) || text.includes(skillIdentifier(name));
}

function identifiersOf(names: Iterable<string>): Map<string, string> {
  return new Map([...names].map((name) => [name, skillIdentifier(name)]));
}

function validateInput(input: unknown): { name: string; description: string; code: string; shared: boolean; language: SkillLanguage } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ToolcodeError("SKILL_INVALID", "skills.save takes one object: { name, description, code }.");
  }
  const raw = input as Record<string, unknown>;
  const name = validateSkillName(raw.name);
  if (typeof raw.description !== "string" || raw.description.trim() === "") {
    throw new ToolcodeError("SKILL_INVALID", `Skill "${name}" needs a description: what it does and when to use it (search finds skills by it).`, { name, field: "description" });
  }
  if (raw.description.length > MAX_DESCRIPTION) {
    throw new ToolcodeError("SKILL_INVALID", `The description of "${name}" is longer than ${MAX_DESCRIPTION} characters; shorten it.`, { name, field: "description" });
  }
  if (typeof raw.code !== "string" || raw.code.trim() === "") {
    throw new ToolcodeError("SKILL_INVALID", `Skill "${name}" needs code: a module of functions (TypeScript exporting them, or Python with language "python").`, { name, field: "code" });
  }
  if (raw.code.length > MAX_SKILL_SOURCE) {
    throw new ToolcodeError("SKILL_INVALID", `The code of "${name}" is longer than ${MAX_SKILL_SOURCE.toLocaleString("en-US")} characters; split it into smaller skills.`, { name, field: "code" });
  }
  if (raw.shared !== undefined && typeof raw.shared !== "boolean") {
    throw new ToolcodeError("SKILL_INVALID", "skills.save: shared must be true or false.", { name, field: "shared" });
  }
  if (raw.language !== undefined && raw.language !== "typescript" && raw.language !== "python") {
    throw new ToolcodeError("SKILL_INVALID", 'skills.save: language must be "typescript" or "python".', { name, field: "language" });
  }
  return { name, description: raw.description.trim(), code: raw.code, shared: raw.shared === true, language: raw.language ?? "typescript" };
}
