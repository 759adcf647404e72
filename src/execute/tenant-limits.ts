/**
 * Per-tenant limits checked before an execution starts (the "limits" step of `execute`): the
 * size of the script, and how many executions one session and one user may run at once.
 *
 * A tenant over a limit gets `LIMIT_EXCEEDED` at once (never a queue slot that other tenants'
 * work waits behind), with a message saying what to do and which config key governs it.
 * Checks and counts happen in one synchronous step, so N concurrent executions can never
 * overrun a cap.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";
import type { Engine } from "../sandbox/engine.js";
import { FairScheduler, type SchedulerSlot } from "./fair-scheduler.js";

/** The limits, from `sandbox.maxCodeBytes` and the `sessions` config section. */
export interface TenantLimitsOptions {
  /** Bytes of one script (UTF-8). */
  maxCodeBytes: number;
  /** Executions running at once in one session. */
  maxConcurrentExecutions: number;
  /** Executions running at once across one user's sessions. */
  maxConcurrentExecutionsPerUser: number;
  /** Sandbox workers (the engine's pool size). */
  poolSize: number;
  /** Workers one user may occupy at once (default `poolSize` − 1, at least 1). */
  maxWorkersPerUser?: number | undefined;
}

/** Who runs an execution: a session (undefined: the library's default session, not capped) and a user. */
export interface Tenant {
  sessionId?: string | undefined;
  user?: string | undefined;
}

/** Counts running executions per session and per user, and refuses those over the caps. */
export class TenantLimits {
  readonly #bySession = new Map<string, number>();
  readonly #byUser = new Map<string, number>();
  readonly #scheduler: FairScheduler;

  constructor(private readonly options: TenantLimitsOptions) {
    this.#scheduler = new FairScheduler({ capacity: options.poolSize, perUserShare: options.maxWorkersPerUser ?? Math.max(1, options.poolSize - 1) });
  }

  /**
   * Waits for a sandbox worker, fairly between users (see {@link FairScheduler}). The wait counts
   * against the run's time limit: returns the time left, or throws `SANDBOX_TIMEOUT` when the
   * whole limit passed in the queue.
   */
  async schedule(user: string | undefined, timeoutMs: number): Promise<SchedulerSlot & { timeoutMs: number }> {
    const slot = await this.#scheduler.acquire(user, timeoutMs);
    if (!slot) {
      throw new ToolcodeError(
        "SANDBOX_TIMEOUT",
        `The script did not start within its time limit of ${timeoutMs} ms: every sandbox worker was busy (the server is overloaded, or this user's other executions hold their share). It did not run; retry later (operator: sandbox.poolSize, sessions.maxWorkersPerUser).`,
        { timeoutMs, queued: true },
      );
    }
    return { ...slot, timeoutMs: Math.max(1, Math.floor(timeoutMs - slot.waitedMs)) };
  }

  /** Throws `LIMIT_EXCEEDED` when `code` is larger than `sandbox.maxCodeBytes`. */
  checkCode(code: string): void {
    const max = this.options.maxCodeBytes;
    // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (code.length <= max / 3) return;
    const bytes = Buffer.byteLength(code, "utf8");
    if (bytes <= max) return;
    throw new ToolcodeError(
      "LIMIT_EXCEEDED",
      `The script is ${bytes.toLocaleString("en-US")} bytes, over the limit of ${max.toLocaleString("en-US")} (sandbox.maxCodeBytes). Send a shorter script: put data in the workspace (workspace.write in an earlier run) or fetch it with a tool instead of inlining it.`,
      { limit: "sandbox.maxCodeBytes", bytes, max },
    );
  }

  /**
   * `engine` as seen by one execution of `user`: each run first waits for a worker slot
   * ({@link schedule}) and runs with the time left.
   */
  fairEngine(engine: Engine, user: string | undefined): Engine {
    return {
      name: engine.name,
      run: async (request, host) => {
        const slot = await this.schedule(user, request.limits.timeoutMs);
        try {
          return await engine.run({ ...request, limits: { ...request.limits, timeoutMs: slot.timeoutMs } }, host);
        } finally {
          slot.release();
        }
      },
      close: () => engine.close(),
    };
  }

  /**
   * Takes an execution slot for the tenant, or throws `LIMIT_EXCEEDED` when its session or user
   * already runs the maximum. Returns the function that gives the slot back (idempotent).
   */
  acquire(tenant: Tenant): () => void {
    const { sessionId, user } = tenant;
    const inSession = sessionId === undefined ? 0 : (this.#bySession.get(sessionId) ?? 0);
    if (sessionId !== undefined && inSession >= this.options.maxConcurrentExecutions) {
      throw new ToolcodeError(
        "LIMIT_EXCEEDED",
        `This session already runs ${inSession} executions at once, its limit (sessions.maxConcurrentExecutions). Wait for one to finish, then retry; run independent work in one script with Promise.all instead of parallel executes.`,
        { limit: "sessions.maxConcurrentExecutions", max: this.options.maxConcurrentExecutions, retryable: true },
      );
    }
    const forUser = user === undefined ? 0 : (this.#byUser.get(user) ?? 0);
    if (user !== undefined && forUser >= this.options.maxConcurrentExecutionsPerUser) {
      throw new ToolcodeError(
        "LIMIT_EXCEEDED",
        `User ${user} already runs ${forUser} executions at once across their sessions, the limit per user (sessions.maxConcurrentExecutionsPerUser). Wait for one to finish, then retry.`,
        { limit: "sessions.maxConcurrentExecutionsPerUser", max: this.options.maxConcurrentExecutionsPerUser, user, retryable: true },
      );
    }
    if (sessionId !== undefined) this.#bySession.set(sessionId, inSession + 1);
    if (user !== undefined) this.#byUser.set(user, forUser + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (sessionId !== undefined) decrement(this.#bySession, sessionId);
      if (user !== undefined) decrement(this.#byUser, user);
    };
  }

  /** Executions running now (for a session, a user, or in total over users and sessions). */
  running(tenant: Tenant = {}): number {
    if (tenant.sessionId !== undefined) return this.#bySession.get(tenant.sessionId) ?? 0;
    if (tenant.user !== undefined) return this.#byUser.get(tenant.user) ?? 0;
    let total = 0;
    for (const n of this.#bySession.values()) total += n;
    return total;
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
