/**
 * The action of one model reply when the agent writes Python: the fenced Python block(s) to run
 * (```python, ```py or an untagged fence; several are joined in order), or, with no fence at all,
 * the final answer. A reply cut off inside a block is `truncated`; an empty block `empty-code`.
 *
 * @module
 */
import type { ParsedAction } from "./parse-action.js";

/** Fences whose tag says the block is not code to run (output shown by the model, data). */
const NOT_CODE = /^(?:text|output|console|json|bash|sh|shell|ts|typescript|js|javascript)$/i;

/** Extracts the Python action of a reply. Never throws. */
export function parsePythonAction(reply: string, options: { truncated?: boolean } = {}): ParsedAction {
  const text = reply.replace(/<think>[\s\S]*?<\/think>/g, "").trim();
  const fence = /^(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)(?:^\1[ \t]*$|(?![\s\S]))/gm;
  const blocks: { lang: string; code: string; closed: boolean; start: number }[] = [];
  for (const match of text.matchAll(fence)) {
    const whole = match[0];
    const closed = /\n(`{3,}|~{3,})[ \t]*$/.test(whole) || whole.trimEnd().endsWith(match[1] ?? "```");
    blocks.push({ lang: match[2] ?? "", code: (match[3] ?? "").replace(/\n$/, ""), closed, start: match.index ?? 0 });
  }
  const runnable = blocks.filter((b) => !NOT_CODE.test(b.lang));
  if (runnable.length === 0) {
    if (text === "") return { kind: "invalid", problem: options.truncated ? "truncated" : "empty", detail: "the reply was empty", thoughts: "", recovered: [] };
    return { kind: "final", answer: text.replace(/^final answer:\s*/i, ""), thoughts: "", recovered: [] };
  }
  const thoughts = text.slice(0, runnable[0]?.start ?? 0).trim();
  const last = runnable[runnable.length - 1];
  if (last !== undefined && !last.closed && options.truncated) {
    return { kind: "invalid", problem: "truncated", detail: "the reply was cut off inside the code", thoughts, recovered: [] };
  }
  const code = runnable.map((b) => b.code).join("\n");
  if (code.trim() === "") return { kind: "invalid", problem: "empty-code", detail: "the code block was empty", thoughts, recovered: [] };
  return { kind: "code", code, thoughts, recovered: [] };
}
