/**
 * The `search` built-in: guest code finds tools by what they do and calls them in the same
 * execution (`const [hit] = await search("open issues of a repo")`), over the reserved
 * `__search` bridge global. It ranks exactly like the `search` tool (the same index, so only the
 * tools the policy lets scripts see) and returns data, not text: ids, server and tool names,
 * signatures. Each call counts as one tool call (`sandbox.maxToolCalls`); at most 50 results.
 *
 * @module
 */
import type { SearchDetail } from "../../typegen/search-render.js";
import type { GuestBuiltin } from "./guest-builtin.js";

/** The reserved bridge global behind `search`. Not a valid config key for a server. */
export const SEARCH_BRIDGE = "__search";

/** Most results one guest `search` call returns. */
export const MAX_GUEST_SEARCH_RESULTS = 50;

/** Guest prelude: one line (it must not shift the user's line numbers). */
const SEARCH_PRELUDE = `const search = (query, options) => ${SEARCH_BRIDGE}.search({ ...(options ?? {}), query: String(query ?? "") });`;

/** What the model reads about `search`. */
export const SEARCH_DECLARATION = `/** One tool \`search\` found: call it as \`await <server>.<tool>({ … })\`. */
interface SearchHit {
  /** \`server.tool\`, e.g. "github.issues_create". */
  id: string;
  server: string;
  tool: string;
  /** Relevance, higher is better. */
  score: number;
  /** Its TypeScript signature and summary (with \`detail: "full"\`, the whole declaration). */
  signature: string;
}
/**
 * Finds tools by what they do, best first, from inside a script (the same ranking as the
 * \`search\` tool): \`const [hit] = await search("list open issues");\`
 */
declare function search(query: string, options?: { limit?: number; server?: string; detail?: "names" | "signatures" | "full" }): Promise<SearchHit[]>;
`;

/** A search as the instance answers it: ranked ids and, per result, the text at `detail`. */
export type SearchFunction = (
  query: string,
  options: { limit: number; server?: string; detail: SearchDetail; language?: "javascript" | "python" },
) => Promise<{ results: readonly { id: string; score: number; text?: string }[] }> | { results: readonly { id: string; score: number; text?: string }[] };

/** The `search` built-in over `search` (the instance's own, bound lazily). */
export function searchBuiltin(search: SearchFunction): GuestBuiltin {
  return {
    bridge: SEARCH_BRIDGE,
    declarations: { file: "search.d.ts", text: SEARCH_DECLARATION },
    prelude: SEARCH_PRELUDE,
    begin: (context) => ({
      functions: ["search"],
      call: async (_fn, args) => {
        const input = (typeof args === "object" && args !== null ? args : {}) as { query?: unknown; limit?: unknown; server?: unknown; detail?: unknown };
        const query = typeof input.query === "string" ? input.query : "";
        const limit = typeof input.limit === "number" && Number.isFinite(input.limit) && input.limit > 0 ? Math.min(MAX_GUEST_SEARCH_RESULTS, Math.floor(input.limit)) : 10;
        const detail: SearchDetail = input.detail === "names" || input.detail === "full" ? input.detail : "signatures";
        const { results } = await search(query, { limit, detail, ...(typeof input.server === "string" ? { server: input.server } : {}), ...(context.language !== undefined ? { language: context.language } : {}) });
        return results.map((r) => {
          const dot = r.id.indexOf(".");
          return { id: r.id, server: r.id.slice(0, dot), tool: r.id.slice(dot + 1), score: r.score, signature: r.text ?? r.id };
        });
      },
    }),
  };
}
