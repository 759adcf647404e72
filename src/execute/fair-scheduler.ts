/**
 * Fair use of the sandbox workers between users: which admitted execution runs next.
 *
 * The engine's pool has `capacity` workers and a running script cannot be preempted, so a user
 * who could fill every worker with 30-second loops would stall everyone else for 30 s. Here
 * each named user occupies at most `perUserShare` workers at once (default: all but one), and
 * waiting executions are served round-robin between users, so one user's burst never queues
 * ahead of another user's single call. Executions without a user (the library, a loopback
 * server without `auth.users`) are one tenant and are not capped.
 *
 * Waiting counts against the execution's time limit: an execution that waited its whole
 * `timeoutMs` is answered without running.
 *
 * @module
 */

/** Options of {@link FairScheduler}. */
export interface FairSchedulerOptions {
  /** Executions that can run at once (the engine's pool size). */
  capacity: number;
  /** Workers one named user may occupy at once. */
  perUserShare: number;
}

/** A granted slot. */
export interface SchedulerSlot {
  /** How long the execution waited for it, in ms. */
  waitedMs: number;
  /** Gives the slot back (idempotent). */
  release(): void;
}

interface Waiter {
  key: string;
  since: number;
  grant(slot: SchedulerSlot | undefined): void;
  timer: NodeJS.Timeout;
}

/** The key of executions without a user. */
const ANONYMOUS = "\u0000anonymous";

/** Round-robin between users, with a per-user cap on running executions. */
export class FairScheduler {
  #running = 0;
  readonly #byUser = new Map<string, number>();
  /** Waiting executions per user; the map's order is the round-robin order. */
  readonly #queues = new Map<string, Waiter[]>();

  constructor(private readonly options: FairSchedulerOptions) {}

  /**
   * Waits for a worker slot for `user` (undefined: the anonymous tenant, never capped). Resolves
   * undefined if none came within `timeoutMs`.
   */
  acquire(user: string | undefined, timeoutMs: number): Promise<SchedulerSlot | undefined> {
    const key = user ?? ANONYMOUS;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        key,
        since: performance.now(),
        grant: resolve,
        timer: setTimeout(() => {
          const queue = this.#queues.get(key);
          const index = queue?.indexOf(waiter) ?? -1;
          if (queue && index >= 0) {
            queue.splice(index, 1);
            if (queue.length === 0) this.#queues.delete(key);
            resolve(undefined);
          }
        }, timeoutMs),
      };
      const queue = this.#queues.get(key);
      if (queue) queue.push(waiter);
      else this.#queues.set(key, [waiter]);
      this.#pump();
    });
  }

  /** Executions running now, and waiting. */
  stats(): { running: number; waiting: number } {
    let waiting = 0;
    for (const queue of this.#queues.values()) waiting += queue.length;
    return { running: this.#running, waiting };
  }

  #pump(): void {
    while (this.#running < this.options.capacity) {
      const key = this.#nextUser();
      if (key === undefined) return;
      const queue = this.#queues.get(key) as Waiter[];
      const waiter = queue.shift() as Waiter;
      // Served: this user goes to the back of the round-robin order.
      this.#queues.delete(key);
      if (queue.length > 0) this.#queues.set(key, queue);
      clearTimeout(waiter.timer);
      this.#running += 1;
      this.#byUser.set(key, (this.#byUser.get(key) ?? 0) + 1);
      let released = false;
      waiter.grant({
        waitedMs: performance.now() - waiter.since,
        release: () => {
          if (released) return;
          released = true;
          this.#running -= 1;
          const n = (this.#byUser.get(key) ?? 1) - 1;
          if (n <= 0) this.#byUser.delete(key);
          else this.#byUser.set(key, n);
          this.#pump();
        },
      });
    }
  }

  /** The first user in round-robin order with a waiting execution and room in its share. */
  #nextUser(): string | undefined {
    for (const key of this.#queues.keys()) {
      if (key === ANONYMOUS || (this.#byUser.get(key) ?? 0) < this.options.perUserShare) return key;
    }
    return undefined;
  }
}
