/**
 * The plug point for semantic search: something that turns texts into vectors. One
 * implementation here, an OpenAI-compatible `/embeddings` endpoint through the AI SDK (loaded
 * on first use, so lexical-only installs never load it); a local model would be another.
 *
 * @module
 */
import type { EmbeddingModel } from "ai";
import type { EmbeddingsConfig } from "../config/schema.js";

/** Turns texts into vectors (one per text, in order, all of the same length). */
export interface Embedder {
  /** A label for notes and errors, e.g. `text-embedding-3-small at http://127.0.0.1:8080/v1`. */
  readonly label: string;
  /** Embeds `texts`; rejects on failure or when `signal` aborts. */
  embed(texts: readonly string[], signal: AbortSignal): Promise<number[][]>;
}

/** An {@link Embedder} over an OpenAI-compatible endpoint (`search.embeddings`): no retries, the caller's deadline. */
export function openAiCompatibleEmbedder(config: Pick<EmbeddingsConfig, "url" | "model" | "apiKey">): Embedder {
  const baseURL = config.url.replace(/\/+$/, "").replace(/\/embeddings$/, "");
  let model: Promise<EmbeddingModel> | undefined;
  const load = (): Promise<EmbeddingModel> =>
    (model ??= import("@ai-sdk/openai-compatible").then(({ createOpenAICompatible }) =>
      createOpenAICompatible({ name: "embeddings", baseURL, ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}) }).embeddingModel(config.model),
    ));
  return {
    label: `${config.model} at ${baseURL}`,
    async embed(texts, signal) {
      const { embedMany } = await import("ai");
      const { embeddings } = await embedMany({ model: await load(), values: [...texts], maxRetries: 0, abortSignal: signal });
      return embeddings;
    },
  };
}
