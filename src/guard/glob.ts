/**
 * Tool patterns: `<source>.<tool>` globs over the sanitized identifiers (`files.write_file`,
 * `github.issues_*`, `*.delete*`). `*` matches any run of characters (including none), `?`
 * exactly one; everything else matches itself, case-sensitively. A pattern without a `.` names a
 * whole source (`files` = `files.*`).
 *
 * A tiny matcher instead of a dependency: identifiers contain only `[A-Za-z0-9_$]` and one `.`.
 *
 * @module
 */

/** Compiles one pattern to an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const full = pattern.includes(".") ? pattern : `${pattern}.*`;
  let source = "";
  for (const char of full) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/** A compiled list of patterns that remembers which one matched. */
export class GlobList {
  readonly #compiled: { pattern: string; index: number; regexp: RegExp }[];

  constructor(readonly patterns: readonly string[]) {
    this.#compiled = patterns.map((pattern, index) => ({ pattern, index, regexp: globToRegExp(pattern) }));
  }

  /** The first pattern matching `id` (with its index in the list), or undefined. */
  match(id: string): { pattern: string; index: number } | undefined {
    const hit = this.#compiled.find((entry) => entry.regexp.test(id));
    return hit ? { pattern: hit.pattern, index: hit.index } : undefined;
  }

  /** True when some pattern matches `id`. */
  test(id: string): boolean {
    return this.match(id) !== undefined;
  }
}

/** Case-insensitive glob over plain names (used for `privacy.fields`); `*` and `?` as above. */
export function nameGlob(pattern: string): RegExp {
  let source = "";
  for (const char of pattern) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "is");
}
