/**
 * Declarations about skills: what the model reads (`skills/index.d.ts`, `skills/<name>/index.d.ts`,
 * the `skills` namespace in `toolcode types`) and the guest globals a skill is type-checked
 * against (`console`, `ToolError`, `HttpError`, the `skills` API).
 *
 * @module
 */
import { exportedNames } from "./skill-file.js";
import { skillIdentifier } from "./skill-name.js";

/** Guest globals every script and skill has besides servers, `workspace` and `skills`. */
export const GUEST_GLOBALS_DECLARATION = `declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
/** A failed tool call: \`code\` is e.g. TOOL_ERROR, INVALID_ARGUMENTS, TOOL_NOT_FOUND. */
declare class ToolError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
}
/** A failed HTTP API call (code HTTP_ERROR). */
declare class HttpError extends ToolError {
  readonly status: number;
}
`;

/** The members of the `skills` namespace that are always there: saving and listing. */
const SKILLS_API_MEMBERS = `  /** Input of {@link skills.save}. */
  interface SaveInput {
    /** Lower-case words joined by hyphens, e.g. "normalize-address". Saving an existing name makes a new version. */
    name: string;
    /** What it does and when to use it; \`search\` finds skills by it. */
    description: string;
    /** A TypeScript module exporting functions; they may call tools (\`await fs.read_file({ … })\`, \`import { x } from "./servers/fs"\`) and other skills. No top-level await. */
    code: string;
    /** Save to the shared skill directory (only when the operator allows it). */
    shared?: boolean;
    /** "typescript" (default) or "python": \`code\` is then a Python module of functions, checked in the Python sandbox and usable from Python scripts only. */
    language?: "typescript" | "python";
  }
  /** Result of {@link skills.save}. */
  interface Saved {
    name: string;
    version: number;
    /** One line per exported function. */
    signatures: string[];
    /** How to import it, e.g. \`import { normalizeAddress } from "./skills/normalize-address"\`. */
    import: string;
    /** True when the code and description were identical to the saved version (nothing changed). */
    unchanged: boolean;
    language: "typescript" | "python";
  }
  /** One saved skill, as {@link skills.list} returns it. */
  interface Summary {
    name: string;
    description: string;
    version: number;
    signatures: string[];
    updated: string;
    /** A Python skill runs only in Python scripts. */
    language: "typescript" | "python";
  }
  /**
   * Type-checks a skill against the current tools and saves it; from the next \`execute\` on it can
   * be imported. Fails with a ToolError (code SKILL_INVALID) carrying the compiler's errors.
   */
  function save(skill: SaveInput): Promise<Saved>;
  /** Every saved skill. */
  function list(): Promise<Summary[]>;`;

/** What the declarations need to know about one skill. */
export interface DeclaredSkill {
  name: string;
  /** Guest identifier (`skills.<id>`). */
  id: string;
  description: string;
  signatures: readonly string[];
  /** Module declarations as TypeScript emitted them (`export declare function …`). */
  declaration: string;
}

/**
 * The global `skills` namespace for the model: the API, then one nested namespace per skill with
 * its exported functions (documented with the skill's description and import line).
 */
export function renderSkillsNamespace(skills: readonly DeclaredSkill[]): string {
  const header = [
    "/**",
    " * Saved skills: reusable functions written by earlier executions. Use one with",
    ' * `import { fn } from "./skills/<name>"` or `await skills.<name>.fn(…)`; save new ones with',
    " * `skills.save({ name, description, code })`. `search` finds skills like tools.",
    skills.length === 0 ? " * (no skills saved yet)" : ` * ${skills.length} saved: ${skills.map((s) => s.name).join(", ")}`,
    " */",
  ];
  const members = skills.map((skill) => {
    const doc = `  /** ${oneLine(skill.description)} — \`${importLine(skill)}\` */`;
    const body = namespaceBody(skill.declaration);
    if (body === undefined) return `${doc}\n  const ${skill.id}: typeof import("./skills/${skill.name}");`;
    return `${doc}\n  namespace ${skill.id} {\n${body}\n  }`;
  });
  return `${header.join("\n")}\ndeclare namespace skills {\n${[SKILLS_API_MEMBERS, ...members].join("\n\n")}\n}\n`;
}

/** `skills/<name>/index.d.ts`: a header (description, how to import) and the module's declarations. */
export function renderSkillModule(skill: DeclaredSkill): string {
  const lines = [
    "/**",
    ` * Skill \`${skill.name}\`: ${oneLine(skill.description)}`,
    ` * ${importLine(skill)}  (or \`skills.${skill.id}.<fn>(…)\`)`,
    " */",
  ];
  return `${lines.join("\n")}\n${skill.declaration.trimEnd()}\n`;
}

/** `import { a, b } from "./skills/<name>"`; for a Python skill `from skills.<id> import a, b`. */
export function importLine(skill: { name: string; signatures: readonly string[]; language?: "typescript" | "python" }): string {
  const names = exportedNames(skill.signatures);
  if (skill.language === "python") return `from skills.${skillIdentifier(skill.name)} import ${names.join(", ") || "…"}`;
  return `import { ${names.join(", ") || "…"} } from "./skills/${skill.name}"`;
}

/** `skills/<id>/__init__.pyi`: a Python skill's stub as the model reads it (a docstring header, then its functions). */
export function renderPythonSkillStub(skill: { name: string; description: string; signatures: readonly string[]; declaration?: string }): string {
  const id = skillIdentifier(skill.name);
  const about = oneLine(skill.description).replace(/"""/g, "'''");
  const header = `"""Skill ${skill.name} (Python): ${about}\n${importLine({ ...skill, language: "python" })}  (or await skills.${id}.<fn>(...))"""`;
  const body = skill.declaration?.trim() ? skill.declaration.trimEnd() : skill.signatures.map((s) => `${s}: ...`).join("\n\n");
  return `${header}\n\n${body}\n`;
}

/**
 * A module declaration turned into the body of a namespace (`export declare function f` →
 * `function f`), indented; undefined when it uses constructs a namespace cannot hold (imports,
 * re-exports), in which case callers fall back to `typeof import(…)`.
 */
function namespaceBody(declaration: string): string | undefined {
  const out: string[] = [];
  for (const line of declaration.split("\n")) {
    if (line.trim() === "" || line.trim() === "export {};") continue;
    if (/^\s*import\b/.test(line) || /^export\s*(?:\*|\{)/.test(line) || /^export\s+=/.test(line)) return undefined;
    if (/^export default\s+[\w$]+;$/.test(line)) continue;
    out.push(`    ${line.replace(/^export\s+(?:default\s+)?/, "").replace(/^declare\s+/, "")}`);
  }
  return out.join("\n");
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim().replace(/\*\//g, "*\\/");
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
