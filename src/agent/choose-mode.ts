/**
 * The `auto` rule: which action format fits a model and a tool set.
 *
 * Published findings this follows: a JSON `{thoughts, code}` envelope helps large models by a few
 * points and hurts models below ~32B parameters, which do better with plain code blocks or
 * classic function calling; and with a handful of tools, classic function calling costs little.
 *
 * 1. At most {@link FEW_TOOLS} tools → `tools`.
 * 2. A known large model (OpenAI and Anthropic hosted models; any id that names ≥ 32B
 *    parameters, e.g. `llama-3.3-70b`) → `structured`.
 * 3. A small model (an id naming < 32B parameters, e.g. `qwen2.5-coder:7b`, or any local
 *    `ollama` / `openai-compatible` model whose size the id does not say) with at most
 *    {@link SMALL_MODEL_MAX_TOOLS} tools → `tools`.
 * 4. Otherwise → `code` (plain fenced TypeScript: works with every model, scales to any number of tools).
 *
 * `--mode` / `mode` overrides the rule.
 *
 * @module
 */
import type { ActionMode } from "./agent-events.js";

/** Up to this many tools, classic function calling is cheap enough for any model. */
export const FEW_TOOLS = 5;
/** Small models get function calling up to this many tools; beyond it, the definitions crowd their context. */
export const SMALL_MODEL_MAX_TOOLS = 40;
/** Parameter count (billions) from which a model counts as large. */
export const LARGE_MODEL_BILLIONS = 32;

/** What the rule looks at. */
export interface ModeInput {
  provider: string;
  modelId: string;
  toolCount: number;
}

/** The chosen mode and the reason, for display. */
export interface ModeChoice {
  mode: ActionMode;
  reason: string;
}

/** Applies the `auto` rule. */
export function chooseMode(input: ModeInput): ModeChoice {
  const { provider, modelId, toolCount } = input;
  if (toolCount <= FEW_TOOLS) return { mode: "tools", reason: `${toolCount} tools: classic function calling costs little` };
  const billions = modelBillions(modelId);
  const hosted = provider === "openai" || provider === "anthropic";
  if ((billions !== undefined && billions >= LARGE_MODEL_BILLIONS) || (billions === undefined && hosted)) {
    return { mode: "structured", reason: `${billions !== undefined ? `${billions}B` : "large hosted"} model: the {thoughts, code} envelope helps large models` };
  }
  const local = provider === "ollama" || provider === "openai-compatible";
  if ((billions !== undefined || local) && toolCount <= SMALL_MODEL_MAX_TOOLS) {
    return {
      mode: "tools",
      reason: `${billions !== undefined ? `${billions}B` : "local"} model with ${toolCount} tools: function calling does better than code for small models`,
    };
  }
  return { mode: "code", reason: `${toolCount} tools: plain TypeScript blocks work with any model and any number of tools` };
}

/**
 * Parameter count in billions named by a model id (`qwen2.5-coder:7b` → 7, `Llama-3.3-70B-Instruct`
 * → 70, `mixtral-8x7b` → 56, `phi-3-mini-3.8b` → 3.8), or undefined.
 */
export function modelBillions(modelId: string): number | undefined {
  const moe = /(?:^|[^\d.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z])/i.exec(modelId);
  if (moe) return Number(moe[1]) * Number(moe[2]);
  let found: number | undefined;
  for (const match of modelId.matchAll(/(?:^|[^\d.a-z])(\d+(?:\.\d+)?)b(?![a-z])/gi)) found = Number(match[1]);
  return found;
}
