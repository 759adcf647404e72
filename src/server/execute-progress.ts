/**
 * MCP progress for a running `execute`: when the client sent a `progressToken`, the server sends
 * `notifications/progress` as the script's tool calls start (at most one per
 * {@link MIN_GAP_MS}, the first always) and every {@link HEARTBEAT_MS} while it runs, so a client
 * shows the call is alive and (with `resetTimeoutOnProgress`) does not time it out.
 *
 * `progress` is the elapsed time in milliseconds (strictly increasing), `total` the run's time
 * limit, and `message` says how many tool calls ran and which was the last.
 *
 * @module
 */

/** The params of one `notifications/progress` (without the token). */
export interface ProgressUpdate {
  progress: number;
  total: number;
  message: string;
}

/** Sends one progress notification; failures (a client gone) are ignored by the caller. */
export type SendProgress = (update: ProgressUpdate) => Promise<void>;

/** Interval of the heartbeat while a script runs, ms. */
export const HEARTBEAT_MS = 2_000;
/** Least time between two progress notifications caused by tool calls, ms. */
const MIN_GAP_MS = 100;

/** Progress reporting of one `execute` call. */
export class ExecuteProgress {
  readonly #started = performance.now();
  readonly #timer: ReturnType<typeof setInterval>;
  #calls = 0;
  #last: string | undefined;
  #lastProgress = 0;
  #lastSent = -Infinity;
  #stopped = false;

  constructor(
    private readonly send: SendProgress,
    private readonly totalMs: number,
  ) {
    this.#timer = setInterval(() => this.#report(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** A tool call of the script started. */
  toolCall(tool: string): void {
    this.#calls += 1;
    this.#last = tool;
    if (this.#calls === 1 || performance.now() - this.#lastSent >= MIN_GAP_MS) this.#report();
  }

  /** The run ended: no more notifications. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  #report(): void {
    if (this.#stopped) return;
    const now = performance.now();
    const elapsed = Math.max(Math.round(now - this.#started), this.#lastProgress + 1);
    this.#lastProgress = elapsed;
    this.#lastSent = now;
    const calls = `${this.#calls} tool ${this.#calls === 1 ? "call" : "calls"}${this.#last !== undefined ? `, last ${this.#last}` : ""}`;
    const message = `running for ${(elapsed / 1000).toFixed(1)} s: ${calls}`;
    this.send({ progress: elapsed, total: this.totalMs, message }).catch(() => undefined);
  }
}
