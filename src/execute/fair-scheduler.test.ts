import { describe, expect, it } from "vitest";
import { FairScheduler, type SchedulerSlot } from "./fair-scheduler.js";

describe("FairScheduler", () => {
  it("caps a named user's share and serves users round-robin", async () => {
    const scheduler = new FairScheduler({ capacity: 2, perUserShare: 1 });
    const order: string[] = [];
    const take = (user: string): Promise<SchedulerSlot | undefined> =>
      scheduler.acquire(user, 10_000).then((slot) => {
        order.push(user);
        return slot;
      });
    const mallory = [take("mallory"), take("mallory"), take("mallory")];
    const alice = take("alice");
    const first = await mallory[0];
    await alice;
    // Mallory holds one worker; Alice got the other although she asked after Mallory's burst.
    expect(order).toEqual(["mallory", "alice"]);
    expect(scheduler.stats()).toEqual({ running: 2, waiting: 2 });
    const bob = take("bob");
    first?.release();
    // Freed by Mallory, but her share is full only while she runs: Bob was waiting too, and each gets a turn.
    const next = await Promise.race([mallory[1], bob]);
    expect(next).toBeDefined();
    expect(scheduler.stats().running).toBe(2);
  });

  it("does not cap executions without a user", async () => {
    const scheduler = new FairScheduler({ capacity: 3, perUserShare: 1 });
    const slots = await Promise.all([undefined, undefined, undefined].map((user) => scheduler.acquire(user, 10_000)));
    expect(slots.every((slot) => slot !== undefined)).toBe(true);
    expect(scheduler.stats()).toEqual({ running: 3, waiting: 0 });
  });

  it("gives up after the time limit without taking a slot", async () => {
    const scheduler = new FairScheduler({ capacity: 1, perUserShare: 1 });
    const held = await scheduler.acquire("a", 10_000);
    expect(await scheduler.acquire("b", 20)).toBeUndefined();
    expect(scheduler.stats()).toEqual({ running: 1, waiting: 0 });
    held?.release();
    held?.release();
    expect(scheduler.stats()).toEqual({ running: 0, waiting: 0 });
  });
});
