/**
 * The restored-VM worker's logic without QEMU (test/isolation/microvm-snapshot.test.ts runs the
 * real thing): a probe run first, the saved `ready` passed on only after its answer, and a
 * restore that dies, answers wrongly or stays silent replaced by the cold boot (the snapshot
 * reported bad), unnoticed by whoever holds the worker; a kill during the probe ends it once.
 */
import { describe, expect, it } from "vitest";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import { type MicrovmSnapshot, restoredWorker } from "./microvm-snapshot.js";
import type { SandboxWorker, WorkerExit } from "./sandbox-worker.js";

const READY: WorkerMessage = { type: "ready", runner: { protocol: 1, kernel: "6.1.0-test" } };
const SNAPSHOT: MicrovmSnapshot = { file: "/nowhere.state", ready: READY, lz4: false };

/** A worker the test drives: what it was sent, and hooks to make it answer or exit. */
function fakeWorker(pid: number): SandboxWorker & { sent: HostMessage[]; emit(message: WorkerMessage): void; exit(reason: string): void; killed: boolean } {
  const handlers: ((message: WorkerMessage) => void)[] = [];
  const exits: ((exit: WorkerExit) => void)[] = [];
  const worker = {
    pid,
    sent: [] as HostMessage[],
    killed: false,
    send(message: HostMessage) {
      worker.sent.push(message);
    },
    onMessage(handler: (message: WorkerMessage) => void) {
      handlers.push(handler);
    },
    onExit(handler: (exit: WorkerExit) => void) {
      exits.push(handler);
    },
    emit(message: WorkerMessage) {
      for (const handler of handlers) handler(message);
    },
    exit(reason: string) {
      for (const handler of exits.splice(0)) handler({ outOfMemory: false, reason });
    },
    kill() {
      worker.killed = true;
      worker.exit("killed");
      return Promise.resolve();
    },
    ref() {},
  };
  return worker;
}

const done = (runId: number, ok: boolean): WorkerMessage => ({ type: "done", runId, outcome: ok ? { ok: true, value: "1", logs: [], toolCalls: 0 } : { ok: false, error: { code: "GUEST_ERROR", message: "x" }, logs: [], toolCalls: 0 } });

function watch(worker: SandboxWorker): { messages: WorkerMessage[]; exits: string[] } {
  const seen = { messages: [] as WorkerMessage[], exits: [] as string[] };
  worker.onMessage((message) => seen.messages.push(message));
  worker.onExit((exit) => seen.exits.push(exit.reason));
  return seen;
}

describe("restoredWorker", () => {
  it("sends a probe run and passes on the saved ready only after its answer; then forwards everything", () => {
    const restored = fakeWorker(1);
    let failed = 0;
    const worker = restoredWorker(() => restored, SNAPSHOT, () => fakeWorker(2), { probeTimeoutMs: 10_000, onFailed: () => (failed += 1) });
    const seen = watch(worker);
    expect(restored.sent).toHaveLength(1);
    expect(restored.sent[0]).toMatchObject({ type: "run", runId: 0, api: { globals: {} } });
    worker.send({ type: "cancel", runId: 5 });
    expect(restored.sent).toHaveLength(1); // nothing of the pool's before ready
    restored.emit(done(0, true));
    expect(seen.messages).toEqual([READY]);
    worker.send({ type: "cancel", runId: 5 });
    expect(restored.sent.at(-1)).toEqual({ type: "cancel", runId: 5 });
    restored.emit(done(1, true));
    expect(seen.messages).toEqual([READY, done(1, true)]);
    expect(worker.pid).toBe(1);
    expect(failed).toBe(0);
  });

  it("replaces a restore that dies before answering by the cold boot, unnoticed", () => {
    const restored = fakeWorker(1);
    const cold = fakeWorker(2);
    let failed = 0;
    const worker = restoredWorker(() => restored, SNAPSHOT, () => cold, { probeTimeoutMs: 10_000, onFailed: () => (failed += 1) });
    const seen = watch(worker);
    restored.exit("load of migration failed");
    expect(failed).toBe(1);
    expect(seen.exits).toEqual([]);
    expect(worker.pid).toBe(2);
    cold.emit({ type: "ready", runner: { protocol: 1, kernel: "cold" } });
    expect(seen.messages).toEqual([{ type: "ready", runner: { protocol: 1, kernel: "cold" } }]);
    cold.exit("exit code 0");
    expect(seen.exits).toEqual(["exit code 0"]);
  });

  it("replaces a restore whose probe fails, or that does not answer in time", async () => {
    const wrong = fakeWorker(1);
    let failed = 0;
    const first = restoredWorker(() => wrong, SNAPSHOT, () => fakeWorker(2), { probeTimeoutMs: 10_000, onFailed: () => (failed += 1) });
    wrong.emit(done(0, false));
    expect(failed).toBe(1);
    expect(wrong.killed).toBe(true);
    expect(first.pid).toBe(2);

    const silent = fakeWorker(3);
    const second = restoredWorker(() => silent, SNAPSHOT, () => fakeWorker(4), { probeTimeoutMs: 20, onFailed: () => (failed += 1) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failed).toBe(2);
    expect(silent.killed).toBe(true);
    expect(second.pid).toBe(4);
  });

  it("ends once, without a cold boot, when killed during the probe", async () => {
    const restored = fakeWorker(1);
    let booted = 0;
    let failed = 0;
    const worker = restoredWorker(() => restored, SNAPSHOT, () => {
      booted += 1;
      return fakeWorker(2);
    }, { probeTimeoutMs: 10_000, onFailed: () => (failed += 1) });
    const seen = watch(worker);
    await worker.kill();
    expect(seen.exits).toEqual(["killed"]);
    expect(booted).toBe(0);
    expect(failed).toBe(0);
  });
});
