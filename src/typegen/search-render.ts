/**
 * Search results as text for the model, at three levels of detail so it pays only for what it
 * needs: `names` (one line per tool), `signatures` (a compact typed line plus its first sentence),
 * `full` (the tool's complete declaration).
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { SearchResult } from "../catalog/search-index.js";
import { firstSentence, renderSignature, renderToolDeclaration } from "./declarations.js";
import { pythonDeclaration, pythonSignature } from "./python-stubs.js";

export { firstSentence };

/** How much of each tool to show. */
export type SearchDetail = "names" | "signatures" | "full";

/**
 * Where rendered signatures and declarations come from: a `DeclarationStore` (cached, with the
 * interface names of the whole server), or by default rendered on the spot.
 */
export interface RenderedDeclarations {
  signature(tool: CatalogTool): string;
  declaration(tool: CatalogTool): string;
}

const RENDER_NOW: RenderedDeclarations = {
  signature: (tool) => renderSignature(tool),
  declaration: (tool) => renderToolDeclaration(tool),
};

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
export function describeResults(results: readonly SearchResult[], detail: SearchDetail = "signatures", rendered: RenderedDeclarations = RENDER_NOW): string {
  if (results.length === 0) return "No tools match. Try other or fewer words, or an empty query to list all tools.";
  switch (detail) {
    case "names":
      return results.map(nameLine).join("\n");
    case "signatures":
      return results
        .map(({ tool }) => {
          const sentence = firstSentence(tool.spec.description);
          return `${sentence ? `// ${sentence}\n` : ""}${rendered.signature(tool)}`;
        })
        .join("\n");
    case "full":
      return results.map(({ tool }) => rendered.declaration(tool).trimEnd()).join("\n\n");
  }
}

/** {@link describeResults} for Python scripts: `async def` signatures with `#` comments, or each tool's stub. */
export function describePythonResults(results: readonly SearchResult[], detail: SearchDetail = "signatures"): string {
  if (detail === "names") return describeResults(results, detail);
  if (detail === "full") return results.map(({ tool }) => pythonDeclaration(tool)).join("\n\n");
  return results
    .map(({ tool }) => {
      const sentence = firstSentence(tool.spec.description);
      return `${sentence ? `# ${sentence}\n` : ""}${pythonSignature(tool)}`;
    })
    .join("\n");
}
