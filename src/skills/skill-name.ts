/**
 * Skill names: what a valid name looks like, and the guest identifier derived from it.
 *
 * A name is also a directory name and a module path (`./skills/<name>`), so it is kept to
 * lower-case letters, digits and single hyphens (the Agent Skills convention), at most 64
 * characters. The guest identifier (`skills.<id>`) follows the one sanitizing rule used for
 * servers and tools: `normalize-address` → `normalize_address`. Names never contain `_`, so two
 * names never map to the same identifier.
 *
 * @module
 */
import { sanitizeIdentifier } from "../catalog/names.js";
import { ToolcodeError } from "../errors.js";

/** Longest skill name. */
export const MAX_SKILL_NAME = 64;

const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * Names that would shadow the `skills` API (`skills.save`, `skills.list`) or the module paths
 * (`./skills/index` is the `skills` module itself).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["save", "list", "index", "versions"]);

/** Throws `SKILL_INVALID` (with a corrected suggestion) unless `name` is a valid skill name. */
export function validateSkillName(name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new ToolcodeError("SKILL_INVALID", 'A skill needs a name: lower-case words joined by hyphens, e.g. "normalize-address".', { field: "name" });
  }
  if (name.length > MAX_SKILL_NAME || !NAME_PATTERN.test(name) || RESERVED_NAMES.has(name)) {
    const suggestion = suggestName(name);
    const reason = RESERVED_NAMES.has(name)
      ? `"${name}" is reserved`
      : name.length > MAX_SKILL_NAME
        ? `the name is longer than ${MAX_SKILL_NAME} characters`
        : "use lower-case letters, digits and single hyphens, starting with a letter";
    throw new ToolcodeError(
      "SKILL_INVALID",
      `Invalid skill name "${name}": ${reason}${suggestion ? `, e.g. "${suggestion}"` : ""}.`,
      { field: "name", name, ...(suggestion ? { suggestion } : {}) },
    );
  }
  return name;
}

/** True when `name` is a valid skill name. */
export function isSkillName(name: string): boolean {
  return name.length <= MAX_SKILL_NAME && NAME_PATTERN.test(name) && !RESERVED_NAMES.has(name);
}

/** The guest identifier of a skill: `skills.<id>` (`normalize-address` → `normalize_address`). */
export function skillIdentifier(name: string): string {
  return sanitizeIdentifier(name);
}

/** A valid name close to `name` (`normalizeAddress` → `normalize-address`), or undefined. */
function suggestName(name: string): string | undefined {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[-0-9]+|-+$/g, "")
    .slice(0, MAX_SKILL_NAME)
    .replace(/-+$/, "");
  if (words === "" || !NAME_PATTERN.test(words)) return undefined;
  return RESERVED_NAMES.has(words) ? `${words}-skill` : words;
}
