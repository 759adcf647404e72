/**
 * Optional semantic re-ranking of lexical search results (`search.embeddings`): the first
 * `candidates` lexical results are scored again by the cosine similarity of their embedding to
 * the query's, blended with their lexical score, and sorted by that.
 *
 * Costs are bounded: one embeddings request per search at most (the query and any candidate not
 * yet embedded, batched), each under `timeoutMs`; tool embeddings are cached by tool id and text
 * (up to {@link MAX_CACHED} vectors), query embeddings in a small cache; texts are cut to
 * {@link MAX_TEXT_CHARS}. Any failure (timeout, HTTP error, wrong vector count or length) leaves
 * the lexical ranking as it was and returns a note saying why: search never fails because of it.
 *
 * @module
 */
import type { CatalogTool } from "./catalog-tool.js";
import type { Embedder } from "./embedder.js";
import type { SearchResult } from "./search-index.js";

/** Tool vectors kept (a few MB at 1,536 dimensions); the cache is cleared when it is full. */
const MAX_CACHED = 10_000;
/** Query vectors kept. */
const MAX_QUERIES = 256;
/** Characters of a tool's text or a query sent to the endpoint. */
const MAX_TEXT_CHARS = 1000;

/** Settings of a {@link SemanticReranker}. */
export interface RerankOptions {
  /** How many lexical results are re-ranked. */
  candidates: number;
  /** Share of the similarity in the blended score (0–1). */
  weight: number;
  /** Deadline of the embeddings request, in milliseconds. */
  timeoutMs: number;
}

/** Re-ranked results, and a note when the lexical ranking was kept because embeddings failed. */
export interface Reranked {
  results: SearchResult[];
  note?: string;
}

/** The text embedded for a tool: its id, title and description. */
export function toolText(tool: CatalogTool): string {
  const title = tool.spec.title ?? tool.spec.annotations?.title ?? "";
  const description = (tool.spec.description ?? "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return `${tool.id}${title ? `: ${title}` : ""}. ${description}`.slice(0, MAX_TEXT_CHARS);
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Re-ranks lexical results with an {@link Embedder}; see the module comment. */
export class SemanticReranker {
  readonly #tools = new Map<string, number[]>();
  readonly #queries = new Map<string, number[]>();

  constructor(
    private readonly embedder: Embedder,
    private readonly options: RerankOptions,
  ) {}

  /** How many lexical results to ask for so that `limit` re-ranked ones can be returned. */
  candidates(limit: number): number {
    return Math.max(limit, this.options.candidates);
  }

  /** Re-ranks `results` (lexical, best first) for `query`; never rejects. */
  async rerank(query: string, results: readonly SearchResult[]): Promise<Reranked> {
    const pool = results.slice(0, this.options.candidates);
    if (pool.length < 2 || query.trim() === "" || this.options.weight === 0) return { results: [...results] };
    const q = query.trim().slice(0, MAX_TEXT_CHARS);
    const keys = pool.map((r) => `${r.tool.id}\u0000${toolText(r.tool)}`);
    const missing = keys.map((key, i) => ({ key, text: toolText(pool[i]!.tool) })).filter(({ key }) => !this.#tools.has(key));
    const queryVector = this.#queries.get(q);
    const texts = [...(queryVector === undefined ? [q] : []), ...missing.map((m) => m.text)];
    try {
      if (texts.length > 0) {
        const vectors = await this.embedder.embed(texts, AbortSignal.timeout(this.options.timeoutMs));
        if (!Array.isArray(vectors) || vectors.length !== texts.length) throw new Error(`expected ${texts.length} vectors, got ${Array.isArray(vectors) ? vectors.length : "none"}`);
        let at = 0;
        if (queryVector === undefined) {
          if (this.#queries.size >= MAX_QUERIES) this.#queries.clear();
          this.#queries.set(q, vectors[at++]!);
        }
        if (this.#tools.size + missing.length > MAX_CACHED) this.#tools.clear();
        for (const { key } of missing) this.#tools.set(key, vectors[at++]!);
      }
      const qv = this.#queries.get(q)!;
      const top = pool[0]!.score || 1;
      const scored = pool.map((r, i) => {
        const v = this.#tools.get(keys[i]!);
        if (v === undefined || v.length !== qv.length) throw new Error(`vectors of different lengths (${v?.length ?? 0} and ${qv.length})`);
        const lexical = r.score / top;
        return { tool: r.tool, score: (1 - this.options.weight) * lexical + this.options.weight * Math.max(0, cosine(qv, v)) };
      });
      scored.sort((a, b) => b.score - a.score || (a.tool.id < b.tool.id ? -1 : 1));
      return { results: [...scored, ...results.slice(pool.length).map((r) => ({ tool: r.tool, score: 0 }))] };
    } catch (error) {
      const reason = error instanceof Error ? (error.name === "TimeoutError" || error.name === "AbortError" ? `no answer within ${this.options.timeoutMs} ms` : error.message) : String(error);
      return { results: [...results], note: `(Semantic re-ranking by ${this.embedder.label} failed: ${reason.slice(0, 200)}; these are the lexical results. Check search.embeddings.)` };
    }
  }
}
