/**
 * The deadline of a Python run, enforced from a second thread: a Python loop that never yields
 * blocks the worker's event loop, so no timer on it would fire. A tiny worker thread waits on a
 * SharedArrayBuffer for the run's deadline and then writes SIGINT into Pyodide's interrupt buffer
 * (Pyodide raises `KeyboardInterrupt` at the next bytecode check), again every
 * `INTERRUPT_REPEAT_MS` until the run ends (a guest may catch one). The host's SIGKILL deadline
 * stays behind it for a guest stuck in one long native call.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { INTERRUPT_REPEAT_MS } from "./limits.js";

/** Slots of the control array: [0] interrupt buffer (Pyodide reads it), [1] armed timeout in ms (0: idle), [2] run ended. */
const SLOTS = 3;

/** The thread's whole program (CommonJS; run with `eval`, which is a module compile, not `eval()` of the worker's realm). */
const TIMER_SOURCE = `"use strict";
const { workerData } = require("node:worker_threads");
const slots = new Int32Array(workerData.buffer);
const repeat = workerData.repeatMs;
for (;;) {
  Atomics.wait(slots, 1, 0);
  const timeoutMs = Atomics.load(slots, 1);
  if (timeoutMs < 0) break;
  if (Atomics.wait(slots, 2, 0, timeoutMs) === "timed-out") {
    while (Atomics.load(slots, 2) === 0) {
      Atomics.store(slots, 0, 2);
      Atomics.wait(slots, 2, 0, repeat);
    }
  }
  break;
}`;

/** One worker's deadline thread (each worker serves one run). */
export class InterruptTimer {
  /** Pyodide's interrupt buffer (`pyodide.setInterruptBuffer`). */
  readonly interruptBuffer: Int32Array;
  private readonly slots: Int32Array;
  private readonly thread: Worker;

  constructor() {
    this.slots = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
    this.interruptBuffer = this.slots.subarray(0, 1);
    this.thread = new Worker(TIMER_SOURCE, { eval: true, workerData: { buffer: this.slots.buffer, repeatMs: INTERRUPT_REPEAT_MS }, env: {}, stdout: false, stderr: false });
    this.thread.unref();
  }

  /** Starts the run's deadline. */
  arm(timeoutMs: number): void {
    Atomics.store(this.slots, 1, Math.max(1, Math.floor(timeoutMs)));
    Atomics.notify(this.slots, 1);
  }

  /** The run ended: stop interrupting. */
  disarm(): void {
    Atomics.store(this.slots, 2, 1);
    Atomics.notify(this.slots, 2);
    Atomics.store(this.slots, 0, 0);
  }
}
