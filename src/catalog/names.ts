/**
 * Name sanitizing: the one rule used everywhere a source or tool name becomes an identifier.
 *
 * Every character that cannot appear in a JavaScript identifier becomes `_`
 * (`get-sum` → `get_sum`, `issues/list-for-repo` → `issues_list_for_repo`), a leading digit gets
 * a `_` prefix, reserved words get a `_` suffix, and collisions get `_2`, `_3`, … in input order.
 *
 * @module
 */

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval undefined NaN " +
    "Infinity globalThis console require workspace __workspace __host skills __skills __search __state ToolError"
  ).split(" "),
);

/** Sanitizes one name to a valid identifier (no collision handling). */
export function sanitizeIdentifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_$]/g, "_");
  if (id === "") id = "_";
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (RESERVED.has(id)) id = `${id}_`;
  return id;
}

/**
 * Sanitizes a list of names, resolving collisions deterministically: the first occurrence keeps
 * the plain identifier, later ones get `_2`, `_3`, … Returns identifiers in input order.
 */
export function sanitizeUnique(names: readonly string[], taken: Iterable<string> = []): string[] {
  const used = new Set(taken);
  return names.map((name) => {
    const base = sanitizeIdentifier(name);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    return id;
  });
}
