/**
 * The code agent: a loop over any LLM that writes TypeScript against the configured tools.
 *
 * Each step asks the model for an action in the run's mode — a fenced TypeScript block (`code`),
 * a `{thoughts, code}` JSON envelope (`structured`), or classic function calls (`tools`) — runs it
 * through `toolcode.execute` (one workspace session per run), and feeds back the capped output.
 * The run ends when code calls `final(answer)`, the model answers in plain text, `maxSteps` is
 * reached, or the model fails. A reply that cannot be parsed gets one targeted retry message.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { type LanguageModel, NoObjectGeneratedError, Output, type ToolSet, generateText } from "ai";
import { z } from "zod";
import { type ErrorInfo, ToolcodeError, toErrorInfo } from "../errors.js";
import type { GuestBuiltins } from "../execute/builtins/host-functions.js";
import type { Toolcode } from "../execute/create-toolcode.js";
import { AgentError } from "./agent-error.js";
import type { ActionMode, AgentEvent, AgentMode, AgentResult, AgentStatus, AgentStep, AgentToolCall, TokenUsage } from "./agent-events.js";
import { chooseMode } from "./choose-mode.js";
import { parsePythonAction } from "./parse-python-action.js";
import type { GuestLanguage } from "../execute/pipeline/run-guest.js";
import { History } from "./history.js";
import { type ParsedAction, parseAction } from "./parse-action.js";
import { observation, pythonSystemPrompt, retryMessage, stepsLeftNote, systemPrompt } from "./prompts.js";
import { resolveModel } from "./resolve-model.js";
import { callThroughSandbox, toolFunctions, toolResultText } from "./tool-functions.js";

/** An AI SDK model object (v2 or v3 specification). */
export type ModelObject = Exclude<LanguageModel, string>;

/** Options of {@link createAgent}. */
export interface AgentOptions {
  /** The tools: a running toolcode instance (the agent does not close it). */
  toolcode: Toolcode;
  /** `provider:id` (see `resolveModel`), or an AI SDK model. Default: the config's `agent.model`, else `TOOLCODE_MODEL`. */
  model?: string | ModelObject;
  /** Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp). Default: `agent.baseUrl`, else `TOOLCODE_BASE_URL`. */
  baseUrl?: string;
  /** API key; default the provider's environment variable. */
  apiKey?: string;
  /** Environment for model defaults and keys (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Action format, or `auto` for the rule in `chooseMode`. Default: `agent.mode` (`auto`). */
  mode?: AgentMode;
  /**
   * Language the model writes in code mode: `"javascript"` (TypeScript, default) or `"python"`
   * (```python blocks run by Pyodide; implies code mode).
   */
  language?: GuestLanguage;
  /** Model calls per run. Default: `agent.maxSteps` (10). */
  maxSteps?: number;
  /** Output token cap per model call (default 4096). */
  maxOutputTokens?: number;
  temperature?: number;
  /** Retries of a failed model call (default 2). */
  maxRetries?: number;
  /** Steps kept verbatim in the context (default 3); older steps are shortened. */
  keepSteps?: number;
  /** Approximate token budget of the conversation (default 24,000); oldest steps are dropped beyond it. */
  maxContextTokens?: number;
  /** Consecutive unusable replies tolerated, each answered by a retry message (default 1). */
  maxParseRetries?: number;
  /** Extra text for the system prompt. */
  instructions?: string;
  /** Receives every event of every run. */
  onEvent?: (event: AgentEvent) => void;
}

/** Options of one run. */
export interface AgentRunOptions {
  signal?: AbortSignal;
  /** Receives this run's events (besides `AgentOptions.onEvent`). */
  onEvent?: (event: AgentEvent) => void;
  /** Workspace session to use (kept afterwards); default a new one, ended when the run ends. */
  sessionId?: string;
}

/** A run in progress: its events as an async iterable, and its result. */
export interface AgentRun extends AsyncIterable<AgentEvent> {
  readonly result: Promise<AgentResult>;
}

/** A configured agent. Runs are independent; several may run at once. */
export interface Agent {
  /** The action format runs use, and why. */
  readonly mode: ActionMode;
  readonly modeReason: string;
  /** `provider:id`. */
  readonly model: string;
  /** Runs a task to the end. Never throws for model or tool failures: see `AgentResult.status`. */
  run(task: string, options?: AgentRunOptions): Promise<AgentResult>;
  /** Runs a task, yielding its events as they happen; `result` resolves at the end. */
  stream(task: string, options?: AgentRunOptions): AgentRun;
}

/** What the guest hears when it calls `final()` without an answer. */
const FINAL_WITHOUT_ANSWER = 'final(answer) needs the answer, e.g. final("There are 3 files.")';

/** Default steps per run. */
export const DEFAULT_MAX_STEPS = 10;

/** The envelope schema of `structured` mode. */
const envelopeSchema = z.object({
  thoughts: z.string().describe("Short reasoning: what this step does and why."),
  code: z.string().describe("TypeScript to run (an async module body). Call final(answer) in it when done."),
});

/**
 * Creates an agent over a toolcode instance.
 *
 * @throws {AgentError} `MODEL_INVALID` when the model cannot be set up (unknown provider, missing
 * key — the message names the variable — or missing base URL).
 */
export function createAgent(options: AgentOptions): Agent {
  const { toolcode } = options;
  const defaults = toolcode.config.agent;
  let model: ModelObject;
  let provider: string;
  let modelId: string;
  if (options.model !== undefined && typeof options.model !== "string") {
    model = options.model;
    provider = model.provider.split(".")[0] ?? model.provider;
    modelId = model.modelId;
  } else {
    const modelSpec = options.model ?? defaults.model;
    const baseUrl = options.baseUrl ?? defaults.baseUrl;
    const resolved = resolveModel({
      ...(modelSpec !== undefined ? { model: modelSpec } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
    });
    model = resolved.model as ModelObject;
    provider = resolved.provider;
    modelId = resolved.modelId;
  }
  const requested = options.mode ?? defaults.mode;
  if (!["auto", "code", "structured", "tools"].includes(requested)) {
    throw new ToolcodeError("USAGE", `Unknown mode "${String(requested)}": use code, structured, tools or auto.`);
  }
  const language = options.language ?? "javascript";
  if (language !== "javascript" && language !== "python") throw new ToolcodeError("USAGE", `Unknown language "${String(language)}": use javascript or python.`);
  if (language === "python" && requested !== "auto" && requested !== "code") {
    throw new ToolcodeError("USAGE", `language "python" runs in code mode (fenced Python blocks); mode "${requested}" writes TypeScript. Use mode code or auto.`);
  }
  const choice =
    language === "python"
      ? { mode: "code" as const, reason: "Python scripts are fenced code blocks" }
      : requested === "auto"
        ? chooseMode({ provider, modelId, toolCount: toolcode.catalog.tools().length })
        : { mode: requested, reason: "chosen explicitly" };
  const maxSteps = options.maxSteps ?? defaults.maxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new ToolcodeError("USAGE", `maxSteps must be a positive integer, got ${maxSteps}.`);
  const settings: RunSettings = {
    toolcode,
    model,
    label: `${provider}:${modelId}`,
    mode: choice.mode,
    modeReason: choice.reason,
    auto: requested === "auto" && language === "javascript",
    language,
    maxSteps,
    maxOutputTokens: options.maxOutputTokens ?? 4096,
    maxRetries: options.maxRetries ?? 2,
    keepSteps: options.keepSteps ?? 3,
    maxContextTokens: options.maxContextTokens ?? 24_000,
    maxParseRetries: options.maxParseRetries ?? 1,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
  };

  const run = (task: string, runOptions: AgentRunOptions = {}): Promise<AgentResult> => {
    const emit = (event: AgentEvent): void => {
      for (const listener of [options.onEvent, runOptions.onEvent]) {
        try {
          listener?.(event);
        } catch {
          // A listener's failure must not break the run.
        }
      }
    };
    return new AgentLoop(settings, task, runOptions, emit).run();
  };

  return {
    mode: choice.mode,
    modeReason: choice.reason,
    model: settings.label,
    run,
    stream(task, runOptions = {}) {
      const queue: AgentEvent[] = [];
      let wake: (() => void) | undefined;
      let finished = false;
      const result = run(task, {
        ...runOptions,
        onEvent: (event) => {
          runOptions.onEvent?.(event);
          queue.push(event);
          wake?.();
        },
      }).finally(() => {
        finished = true;
        wake?.();
      });
      return {
        result,
        async *[Symbol.asyncIterator]() {
          while (true) {
            const next = queue.shift();
            if (next !== undefined) {
              yield next;
              continue;
            }
            if (finished) return;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        },
      };
    },
  };
}

interface RunSettings {
  toolcode: Toolcode;
  model: ModelObject;
  label: string;
  mode: ActionMode;
  modeReason: string;
  auto: boolean;
  language: GuestLanguage;
  maxSteps: number;
  maxOutputTokens: number;
  maxRetries: number;
  keepSteps: number;
  maxContextTokens: number;
  maxParseRetries: number;
  temperature?: number;
  instructions?: string;
}

/** What one model call produced. */
interface ModelReply {
  text: string;
  reasoning: string;
  usage: TokenUsage;
  finishReason: string;
  toolCalls: { id: string; name: string; input: unknown; invalid: boolean; error?: unknown }[];
}

/** One run's state. */
class AgentLoop {
  readonly #sessionId: string;
  readonly #ownSession: boolean;
  readonly #history: History;
  readonly #steps: AgentStep[] = [];
  #mode: ActionMode;
  #system: string;
  #tools: ReturnType<typeof toolFunctions> | undefined;
  #final: { value: unknown } | undefined;
  #parseFailures = 0;

  constructor(
    private readonly settings: RunSettings,
    private readonly task: string,
    private readonly options: AgentRunOptions,
    private readonly emit: (event: AgentEvent) => void,
  ) {
    this.#sessionId = options.sessionId ?? `agent-${randomUUID()}`;
    this.#ownSession = options.sessionId === undefined;
    this.#history = new History(task, { keepSteps: settings.keepSteps, maxContextTokens: settings.maxContextTokens });
    this.#mode = settings.mode;
    this.#system = this.prompt();
  }

  async run(): Promise<AgentResult> {
    const { maxSteps } = this.settings;
    this.emit({ type: "start", task: this.task, mode: this.#mode, modeReason: this.settings.modeReason, model: this.settings.label, maxSteps, sessionId: this.#sessionId });
    let status: AgentStatus = "max_steps";
    let error: ErrorInfo | undefined;
    try {
      for (let step = 1; step <= maxSteps; step++) {
        if (this.options.signal?.aborted) {
          status = "aborted";
          break;
        }
        this.emit({ type: "step", step, maxSteps });
        const outcome = await this.step(step);
        if (outcome.kind === "continue") continue;
        if (outcome.kind === "retry-step") {
          step--;
          continue;
        }
        status = outcome.kind;
        error = outcome.kind === "error" ? outcome.error : undefined;
        break;
      }
    } finally {
      if (this.#ownSession) await this.settings.toolcode.endSession(this.#sessionId).catch(() => undefined);
    }
    const usage = this.#steps.reduce((sum, s) => ({ input: sum.input + s.usage.input, output: sum.output + s.usage.output }), { input: 0, output: 0 });
    const result: AgentResult = {
      status,
      ...(this.#final !== undefined ? { answer: answerText(this.#final.value), value: this.#final.value } : {}),
      ...(error !== undefined ? { error } : {}),
      steps: this.#steps,
      usage: { ...usage, total: usage.input + usage.output },
      mode: this.#mode,
      model: this.settings.label,
      sessionId: this.#sessionId,
    };
    this.emit({ type: "done", result });
    return result;
  }

  private prompt(): string {
    if (this.settings.language === "python") {
      return pythonSystemPrompt(this.settings.toolcode, {
        maxSteps: this.settings.maxSteps,
        ...(this.settings.instructions !== undefined ? { instructions: this.settings.instructions } : {}),
      });
    }
    return systemPrompt(this.#mode, this.settings.toolcode, {
      maxSteps: this.settings.maxSteps,
      ...(this.settings.instructions !== undefined ? { instructions: this.settings.instructions } : {}),
    });
  }

  private async step(step: number): Promise<{ kind: "continue" | "retry-step" | "final" | "aborted" } | { kind: "error"; error: ErrorInfo }> {
    let reply: ModelReply;
    try {
      reply = await this.callModel();
    } catch (thrown) {
      if (this.options.signal?.aborted) return { kind: "aborted" };
      const info = modelErrorInfo(thrown, this.settings.label);
      // auto: a server that rejects structured output or tools still runs plain code blocks.
      if (this.settings.auto && this.#mode !== "code" && this.#steps.length === 0 && isClientError(thrown)) {
        this.emit({ type: "error", step, kind: "mode", code: info.code, message: `${info.message} Falling back to code mode.` });
        this.#mode = "code";
        this.#system = this.prompt();
        return { kind: "retry-step" };
      }
      this.emit({ type: "error", step, kind: "model", code: info.code, message: info.message });
      this.#steps.push({ step, usage: { input: 0, output: 0 }, finishReason: "error" });
      return { kind: "error", error: info };
    }
    this.emit({ type: "tokens", step, input: reply.usage.input, output: reply.usage.output });
    const record: AgentStep = { step, usage: reply.usage, finishReason: reply.finishReason };
    this.#steps.push(record);
    const stepsLeft = this.settings.maxSteps - step;
    if (this.#mode === "tools") return this.toolsStep(step, reply, record, stepsLeft);

    const format = this.#mode === "structured" ? "structured" : "code";
    const action: ParsedAction = this.settings.language === "python"
      ? parsePythonAction(reply.text, { truncated: reply.finishReason === "length" })
      : parseAction(reply.text, { format, truncated: reply.finishReason === "length" });
    const thoughts = [reply.reasoning, action.thoughts].filter((t) => t.trim() !== "").join("\n\n");
    if (thoughts !== "") {
      record.thoughts = thoughts;
      this.emit({ type: "thoughts", step, text: thoughts });
    }
    if (action.recovered.length > 0) record.recovered = action.recovered;
    if (action.kind === "invalid") {
      record.parseProblem = { problem: action.problem, detail: action.detail };
      return this.parseFailure(step, reply.text, retryMessage(action.problem, action.detail, format), stepsLeft, action.detail);
    }
    this.#parseFailures = 0;
    if (action.kind === "final") return this.finish(step, record, action.answer);

    record.code = action.code;
    this.emit({ type: "code", step, code: action.code, recovered: action.recovered });
    const result = await this.settings.toolcode.execute(action.code, { sessionId: this.#sessionId, builtins: this.builtins(), language: this.settings.language });
    record.output = result.text;
    record.error = result.error;
    const silentFinal = this.#final !== undefined && result.error === null && result.logs.length === 0 && result.result === undefined;
    if (!silentFinal) {
      this.emit({ type: "output", step, text: result.text, error: result.error, truncated: result.metadata.truncated, tokens: result.metadata.tokens.output, toolCalls: result.metadata.toolCalls });
    }
    if (this.#final !== undefined) {
      record.final = true;
      this.emit({ type: "final", step, answer: answerText(this.#final.value), value: this.#final.value });
      return { kind: "final" };
    }
    this.#history.add({
      kind: "code",
      format,
      reply: reply.text,
      code: action.code,
      observation: observation({ step, text: result.text, error: result.error, stepsLeft, mode: this.#mode }),
    });
    return { kind: "continue" };
  }

  private async toolsStep(step: number, reply: ModelReply, record: AgentStep, stepsLeft: number): Promise<{ kind: "continue" | "final" } | { kind: "error"; error: ErrorInfo }> {
    const thoughts = [reply.reasoning, reply.toolCalls.length > 0 ? reply.text : ""].filter((t) => t.trim() !== "").join("\n\n");
    if (thoughts !== "") {
      record.thoughts = thoughts;
      this.emit({ type: "thoughts", step, text: thoughts });
    }
    if (reply.toolCalls.length === 0) {
      const answer = reply.text.trim();
      if (answer === "" || reply.finishReason === "length") {
        const problem = answer === "" ? "empty" : "truncated";
        const detail = answer === "" ? "no text and no tool call" : "the reply was cut off by the output limit";
        record.parseProblem = { problem, detail };
        return this.parseFailure(step, reply.text, retryMessage(problem, detail, "tools"), stepsLeft, detail);
      }
      this.#parseFailures = 0;
      return this.finish(step, record, answer);
    }
    this.#parseFailures = 0;
    const byName = this.#tools?.byName ?? new Map();
    const calls: AgentToolCall[] = [];
    const turnCalls: { id: string; name: string; input: unknown; output: string; isError: boolean }[] = [];
    for (const call of reply.toolCalls) {
      const entry = byName.get(call.name);
      this.emit({ type: "toolCall", step, tool: entry?.id ?? call.name, args: call.input });
      let output: string;
      let error: AgentToolCall["error"] = null;
      let shaped = { truncated: false, tokens: 0, toolCalls: 0 };
      if (entry === undefined || call.invalid) {
        const message =
          entry === undefined
            ? `Unknown function ${call.name}. Call one of the functions you were given (named <server>__<tool>).`
            : `The arguments for ${call.name} are not valid: ${errorMessage(call.error)}. Check the parameter types and call it again.`;
        error = { code: entry === undefined ? "TOOL_NOT_FOUND" : "INVALID_ARGUMENTS", message };
        output = `Error ${error.code}: ${message}`;
      } else {
        const result = await callThroughSandbox(this.settings.toolcode, entry, call.input, this.#sessionId);
        output = toolResultText(result);
        error = result.error;
        shaped = { truncated: result.metadata.truncated, tokens: result.metadata.tokens.output, toolCalls: result.metadata.toolCalls };
      }
      this.emit({ type: "output", step, text: output, error, ...shaped });
      calls.push({ tool: entry?.id ?? call.name, args: call.input, output, error });
      turnCalls.push({ id: call.id, name: call.name, input: isObject(call.input) ? call.input : {}, output, isError: error !== null });
    }
    record.toolCalls = calls;
    if (stepsLeft <= 1) {
      const last = turnCalls[turnCalls.length - 1];
      if (last) last.output = `${last.output}\n\n${stepsLeftNote(stepsLeft, "tools")}`;
    }
    this.#history.add({ kind: "tools", text: reply.text, calls: turnCalls });
    return { kind: "continue" };
  }

  private parseFailure(step: number, reply: string, message: string, stepsLeft: number, detail: string): { kind: "continue" } | { kind: "error"; error: ErrorInfo } {
    this.#parseFailures++;
    this.emit({ type: "error", step, kind: "parse", code: "ACTION_PARSE_FAILED", message: `Unusable reply: ${detail}.` });
    if (this.#parseFailures > this.settings.maxParseRetries) {
      return {
        kind: "error",
        error: toErrorInfo(
          new AgentError("ACTION_PARSE_FAILED", `The model's reply could not be used ${this.#parseFailures} times in a row (last: ${detail}). Try another --mode or a stronger model.`, {
            detail,
          }),
        ),
      };
    }
    this.#history.add({ kind: "retry", reply, message: `${message}\n\n${stepsLeftNote(stepsLeft, this.#mode)}` });
    return { kind: "continue" };
  }

  private finish(step: number, record: AgentStep, answer: string): { kind: "final" } {
    this.#final = { value: answer };
    record.final = true;
    this.emit({ type: "final", step, answer, value: answer });
    return { kind: "final" };
  }

  /** `final(answer)` and `searchTools(query, options)` for the guest. */
  private builtins(): GuestBuiltins {
    const toolcode = this.settings.toolcode;
    return {
      prelude:
        "globalThis.final = (answer) => { if (answer === undefined) throw new TypeError(" +
        JSON.stringify(FINAL_WITHOUT_ANSWER) +
        "); return __host.final({ answer }); }; globalThis.final_answer = globalThis.final; " +
        "globalThis.searchTools = (query, options) => __host.searchTools({ ...(options ?? {}), query: String(query ?? '') });",
      // Python scripts call final("…") and searchTools("…", limit=3): positional arguments by name.
      parameters: { final: ["answer"], searchTools: ["query"] },
      functions: {
        final: (arg) => {
          const { answer } = (isObject(arg) ? arg : {}) as { answer?: unknown };
          if (answer === undefined) {
            throw new ToolcodeError("INVALID_ARGUMENTS", FINAL_WITHOUT_ANSWER);
          }
          this.#final ??= { value: answer };
          return answer;
        },
        searchTools: async (arg) => {
          const { query, detail, limit, server } = (isObject(arg) ? arg : {}) as { query?: unknown; detail?: unknown; limit?: unknown; server?: unknown };
          const response = await toolcode.semanticSearch(typeof query === "string" ? query : "", {
            ...(detail === "names" || detail === "signatures" || detail === "full" ? { detail } : {}),
            ...(typeof limit === "number" && limit > 0 ? { limit: Math.min(50, Math.floor(limit)) } : {}),
            ...(typeof server === "string" ? { server } : {}),
          });
          return response.text;
        },
      },
    };
  }

  private async callModel(): Promise<ModelReply> {
    const { model, maxOutputTokens, maxRetries, temperature } = this.settings;
    const common = {
      model,
      system: this.#system,
      messages: this.#history.messages(this.#system),
      maxOutputTokens,
      maxRetries,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(this.options.signal !== undefined ? { abortSignal: this.options.signal } : {}),
    };
    if (this.#mode === "tools") {
      this.#tools ??= toolFunctions(this.settings.toolcode);
      const tools: ToolSet = this.#tools.tools;
      const result = await generateText({ ...common, tools, toolChoice: "auto" });
      return {
        text: result.text,
        reasoning: result.reasoningText ?? "",
        usage: usageOf(result.usage),
        finishReason: result.finishReason,
        toolCalls: result.toolCalls.map((call) => ({
          id: call.toolCallId,
          name: call.toolName,
          input: call.input,
          invalid: call.invalid === true,
          ...(call.invalid === true ? { error: call.error } : {}),
        })),
      };
    }
    if (this.#mode === "structured") {
      try {
        const result = await generateText({ ...common, output: Output.object({ schema: envelopeSchema, name: "action" }) });
        return { text: result.text, reasoning: result.reasoningText ?? "", usage: usageOf(result.usage), finishReason: result.finishReason, toolCalls: [] };
      } catch (error) {
        // Not valid JSON for the schema: the recovering parser gets the raw text.
        if (NoObjectGeneratedError.isInstance(error)) {
          return { text: error.text ?? "", reasoning: "", usage: usageOf(error.usage), finishReason: error.finishReason ?? "unknown", toolCalls: [] };
        }
        throw error;
      }
    }
    const result = await generateText(common);
    return { text: result.text, reasoning: result.reasoningText ?? "", usage: usageOf(result.usage), finishReason: result.finishReason, toolCalls: [] };
  }
}

function usageOf(usage: { inputTokens?: number | undefined; outputTokens?: number | undefined } | undefined): TokenUsage {
  return { input: usage?.inputTokens ?? 0, output: usage?.outputTokens ?? 0 };
}

/** The final answer as text. */
function answerText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error ?? "invalid input");
}

/** The provider refused the request itself (400/422: e.g. "this model does not support tools"), not the key or the model id. */
function isClientError(error: unknown): boolean {
  const status = findStatus(error);
  return status === 400 || status === 422;
}

function findStatus(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    if ("statusCode" in e && typeof e.statusCode === "number") return e.statusCode;
    if ("lastError" in e) e = e.lastError;
    else if ("cause" in e) e = e.cause;
    else break;
  }
  return undefined;
}

/** A model failure for the result: what failed and what to check. */
function modelErrorInfo(error: unknown, label: string): ErrorInfo {
  const status = findStatus(error);
  const message = errorMessage(error).replace(/\s+/g, " ").slice(0, 500);
  const hint =
    status === 401 || status === 403
      ? "Check the API key."
      : status === 404
        ? "Check the model id and the base URL (OpenAI-compatible servers serve /v1/chat/completions)."
        : status === undefined
          ? "Check that the server is reachable (base URL) and the model is available."
          : "";
  return toErrorInfo(
    new AgentError("MODEL_CALL_FAILED", `The model ${label} failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${message}${hint ? ` ${hint}` : ""}`, {
      model: label,
      ...(status !== undefined ? { status } : {}),
    }),
  );
}
