/**
 * The SDK's stdio client transport, plus what toolcode needs to explain a failing server:
 * the child's exit code or signal and the last lines it wrote to stderr.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { StdioClientTransport, type StdioServerParameters } from "@modelcontextprotocol/sdk/client/stdio.js";

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Keeps the last `maxLines` lines of a text stream (each cut to `maxLineLength` characters),
 * so a chatty or binary-spewing server cannot grow memory.
 */
export class LineTail {
  private readonly lines: string[] = [];
  private partial = "";

  constructor(
    private readonly maxLines = 40,
    private readonly maxLineLength = 1000,
  ) {}

  /** Adds a chunk of text; lines are split on `\n` (a trailing `\r` is dropped). */
  push(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = (parts.pop() ?? "").slice(-this.maxLineLength * 2);
    for (const part of parts) this.add(part);
  }

  /** The kept lines, including an unterminated last line, joined with `\n`. */
  text(): string {
    const lines = this.partial === "" ? this.lines : [...this.lines, this.clip(this.partial)];
    return lines.join("\n").trim();
  }

  private add(line: string): void {
    this.lines.push(this.clip(line.replace(/\r$/, "")));
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  private clip(line: string): string {
    return line.length > this.maxLineLength ? `${line.slice(0, this.maxLineLength)}…` : line;
  }
}

/**
 * `StdioClientTransport` with stderr piped into a {@link LineTail} and the child's exit recorded.
 *
 * The SDK transport reports `onclose` without the exit status, so after `start()` this reads the
 * spawned `ChildProcess` from the transport's (TypeScript-private) `_process` field and listens
 * for `exit`. If a future SDK renames the field, `exit` simply stays undefined and messages say
 * "exit code unknown"; nothing else depends on it.
 */
export class ChildStdioTransport extends StdioClientTransport {
  /** The last lines the server wrote to stderr. */
  readonly stderrTail: LineTail;
  /** Set once the child has exited. */
  exit: ChildExit | undefined;
  private readonly stderrDone: Promise<void>;
  private child: ChildProcess | undefined;

  constructor(params: Omit<StdioServerParameters, "stderr">, stderrLines = 40) {
    super({ ...params, stderr: "pipe" });
    this.stderrTail = new LineTail(stderrLines);
    const stream = this.stderr;
    if (stream === null) {
      this.stderrDone = Promise.resolve();
      return;
    }
    stream.on("data", (chunk: Buffer | string) => this.stderrTail.push(chunk.toString()));
    this.stderrDone = new Promise((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
    });
  }

  override async start(): Promise<void> {
    await super.start();
    // Runs in the continuation of the "spawn" event, before any "exit" event can fire.
    const child = (this as unknown as { _process?: ChildProcess })._process;
    this.child = child;
    child?.once("exit", (code, signal) => {
      this.exit = { code, signal };
    });
  }

  /**
   * Kills the child at once (SIGKILL), for a server that broke the protocol (e.g. a message over
   * the size limit): its pending calls then fail right away instead of after the SDK's polite
   * close (stdin end, 2 s, SIGTERM, 2 s, SIGKILL).
   */
  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  /**
   * Waits until the child's stderr has been read to its end (or `maxWaitMs` passed), so that an
   * error message built after a crash includes the server's last words.
   */
  async stderrSettled(maxWaitMs = 250): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.stderrDone, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))]);
    clearTimeout(timer);
  }

  /** `exit code 3`, `killed by SIGKILL`, or `exit code unknown`. */
  describeExit(): string {
    if (this.exit?.signal) return `killed by ${this.exit.signal}`;
    if (this.exit?.code !== undefined && this.exit.code !== null) return `exit code ${this.exit.code}`;
    return "exit code unknown";
  }
}
