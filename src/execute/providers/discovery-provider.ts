/**
 * The plug point for what the model can discover besides running code: search entries and their
 * text, declarations (`types`), and files of the virtual tree (also served as MCP resources).
 * Tool servers (through the catalog), guest built-ins and skills each provide theirs; the
 * toolcode instance asks its providers in order and joins what they give.
 *
 * @module
 */
import type { SearchIndex, SearchResult } from "../../catalog/search-index.js";
import type { SearchDetail } from "../../typegen/search-render.js";

/** One provider of discoverable things. */
export interface DiscoveryProvider {
  /** Before a search: brings this provider's entries in `index` up to date. */
  syncIndex?(index: SearchIndex): void;
  /** The search text of `result` at `detail` when the result is this provider's, else undefined. */
  describe?(result: SearchResult, detail: SearchDetail): string | undefined;
  /** A note for the end of a search's text (e.g. matching tools the policy hides), or undefined. */
  searchNote?(query: string, options: { limit?: number; server?: string }): string | undefined;
  /** The declarations of `server` when this provider knows it, else undefined. */
  serverDeclarations?(server: string): string | undefined;
  /** This provider's part of all declarations (`types()`), in order. */
  declarations(): string[];
  /** Its paths in the virtual tree. */
  virtualPaths(): string[];
  /** One of its files of the virtual tree, else undefined. */
  virtualFile(path: string): string | undefined;
}
