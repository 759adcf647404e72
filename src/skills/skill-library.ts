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
import { type DeclaredSkill, importLine, renderSkillModule, renderSkillsNamespace } from "./skill-declarations.js";
import { exportedNames } from "./skill-file.js";
import { skillIdentifier, validateSkillName } from "./skill-name.js";
import { type SkillScope, SkillStore, type StoredSkill } from "./skill-store.js";
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
  /** `import { … } from "./skills/<name>"`. */
  import: string;
}

/** Input of {@link SkillLibrary.save} (and of `skills.save` in guest code). */
export interface SaveSkillInput {
  name: string;
  description: string;
  /** TypeScript module source exporting one or more functions. */
  code: string;
  /** Save to the shared directory (needs `skills.shared` and `skills.allowSharedWrite`). */
  shared?: boolean;
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
  }

  /** Opens the library and reads every skill of its directories (synchronously: small files, once). */
  static open(options: SkillLibraryOptions): SkillLibrary {
    const library = new SkillLibrary(options);
    library.reload();
    return library;
  }

  /** Opens the library a config describes (`skills` section), relative to the config's directory. */
  static fromConfig(config: SkillsConfig, baseDir: string, extra: Pick<SkillLibraryOptions, "tools" | "builtinDeclarations" | "builtinPrelude"> = {}): SkillLibrary {
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

  /** A skill's TypeScript source. */
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
    const { name, description, code, shared } = validateInput(input);
    const store = this.#writableStore(shared, name);
    const sources = new Map([...this.#effective()].map((s) => [s.name, s.source] as [string, string]));
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
    // Concurrent saves of one name finish in any order: keep the highest version in memory.
    const known = store.scope === "user" ? this.#skills : this.#sharedSkills;
    if ((known.get(name)?.version ?? 0) <= skill.version) known.set(name, skill);
    if (!unchanged) {
      this.#generation = this.#currentGeneration();
      this.#changed(true);
    }
    return { name, version: skill.version, signatures: skill.signatures, import: importLine(skill), scope: skill.scope, unchanged };
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

  /** `skills/<name>/index.d.ts` paths, sorted, plus `skills/index.d.ts`. */
  virtualPaths(): string[] {
    return ["skills/index.d.ts", ...this.#effective().map((s) => `skills/${s.name}/index.d.ts`)];
  }

  /** A file of the virtual tree under `skills/`, or undefined. */
  virtualFile(file: string): string | undefined {
    if (file === "skills/index.d.ts") return this.namespaceDeclaration();
    const name = /^skills\/([^/]+)\/index\.d\.ts$/.exec(file)?.[1];
    const skill = name === undefined ? undefined : this.#find(name);
    return skill ? renderSkillModule(this.#declared(skill)) : undefined;
  }

  /** The global `skills` namespace as the model reads it (API + every skill's functions). */
  namespaceDeclaration(): string {
    return renderSkillsNamespace(this.#effective().map((s) => this.#declared(s)));
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
        return [`// ${sentence ? `${sentence} ` : ""}Skill: ${info.import}`, ...skill.signatures.map((s) => `${SKILLS_SERVER}.${info.id}.${s}`)].join("\n");
      case "full":
        return renderSkillModule(this.#declared(skill)).trimEnd();
    }
  }

  /** The guest side of one execution. */
  /**
   * The guest side of one execution of `code`. Only the skills `code` can reach are handed to the
   * sandbox (those it names, and the skills they name, transitively), so a big library costs a
   * script that uses none of it almost nothing; code that picks skills dynamically
   * (`skills[name]`, `require(…)`) gets them all.
   */
  beginRun(code?: string): SkillRun {
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
    return new Run(this, modules, known);
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
          source = skillModuleSource(skill.name, skill.source, this.#prelude);
        } catch (error) {
          source = brokenModuleSource(`Skill "${skill.name}" cannot be loaded: ${error instanceof Error ? error.message : String(error)} Fix ${path.join(skill.dir, "index.ts")}.`);
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
  summaries(): { name: string; description: string; version: number; signatures: string[]; updated: string }[] {
    return this.#effective().map((s) => ({ name: s.name, description: s.description, version: s.version, signatures: s.signatures, updated: s.updated }));
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
  #internalCalls = 0;
  #saves = 0;
  #reported = new Map<string, RunCounts>();

  constructor(
    private readonly library: SkillLibrary,
    readonly modules: Record<string, string>,
    private readonly names: ReadonlySet<string>,
  ) {}

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
        return this.library.save(args as SaveSkillInput);
      case "list":
        return this.library.summaries();
      case "report":
        this.#internalCalls += 1;
        this.#acceptReport(args);
        return null;
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
    import: importLine(skill),
  };
}

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

function validateInput(input: unknown): { name: string; description: string; code: string; shared: boolean } {
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
    throw new ToolcodeError("SKILL_INVALID", `Skill "${name}" needs code: a TypeScript module exporting functions.`, { name, field: "code" });
  }
  if (raw.code.length > MAX_SKILL_SOURCE) {
    throw new ToolcodeError("SKILL_INVALID", `The code of "${name}" is longer than ${MAX_SKILL_SOURCE.toLocaleString("en-US")} characters; split it into smaller skills.`, { name, field: "code" });
  }
  if (raw.shared !== undefined && typeof raw.shared !== "boolean") {
    throw new ToolcodeError("SKILL_INVALID", "skills.save: shared must be true or false.", { name, field: "shared" });
  }
  return { name, description: raw.description.trim(), code: raw.code, shared: raw.shared === true };
}
