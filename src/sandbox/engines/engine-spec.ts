/**
 * What the generic host side needs to know about an engine, and nothing more: which in-worker
 * runner module to load, which packages the worker reads, what its processes need, and whether it
 * can run here. Each engine's `engines/<name>/engine.ts` exports one; `engines/registry.ts` lists them.
 *
 * @module
 */

/**
 * How sandbox workers are isolated from the host: worker processes (default) or threads of the
 * host process, or a worker process inside bubblewrap, gVisor or a QEMU microVM, or a runner on
 * another machine over WebSocket (src/sandbox/host/, docs/isolation.md).
 */
export type Isolation = "process" | "thread" | "bwrap" | "gvisor" | "microvm" | "remote" | "e2b";

/** Every {@link Isolation}, in order of the docs. */
export const ISOLATIONS: readonly Isolation[] = ["process", "thread", "bwrap", "gvisor", "microvm", "remote", "e2b"];

/** Why an engine cannot run here: the config key to change and a message that says what to do. */
export interface EngineUnavailable {
  key: string;
  message: string;
}

/** What one worker process of an engine gets beyond the engine's fixed flags. */
export interface LaunchExtras {
  /** Runner arguments (each becomes `--engine-arg=<value>`). */
  args: string[];
  /** Files or directories the worker may also read. */
  readPaths: string[];
  /** Files or directories the process may write (only for processes that run no guest code). */
  writePaths?: string[];
}

/** One engine, as the host side sees it. */
export interface EngineSpec {
  /** Engine name (`sandbox.engine`, `metadata.engine`). */
  readonly name: string;
  /**
   * The engine's in-worker runner, relative to `src/sandbox/` without extension (e.g.
   * `engines/quickjs/runner`). It exports `createRunner` (see `worker/execution.ts`) and imports only
   * from `src/sandbox/` (the worker holds nothing else).
   */
  readonly runner: string;
  /** npm packages the worker loads (their directories become readable to worker processes). */
  readonly packages: readonly string[];
  /** Extra Node flags of worker processes (e.g. `--allow-addons`). */
  readonly processFlags: readonly string[];
  /** The largest guest stack (KiB) a worker whose native stack is `nativeStackKb` absorbs. */
  maxGuestStackKb(nativeStackKb: number): number;
  /**
   * Decided again for each worker process (optional): extra runner arguments (`--engine-arg=…`,
   * given to the runner as `engineArgs`) and extra readable paths, e.g. a memory snapshot the
   * engine made earlier.
   */
  launchExtras?(): LaunchExtras;
  /** Why the engine cannot run here with `isolation`, or undefined when it can. */
  unavailable(isolation: Isolation): EngineUnavailable | undefined;
}
