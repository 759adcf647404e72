/**
 * The tool results of one execution as far as token accounting needs them: their total size, and
 * their text only up to the number of characters that will be counted exactly (so a script that
 * pulls gigabytes through its tools does not make the host keep them for the count).
 *
 * @module
 */

/** Collects tool results (as JSON text) up to a character budget; counts the rest by size. */
export class ToolResultTally {
  readonly #texts: string[] = [];
  #kept = 0;
  #chars = 0;

  constructor(private readonly keepChars: number) {}

  /** Adds one tool result (a string as is, anything else as JSON). */
  add(result: unknown): void {
    const text = typeof result === "string" ? result : (JSON.stringify(result) ?? "");
    this.#chars += text.length;
    const room = this.keepChars - this.#kept;
    if (room <= 0) return;
    const kept = text.length <= room ? text : text.slice(0, room);
    this.#texts.push(kept);
    this.#kept += kept.length;
  }

  /** The kept texts (a prefix of all results, at most `keepChars` characters). */
  get texts(): readonly string[] {
    return this.#texts;
  }

  /** Characters of all results added. */
  get chars(): number {
    return this.#chars;
  }
}
