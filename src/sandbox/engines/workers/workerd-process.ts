/**
 * The `workerd` a sandbox worker of the Workers engine runs its guests in: started from the
 * host-prepared assets directory (config, runner Worker, binary link), serving HTTP on a unix
 * socket only (no TCP port, so it works inside the worker's empty network namespace), and ended
 * with the worker (SIGKILL on exit; `setpriv --pdeathsig` where the host has it, for a worker that
 * is itself killed).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { Agent, type IncomingMessage, request } from "node:http";
import os from "node:os";
import path from "node:path";

/** How long workerd may take to start serving. */
const START_TIMEOUT_MS = 20_000;
const STDERR_TAIL = 4_000;
/**
 * What workerd prints when memory runs out: V8's heap-limit abort, or tcmalloc's statistics dump
 * ("… cum MiB; … live pages; spans …") before it aborts on an allocation past RLIMIT_DATA.
 */
const OUT_OF_MEMORY = /out of memory|heap limit|OOM|bad_alloc|cum MiB;|live pages; spans/i;

/** A running workerd, spoken to over its unix socket. */
export class WorkerdProcess {
  readonly #child: ChildProcess;
  readonly #socket: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 8 });
  #stderr = "";
  #outOfMemory = false;
  #exited = false;
  readonly #exitListeners = new Set<() => void>();
  readonly #closed: Promise<void>;

  private constructor(assetsDir: string) {
    this.#socket = path.join(os.tmpdir(), `toolcode-wd-${process.pid}-${randomBytes(4).toString("hex")}.sock`);
    // start.sh (written by the host) execs workerd, under `setpriv --pdeathsig KILL` where the host has it.
    this.#child = spawn("/bin/sh", [path.join(assetsDir, "start.sh"), this.#socket], { stdio: ["ignore", "ignore", "pipe"], env: {} });
    this.#child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      // Checked as it arrives (with the tail, for a line split across chunks): V8's backtrace
      // after an out-of-memory abort is longer than the tail kept.
      if (!this.#outOfMemory) this.#outOfMemory = OUT_OF_MEMORY.test(this.#stderr.slice(-200) + text);
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    // `close` comes after stderr is drained, so `outOfMemory` sees V8's last words (`exit` may not).
    this.#closed = new Promise((resolve) => this.#child.on("close", () => resolve()));
    this.#child.on("exit", () => {
      this.#exited = true;
    });
    this.#child.on("close", () => {
      this.#exited = true;
      // workerd does not remove its listening socket when it is killed.
      removeSocket(this.#socket);
      for (const listener of this.#exitListeners) listener();
    });
    this.#child.on("error", () => {
      this.#exited = true;
    });
    process.on("exit", () => this.kill());
  }

  /** Starts workerd and waits until it serves. */
  static async start(assetsDir: string): Promise<WorkerdProcess> {
    const workerd = new WorkerdProcess(assetsDir);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
      if (workerd.#exited) throw new Error(`workerd exited while starting: ${workerd.stderrTail() || "no output"}`);
      if (await workerd.#ready()) return workerd;
      if (Date.now() > deadline) {
        workerd.kill();
        throw new Error(`workerd did not start within ${START_TIMEOUT_MS / 1000} s: ${workerd.stderrTail() || "no output"}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Whether workerd died of V8 running out of heap. */
  get outOfMemory(): boolean {
    return this.#outOfMemory;
  }

  /**
   * Resolves when workerd has exited and its stderr is drained, or after `waitMs` if it has not
   * (a socket can fail a moment before the process is gone).
   */
  settled(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    return Promise.race([this.#closed, timeout]).finally(() => clearTimeout(timer));
  }

  stderrTail(): string {
    return this.#stderr.trim().slice(-600);
  }

  onExit(listener: () => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** POSTs JSON; resolves with the response (its body still to read). */
  post(pathname: string, body: unknown): Promise<IncomingMessage> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.#socket, path: pathname, method: "POST", agent: this.#agent, headers: { "content-type": "application/json", "content-length": payload.length } },
        resolve,
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** POSTs JSON and discards the answer. */
  async send(pathname: string, body: unknown): Promise<void> {
    const response = await this.post(pathname, body);
    response.resume();
  }

  kill(): void {
    if (!this.#exited) this.#child.kill("SIGKILL");
    this.#agent.destroy();
    // Also here: at the process's exit there is no later `close` event.
    removeSocket(this.#socket);
  }

  #ready(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.#socket, path: "/ready", method: "GET" }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.end();
    });
  }
}

/** Removes workerd's socket file where this process may (a sandbox worker's permission model may not let it: then it stays). */
function removeSocket(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Not allowed or already gone: nothing else to do.
  }
}
