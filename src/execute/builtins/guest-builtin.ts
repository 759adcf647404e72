/**
 * The plug point for guest built-ins: globals the guest uses that are implemented on the host
 * and are not tool servers (`workspace`, `skills`, the agent's `final` and `searchTools`).
 *
 * A built-in reaches the host through the same bridge as tools, under a reserved global (its
 * `bridge`, e.g. `__workspace`: reserve it in `catalog/names.ts`), so the same limits, counting
 * and error handling apply. Its one-line `prelude` turns bridge calls into the functions the
 * guest sees. Register a new one in `registry.ts`.
 *
 * @module
 */
import type { SessionWorkspace } from "../workspace.js";
import type { StateSlot } from "./state-builtin.js";

/** A guest built-in. */
export interface GuestBuiltin {
  /** The reserved bridge global, e.g. `__workspace`. Never a valid server identifier. */
  readonly bridge: string;
  /** What the model reads about it: a file of the virtual tree and its text (none: nothing to read). */
  readonly declarations?: { readonly file: string; readonly text: string };
  /** One line of JavaScript (it must not shift the user's line numbers) defining the guest-facing API over the bridge. */
  readonly prelude: string;
  /** Also defined at the top of every skill module (skills may use it). */
  readonly inSkills?: boolean;
  /** Starts the host side for one execution. */
  begin(context: BuiltinContext): BuiltinRun;
}

/** What a built-in may use during one execution. */
export interface BuiltinContext {
  /** The script, as the user wrote it. */
  readonly code: string;
  /** The session's workspace. */
  readonly workspace: SessionWorkspace;
  /** The session's `state` (JSON text), kept between runs. */
  readonly state?: StateSlot;
  /** The script's language (guest `search` renders signatures for it). */
  readonly language?: "javascript" | "python";
  /** True once the guard stopped the run (a pending approval, a replay divergence). */
  readonly halted?: () => boolean;
}

/** The host side of a built-in for one execution. */
export interface BuiltinRun {
  /** Functions of the bridge global. */
  readonly functions: readonly string[];
  /** Performs one bridge call; a throw reaches the guest as a `ToolError`. */
  call(fn: string, args: unknown): unknown;
  /** Guest modules it adds (e.g. `./skills`). */
  readonly modules?: Readonly<Record<string, string>>;
  /** Wraps the transpiled script (without adding lines before the user's first line). */
  wrapMain?(code: string): string;
  /** JSON text the Python prelude reads at start (what `wrapMain` embeds for JavaScript), e.g. the session's state. */
  readonly guestData?: string;
  /** Bridge calls made by the built-in's own runtime, not by the script (not counted as tool calls). */
  readonly internalCalls?: number;
  /** Called once the script ended (`succeeded`: without error). */
  finish?(succeeded: boolean): Promise<void>;
}
