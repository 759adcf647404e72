import { describe, expect, it } from "vitest";
import { chooseMode, modelBillions } from "./choose-mode.js";

describe("auto mode rule", () => {
  it("reads parameter counts from model ids", () => {
    expect(modelBillions("qwen2.5-coder:7b")).toBe(7);
    expect(modelBillions("Llama-3.3-70B-Instruct")).toBe(70);
    expect(modelBillions("mixtral-8x7b-instruct")).toBe(56);
    expect(modelBillions("phi-3-mini-3.8b")).toBe(3.8);
    expect(modelBillions("llama3.1:8b-instruct-q4_K_M")).toBe(8);
    expect(modelBillions("gpt-4.1-mini")).toBeUndefined();
    expect(modelBillions("qwen2.5")).toBeUndefined();
  });

  it("≤ 5 tools → tools, whatever the model", () => {
    expect(chooseMode({ provider: "openai", modelId: "gpt-4.1", toolCount: 3 }).mode).toBe("tools");
  });

  it("large models → structured", () => {
    expect(chooseMode({ provider: "openai", modelId: "gpt-4.1", toolCount: 200 }).mode).toBe("structured");
    expect(chooseMode({ provider: "anthropic", modelId: "claude-sonnet-4-5", toolCount: 30 }).mode).toBe("structured");
    expect(chooseMode({ provider: "ollama", modelId: "llama3.3:70b", toolCount: 30 }).mode).toBe("structured");
    expect(chooseMode({ provider: "openai-compatible", modelId: "Qwen2.5-Coder-32B-Instruct", toolCount: 30 }).mode).toBe("structured");
  });

  it("small or local models → tools up to 40 tools, code beyond", () => {
    expect(chooseMode({ provider: "ollama", modelId: "qwen2.5-coder:7b", toolCount: 22 }).mode).toBe("tools");
    expect(chooseMode({ provider: "openai-compatible", modelId: "my-model", toolCount: 40 }).mode).toBe("tools");
    expect(chooseMode({ provider: "ollama", modelId: "qwen2.5-coder:7b", toolCount: 41 }).mode).toBe("code");
    expect(chooseMode({ provider: "openai-compatible", modelId: "my-model", toolCount: 1223 }).mode).toBe("code");
  });

  it("says why", () => {
    expect(chooseMode({ provider: "ollama", modelId: "qwen2.5-coder:7b", toolCount: 22 }).reason).toContain("7B");
  });
});
