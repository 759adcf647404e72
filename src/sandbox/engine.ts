/**
 * The plug-in point for sandbox engines (QuickJS/WASM by default; more behind this interface).
 *
 * An engine runs already-transpiled JavaScript (an async function body) with one global
 * object per tool server. Every tool call leaves the sandbox through {@link SandboxHost.callTool};
 * the engine holds no credentials, files or sockets. Implementations never throw for guest
 * failures: they resolve with `{ ok: false, error }`. Only host misconfiguration throws.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.js";

/** Limits enforced by the engine itself. */
export interface SandboxLimits {
  /** Wall-clock limit for one execution, including time spent waiting on tool calls. */
  timeoutMs: number;
  /** Memory cap for the guest heap, in MiB. */
  memoryMb: number;
  /** Max guest stack, in KiB. */
  maxStackKb: number;
  /** Max tool calls one execution may make. */
  maxToolCalls: number;
  /** Max bytes of console output kept (the rest is dropped with a marker). */
  maxLogBytes: number;
  /** Max tool calls in flight at once; more wait in a queue inside the sandbox (default 16). */
  maxConcurrentToolCalls?: number;
  /** Max bytes of one tool call's arguments as JSON (default 4 MiB). */
  maxToolArgBytes?: number;
  /** Max bytes of one tool result as JSON (default 8 MiB). */
  maxToolResultBytes?: number;
  /** Max bytes of the guest's return value as JSON (default 8 MiB). */
  maxResultBytes?: number;
  /** Max nesting depth of JSON crossing the bridge: arguments, results, return value (default 256). */
  maxJsonDepth?: number;
}

/** One captured console line. */
export interface LogEntry {
  level: "log" | "info" | "warn" | "error" | "debug";
  message: string;
}

/** What the guest may reach. */
export interface GuestApi {
  /** `globals[server] = [tool, …]` (sanitized identifiers): one global object per server. */
  globals: Record<string, string[]>;
  /**
   * Guest modules the guest may `require`/`import`: specifier (e.g. `./skills/normalize-address`)
   * → JavaScript source of a CommonJS module body (see `transpileGuestModule`), which sees
   * `require`, `exports` and `module`. A module is evaluated on its first `require` and its
   * `module.exports` cached for the rest of the run; it may require servers and other modules
   * (specifiers are resolved from the root first, then relative to the requiring module).
   */
  modules?: Record<string, string>;
  /**
   * Tools the guest may call but that are not listed (the guard's denied tools): reachable as
   * `server.tool(…)` and by import, but not enumerable, not in `[server …]` text and not in
   * TOOL_NOT_FOUND listings. Their calls reach the host like any other, which answers them
   * (with POLICY_DENIED). Each server named here must also be a key of `globals`.
   */
  hidden?: Record<string, string[]>;
  /**
   * JSON text per bridge global for guest preludes that cannot be wrapped around the script
   * (Python: the session's `state` under `__state`).
   */
  data?: Record<string, string>;
}

/** True when `server.tool` is a listed or hidden tool of `api` (what a sandbox may forward to the host). */
export function apiHasTool(api: GuestApi, server: string, tool: string): boolean {
  const listed = Object.hasOwn(api.globals, server) ? api.globals[server] : undefined;
  if (listed === undefined) return false;
  if (listed.includes(tool)) return true;
  const hidden = api.hidden !== undefined && Object.hasOwn(api.hidden, server) ? api.hidden[server] : undefined;
  return hidden !== undefined && hidden.includes(tool);
}

/** A request to run guest code. */
export interface RunRequest {
  /**
   * JavaScript from `transpileGuest`: one expression evaluating to
   * `async function (require, exports) { …user code… }`. The engine calls it with its module
   * loader as `require` (`./servers/<name>` → that server's object) and a fresh `exports` object.
   */
  code: string;
  /** Number of lines the wrapper added before the user's first line (for line mapping). */
  lineOffset: number;
  /** The server globals the guest may use. */
  api: GuestApi;
  /** Limits the engine enforces for this run. */
  limits: SandboxLimits;
  /**
   * The session and user the run belongs to (never sent into the sandbox). With
   * `sandbox.reuse: "session"` a session's runs go to its own sandbox, which no other session or
   * user gets; a run without one gets a fresh sandbox.
   */
  session?: { id: string; user: string | null };
}

/** The host side of the bridge. Arguments and results are plain JSON data. */
export interface SandboxHost {
  /** Performs a tool call. Rejects with a `ToolcodeError` whose code/message the guest will see. */
  callTool(server: string, tool: string, args: unknown, signal: AbortSignal): Promise<unknown>;
}

/** Outcome of a run; an engine never throws for guest failures. */
export type RunResult =
  | { ok: true; value: unknown; logs: LogEntry[]; stats: RunStats }
  | { ok: false; error: ErrorInfo & { line?: number; column?: number }; logs: LogEntry[]; stats: RunStats };

/** Measurements of one run. */
export interface RunStats {
  durationMs: number;
  toolCalls: number;
  /** Where the run ran (absent when it never reached a sandbox worker). */
  sandbox?: SandboxInfo;
}

/** Where a run ran: the isolation host and what the runner saw (`metadata.sandbox`). */
export interface SandboxInfo {
  /** `sandbox.isolation`: `process`, `thread`, `bwrap`, `gvisor`, `microvm`, `remote`. */
  isolation: string;
  /** Kernel release the runner saw (`uname -r` inside the sandbox), when it reported one. */
  kernel?: string;
  /**
   * Opaque id of the sandbox worker that ran it: two runs with the same id ran in the same
   * sandbox (with `reuse: "session"`, the runs of one session; never those of two sessions).
   */
  id?: string;
  /**
   * How that sandbox is reused: `shared` (workers run anyone's executions, fresh engine context
   * each), `execution` (a fresh sandbox for this run only) or `session` (the session's own).
   * With `sandbox.reuse: "session"`, `execution` means the session sandboxes' bounds were
   * reached or its sandbox was busy with another execution of the session.
   */
  reuse?: "shared" | "execution" | "session";
}

/** A sandbox engine. */
export interface Engine {
  /** Short engine name for metadata, e.g. `"quickjs"`. */
  readonly name: string;
  /**
   * Runs one guest. Resolves `{ ok: false, error }` for every guest failure (syntax, runtime,
   * limits, crashes); rejects only for host misuse (closed engine, invalid limits).
   */
  run(request: RunRequest, host: SandboxHost): Promise<RunResult>;
  /**
   * Stops the sandbox kept for a session (`reuse: "session"`), if it has one; one running an
   * execution is stopped when that execution ends. Optional: engines without session sandboxes
   * have nothing to stop.
   */
  endSession?(sessionId: string, user: string | null): Promise<void>;
  /** Stops workers. Idempotent. */
  close(): Promise<void>;
}
