/**
 * Shared helpers for the source integration tests: paths to real servers and a logger that
 * records what sources report.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { SourceLogger } from "../../src/sources/tool-source.js";

/** Absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** `node_modules/.bin/<name>`. */
export function bin(name: string): string {
  return repoPath(`node_modules/.bin/${name}`);
}

/** A fixture file under test/fixtures. */
export function fixture(name: string): string {
  return repoPath(`test/fixtures/${name}`);
}

/** A logger that keeps every message, for assertions. */
export function recordingLogger(): SourceLogger & { messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    info: (message) => messages.push(`info: ${message}`),
    warn: (message) => messages.push(`warn: ${message}`),
  };
}

/** Awaits `promise` and returns what it rejected with (fails if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    return error as Error & { code?: string; details?: Record<string, unknown> };
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
