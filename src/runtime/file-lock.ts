/**
 * The two file primitives that keep the skill store consistent when several executions, sessions
 * or processes (`toolcode serve`, `toolcode exec`, `toolcode skills remove`) use it at once:
 *
 * - {@link writeFileAtomic}: write to a temp file in the same directory, then `rename` over the
 *   target, so readers see the old or the new content, never a torn file;
 * - {@link withFileLock}: an exclusive lock file (`open(…, "wx")`) around read-modify-write
 *   sequences (version numbers, usage counters), with a stale-lock timeout so a crashed process
 *   cannot block the store forever.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ToolcodeError } from "../errors.js";

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** A lock file older than this is considered abandoned and taken over (default 15 s). */
  staleMs?: number;
}

/** Writes `text` to `file` atomically (temp file + rename), creating the directory. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Runs `fn` while holding the lock file `lockFile` (created exclusively, removed afterwards).
 * Waits with short backoff while another holder has it.
 *
 * @throws {ToolcodeError} `INTERNAL` when the lock stays taken past `timeoutMs`.
 */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  // Callers in this process queue up here instead of polling the file.
  const key = path.resolve(lockFile);
  const previous = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  await previous;
  try {
    return await withLockFile(key, fn, options);
  } finally {
    release();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

/** In-process queues per lock file. */
const queues = new Map<string, Promise<void>>();

async function withLockFile<T>(lockFile: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 15_000;
  await mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    try {
      const handle = await open(lockFile, "wx");
      try {
        await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const age = await stat(lockFile).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > staleMs) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new ToolcodeError(
        "INTERNAL",
        `${lockFile} is held by another process. Try again; if no toolcode process is running, delete that file.`,
        { lockFile },
      );
    }
    await sleep(delay);
    delay = Math.min(50, delay * 2);
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}
