/**
 * Step 3 of `execute`: transpile the script with the built-ins' preludes and modules, run it in
 * the engine, and collect what it printed and returned.
 *
 * @module
 */
import { toErrorInfo } from "../../errors.js";
import type { Engine, GuestApi, RunRequest, SandboxHost, SandboxInfo, SandboxLimits } from "../../sandbox/engine.js";
import type { ExecuteResult } from "../execute-result.js";
import type { BuiltinRun } from "../builtins/guest-builtin.js";
import { transpileGuest } from "../transpile.js";

/** What a run produced, before shaping. */
export interface GuestOutcome {
  logs: string[];
  value: unknown;
  error: ExecuteResult["error"];
  /** Tool calls made by the script (built-ins' own bridge calls not counted). */
  toolCalls: number;
  /** Where it ran (isolation host, kernel the runner saw), when it reached a sandbox. */
  sandbox?: SandboxInfo;
}

/** What {@link runGuest} needs. */
export interface RunGuestOptions {
  engine: Engine;
  code: string;
  /** Preludes of this run's built-ins, in order (one line each). */
  preludes: readonly string[];
  /** This run's built-ins by bridge global. */
  builtins: ReadonlyMap<string, BuiltinRun>;
  /** The tool servers the guest sees (and hidden, denied tools). */
  tools: Pick<GuestApi, "globals" | "hidden">;
  limits: SandboxLimits;
  host: SandboxHost;
  /** The script's language (default JavaScript/TypeScript); Python runs as written, without preludes or guest modules. */
  language?: GuestLanguage;
  /** The session and user it runs for (`sandbox.reuse: "session"` keeps a sandbox per session). */
  session?: { id: string; user: string | null };
}

/** Languages a script may be written in. */
export type GuestLanguage = "javascript" | "python";

/** Runs the script; guest failures are in the outcome, never thrown (a syntax error is thrown as `GUEST_SYNTAX_ERROR`). */
export async function runGuest(options: RunGuestOptions): Promise<GuestOutcome> {
  const runs = [...options.builtins.values()];
  const globals = { ...options.tools.globals, ...Object.fromEntries([...options.builtins].map(([bridge, run]) => [bridge, [...run.functions]])) };
  const hidden = options.tools.hidden ? { hidden: options.tools.hidden } : {};
  let request: RunRequest;
  if (options.language === "python") {
    const data = Object.fromEntries([...options.builtins].flatMap(([bridge, run]) => (run.guestData === undefined ? [] : [[bridge, run.guestData]])));
    request = { code: options.code, lineOffset: 0, api: { globals, data, ...hidden }, limits: options.limits };
  } else {
    const transpiled = transpileGuest(options.code, { prelude: options.preludes.join("") });
    const code = runs.reduce((main, run) => run.wrapMain?.(main) ?? main, transpiled.code);
    const modules = Object.assign({}, ...runs.map((run) => run.modules ?? {})) as Record<string, string>;
    request = { code, lineOffset: transpiled.lineOffset, api: { globals, modules, ...hidden }, limits: options.limits };
  }
  if (options.session !== undefined) request.session = options.session;
  const run = await options.engine.run(request, options.host);
  const outcome: GuestOutcome = {
    logs: run.logs.map((entry) => (entry.level === "log" || entry.level === "info" ? entry.message : `[${entry.level}] ${entry.message}`)),
    value: run.ok ? run.value : undefined,
    error: run.ok ? null : run.error,
    toolCalls: run.stats.toolCalls - runs.reduce((sum, r) => sum + (r.internalCalls ?? 0), 0),
    ...(run.stats.sandbox !== undefined ? { sandbox: run.stats.sandbox } : {}),
  };
  try {
    for (const r of runs) await r.finish?.(run.ok);
  } catch (thrown) {
    outcome.error = guestErrorInfo(thrown);
  }
  return outcome;
}

/** A host-side failure (syntax error, closed instance, …) as the guest-error shape, keeping line/column. */
export function guestErrorInfo(thrown: unknown): NonNullable<ExecuteResult["error"]> {
  const info: NonNullable<ExecuteResult["error"]> = toErrorInfo(thrown, "INTERNAL");
  const { line, column } = (info.details ?? {}) as { line?: unknown; column?: unknown };
  if (typeof line === "number") info.line = line;
  if (typeof column === "number") info.column = column;
  return info;
}
