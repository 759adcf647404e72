/**
 * Token counting in bounded time, whatever the text.
 *
 * BPE tokenizers merge inside one pre-token at a cost quadratic in its length, and a run without
 * pre-token breaks (one repeated letter, CJK without punctuation, zero-width spaces, a long space
 * run) is one pre-token: 100 KB of it took minutes. Here the text is cut into chunks of at most
 * {@link CHUNK_CHARS} characters before the tokenizer sees it, at a pre-token boundary whenever
 * the chunk has one (so ordinary text counts exactly as a whole would), hard only inside a run
 * that has none (where the count stays within one token per cut). Every chunk then costs at most
 * a constant, so counting is linear in the text's size.
 *
 * On top, {@link BoundedCounter} counts exactly only up to a budget of characters per execution
 * and estimates the rest, saying so (`estimated`), so the work of one execution has a hard cap.
 *
 * @module
 */

/** Longest chunk handed to the tokenizer at once (the measured sweet spot of cost per character). */
export const CHUNK_CHARS = 256;

/** Characters counted exactly from the head of a text that is estimated, for its ratio. */
export const SAMPLE_CHARS = 4096;

const LETTER = /\p{L}/u;
const WORD_CONTINUES = /[\p{L}\p{M}']/u;
const SPACE = /\s/u;

/**
 * True when position `i` of `text` starts a new o200k pre-token whatever follows: a space after a
 * non-space, or anything but a letter, a mark or an apostrophe after a letter.
 */
function isBoundary(text: string, i: number): boolean {
  const before = text[i - 1];
  if (before === undefined || i >= text.length) return false;
  if (text[i] === " " && !SPACE.test(before)) return true;
  if (!LETTER.test(before)) return false;
  return !WORD_CONTINUES.test(String.fromCodePoint(text.codePointAt(i) ?? 0));
}

/**
 * Splits `text` into chunks of at most `max` characters (pairs of UTF-16 surrogates are never
 * split), cut at the last pre-token boundary of the second half of each window when there is one.
 */
export function* chunkText(text: string, max = CHUNK_CHARS): Generator<string> {
  let start = 0;
  while (text.length - start > max) {
    let end = start + max;
    let cut = -1;
    for (let i = end; i > start + (max >> 1); i--) {
      if (isBoundary(text, i)) {
        cut = i;
        break;
      }
    }
    if (cut === -1) {
      const code = text.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end--; // keep a surrogate pair together
      cut = end;
    }
    yield text.slice(start, cut);
    start = cut;
  }
  if (start < text.length) yield start === 0 ? text : text.slice(start);
}

/**
 * Counts a text chunk by chunk (see the module doc): linear in its length. With a `limit`, stops
 * once the count is over it; `chars` says how much of the text was counted.
 */
export function countChunked(text: string, countChunk: (chunk: string) => number, limit = Number.POSITIVE_INFINITY): number {
  return countChunkedUpTo(text, countChunk, limit).tokens;
}

function countChunkedUpTo(text: string, countChunk: (chunk: string) => number, limit: number): { tokens: number; chars: number } {
  let tokens = 0;
  let chars = 0;
  for (const chunk of chunkText(text)) {
    tokens += countChunk(chunk);
    chars += chunk.length;
    if (tokens > limit) break;
  }
  return { tokens, chars };
}

/**
 * A cheap estimate of the tokens of a text, for what is not counted exactly: the ratio observed
 * on an exactly counted sample of the same text, and never less than UTF-8 bytes / 4 (English
 * prose and JSON average about 4 bytes per o200k token, CJK about 3, letter soup about 2).
 */
export function estimateTokens(text: string, sample?: { chars: number; tokens: number }): number {
  if (text.length === 0) return 0;
  const floor = Math.ceil(Buffer.byteLength(text, "utf8") / 4);
  if (!sample || sample.chars < 512) return floor;
  return Math.max(floor, Math.ceil((text.length * sample.tokens) / sample.chars));
}

/**
 * Counts exactly until `budgetChars` characters have been counted, then estimates (and remembers
 * that it did). One per execution: the budget is the hard cap on that execution's counting work.
 */
export class BoundedCounter {
  #remaining: number;
  #estimated = false;

  constructor(
    private readonly countChunk: (chunk: string) => number,
    budgetChars: number,
  ) {
    this.#remaining = Math.max(0, budgetChars);
  }

  /** True once any count was (partly) estimated. */
  get estimated(): boolean {
    return this.#estimated;
  }

  /** Characters that may still be counted exactly. */
  get remaining(): number {
    return this.#remaining;
  }

  /**
   * Tokens of `text`: exact when it fits in what is left of the budget; otherwise an estimate
   * from an exactly counted head of at most {@link SAMPLE_CHARS} characters (the budget is kept
   * for the smaller texts that follow, such as the shaped output). With a `limit`, counting stops
   * once the text is over it (the answer is then some number above the limit, never estimated).
   */
  count(text: string, limit = Number.POSITIVE_INFINITY): number {
    if (text.length <= this.#remaining) {
      const counted = countChunkedUpTo(text, this.countChunk, limit);
      this.#remaining -= counted.chars;
      return counted.tokens;
    }
    const head = text.slice(0, Math.min(SAMPLE_CHARS, this.#remaining));
    this.#remaining -= head.length;
    const tokens = head.length > 0 ? countChunked(head, this.countChunk) : 0;
    if (tokens > limit) return tokens; // over the limit already: exact enough
    this.#estimated = true;
    return tokens + estimateTokens(text.slice(head.length), { chars: head.length, tokens });
  }

  /**
   * Tokens of texts whose full size is `totalChars` but of which only `texts` (a prefix) was kept:
   * the kept part is counted like {@link count}, the rest estimated.
   */
  countPrefix(texts: readonly string[], totalChars: number): number {
    let tokens = 0;
    let chars = 0;
    for (const text of texts) {
      tokens += this.count(text);
      chars += text.length;
    }
    if (totalChars <= chars) return tokens;
    this.#estimated = true;
    const rest = totalChars - chars;
    return tokens + Math.max(Math.ceil(rest / 4), chars >= 512 ? Math.ceil((rest * tokens) / chars) : 0);
  }
}
