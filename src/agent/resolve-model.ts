/**
 * The model adapter: `provider:id` → an AI SDK language model.
 *
 * | provider | example | key | base URL |
 * |---|---|---|---|
 * | `openai` | `openai:gpt-4.1-mini` | `OPENAI_API_KEY` | `OPENAI_BASE_URL` (optional) |
 * | `anthropic` | `anthropic:claude-sonnet-4-5` | `ANTHROPIC_API_KEY` | `ANTHROPIC_BASE_URL` (optional) |
 * | `openai-compatible` | `openai-compatible:qwen2.5-coder-7b` | `TOOLCODE_API_KEY` (optional) | `--base-url` / `TOOLCODE_BASE_URL` (required) |
 * | `ollama` | `ollama:qwen2.5-coder:7b` | none | default `http://127.0.0.1:11434/v1` |
 *
 * Any OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, Ollama) works through
 * `openai-compatible` with a base URL. The model id is everything after the first `:`, so
 * `ollama:qwen2.5:7b` is model `qwen2.5:7b`.
 *
 * @module
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { AgentError } from "./agent-error.js";

/** Providers `provider:id` accepts. */
export const MODEL_PROVIDERS = ["openai", "anthropic", "openai-compatible", "ollama"] as const;
/** One of {@link MODEL_PROVIDERS}. */
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/** Where Ollama's OpenAI-compatible API listens by default. */
export const OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1";

/** A parsed `provider:id`. */
export interface ModelSpec {
  provider: ModelProvider;
  modelId: string;
}

/** Options for {@link resolveModel}. */
export interface ResolveModelOptions {
  /** `provider:id`; default `TOOLCODE_MODEL` from `env`. */
  model?: string;
  /** Base URL of an OpenAI-compatible server (or to override the OpenAI/Anthropic endpoint); default `TOOLCODE_BASE_URL`. */
  baseUrl?: string;
  /** API key; default the provider's environment variable. */
  apiKey?: string;
  /** Environment to read defaults and keys from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** A ready model and what it is. */
export interface ResolvedModel {
  model: LanguageModel;
  provider: ModelProvider;
  modelId: string;
  /** The base URL used, when not the provider's default. */
  baseUrl?: string;
}

const EXAMPLES = "e.g. openai:gpt-4.1-mini, anthropic:claude-sonnet-4-5, ollama:qwen2.5-coder:7b, or openai-compatible:<id> with --base-url";

/**
 * Parses `provider:id`. Without a known provider prefix the provider is guessed: with a base URL
 * `openai-compatible`, `gpt-*`/`o<digit>*` → `openai`, `claude-*` → `anthropic`.
 *
 * @throws {AgentError} `MODEL_INVALID` listing the providers.
 */
export function parseModelSpec(spec: string, options: { baseUrl?: string } = {}): ModelSpec {
  const text = spec.trim();
  const colon = text.indexOf(":");
  const prefix = colon > 0 ? text.slice(0, colon).toLowerCase() : "";
  if ((MODEL_PROVIDERS as readonly string[]).includes(prefix)) {
    const modelId = text.slice(colon + 1).trim();
    if (modelId === "") throw new AgentError("MODEL_INVALID", `Model "${spec}" has no model id after "${prefix}:" (${EXAMPLES}).`, { model: spec });
    return { provider: prefix as ModelProvider, modelId };
  }
  if (text === "") throw new AgentError("MODEL_INVALID", `No model given: pass --model provider:id or set TOOLCODE_MODEL (${EXAMPLES}).`);
  if (options.baseUrl !== undefined) return { provider: "openai-compatible", modelId: text };
  if (/^(gpt-|o\d|chatgpt-)/i.test(text)) return { provider: "openai", modelId: text };
  if (/^claude-/i.test(text)) return { provider: "anthropic", modelId: text };
  throw new AgentError(
    "MODEL_INVALID",
    `Unknown model "${spec}": write it as provider:id with provider one of ${MODEL_PROVIDERS.join(", ")} (${EXAMPLES}).`,
    { model: spec, providers: [...MODEL_PROVIDERS] },
  );
}

/**
 * Creates the AI SDK model for `provider:id`.
 *
 * @throws {AgentError} `MODEL_INVALID` when no model is given, the provider is unknown, the key
 * is missing (the message names the environment variable) or `openai-compatible` has no base URL.
 */
export function resolveModel(options: ResolveModelOptions = {}): ResolvedModel {
  const env = options.env ?? process.env;
  const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.TOOLCODE_BASE_URL);
  const spec = parseModelSpec(nonEmpty(options.model) ?? env.TOOLCODE_MODEL ?? "", baseUrl !== undefined ? { baseUrl } : {});
  const { provider, modelId } = spec;
  switch (provider) {
    case "openai": {
      const apiKey = requireKey(options.apiKey ?? env.OPENAI_API_KEY, "OPENAI_API_KEY", spec);
      const url = baseUrl ?? nonEmpty(env.OPENAI_BASE_URL);
      const openai = createOpenAI({ apiKey, ...(url !== undefined ? { baseURL: url } : {}) });
      return { model: openai(modelId), provider, modelId, ...(url !== undefined ? { baseUrl: url } : {}) };
    }
    case "anthropic": {
      const apiKey = requireKey(options.apiKey ?? env.ANTHROPIC_API_KEY, "ANTHROPIC_API_KEY", spec);
      const url = baseUrl ?? nonEmpty(env.ANTHROPIC_BASE_URL);
      const anthropic = createAnthropic({ apiKey, ...(url !== undefined ? { baseURL: url } : {}) });
      return { model: anthropic(modelId), provider, modelId, ...(url !== undefined ? { baseUrl: url } : {}) };
    }
    case "openai-compatible":
    case "ollama": {
      const url = baseUrl ?? (provider === "ollama" ? OLLAMA_BASE_URL : undefined);
      if (url === undefined) {
        throw new AgentError(
          "MODEL_INVALID",
          `Model "${provider}:${modelId}" needs the server's base URL: pass --base-url http://127.0.0.1:PORT/v1 or set TOOLCODE_BASE_URL.`,
          { model: `${provider}:${modelId}` },
        );
      }
      checkUrl(url);
      const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.TOOLCODE_API_KEY);
      const compatible = createOpenAICompatible({
        name: provider,
        baseURL: url.replace(/\/+$/, ""),
        ...(apiKey !== undefined ? { apiKey } : {}),
        supportsStructuredOutputs: true,
        includeUsage: true,
      });
      return { model: compatible.chatModel(modelId), provider, modelId, baseUrl: url };
    }
  }
}

function requireKey(key: string | undefined, variable: string, spec: ModelSpec): string {
  const value = nonEmpty(key);
  if (value === undefined) {
    throw new AgentError("MODEL_INVALID", `Model "${spec.provider}:${spec.modelId}" needs an API key: set ${variable} (or pass apiKey to createAgent).`, {
      model: `${spec.provider}:${spec.modelId}`,
      env: variable,
    });
  }
  return value;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentError("MODEL_INVALID", `Base URL "${url}" is not a URL: use e.g. http://127.0.0.1:8080/v1.`, { baseUrl: url });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new AgentError("MODEL_INVALID", `Base URL "${url}" must be http(s), e.g. http://127.0.0.1:8080/v1.`, { baseUrl: url });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
