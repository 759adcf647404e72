/**
 * Real-LLM runs, only when a key or an OpenAI-compatible base URL is set (skipped otherwise):
 * OPENAI_API_KEY (model TOOLCODE_TEST_OPENAI_MODEL, default openai:gpt-4.1-mini),
 * ANTHROPIC_API_KEY (TOOLCODE_TEST_ANTHROPIC_MODEL, default anthropic:claude-haiku-4-5),
 * TOOLCODE_TEST_BASE_URL (TOOLCODE_TEST_MODEL, default openai-compatible:default).
 * Each model solves a small multi-step task in every mode against real MCP servers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionMode } from "../../src/agent/agent-events.js";
import { createAgent } from "../../src/agent/create-agent.js";
import type { Toolcode } from "../../src/execute/create-toolcode.js";
import { startAgentTools } from "./helpers.js";

const env = process.env;
const targets: { model: string; baseUrl?: string }[] = [
  ...(env.OPENAI_API_KEY ? [{ model: env.TOOLCODE_TEST_OPENAI_MODEL ?? "openai:gpt-4.1-mini" }] : []),
  ...(env.ANTHROPIC_API_KEY ? [{ model: env.TOOLCODE_TEST_ANTHROPIC_MODEL ?? "anthropic:claude-haiku-4-5" }] : []),
  ...(env.TOOLCODE_TEST_BASE_URL ? [{ model: env.TOOLCODE_TEST_MODEL ?? "openai-compatible:default", baseUrl: env.TOOLCODE_TEST_BASE_URL }] : []),
];
const modes: ActionMode[] = ["code", "structured", "tools"];
type Case = [name: string, target: { model: string; baseUrl?: string }, mode: ActionMode];
const cases: Case[] = targets.flatMap((target) => modes.map((mode): Case => [`${target.model} (${mode})`, target, mode]));
/** it.each needs a row even when the suite is skipped. */
const rows: Case[] = cases.length > 0 ? cases : [["none", { model: "none" }, "code"]];

describe.skipIf(cases.length === 0)("agent with a real LLM", () => {
  let toolcode: Toolcode;
  let data: string;

  beforeAll(async () => {
    ({ toolcode, data } = await startAgentTools());
  }, 120_000);

  afterAll(async () => {
    await toolcode?.close();
  });

  it.each(rows)(
    "%s counts markdown files and adds 10",
    async (_name, target, mode) => {
      const agent = createAgent({ toolcode, model: target.model, ...(target.baseUrl ? { baseUrl: target.baseUrl } : {}), mode, maxSteps: 8 });
      const result = await agent.run(`How many .md files are directly in ${data}? Then add 10 to that number with the sum tool and give me the result.`);
      expect(result.status, JSON.stringify(result.steps.map((s) => s.output ?? s.parseProblem), null, 1)).toBe("final");
      expect(result.answer).toContain("13");
      expect(result.usage.input).toBeGreaterThan(0);
    },
    300_000,
  );
});
