/**
 * Search results as text for the model, at three levels of detail so it pays only for what it
 * needs: `names` (one line per tool), `signatures` (a compact typed line plus its first sentence),
 * `full` (the tool's complete declaration).
 *
 * @module
 */
import type { SearchResult } from "../catalog/search-index.js";
import { renderSignature, renderToolDeclaration } from "./declarations.js";

/** How much of each tool to show. */
export type SearchDetail = "names" | "signatures" | "full";

/** Longest one-line description before it is cut with `…`. */
const SENTENCE_MAX = 160;

/**
 * The first sentence of a description, on one line and at most 160 characters
 * (`"Read a file. Also …"` → `"Read a file."`). Empty for no description.
 */
export function firstSentence(description: string | undefined): string {
  const text = (description ?? "").replace(/\s+/g, " ").trim();
  const end = /[.!?](\s|$)/.exec(text);
  const sentence = end ? text.slice(0, end.index + 1) : text;
  return sentence.length > SENTENCE_MAX ? `${sentence.slice(0, SENTENCE_MAX - 1).trimEnd()}…` : sentence;
}

/** One `names` line: `server.tool — first sentence`. */
function nameLine(result: SearchResult): string {
  const sentence = firstSentence(result.tool.spec.description);
  return sentence ? `${result.tool.id} — ${sentence}` : result.tool.id;
}

/**
 * Renders ranked results for the model:
 * - `names`: `fs.read_text_file — Read the complete contents of a file from the file system as text.`
 * - `signatures`: `// <first sentence>` then `fs.read_text_file(input: { path: string; … }): Promise<…>`
 * - `full`: each tool's `declare namespace <server> { … }` declaration.
 * An empty list renders a hint instead of nothing.
 */
export function describeResults(results: readonly SearchResult[], detail: SearchDetail = "signatures"): string {
  if (results.length === 0) return "No tools match. Try other or fewer words, or an empty query to list all tools.";
  switch (detail) {
    case "names":
      return results.map(nameLine).join("\n");
    case "signatures":
      return results
        .map(({ tool }) => {
          const sentence = firstSentence(tool.spec.description);
          return `${sentence ? `// ${sentence}\n` : ""}${renderSignature(tool)}`;
        })
        .join("\n");
    case "full":
      return results.map(({ tool }) => renderToolDeclaration(tool).trimEnd()).join("\n\n");
  }
}
