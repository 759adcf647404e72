import { describe, expect, it } from "vitest";
import { AgentError } from "./agent-error.js";
import { OLLAMA_BASE_URL, parseModelSpec, resolveModel } from "./resolve-model.js";

const failure = (fn: () => unknown): AgentError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AgentError) return error;
    throw error;
  }
  throw new Error("expected an AgentError");
};

describe("model adapter", () => {
  it("parses provider:id, keeping colons of the id", () => {
    expect(parseModelSpec("openai:gpt-4.1-mini")).toEqual({ provider: "openai", modelId: "gpt-4.1-mini" });
    expect(parseModelSpec("ollama:qwen2.5-coder:7b")).toEqual({ provider: "ollama", modelId: "qwen2.5-coder:7b" });
    expect(parseModelSpec("OpenAI-Compatible:Llama-3.3-70B")).toEqual({ provider: "openai-compatible", modelId: "Llama-3.3-70B" });
  });

  it("guesses the provider of a bare id", () => {
    expect(parseModelSpec("gpt-4o")).toMatchObject({ provider: "openai" });
    expect(parseModelSpec("o3-mini")).toMatchObject({ provider: "openai" });
    expect(parseModelSpec("claude-sonnet-4-5")).toMatchObject({ provider: "anthropic" });
    expect(parseModelSpec("qwen3:8b", { baseUrl: "http://127.0.0.1:1/v1" })).toEqual({ provider: "openai-compatible", modelId: "qwen3:8b" });
  });

  it("rejects unknown providers and empty specs, listing the providers", () => {
    const unknown = failure(() => parseModelSpec("mistral-large"));
    expect(unknown.code).toBe("MODEL_INVALID");
    expect(unknown.message).toContain("openai, anthropic, openai-compatible, ollama");
    expect(failure(() => resolveModel({ env: {} })).message).toContain("--model provider:id or set TOOLCODE_MODEL");
    expect(failure(() => parseModelSpec("openai:")).message).toContain('no model id after "openai:"');
  });

  it("names the environment variable of a missing key", () => {
    const openai = failure(() => resolveModel({ model: "openai:gpt-4.1-mini", env: {} }));
    expect(openai.code).toBe("MODEL_INVALID");
    expect(openai.message).toContain("OPENAI_API_KEY");
    expect(openai.details).toMatchObject({ env: "OPENAI_API_KEY" });
    expect(failure(() => resolveModel({ model: "anthropic:claude-sonnet-4-5", env: {} })).message).toContain("ANTHROPIC_API_KEY");
  });

  it("creates models from keys in the environment, and from TOOLCODE_MODEL", () => {
    expect(resolveModel({ model: "openai:gpt-4.1-mini", env: { OPENAI_API_KEY: "sk-test" } })).toMatchObject({ provider: "openai", modelId: "gpt-4.1-mini" });
    const anthropic = resolveModel({ env: { TOOLCODE_MODEL: "anthropic:claude-haiku-4-5", ANTHROPIC_API_KEY: "k" } });
    expect(anthropic).toMatchObject({ provider: "anthropic", modelId: "claude-haiku-4-5" });
    expect(anthropic.model).toMatchObject({ modelId: "claude-haiku-4-5" });
  });

  it("needs a base URL for openai-compatible; ollama has a default; URLs are checked", () => {
    expect(failure(() => resolveModel({ model: "openai-compatible:x", env: {} })).message).toContain("--base-url");
    expect(resolveModel({ model: "openai-compatible:x", env: { TOOLCODE_BASE_URL: "http://127.0.0.1:8080/v1" } })).toMatchObject({ baseUrl: "http://127.0.0.1:8080/v1" });
    expect(resolveModel({ model: "ollama:llama3.2", env: {} })).toMatchObject({ provider: "ollama", baseUrl: OLLAMA_BASE_URL });
    expect(failure(() => resolveModel({ model: "openai-compatible:x", baseUrl: "127.0.0.1:8080", env: {} })).message).toContain("is not a URL");
    expect(failure(() => resolveModel({ model: "openai-compatible:x", baseUrl: "ftp://h/v1", env: {} })).message).toContain("must be http(s)");
  });
});
