/**
 * A short excerpt of source code around a position, for error messages the model reads.
 *
 * @module
 */

/** Longest excerpt line kept; longer lines are cut around the column. */
const MAX_EXCERPT_WIDTH = 100;

/**
 * Renders the line `line` (1-based) of `source` with a caret under `column` (1-based), e.g.
 *
 * ```text
 *   3 | const b = {;
 *     |            ^
 * ```
 *
 * Returns `""` when the line does not exist, so callers can append it unconditionally.
 * `label` is the line number shown in the gutter (default `line`), for sources whose lines are
 * shifted from the user's (wrapped code).
 */
export function codeExcerpt(source: string, line: number, column: number, label: number = line): string {
  const lines = source.split(/\r?\n/);
  const text = lines[line - 1];
  if (text === undefined) return "";
  let shown = text.replace(/\t/g, " ");
  let caretAt = Math.max(0, column - 1);
  if (shown.length > MAX_EXCERPT_WIDTH) {
    const start = Math.max(0, Math.min(caretAt - MAX_EXCERPT_WIDTH / 2, shown.length - MAX_EXCERPT_WIDTH));
    shown = (start > 0 ? "…" : "") + shown.slice(start, start + MAX_EXCERPT_WIDTH) + (start + MAX_EXCERPT_WIDTH < shown.length ? "…" : "");
    caretAt = caretAt - start + (start > 0 ? 1 : 0);
  }
  caretAt = Math.min(caretAt, shown.length);
  const gutter = String(label);
  return `${gutter} | ${shown}\n${" ".repeat(gutter.length)} | ${" ".repeat(caretAt)}^`;
}
