/**
 * Shared setup of the agent tests: real MCP servers (everything, filesystem over a small data
 * directory, memory over a seeded knowledge graph) behind one toolcode instance, and a fake model
 * helper for the AI SDK's mock language model.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MockLanguageModelV3 } from "ai/test";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { servers, tempDir } from "../helpers.js";

/** Files in the data directory: three markdown files among five. */
export const DATA_FILES: Record<string, string> = {
  "a.md": "# A\nalpha\n",
  "b.md": "# B\nbravo\n",
  "c.md": "# C\ncharlie\n",
  "notes.txt": "TODO: ship the agent\n",
  "big.log": "ERROR disk full\n".repeat(50),
};

/** People and one company in the seeded knowledge graph. */
export const PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing"];

/** A temp directory with the data files and a seeded memory file, and the config over them. */
export function agentEnv(): { dir: string; data: string; memoryFile: string; config: ConfigInput } {
  const dir = tempDir("toolcode-agent-");
  const data = path.join(dir, "data");
  mkdirSync(data);
  for (const [name, text] of Object.entries(DATA_FILES)) writeFileSync(path.join(data, name), text);
  const memoryFile = path.join(dir, "memory.jsonl");
  const lines = [
    ...PEOPLE.map((name) => ({ type: "entity", name, entityType: "person", observations: [`${name} wrote programs`] })),
    { type: "entity", name: "Analytical Engine Co", entityType: "company", observations: ["made engines"] },
    { type: "relation", from: "Ada Lovelace", to: "Analytical Engine Co", relationType: "works_at" },
  ];
  writeFileSync(memoryFile, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  const config: ConfigInput = {
    mcpServers: { everything: servers.everything(), files: servers.filesystem(data), memory: servers.memory(memoryFile) },
    sandbox: { timeoutMs: 10_000 },
  };
  return { dir, data, memoryFile, config };
}

/** Starts toolcode over {@link agentEnv}. */
export async function startAgentTools(): Promise<{ toolcode: Toolcode; data: string; dir: string }> {
  const env = agentEnv();
  const toolcode = await createToolcode({ config: env.config, cwd: env.dir });
  if (toolcode.failures.length > 0) throw new Error(`servers failed: ${toolcode.failures.map((f) => f.error.message).join("; ")}`);
  return { toolcode, data: env.data, dir: env.dir };
}

/** A reply of the mock model: text, or tool calls. */
export type MockReply = string | { text?: string; toolCalls?: { name: string; input: unknown }[]; finish?: "stop" | "length" | "tool-calls" };

/** The AI SDK mock model replaying `replies` in order (usage: 100 in, 10 out per call). */
export function mockModel(replies: MockReply[]): MockLanguageModelV3 {
  let index = 0;
  return new MockLanguageModelV3({
    provider: "mock",
    modelId: "scripted",
    doGenerate: async () => {
      const reply = replies[index++];
      if (reply === undefined) throw new Error(`mock model: no reply ${index}`);
      const { text, toolCalls = [], finish } = typeof reply === "string" ? { text: reply } : reply;
      return {
        content: [
          ...(text !== undefined ? [{ type: "text" as const, text }] : []),
          ...toolCalls.map((call, i) => ({ type: "tool-call" as const, toolCallId: `t${index}-${i}`, toolName: call.name, input: JSON.stringify(call.input) })),
        ],
        finishReason: { unified: finish ?? (toolCalls.length > 0 ? "tool-calls" : "stop"), raw: undefined },
        usage: {
          inputTokens: { total: 100, noCache: 100, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 10, text: 10, reasoning: undefined },
        },
        warnings: [],
      };
    },
  });
}
