/**
 * One skill directory on disk, readable and git-friendly:
 *
 * ```text
 * <dir>/
 *   <name>/index.ts          the skill's TypeScript (what `./skills/<name>` runs), or
 *   <name>/index.py          its Python (what `skills.<id>` is in Python scripts; `language: python` in SKILL.md)
 *   <name>/SKILL.md          front matter (name, description, version, created, updated, signatures) + docs
 *   <name>/versions/<n>.ts   earlier versions (`.py` for Python), kept when a name is saved again
 *   usage.json               usage counts (see UsageTracker); safe to .gitignore
 * ```
 *
 * Writes are atomic (temp file + rename) and version bumps happen under the store's lock file,
 * so two processes saving the same name get versions n+1 and n+2, never a lost version.
 *
 * @module
 */
import { readFileSync, readdirSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { withFileLock, writeFileAtomic } from "../runtime/file-lock.js";
import { type SkillFrontMatter, type SkillLanguage, parseSkillFile, renderSkillFile } from "./skill-file.js";
import { isSkillName } from "./skill-name.js";

/** Which directory a skill lives in. */
export type SkillScope = "user" | "shared";

/** A skill as read from its directory. */
export interface StoredSkill extends SkillFrontMatter {
  /** Its source (`index.ts`, or `index.py` for a Python skill). */
  source: string;
  /** Its declarations as emitted when it was saved (from `SKILL.md`), if present. */
  declaration?: string;
  scope: SkillScope;
  /** Absolute path of the skill's directory. */
  dir: string;
}

/** What {@link SkillStore.write} needs besides the front matter it computes itself. */
export interface SkillWrite {
  name: string;
  description: string;
  source: string;
  signatures: string[];
  /** Guest identifier and declarations, for the `SKILL.md` body. */
  identifier: string;
  declaration: string;
  /** Default `typescript`. */
  language?: SkillLanguage;
}

/** The source file of a skill in `language`: `index.ts` or `index.py`. */
export function sourceFile(language: SkillLanguage | undefined): string {
  return language === "python" ? "index.py" : "index.ts";
}

/** The file extension of a skill's sources in `language` (versions/<n>.<ext>). */
function extension(language: SkillLanguage | undefined): string {
  return language === "python" ? "py" : "ts";
}

const SKILL_FILE = "SKILL.md";
const VERSIONS_DIR = "versions";
const LOCK_FILE = ".lock";
/** Earlier versions kept per skill; older ones are deleted when a new version is saved. */
export const MAX_VERSIONS_KEPT = 20;
/** Rewritten after every change, so other processes notice it with one small read. */
const GENERATION_FILE = ".generation";

/** A skill directory. */
export class SkillStore {
  constructor(
    /** Absolute path of the directory (it need not exist until the first save). */
    readonly root: string,
    readonly scope: SkillScope,
  ) {}

  /** `usage.json` of this store. */
  get usageFile(): string {
    return path.join(this.root, "usage.json");
  }

  /**
   * Reads every skill; a directory that is not a valid skill is skipped with a warning.
   * Synchronous: it runs once at startup (and on {@link SkillLibrary.reload}) over small files.
   */
  load(): { skills: StoredSkill[]; warnings: string[] } {
    const skills: StoredSkill[] = [];
    const warnings: string[] = [];
    let entries: string[];
    try {
      entries = readdirSync(this.root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { skills, warnings };
      throw error;
    }
    for (const name of entries) {
      if (name.startsWith(".")) continue;
      if (!isSkillName(name)) {
        warnings.push(`${path.join(this.root, name)}: "${name}" is not a valid skill name; skipped.`);
        continue;
      }
      const read = this.read(name);
      if ("error" in read) warnings.push(`${path.join(this.root, name)}: ${read.error}; skipped.`);
      else skills.push(read.skill);
    }
    return { skills, warnings };
  }

  /**
   * A token that changes whenever any process saves or removes a skill here (the content of
   * `.generation`; empty before the first change).
   */
  generation(): string {
    return readOptional(path.join(this.root, GENERATION_FILE)) ?? "";
  }

  async #bumpGeneration(): Promise<void> {
    await writeFileAtomic(path.join(this.root, GENERATION_FILE), `${Date.now()} ${process.pid} ${randomBytes(6).toString("hex")}\n`);
  }

  /** Reads one skill. */
  read(name: string): { skill: StoredSkill } | { error: string } {
    if (!isSkillName(name)) return { error: `"${name}" is not a valid skill name` };
    const dir = path.join(this.root, name);
    const markdown = readOptional(path.join(dir, SKILL_FILE));
    if (markdown === undefined) return { error: `no ${SKILL_FILE}` };
    const parsed = parseSkillFile(markdown);
    if ("error" in parsed) return { error: parsed.error };
    const file = sourceFile(parsed.meta.language);
    const source = readOptional(path.join(dir, file));
    if (source === undefined) return { error: `no ${file}` };
    return { skill: { ...parsed.meta, name, source, scope: this.scope, dir, ...(parsed.declaration !== undefined ? { declaration: parsed.declaration } : {}) } };
  }

  /** The `SKILL.md` text of a skill, or undefined. */
  async markdown(name: string): Promise<string | undefined> {
    if (!isSkillName(name)) return undefined;
    return readFile(path.join(this.root, name, SKILL_FILE), "utf8").catch(() => undefined);
  }

  /** Version numbers kept under `versions/`, ascending. */
  async versions(name: string): Promise<number[]> {
    const files = await readdir(path.join(this.root, name, VERSIONS_DIR)).catch(() => [] as string[]);
    return [...new Set(files.flatMap((f) => (/^\d+\.(?:ts|py)$/.test(f) ? [Number.parseInt(f, 10)] : [])))].sort((a, b) => a - b);
  }

  /**
   * Saves a skill: a new name gets version 1; an existing one keeps its current `index.ts` as
   * `versions/<n>.ts` and becomes version n+1. Saving the same code and description again changes
   * nothing (`unchanged: true`).
   */
  async write(input: SkillWrite, now: Date = new Date()): Promise<{ skill: StoredSkill; unchanged: boolean }> {
    return withFileLock(path.join(this.root, LOCK_FILE), async () => {
      const dir = path.join(this.root, input.name);
      const existing = this.read(input.name);
      const previous = "skill" in existing ? existing.skill : undefined;
      const language = input.language ?? "typescript";
      if (previous && previous.source === input.source && previous.description === input.description && (previous.language ?? "typescript") === language) {
        return { skill: previous, unchanged: true };
      }
      const stamp = now.toISOString();
      const meta: SkillFrontMatter = {
        name: input.name,
        description: input.description,
        version: previous ? previous.version + 1 : 1,
        created: previous?.created ?? stamp,
        updated: stamp,
        signatures: input.signatures,
        ...(language === "python" ? { language } : {}),
      };
      if (previous) {
        await writeFileAtomic(path.join(dir, VERSIONS_DIR, `${previous.version}.${extension(previous.language)}`), previous.source);
        const kept = await this.versions(input.name);
        const dropped = kept.slice(0, Math.max(0, kept.length - MAX_VERSIONS_KEPT));
        await Promise.all(dropped.flatMap((v) => ["ts", "py"].map((ext) => rm(path.join(dir, VERSIONS_DIR, `${v}.${ext}`), { force: true }))));
      }
      await writeFileAtomic(path.join(dir, sourceFile(language)), input.source);
      await writeFileAtomic(path.join(dir, SKILL_FILE), renderSkillFile(meta, { identifier: input.identifier, declaration: input.declaration }));
      // Saved again in the other language: the old source file goes (it is kept under versions/), after SKILL.md names the new one.
      if (previous && sourceFile(previous.language) !== sourceFile(language)) await rm(path.join(dir, sourceFile(previous.language)), { force: true });
      await this.#bumpGeneration();
      return { skill: { ...meta, source: input.source, declaration: input.declaration, scope: this.scope, dir }, unchanged: false };
    });
  }

  /** Deletes a skill's directory (with its versions). True if it existed. */
  async remove(name: string): Promise<boolean> {
    if (!isSkillName(name)) return false;
    return withFileLock(path.join(this.root, LOCK_FILE), async () => {
      const dir = path.join(this.root, name);
      const exists = await readdir(dir).then(() => true, () => false);
      if (exists) {
        await rm(dir, { recursive: true, force: true });
        await this.#bumpGeneration();
      }
      return exists;
    });
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
