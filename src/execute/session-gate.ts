/**
 * The order and lifetime of one session's workspace changes: changes run one after another, and
 * none starts once the workspace is closed.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";

/** Serialises a workspace's changes and refuses calls after close. */
export class SessionGate {
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Runs `fn` after every earlier change has finished (refused if the gate closed meanwhile). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      this.assertOpen();
      return fn();
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Throws SESSION_NOT_FOUND once the gate is closed. */
  assertOpen(): void {
    if (this.#closed) {
      throw new ToolcodeError("SESSION_NOT_FOUND", "This session has ended (closed by the client, or idle past workspace.idleMinutes), and its workspace with it. Start a new session.", {});
    }
  }

  /** Refuses further calls; resolves once the changes already queued are done. */
  async close(): Promise<void> {
    const drained = this.#queue;
    this.#closed = true;
    await drained;
  }
}
