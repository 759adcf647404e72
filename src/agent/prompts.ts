/**
 * Everything the agent says to the model: the system prompt per mode, the observation after each
 * step, and the targeted retry message after a reply that could not be parsed. Generated on the
 * host once per run; snapshot-tested.
 *
 * @module
 */
import type { Toolcode } from "../execute/create-toolcode.js";
import type { GuestErrorInfo } from "../execute/execute-result.js";
import type { ActionMode } from "./agent-events.js";
import type { ParseProblem, ReplyFormat } from "./parse-action.js";

/** Up to this many tools, the system prompt lists every tool name (otherwise only servers). */
export const LIST_TOOLS_UP_TO = 60;

/** Options of {@link systemPrompt}. */
export interface PromptOptions {
  maxSteps: number;
  /** Extra instructions appended (the library's `instructions` option). */
  instructions?: string;
}

/** The sources overview: servers with tool counts, and the tool names when there are few. */
export function sourcesOverview(toolcode: Toolcode): string {
  const servers = toolcode.catalog.serverIds().map((id) => ({ id, tools: toolcode.catalog.server(id)?.tools ?? [] }));
  const total = servers.reduce((n, s) => n + s.tools.length, 0);
  if (total === 0) return "Tools: none are connected.";
  const head = `Tools: ${total} from ${servers.length} server${servers.length === 1 ? "" : "s"}.`;
  if (total > LIST_TOOLS_UP_TO) {
    return `${head} ${servers.map((s) => `${s.id} (${s.tools.length})`).join(", ")}. Search them to find names and signatures.`;
  }
  return [head, ...servers.map((s) => `- ${s.id}: ${s.tools.map((t) => t.tool).join(", ")}`)].join("\n");
}

/** The system prompt of a run. */
export function systemPrompt(mode: ActionMode, toolcode: Toolcode, options: PromptOptions): string {
  const extra = options.instructions ? `\n\n${options.instructions.trim()}` : "";
  if (mode === "tools") {
    return [
      "You are an agent that completes the user's task by calling tools. Each tool is a function named <server>__<tool>; its result comes back to you.",
      sourcesOverview(toolcode),
      "Call the tools you need, one or several per turn. When a call fails, read the error and fix the arguments.",
      "When you know the answer, reply with it in plain text without calling a tool.",
      `You have at most ${options.maxSteps} turns.`,
    ].join("\n\n") + extra;
  }
  const { output, sandbox } = toolcode.config;
  const reply =
    mode === "structured"
      ? 'Reply with one JSON object and nothing else: {"thoughts": "<your short reasoning>", "code": "<TypeScript>"}. The code runs as an async module body: top-level await and return work.'
      : "Reply with a short thought, then exactly one ```ts code block. It runs as an async module body: top-level await and return work.";
  const finish =
    mode === "structured"
      ? 'When you know the answer, put `final(answer)` in the code (e.g. {"thoughts": "done", "code": "final(\\"3 files\\")"}).'
      : "When you know the answer, call `final(answer)` in code, or reply with the answer in plain text and no code block.";
  return [
    "You are an agent that completes the user's task by writing TypeScript that runs in a sandbox where every tool is an async function. Only what your code prints or returns comes back to you.",
    sourcesOverview(toolcode),
    [
      "Each step:",
      `- ${reply}`,
      "- Call a tool as `await server.tool({ ...input })` with ONE object argument. Results are plain values (parsed JSON, or text).",
      '- Find tools and their TypeScript signatures with `console.log(await searchTools("words"))`; `searchTools("server.tool", { detail: "full" })` shows one tool\'s complete declaration. Check a tool\'s signature before you first call it.',
      `- Print short summaries with console.log, not raw data: output is capped at ${output.maxTokens} tokens.`,
      '- Variables do not survive between steps. Keep data for later steps with `await workspace.write("name.json", value)` and `await workspace.read("name.json")`.',
      "- A failing tool throws ToolError (.code, .message); catch it to handle it. No fetch, timers, process or require: only the tools, workspace and console.",
      `- Each run has ${Math.round(sandbox.timeoutMs / 1000)} s and ${sandbox.maxToolCalls} tool calls; loop over data in code instead of one call per step.`,
    ].join("\n"),
    `${finish} You have at most ${options.maxSteps} steps.`,
  ].join("\n\n") + extra;
}

/** What the model is told after its code ran. */
export function observation(input: { step: number; text: string; error: GuestErrorInfo | null; stepsLeft: number; mode: ActionMode }): string {
  const head = input.error ? `Step ${input.step} failed.` : `Output of step ${input.step}:`;
  const parts = [head, input.text.trim() === "" ? "(nothing)" : input.text.trim()];
  if (input.error) parts.push(errorHint(input.error));
  parts.push(stepsLeftNote(input.stepsLeft, input.mode));
  return parts.join("\n\n");
}

/** One line on budget: how many steps remain, and a push to finish on the last one. */
export function stepsLeftNote(stepsLeft: number, mode: ActionMode): string {
  if (stepsLeft <= 1) {
    return mode === "tools"
      ? "This is your last turn: reply with your best answer in plain text now."
      : "Your next step is the last one: finish with final(answer), using what you know so far.";
  }
  return `(${stepsLeft} steps left)`;
}

/** What to fix, by error code: the model's half of the two-audience message. */
export function errorHint(error: Pick<GuestErrorInfo, "code" | "message">): string {
  switch (error.code) {
    case "GUEST_SYNTAX_ERROR":
      return "Fix the syntax error at the line shown and send the whole corrected code.";
    case "TOOL_NOT_FOUND":
    case "SERVER_NOT_FOUND":
      return 'Use one of the names listed in the error, or find the right tool with console.log(await searchTools("words")).';
    case "INVALID_ARGUMENTS":
      return 'Check the tool\'s input type with console.log(await searchTools("server.tool", { detail: "full" })) and fix the arguments.';
    case "TOOL_ERROR":
    case "HTTP_ERROR":
      return "The tool reported the error above: fix the arguments, try another tool, or catch the error and continue.";
    case "POLICY_DENIED":
    case "APPROVAL_DENIED":
      return "This call is not allowed here. Do not retry it: find another way, or explain in your final answer what could not be done.";
    case "SANDBOX_TIMEOUT":
    case "SANDBOX_MEMORY":
    case "SANDBOX_STACK":
    case "TOOL_CALL_LIMIT":
    case "OUTPUT_LIMIT":
      return "Do less in one step: fewer calls and smaller data per run; keep intermediate results in the workspace.";
    default:
      return /is not defined/.test(error.message)
        ? 'Fix the code. Remember that variables do not survive between steps: recompute them, or save them with workspace.write and read them back with workspace.read.'
        : "Fix the code and try again.";
  }
}

/** The one targeted retry message after a reply that could not be used. */
export function retryMessage(problem: ParseProblem, detail: string, format: ReplyFormat | "tools"): string {
  const shape =
    format === "structured"
      ? 'Reply with exactly one JSON object: {"thoughts": "…", "code": "<TypeScript>"}.'
      : format === "tools"
        ? "Call a tool, or reply with the final answer in plain text."
        : "Reply with a short thought and one ```ts code block, or with the final answer in plain text.";
  switch (problem) {
    case "empty":
      return `Your reply was empty (${detail}). ${shape}`;
    case "no-code":
      return format === "structured"
        ? 'Your JSON had no "code". Put the TypeScript to run in "code", or `final(answer)` if you are done.'
        : "Your reply said code would follow, but it contained no code block. Send the code now in one ```ts block.";
    case "not-typescript":
      return detail === "shell"
        ? "There is no shell here: shell commands cannot run. Do the same with the tools from TypeScript (`await server.tool({ … })`) in one ```ts block."
        : `Your code is ${detail}, but the sandbox runs only TypeScript/JavaScript. Rewrite it as TypeScript: call tools with \`await server.tool({ … })\` and print with console.log. ${shape}`;
    case "empty-code":
      return `Your code block was empty. Put the TypeScript to run inside it. ${shape}`;
    case "truncated":
      return "Your reply was cut off by the output length limit before it was complete. Send shorter code: do one part of the task per step and print only what you need.";
    case "invalid-json":
      return `Your reply was not valid JSON (${detail}). ${shape} Escape newlines and quotes inside the code string.`;
  }
}

/** The system prompt of code mode when the agent writes Python (`createAgent({ language: "python" })`). */
export function pythonSystemPrompt(toolcode: Toolcode, options: PromptOptions): string {
  const extra = options.instructions ? `\n\n${options.instructions.trim()}` : "";
  const { output, sandbox } = toolcode.config;
  return [
    "You are an agent that completes the user's task by writing Python that runs in a sandbox where every tool is an async function. Only what your code prints or returns comes back to you.",
    sourcesOverview(toolcode),
    [
      "Each step:",
      "- Reply with a short thought, then exactly one ```python code block. Top-level `await` works; the last expression (or a top-level `return`) is the result.",
      "- Call a tool as `await server.tool(name=value, ...)` (keyword arguments, or one dict), or `from servers.<server> import <tool>`. Results are plain values (dicts, lists, str).",
      '- Find tools and their signatures with `print(await searchTools("words"))`; `await searchTools("server.tool", detail="full")` shows one tool\'s complete declaration. Check a tool\'s signature before you first call it.',
      `- Print short summaries with print(), not raw data: output is capped at ${output.maxTokens} tokens.`,
      '- Variables do not survive between steps. Keep data for later steps with `await workspace.write("name.json", value)` and `await workspace.read("name.json")`.',
      "- A failing tool raises ToolError (.code, .message; HttpError adds .status); catch it to handle it. No network, files or subprocesses: only the tools, workspace and print.",
      `- Each run has ${Math.round(sandbox.timeoutMs / 1000)} s and ${sandbox.maxToolCalls} tool calls; loop over data in code instead of one call per step.`,
    ].join("\n"),
    `When you know the answer, call \`await final(answer)\` in code, or reply with the answer in plain text and no code block. You have at most ${options.maxSteps} steps.`,
  ].join("\n\n") + extra;
}
