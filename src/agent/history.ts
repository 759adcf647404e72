/**
 * The conversation the model sees, with bounded growth: the last `keepSteps` steps verbatim, older
 * steps shortened (code clipped, observations cut to a head, failed-parse exchanges dropped), and
 * when even that exceeds `maxContextTokens`, the oldest steps dropped with a note.
 *
 * @module
 */
import type { ModelMessage } from "ai";
import type { ReplyFormat } from "./parse-action.js";

/** One exchange after the task. */
export type Turn =
  /** Code ran (code / structured mode): the model's reply and what it was told back. */
  | { kind: "code"; format: ReplyFormat; reply: string; code: string; observation: string }
  /** The reply could not be used: the reply and the retry message. */
  | { kind: "retry"; reply: string; message: string }
  /** Tools were called (tools mode). */
  | { kind: "tools"; text: string; calls: { id: string; name: string; input: unknown; output: string; isError: boolean }[] };

/** Options of {@link History}. */
export interface HistoryOptions {
  /** Steps kept verbatim (default 3). */
  keepSteps: number;
  /** Approximate token budget of the whole conversation (4 characters per token). */
  maxContextTokens: number;
}

/** Characters kept of an older step's code and observation. */
const OLD_CODE_CHARS = 600;
const OLD_OUTPUT_CHARS = 300;

/** The task and the turns so far; renders the bounded messages for the next model call. */
export class History {
  readonly #turns: Turn[] = [];

  constructor(
    private readonly task: string,
    private readonly options: HistoryOptions,
  ) {}

  add(turn: Turn): void {
    this.#turns.push(turn);
  }

  get length(): number {
    return this.#turns.length;
  }

  /** The messages for the next call (without the system prompt), within the budget. */
  messages(system = ""): ModelMessage[] {
    const budget = this.options.maxContextTokens * 4 - system.length;
    let keep = Math.max(1, this.options.keepSteps);
    let messages = this.render(0, keep);
    while (size(messages) > budget && keep > 1) messages = this.render(0, --keep);
    let dropped = 0;
    while (size(messages) > budget && dropped < this.#turns.length - 1) messages = this.render(++dropped, keep);
    return messages;
  }

  private render(dropped: number, keep: number): ModelMessage[] {
    const note = dropped > 0 ? `\n\n(Steps 1–${dropped} were dropped to keep the context small. Data you still need should be in the workspace.)` : "";
    const messages: ModelMessage[] = [{ role: "user", content: `${this.task}${note}` }];
    const firstRecent = this.#turns.length - keep;
    this.#turns.forEach((turn, index) => {
      if (index < dropped) return;
      const old = index < firstRecent;
      switch (turn.kind) {
        case "retry":
          if (!old) messages.push({ role: "assistant", content: turn.reply || "(empty reply)" }, { role: "user", content: turn.message });
          return;
        case "code":
          messages.push(
            { role: "assistant", content: old ? compactReply(turn) : turn.reply },
            { role: "user", content: old ? clip(turn.observation, OLD_OUTPUT_CHARS, "older output shortened") : turn.observation },
          );
          return;
        case "tools":
          messages.push(
            {
              role: "assistant",
              content: [
                ...(turn.text.trim() !== "" ? [{ type: "text" as const, text: old ? clip(turn.text, OLD_OUTPUT_CHARS, "shortened") : turn.text }] : []),
                ...turn.calls.map((call) => ({ type: "tool-call" as const, toolCallId: call.id, toolName: call.name, input: call.input })),
              ],
            },
            {
              role: "tool",
              content: turn.calls.map((call) => {
                const value = old ? clip(call.output, OLD_OUTPUT_CHARS, "older output shortened") : call.output;
                return {
                  type: "tool-result" as const,
                  toolCallId: call.id,
                  toolName: call.name,
                  output: call.isError ? { type: "error-text" as const, value } : { type: "text" as const, value },
                };
              }),
            },
          );
          return;
      }
    });
    return messages;
  }
}

/** An older step's reply reduced to its code (clipped), in the format the model writes. */
function compactReply(turn: Extract<Turn, { kind: "code" }>): string {
  const code = clip(turn.code, OLD_CODE_CHARS, "older code shortened");
  return turn.format === "structured" ? JSON.stringify({ thoughts: "(earlier step)", code }) : `\`\`\`ts\n${code}\n\`\`\``;
}

/** The head of `text` with a marker saying how much was cut. */
export function clip(text: string, max: number, why: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${why}: ${text.length - max} more characters]`;
}

function size(messages: ModelMessage[]): number {
  let n = 0;
  for (const message of messages) {
    if (typeof message.content === "string") n += message.content.length;
    else n += JSON.stringify(message.content).length;
  }
  return n;
}
