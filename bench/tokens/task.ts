/**
 * What a benchmark task is, the shared environment tasks run in, and small helpers for writing
 * them (closing what a task opened, checking answers against the truth).
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import type { ClassicProvider } from "./classic.js";
import type { CodeModeSession } from "./code-mode.js";
import type { GitHubStub, PostgresHandle } from "./servers.js";
import type { Trajectory } from "./trajectory.js";

/**
 * - `data-heavy`: answering classically means moving bulk data (hundreds of rows, files or
 *   objects) through the model's context;
 * - `targeted`: a good classic model can narrow the data with the tools themselves (SQL
 *   aggregation, graph neighbourhood lookups), so only modest results enter context;
 * - `small`: one small call; code mode is not expected to win.
 */
export type TaskCategory = "data-heavy" | "targeted" | "small";

/** Everything the tasks share: directories and servers started once per run. */
export interface BenchEnv {
  /** A fresh temp directory for this run. */
  root: string;
  /** The directory of generated files (see `writeFileTree`). */
  filesDir: string;
  /** A seeded knowledge graph file (server-memory JSONL), written by real bulk inserts. */
  graphFile: string;
  /** The seeded sales database. */
  postgres: PostgresHandle;
  /** GitHub stub, the issues it serves, and the spec path. */
  github: GitHubStub;
  githubIssues: readonly Record<string, unknown>[];
  githubSpec: string;
  /** A new empty directory under `root`. */
  dir(name: string): string;
}

/** Both trajectories of a task (each already holding its final answer). */
export interface TaskOutcome {
  classic: Trajectory;
  code: Trajectory;
  /** What is real and what is simulated, when it is not obvious. */
  note?: string;
  /** Other plausible code-mode trajectories for the same task, reported beside the main one. */
  variants?: { label: string; code: Trajectory }[];
}

/** One benchmark task. */
export interface TokenTask {
  id: string;
  title: string;
  category: TaskCategory;
  /** Sources involved, for the table. */
  sources: string;
  run(env: BenchEnv): Promise<TaskOutcome>;
}

/** Throws unless `actual` deep-equals `expected` (both trajectories must produce the truth). */
export function expectEqual<T>(actual: T, expected: T, what: string): T {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  return actual;
}

/** Runs `fn` with classic providers, closing them afterwards. */
export async function withProviders<T>(open: Promise<ClassicProvider>[], fn: (providers: ClassicProvider[]) => Promise<T>): Promise<T> {
  const settled = await Promise.allSettled(open);
  const providers = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  try {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    return await fn(providers);
  } finally {
    await Promise.allSettled(providers.map((p) => p.close()));
  }
}

/** Runs `fn` with a code-mode session, closing it afterwards. */
export async function withSession<T>(open: Promise<CodeModeSession>, fn: (session: CodeModeSession) => Promise<T>): Promise<T> {
  const session = await open;
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/**
 * The value an `execute` returned, parsed from its output text: the JSON after `Returned:` when
 * the script also logged, else the whole text.
 */
export function returnedValue<T>(text: string): T {
  const marker = text.lastIndexOf("Returned:\n");
  const json = marker >= 0 ? text.slice(marker + "Returned:\n".length) : text;
  try {
    return JSON.parse(json) as T;
  } catch {
    throw new Error(`expected the execute output to hold a returned JSON value:\n${text}`);
  }
}
