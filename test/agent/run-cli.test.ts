/**
 * `toolcode run` through the built CLI (`node dist/cli/main.js run …`) against real MCP servers,
 * with a scripted OpenAI-compatible server on 127.0.0.1 as the model. This is issue 8's
 * "done when": `toolcode run --model openai-compatible:<id> --base-url http://127.0.0.1:PORT/v1 "…"`
 * completes a multi-step task end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, run, writeConfig } from "../helpers.js";
import { agentEnv } from "./helpers.js";
import { type ScriptedReply, type ScriptedServer, requestMode, startScriptedServer } from "./scripted-model-server.js";

const F = "```";

/** Answers a count-then-add task in whichever mode the agent chose. */
function countAndAdd(data: string): (request: Parameters<typeof requestMode>[0], index: number) => ScriptedReply {
  let step = 0;
  return (request) => {
    const mode = requestMode(request);
    const i = step++;
    if (mode === "tools") {
      if (i === 0) return { content: "Listing first.", toolCalls: [{ name: "files__list_directory", arguments: { path: data } }] };
      if (i === 1) return { toolCalls: [{ name: "everything__get_sum", arguments: { a: 3, b: 10 } }] };
      return { content: "3 markdown files; The sum of 3 and 10 is 13." };
    }
    const steps = [
      `const { content } = await files.list_directory({ path: ${JSON.stringify(data)} });\nconst md = content.split("\\n").filter((l) => l.endsWith(".md"));\nawait workspace.write("count.json", md.length);\nconsole.log(md.length, "markdown files");`,
      'const n = await workspace.read("count.json");\nconst s = await everything.get_sum({ a: n, b: 10 });\nreturn final(`${n} markdown files; ${s}`);',
    ];
    const code = steps[i] ?? 'final("lost")';
    return { content: mode === "structured" ? JSON.stringify({ thoughts: `step ${i + 1}`, code }) : `Step ${i + 1}.\n${F}ts\n${code}\n${F}` };
  };
}

describe("toolcode run (built CLI) with a scripted model server", () => {
  let config: string;
  let data: string;
  let dir: string;
  let baseConfig: ReturnType<typeof agentEnv>["config"];
  const servers: ScriptedServer[] = [];
  const env = { ...process.env, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", TOOLCODE_MODEL: "", TOOLCODE_BASE_URL: "" };
  const cli = (args: string[]) => run(process.execPath, [CLI, ...args], { cwd: dir, env, timeoutMs: 120_000 });
  const task = "How many markdown files are in the data directory? Add 10 to that count with the sum tool.";

  beforeAll(() => {
    const setup = agentEnv();
    ({ data, dir } = setup);
    baseConfig = setup.config;
    config = writeConfig(dir, setup.config);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  const scripted = async (script: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> => {
    const server = await startScriptedServer(script);
    servers.push(server);
    return server;
  };

  it("completes a multi-step task end to end (auto mode): answer on stdout, live steps and a token report on stderr", async () => {
    const server = await scripted(countAndAdd(data));
    const result = await cli(["run", "--config", config, "--model", "openai-compatible:scripted", "--base-url", server.baseUrl, task]);
    expect(result.stderr).toContain("── step 1/10");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("3 markdown files; The sum of 3 and 10 is 13.\n");
    expect(server.requests.length).toBe(3);
    expect(result.stderr).toContain("mode tools");
    expect(result.stderr).toContain("▸ files.list_directory(");
    expect(result.stderr).toContain("✓ final answer at step 3");
    expect(result.stderr).toMatch(/tokens \(openai-compatible:scripted, tools mode\)\n\s+step\s+in\s+out\n\s+1\s+[\d,]+\s+\d+\n\s+2\s+[\d,]+\s+\d+\n\s+3\s+[\d,]+\s+\d+\n\s+total\s+[\d,]+\s+\d+\n/);
  });

  it("--mode code: shows each step's code and output; data flows between steps through the workspace", async () => {
    const server = await scripted(countAndAdd(data));
    const result = await cli(["run", "--config", config, "--model", "openai-compatible:scripted", "--base-url", server.baseUrl, "--mode", "code", task]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("3 markdown files; The sum of 3 and 10 is 13.\n");
    expect(result.stderr).toContain("mode code (chosen explicitly)");
    expect(result.stderr).toContain("│ const { content } = await files.list_directory(");
    expect(result.stderr).toContain("→ 3 markdown files");
    expect(result.stderr).toMatch(/step 2\/10[\s\S]*tokens: in [\d,]+ · out \d+\n✓ final answer at step 2/);
    expect(requestMode(server.requests[0]!)).toBe("code");
  });

  it("--mode structured --json: one JSON result on stdout", async () => {
    const server = await scripted(countAndAdd(data));
    const result = await cli(["run", "--config", config, "--model", "openai-compatible:scripted", "--base-url", server.baseUrl, "--mode", "structured", "--json", "--quiet", task]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const parsed = JSON.parse(result.stdout) as { status: string; answer: string; mode: string; steps: unknown[]; usage: { total: number } };
    expect(parsed).toMatchObject({ status: "final", answer: "3 markdown files; The sum of 3 and 10 is 13.", mode: "structured" });
    expect(parsed.steps).toHaveLength(2);
    expect(parsed.usage.total).toBeGreaterThan(0);
  });

  it("takes the model, base URL, mode and step limit from the config's agent section", async () => {
    const server = await scripted(countAndAdd(data));
    const withAgent = writeConfig(dir, { ...baseConfig, agent: { model: "openai-compatible:from-config", baseUrl: server.baseUrl, mode: "code", maxSteps: 4 } }, "agent.json");
    const result = await cli(["run", "--config", withAgent, task]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("toolcode run · openai-compatible:from-config · mode code (chosen explicitly) · up to 4 steps");
    expect(server.requests[0]?.model).toBe("from-config");
    expect(result.stdout).toBe("3 markdown files; The sum of 3 and 10 is 13.\n");
  });

  it("exits 1 at the step limit, saying so", async () => {
    const server = await scripted(() => ({ content: `${F}ts\nconsole.log("again")\n${F}` }));
    const result = await cli(["run", "--config", config, "--model", "openai-compatible:scripted", "--base-url", server.baseUrl, "--mode", "code", "--max-steps", "2", task]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("no final answer after 2 steps (raise --max-steps)");
    expect(result.stderr).toMatch(/total\s+[\d,]+/);
  });

  it("a missing API key is a usage error naming the variable, before any server starts (exit 2)", async () => {
    const openai = await cli(["run", "--config", config, "--model", "openai:gpt-4.1-mini", task]);
    expect(openai.code).toBe(2);
    expect(openai.stderr).toContain("error MODEL_INVALID");
    expect(openai.stderr).toContain("OPENAI_API_KEY");
    const anthropic = await cli(["run", "--config", config, "--model", "anthropic:claude-sonnet-4-5", task]);
    expect(anthropic.stderr).toContain("ANTHROPIC_API_KEY");
    const noUrl = await cli(["run", "--config", config, "--model", "openai-compatible:x", task]);
    expect(noUrl.stderr).toContain("--base-url");
    const none = await cli(["run", "--config", config, task]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("TOOLCODE_MODEL");
  });
});
