/**
 * `${user.NAME}` placeholders: where a source's `auth`, `headers` or stdio `env` takes the
 * calling user's own credential. `${user.NAME:-fallback}` names an explicit shared fallback
 * (`"${user.GITHUB_TOKEN:-${GITHUB_TOKEN}}"`: the config loader fills in `${GITHUB_TOKEN}` from
 * the environment first); without one, a user who has not connected gets `CREDENTIAL_MISSING`,
 * never anyone else's value.
 *
 * @module
 */

/** `${user.NAME}` or `${user.NAME:-fallback}` (the fallback cannot contain `}`). */
const USER_PATTERN = /\$\{user\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** One placeholder's field and its fallback, if the config gives one. */
export interface UserField {
  name: string;
  fallback?: string;
}

/** True when `text` has a `${user.…}` placeholder. */
export function hasUserPlaceholder(text: string): boolean {
  USER_PATTERN.lastIndex = 0;
  const found = USER_PATTERN.test(text);
  USER_PATTERN.lastIndex = 0;
  return found;
}

/** Every placeholder in every string of `value` (objects and arrays walked), first occurrence of each name. */
export function userFields(value: unknown): UserField[] {
  const found = new Map<string, UserField>();
  const visit = (item: unknown): void => {
    if (typeof item === "string") {
      for (const match of item.matchAll(USER_PATTERN)) {
        const name = match[1] as string;
        const fallback = match[2];
        const known = found.get(name);
        if (known === undefined) found.set(name, fallback === undefined ? { name } : { name, fallback });
        else if (known.fallback === undefined && fallback !== undefined) known.fallback = fallback;
      }
    } else if (Array.isArray(item)) {
      item.forEach(visit);
    } else if (item !== null && typeof item === "object") {
      Object.values(item).forEach(visit);
    }
  };
  visit(value);
  return [...found.values()];
}

/**
 * `value` with every placeholder replaced by `values[NAME]` (or its fallback). Callers resolve
 * the values first ({@link UserCredentials.values}), so a missing one is a bug here: it throws.
 */
export function fillUserPlaceholders<T>(value: T, values: Readonly<Record<string, string>>): T {
  const fill = (item: unknown): unknown => {
    if (typeof item === "string") {
      return item.replace(USER_PATTERN, (_match, name: string, fallback: string | undefined) => {
        const found = Object.hasOwn(values, name) ? values[name] : undefined;
        if (found !== undefined) return found;
        if (fallback !== undefined) return fallback;
        throw new Error(`no value for \${user.${name}}`);
      });
    }
    if (Array.isArray(item)) return item.map(fill);
    if (item !== null && typeof item === "object") return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, fill(inner)]));
    return item;
  };
  return fill(value) as T;
}
