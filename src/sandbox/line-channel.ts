/**
 * Newline-delimited JSON framing of the runner protocol (./protocol.ts): one message per line,
 * UTF-8, `\n` after each. Used on both sides of every byte-stream transport (stdio of a
 * bubblewrap or gVisor sandbox, a microVM's virtio-serial port, WebSocket text frames).
 *
 * A line longer than `maxLineBytes` is a protocol violation: the decoder reports it once and
 * drops everything after it (the channel is not trusted any more; its owner closes it).
 *
 * @module
 */

/** Default cap of one line: the largest message is a run (code + api) or a result, each capped well below. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Encodes one message as a line (JSON never contains a raw newline). */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/** Splits a byte stream into JSON values, one per line. */
export class LineDecoder {
  private parts: Buffer[] = [];
  private pending = 0;
  private broken = false;

  /**
   * @param onValue called with each parsed line (lines that are not JSON go to `onError`)
   * @param onError called once for a line over the cap or not JSON; no value follows it
   */
  constructor(
    private readonly onValue: (value: unknown) => void,
    private readonly onError: (reason: string) => void,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Feeds bytes from the stream. */
  push(chunk: Buffer | string): void {
    if (this.broken) return;
    let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (;;) {
      const newline = data.indexOf(10);
      if (newline === -1) {
        this.pending += data.length;
        if (this.pending > this.maxLineBytes) return this.fail(`a line is longer than ${this.maxLineBytes} bytes`);
        if (data.length > 0) this.parts.push(data);
        return;
      }
      const head = data.subarray(0, newline);
      if (this.pending + head.length > this.maxLineBytes) return this.fail(`a line is longer than ${this.maxLineBytes} bytes`);
      const line = this.parts.length === 0 ? head : Buffer.concat([...this.parts, head]);
      this.parts = [];
      this.pending = 0;
      data = data.subarray(newline + 1);
      const text = line.toString("utf8").trim();
      if (text === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return this.fail("a line is not JSON");
      }
      this.onValue(value);
      if (this.broken) return;
    }
  }

  /** Stops decoding (after the owner gave up on the channel). */
  close(): void {
    this.broken = true;
    this.parts = [];
  }

  private fail(reason: string): void {
    this.broken = true;
    this.parts = [];
    this.onError(reason);
  }
}
