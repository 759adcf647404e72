/**
 * `SKILL.md`: the readable, git-friendly description of a skill, with YAML front matter that the
 * store reads back (name, description, version, created, updated, signatures) and a Markdown
 * body for people and models (how to import it, and its declarations).
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { z } from "zod";

/** The front matter of `SKILL.md`. */
export interface SkillFrontMatter {
  name: string;
  description: string;
  /** 1 for the first save; each save of a changed skill adds one. */
  version: number;
  /** ISO timestamps. */
  created: string;
  updated: string;
  /** One line per exported function (overloads: one line each), e.g. `normalizeAddress(address: string): string`. */
  signatures: string[];
  /** The language of its source: `typescript` (`index.ts`, the default when absent) or `python` (`index.py`). */
  language?: SkillLanguage;
}

/** Languages a skill may be written in. */
export type SkillLanguage = "typescript" | "python";

const frontMatterSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  version: z.number().int().positive().default(1),
  created: z.string().min(1),
  updated: z.string().min(1),
  signatures: z.array(z.string()).default([]),
  language: z.enum(["typescript", "python"]).optional(),
});

/** Renders `SKILL.md`: front matter, then a short usage section and the declarations. */
export function renderSkillFile(meta: SkillFrontMatter, extra: { identifier: string; declaration: string }): string {
  const front = stringify(
    {
      name: meta.name,
      description: meta.description,
      version: meta.version,
      created: meta.created,
      updated: meta.updated,
      signatures: meta.signatures,
      ...(meta.language === "python" ? { language: "python" } : {}),
    },
    { lineWidth: 0 },
  );
  const names = exportedNames(meta.signatures);
  const first = names[0] ?? "fn";
  if (meta.language === "python") {
    return [
      "---",
      front.trimEnd(),
      "---",
      "",
      `# ${meta.name}`,
      "",
      meta.description,
      "",
      "## Use (Python scripts: `language: \"python\"`)",
      "",
      "```python",
      `from skills.${extra.identifier} import ${names.join(", ") || "…"}`,
      `# or, without an import: await skills.${extra.identifier}.${first}(…)`,
      "```",
      "",
      "## Declarations",
      "",
      "```python",
      extra.declaration.trimEnd(),
      "```",
      "",
    ].join("\n");
  }
  const lines = [
    "---",
    front.trimEnd(),
    "---",
    "",
    `# ${meta.name}`,
    "",
    meta.description,
    "",
    "## Use",
    "",
    "```ts",
    `import { ${names.join(", ") || "…"} } from "./skills/${meta.name}";`,
    `// or, without an import: await skills.${extra.identifier}.${first}(…)`,
    "```",
    "",
    "## Declarations",
    "",
    "```ts",
    extra.declaration.trimEnd(),
    "```",
    "",
  ];
  return lines.join("\n");
}

/**
 * Reads the front matter of a `SKILL.md`, and the declarations block its body carries (the
 * module's `.d.ts` as the compiler emitted it when the skill was saved). Returns an error (a
 * reason) when the front matter is missing or malformed, so one broken file never hides the
 * other skills.
 */
export function parseSkillFile(text: string): { meta: SkillFrontMatter; declaration?: string } | { error: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) return { error: "SKILL.md has no front matter (a block between --- lines at the top)" };
  let raw: unknown;
  try {
    raw = parse(match[1] ?? "");
  } catch (error) {
    return { error: `SKILL.md front matter is not valid YAML: ${(error as Error).message}` };
  }
  const parsed = frontMatterSchema.safeParse(normalizeDates(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `SKILL.md front matter: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}` };
  }
  // The last block: the one toolcode writes at the end (a description cannot spoof it).
  const blocks = [...text.slice(match[0].length).matchAll(/\n## Declarations\s*\n+```(?:ts|python)\n([\s\S]*?)\n```/g)];
  const declaration = blocks.at(-1)?.[1];
  return declaration === undefined ? { meta: parsed.data } : { meta: parsed.data, declaration: `${declaration}\n` };
}

/**
 * Function names from signature lines (`normalizeAddress(address: string): string` → `normalizeAddress`;
 * Python: `async def normalize(address: str) -> str` → `normalize`), deduplicated.
 */
export function exportedNames(signatures: readonly string[]): string[] {
  const names = new Set<string>();
  for (const line of signatures) {
    const name = /^(?:(?:async\s+)?def\s+)?([A-Za-z_$][\w$]*)\s*[(<]/.exec(line)?.[1];
    if (name !== undefined) names.add(name);
  }
  return [...names];
}

/** YAML may read unquoted timestamps as Date objects (hand-edited files): turn them back into ISO strings. */
function normalizeDates(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const key of ["created", "updated"]) {
    const value = out[key];
    if (value instanceof Date) out[key] = value.toISOString();
  }
  return out;
}
