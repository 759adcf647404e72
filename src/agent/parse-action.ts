/**
 * Turns a model's reply into an action: code to run, a final answer, or a problem to send back.
 *
 * Replies are messy. Recovered here: fenced blocks with any or no language tag (```ts, ```js,
 * ```typescript:run, ```, ~~~, a ```python block that is really TypeScript), fences glued to
 * prose, unterminated fences, several blocks (joined, or the last of alternatives that redeclare
 * the same names), output/data blocks beside the code (skipped), `<code>`/`<execute>` tags, code
 * without fences amid prose, one inline `code` span, the JSON envelope `{thoughts, code}` bare or
 * in a ```json block or around prose, JSON with raw newlines, stray quotes or trailing commas,
 * JSON cut off by the output limit, function-call-shaped JSON (`{"name": "execute", "arguments":
 * {...}}`), `Final Answer:` prefixes, `<think>` reasoning and chat-template tokens.
 *
 * What cannot be recovered becomes `{ kind: "invalid", problem }`; the loop sends one targeted
 * retry message for it (see `retryMessage`). A reply with no code at all is the final answer.
 *
 * Pure and synchronous; `test/agent/parse-corpus.ts` holds the expected extraction of > 100
 * realistic replies.
 *
 * @module
 */
import { declaredNames, findUnfencedCode, looksLikePython, looksLikeScript, looksLikeShell, transpiles } from "./code-heuristics.js";
import { findJsonObject, parseLooseJson } from "./loose-json.js";

/** How the model was asked to reply: fenced code, or the JSON envelope `{thoughts, code}`. */
export type ReplyFormat = "code" | "structured";

/** Why a reply could not be turned into an action. */
export type ParseProblem =
  /** Nothing but whitespace or reasoning. */
  | "empty"
  /** The reply announced code that never came, or a JSON envelope had neither code nor answer. */
  | "no-code"
  /** Code in a language the sandbox does not run (Python, shell, …). */
  | "not-typescript"
  /** A code block with nothing in it. */
  | "empty-code"
  /** Cut off by the output limit before the code ended. */
  | "truncated"
  /** Structured format: not JSON, and no code anywhere else. */
  | "invalid-json";

/** What was fixed on the way (for events, tests and the bench). */
export type Recovery =
  | "think-tags"
  | "special-tokens"
  | "glued-fence"
  | "unterminated-fence"
  | "several-blocks"
  | "alternative-blocks"
  | "duplicate-blocks"
  | "wrong-language-tag"
  | "untagged-fence"
  | "data-blocks-skipped"
  | "xml-tags"
  | "unfenced"
  | "prose-around-code"
  | "inline-code"
  | "json-envelope"
  | "json-in-markdown"
  | "repaired-json"
  | "truncated-json"
  | "function-call-json"
  | "final-prefix"
  | "not-json";

/** The action a reply asks for. */
export type ParsedAction =
  | { kind: "code"; code: string; thoughts: string; recovered: Recovery[] }
  | { kind: "final"; answer: string; thoughts: string; recovered: Recovery[] }
  | { kind: "invalid"; problem: ParseProblem; detail: string; thoughts: string; recovered: Recovery[] };

/** Options for {@link parseAction}. */
export interface ParseOptions {
  /** What the model was asked for (default `code`). */
  format?: ReplyFormat;
  /** The reply hit the output token limit (`finishReason: "length"`). */
  truncated?: boolean;
}

/**
 * Extracts the action of one model reply. Never throws.
 *
 * @example parseAction("Let me look.\n```ts\nconsole.log(1)\n```") // { kind: "code", code: "console.log(1)", thoughts: "Let me look.", … }
 */
export function parseAction(reply: string, options: ParseOptions = {}): ParsedAction {
  const format = options.format ?? "code";
  const truncated = options.truncated ?? false;
  const recovered: Recovery[] = [];
  const { body, thinking } = clean(reply, recovered);
  const note = (r: Recovery): void => {
    if (!recovered.includes(r)) recovered.push(r);
  };
  const withThoughts = (action: ParsedAction, prose = ""): ParsedAction => {
    const thoughts = [thinking, prose, action.thoughts].filter((t) => t.trim() !== "").join("\n\n").trim();
    return { ...action, thoughts, recovered };
  };

  if (body === "") {
    return withThoughts({ kind: "invalid", problem: truncated ? "truncated" : "empty", detail: thinking ? "the reply held only reasoning" : "the reply was empty", thoughts: "", recovered });
  }

  // 1. The JSON envelope: bare, in a ```json block, or (structured format) amid prose.
  const envelope = findEnvelope(body, format, note);
  if (envelope) {
    if (envelope.action.kind === "code" && envelope.cutInCode && !transpiles(envelope.action.code)) {
      return withThoughts({ kind: "invalid", problem: "truncated", detail: "the JSON was cut off inside the code", thoughts: envelope.action.thoughts, recovered }, envelope.prose);
    }
    return withThoughts(envelope.action, envelope.prose);
  }
  if (format === "structured") note("not-json");

  // 2. Fenced blocks and <code>-style tags.
  const scan = scanBlocks(body, note);
  if (scan.blocks.length > 0) {
    const action = fromBlocks(body, scan, truncated, note);
    return withThoughts(action, action.kind === "final" ? "" : scan.prose);
  }

  // 3. No blocks at all.
  const finalAnswer = /(?:^|\n)[ \t]*(?:\*\*|__)?[ \t]*final[ _]answer[ \t]*(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?/i.exec(body);
  if (finalAnswer) {
    note("final-prefix");
    const answer = body.slice(finalAnswer.index + finalAnswer[0].length).replace(/^\s*(?:\*\*|__)?/, "").trim();
    if (answer !== "") return withThoughts({ kind: "final", answer, thoughts: "", recovered }, body.slice(0, finalAnswer.index));
  }
  const inline = /^`([^`\n]+)`[.;]?$/.exec(body);
  if (inline && looksLikeScript(inline[1] as string)) {
    note("inline-code");
    return withThoughts({ kind: "code", code: (inline[1] as string).trim(), thoughts: "", recovered });
  }
  if (!/^\s*[[{]/.test(body)) {
    const unfenced = findUnfencedCode(body);
    if (unfenced) {
      note("unfenced");
      if (unfenced.before !== "" || unfenced.after !== "") note("prose-around-code");
      const prose = [unfenced.before, unfenced.after].filter((p) => p !== "").join("\n\n");
      if (truncated && !unfenced.parses) {
        return withThoughts({ kind: "invalid", problem: "truncated", detail: "the reply was cut off inside the code", thoughts: "", recovered }, prose);
      }
      return withThoughts({ kind: "code", code: unfenced.code, thoughts: "", recovered }, prose);
    }
  }
  if (format === "structured" && /^\s*\{/.test(body)) {
    return withThoughts({ kind: "invalid", problem: truncated ? "truncated" : "invalid-json", detail: "the reply is not valid JSON", thoughts: "", recovered });
  }
  if (truncated) return withThoughts({ kind: "invalid", problem: "truncated", detail: "the reply was cut off by the output limit", thoughts: "", recovered });
  if (/:\s*$/.test(lastLine(body))) {
    return withThoughts({ kind: "invalid", problem: "no-code", detail: "the reply announced code but contained none", thoughts: "", recovered }, body);
  }
  return withThoughts({ kind: "final", answer: body, thoughts: "", recovered });
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}

// ---------------------------------------------------------------------------------------------
// Cleaning: reasoning tags and chat-template tokens.

const SPECIAL_TOKENS =
  /<\|(?:im_end|im_start|eot_id|end|endoftext|end_of_text|assistant|python_tag|eom_id|start_header_id|end_header_id|channel|message|return|call|constrain)\|>|<\/s>|<end_code>|<end_of_turn>|<start_of_turn>(?:model)?|\[TOOL_CALLS\]|<\/?tool_call>|<\/?function_call>/g;

function clean(reply: string, recovered: Recovery[]): { body: string; thinking: string } {
  let text = reply.replace(/\r\n?/g, "\n");
  const stripped = text.replace(SPECIAL_TOKENS, "");
  if (stripped !== text) recovered.push("special-tokens");
  text = stripped;
  const thinking: string[] = [];
  const thinkTag = /<(think|thinking|reasoning|thought)>([\s\S]*?)<\/\1>/gi;
  if (thinkTag.test(text)) {
    text = text.replace(thinkTag, (_all, _tag: string, inner: string) => {
      thinking.push(inner.trim());
      return "";
    });
    recovered.push("think-tags");
  }
  // A closing tag without its opening one (the chat template opened it): all before it is reasoning.
  const orphanClose = /<\/(think|thinking|reasoning)>/i.exec(text);
  if (orphanClose) {
    thinking.push(text.slice(0, orphanClose.index).trim());
    text = text.slice(orphanClose.index + orphanClose[0].length);
    if (!recovered.includes("think-tags")) recovered.push("think-tags");
  }
  // An opening tag never closed (cut off while thinking): all after it is reasoning.
  const orphanOpen = /<(think|thinking|reasoning)>/i.exec(text);
  if (orphanOpen) {
    thinking.push(text.slice(orphanOpen.index + orphanOpen[0].length).trim());
    text = text.slice(0, orphanOpen.index);
    if (!recovered.includes("think-tags")) recovered.push("think-tags");
  }
  return { body: text.trim(), thinking: thinking.filter((t) => t !== "").join("\n\n") };
}

// ---------------------------------------------------------------------------------------------
// The JSON envelope.

const CODE_KEYS = ["code", "script", "typescript", "ts", "javascript", "js", "source", "program"];
const ANSWER_KEYS = ["final_answer", "finalAnswer", "final", "answer"];
const THOUGHT_KEYS = ["thoughts", "thought", "reasoning", "plan", "analysis", "explanation", "thinking"];
const ARGUMENT_KEYS = ["arguments", "args", "input", "parameters", "params", "action_input", "tool_input"];

interface Envelope {
  action: ParsedAction;
  /** Prose outside the JSON. */
  prose: string;
  /** The JSON was cut off inside the code string. */
  cutInCode: boolean;
}

function findEnvelope(body: string, format: ReplyFormat, note: (r: Recovery) => void): Envelope | undefined {
  const candidates: { json: string; prose: string; how: Recovery }[] = [];
  if (body.startsWith("{")) candidates.push({ json: body, prose: "", how: "json-envelope" });
  // A list of calls ([{"name": "execute", "arguments": {…}}], Mistral's [TOOL_CALLS] shape): the first.
  if (body.startsWith("[")) {
    const first = parseLooseJson(body)?.value;
    if (Array.isArray(first) && typeof first[0] === "object" && first[0] !== null) candidates.push({ json: JSON.stringify(first[0]), prose: "", how: "json-envelope" });
  }
  const fence = /(^|\n)[ \t]*(`{3,}|~{3,})[ \t]*(json5?|jsonc|javascript|js|ts|typescript)?[ \t]*\n([ \t]*\{[\s\S]*?)(?:\n[ \t]*\2[ \t]*(?=\n|$)|$)/i.exec(body);
  if (fence) {
    const prose = (body.slice(0, fence.index) + body.slice(fence.index + fence[0].length)).trim();
    candidates.push({ json: fence[4] as string, prose, how: "json-in-markdown" });
  }
  if (format === "structured" && !body.startsWith("{")) {
    const json = findJsonObject(body);
    if (json !== undefined) {
      const at = body.indexOf(json);
      candidates.push({ json, prose: (body.slice(0, at) + body.slice(at + json.length)).trim(), how: "json-envelope" });
    }
  }
  for (const candidate of candidates) {
    const parsed = parseLooseJson(candidate.json);
    if (parsed === undefined || typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) continue;
    let action = readEnvelope(parsed.value as Record<string, unknown>, note);
    if (action === undefined) continue;
    if (action.kind === "invalid" && parsed.truncated) action = { ...action, problem: "truncated", detail: "the JSON was cut off before the code" };
    if (candidate.how !== "json-envelope" || format === "code") note(candidate.how);
    if (parsed.truncated) note("truncated-json");
    else if (parsed.repaired) note("repaired-json");
    const cutInCode = parsed.cutInString && action.kind === "code" && lastKeyIsCode(parsed.value as Record<string, unknown>);
    return { action, prose: candidate.prose, cutInCode };
  }
  return undefined;
}

function lastKeyIsCode(object: Record<string, unknown>): boolean {
  const keys = Object.keys(object);
  const last = keys[keys.length - 1];
  if (last === undefined) return false;
  if (CODE_KEYS.includes(last)) return true;
  const nested = object[last];
  return typeof nested === "object" && nested !== null && !Array.isArray(nested) && lastKeyIsCode(nested as Record<string, unknown>);
}

/** Reads `{thoughts, code}` (and its many cousins); undefined when the object is not an envelope. */
function readEnvelope(object: Record<string, unknown>, note: (r: Recovery) => void): ParsedAction | undefined {
  let source = object;
  for (const key of ARGUMENT_KEYS) {
    let nested = object[key];
    if (typeof nested === "string" && /^\s*\{/.test(nested)) nested = parseLooseJson(nested)?.value;
    if (typeof nested === "object" && nested !== null && !Array.isArray(nested)) {
      source = { ...object, ...(nested as Record<string, unknown>) };
      note("function-call-json");
      break;
    }
  }
  const thoughts = firstString(source, THOUGHT_KEYS) ?? "";
  let code = firstString(source, CODE_KEYS);
  // {"action": "execute", "action_input": "<code>"} / {"action": "final_answer", "action_input": "…"}
  const actionName = typeof source.action === "string" ? source.action : typeof source.name === "string" ? source.name : undefined;
  const actionInput = source.action_input ?? source.tool_input;
  if (actionName !== undefined && /final|answer/i.test(actionName) && actionInput !== undefined) {
    return { kind: "final", answer: asText(actionInput), thoughts, recovered: [] };
  }
  if (code === undefined && actionName !== undefined && typeof actionInput === "string" && /exec|code|run|script|typescript|javascript/i.test(actionName)) code = actionInput;
  if (code !== undefined && code.trim() !== "") {
    return { kind: "code", code: stripInnerFence(code), thoughts, recovered: [] };
  }
  const answerKey = ANSWER_KEYS.find((key) => source[key] !== undefined && source[key] !== null && source[key] !== "");
  if (answerKey !== undefined) return { kind: "final", answer: asText(source[answerKey]), thoughts, recovered: [] };
  if (code !== undefined || THOUGHT_KEYS.some((key) => key in source)) {
    return { kind: "invalid", problem: "no-code", detail: 'the JSON had no "code"', thoughts, recovered: [] };
  }
  return undefined;
}

function firstString(object: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = object[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

function asText(value: unknown): string {
  return typeof value === "string" ? value.trim() : JSON.stringify(value);
}

/** Code inside a JSON string that is itself fenced: ```ts\n…\n```. */
function stripInnerFence(code: string): string {
  const trimmed = code.trim();
  const fenced = /^(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n?[ \t]*\1\s*$/.exec(trimmed);
  return (fenced ? (fenced[2] as string) : trimmed).trim();
}

// ---------------------------------------------------------------------------------------------
// Fenced blocks and tags.

interface Block {
  /** Lower-cased first word of the info string ("" when untagged). */
  lang: string;
  content: string;
  terminated: boolean;
  kind: "fence" | "tag";
}

interface Scan {
  blocks: Block[];
  /** Everything outside blocks. */
  prose: string;
}

const SCRIPT_LANGS = new Set(["ts", "typescript", "js", "javascript", "tsx", "jsx", "mjs", "cjs", "mts", "node", "nodejs", "deno", "es6", "ecmascript", "code", "script"]);
const PYTHON_LANGS = new Set(["python", "py", "python3", "py3", "ipython", "pycon"]);
const SHELL_LANGS = new Set(["bash", "sh", "shell", "zsh", "fish", "console", "terminal", "cmd", "powershell", "ps1", "bat", "shell-session"]);
const DATA_LANGS = new Set(["json", "json5", "jsonc", "text", "txt", "plaintext", "plain", "output", "out", "result", "results", "log", "logs", "stdout", "stderr", "markdown", "md", "yaml", "yml", "csv", "tsv", "xml", "html", "diff", "example", "response"]);
const CODE_TAGS = "code|execute|tool_code|typescript|javascript|ts|js|script|action";

function scanBlocks(body: string, note: (r: Recovery) => void): Scan {
  // Fences glued to prose ("Here it is: ```ts") or to the last code line ("console.log(x)```").
  let text = body.replace(/([^\s`])[ \t]*(`{3,}[\w+-]*[ \t]*)(?=\n)/g, "$1\n$2");
  text = text.replace(/([^\s`])[ \t]*(`{3,})[ \t]*$/gm, "$1\n$2");
  if (text !== body) note("glued-fence");
  const lines = text.split("\n");
  const blocks: Block[] = [];
  const prose: string[] = [];
  let open: { marker: string; indent: number; lang: string; lines: string[]; kind: "fence" | "tag"; closeTag?: RegExp } | undefined;
  for (const line of lines) {
    if (open === undefined) {
      const fence = /^([ \t]*)(`{3,}|~{3,})[ \t]*(.*)$/.exec(line);
      if (fence) {
        const marker = fence[2] as string;
        const { lang, first } = splitInfo((fence[3] as string).trim());
        open = { marker, indent: (fence[1] as string).length, lang, lines: first === undefined ? [] : [first], kind: "fence" };
        continue;
      }
      const tag = new RegExp(`^\\s*<(${CODE_TAGS})(?:\\s[^>]*)?>(.*)$`, "i").exec(line);
      if (tag) {
        note("xml-tags");
        const name = (tag[1] as string).toLowerCase();
        const closeTag = new RegExp(`</${name}>`, "i");
        const rest = tag[2] as string;
        const close = closeTag.exec(rest);
        if (close) {
          blocks.push({ lang: tagLang(name), content: stripInnerFence(rest.slice(0, close.index)), terminated: true, kind: "tag" });
          prose.push(rest.slice(close.index + close[0].length));
        } else {
          open = { marker: "", indent: 0, lang: tagLang(name), lines: rest.trim() === "" ? [] : [rest], kind: "tag", closeTag };
        }
        continue;
      }
      prose.push(line);
      continue;
    }
    if (open.kind === "tag" && open.closeTag) {
      const close = open.closeTag.exec(line);
      if (close) {
        open.lines.push(line.slice(0, close.index));
        blocks.push({ lang: open.lang, content: stripInnerFence(open.lines.join("\n")), terminated: true, kind: "tag" });
        prose.push(line.slice(close.index + close[0].length));
        open = undefined;
      } else open.lines.push(line);
      continue;
    }
    const close = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line);
    if (close && (close[1] as string)[0] === open.marker[0] && (close[1] as string).length >= open.marker.length) {
      blocks.push({ lang: open.lang, content: dedent(open.lines, open.indent), terminated: true, kind: "fence" });
      open = undefined;
      continue;
    }
    open.lines.push(line);
  }
  if (open !== undefined) {
    const content = dedent(open.lines, open.indent);
    blocks.push({ lang: open.lang, content: open.kind === "tag" ? stripInnerFence(content) : content, terminated: false, kind: open.kind });
  }
  return { blocks, prose: prose.join("\n").replace(/\n{3,}/g, "\n\n").trim() };
}

/**
 * The language of a fence's info string (`ts`, `typescript:run`, `{.ts}`, `ts title="a.ts"`), and
 * code written on the fence line itself (```` ```ts const x = 1 ````), if any.
 */
function splitInfo(info: string): { lang: string; first?: string } {
  if (info === "") return { lang: "" };
  const match = /^\{?\.?([A-Za-z0-9_+#-]+)(?=$|[\s:}])/.exec(info);
  if (!match) return { lang: "", first: info };
  const lang = (match[1] as string).toLowerCase().replace(/^language-/, "");
  const known = SCRIPT_LANGS.has(lang) || PYTHON_LANGS.has(lang) || SHELL_LANGS.has(lang) || DATA_LANGS.has(lang);
  if (!known && /[\s(.=;]/.test(info) && !/^[\w-]+\s*=/.test(info)) return { lang: "", first: info };
  const rest = info.slice(match[0].length).replace(/^[:}]\S*/, "").trim();
  if (rest === "" || /^(?:[\w-]+=\S+\s*)+$/.test(rest) || /^\{.*\}$/.test(rest)) return { lang };
  return { lang, first: rest };
}

function tagLang(tag: string): string {
  return tag === "typescript" || tag === "ts" ? "ts" : tag === "javascript" || tag === "js" ? "js" : "";
}

function dedent(lines: string[], indent: number): string {
  if (indent === 0) return lines.join("\n").trim();
  const prefix = new RegExp(`^[ \\t]{0,${indent}}`);
  return lines.map((l) => l.replace(prefix, "")).join("\n").trim();
}

/** Decides what the blocks of a reply ask for. */
function fromBlocks(body: string, scan: Scan, truncated: boolean, note: (r: Recovery) => void): ParsedAction {
  const accepted: Block[] = [];
  /** Code under a data tag (```json, ```text): used only when nothing else is code. */
  const weak: Block[] = [];
  let foreign: { lang: string; kind: "python" | "shell" | "other" } | undefined;
  let emptyBlock = false;
  let skippedData = false;
  for (const block of scan.blocks) {
    const { lang, content } = block;
    if (content === "") {
      if (!DATA_LANGS.has(lang)) emptyBlock = true;
      continue;
    }
    if (lang === "" || SCRIPT_LANGS.has(lang)) {
      if (looksLikePython(content)) foreign ??= { lang: "Python", kind: "python" };
      else if (lang === "" && block.kind === "fence" && !looksLikeScript(content)) {
        if (looksLikeShell(content)) foreign ??= { lang: "shell", kind: "shell" };
        else skippedData = true;
      } else {
        if (lang === "" && block.kind === "fence") note("untagged-fence");
        accepted.push(block);
      }
      continue;
    }
    if (DATA_LANGS.has(lang)) {
      if (parseLooseJson(content) === undefined && looksLikeScript(content)) weak.push(block);
      else skippedData = true;
      continue;
    }
    // A wrong tag (```python, ```bash, ```rust) on code that is really TypeScript.
    if (looksLikeScript(content) && !looksLikePython(content)) {
      note("wrong-language-tag");
      accepted.push(block);
      continue;
    }
    if (PYTHON_LANGS.has(lang)) foreign ??= { lang: "Python", kind: "python" };
    else if (SHELL_LANGS.has(lang)) foreign ??= { lang: "shell", kind: "shell" };
    else foreign ??= { lang, kind: "other" };
  }
  if (accepted.length === 0 && weak.length > 0 && !foreign) {
    note("wrong-language-tag");
    accepted.push(...weak);
  }
  if (accepted.length === 0) {
    if (foreign) return { kind: "invalid", problem: "not-typescript", detail: foreign.lang, thoughts: "", recovered: [] };
    if (emptyBlock) return { kind: "invalid", problem: "empty-code", detail: "the code block was empty", thoughts: "", recovered: [] };
    // Only data blocks (a table of results, a JSON answer): the reply is the answer itself.
    return { kind: "final", answer: body, thoughts: "", recovered: [] };
  }
  if (skippedData) note("data-blocks-skipped");
  if (accepted.some((b) => !b.terminated)) note("unterminated-fence");
  const unique: Block[] = [];
  for (const block of accepted) {
    if (unique.some((u) => u.content === block.content)) note("duplicate-blocks");
    else unique.push(block);
  }
  let code: string;
  if (unique.length === 1) code = (unique[0] as Block).content;
  else if (redeclares(unique)) {
    note("alternative-blocks");
    code = (unique[unique.length - 1] as Block).content;
  } else {
    note("several-blocks");
    code = unique.map((b) => b.content).join("\n\n");
  }
  if (truncated && !transpiles(code)) {
    return { kind: "invalid", problem: "truncated", detail: "the reply was cut off inside the code", thoughts: "", recovered: [] };
  }
  return { kind: "code", code, thoughts: "", recovered: [] };
}

/** True when a later block declares a name an earlier one did: they are alternatives, not parts. */
function redeclares(blocks: readonly Block[]): boolean {
  const seen = new Set<string>();
  for (const block of blocks) {
    const names = declaredNames(block.content);
    for (const name of names) if (seen.has(name)) return true;
    for (const name of names) seen.add(name);
  }
  return false;
}
