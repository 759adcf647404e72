/**
 * Step 0 of `execute`: type-check the script against the session's declarations (tools and
 * guest built-ins) before anything runs, in the warm type-checker worker of the skills
 * (`SkillChecker.checkScript`: the declarations are parsed and bound once, each check is
 * bounded by `sandbox.typeCheckTimeoutMs`, cancelled past it, and never blocks the event loop).
 *
 * Modes (`sandbox.typeCheck`, or `typeCheck` per call): `off`; `warn` (every diagnostic is a
 * warning); `error` (diagnostics that are certainly wrong calls into the host API stop the run
 * with `GUEST_TYPE_ERROR` before any tool is called; the rest are warnings). Warnings go to
 * `metadata.typeCheck`, and into the text only when the run fails. A check that cannot answer
 * in time (warming up, busy, too slow) lets the script run unchecked and says so in metadata.
 *
 * @module
 */
import type { CatalogTool } from "../../catalog/catalog-tool.js";
import { ToolcodeError } from "../../errors.js";
import type { ScriptDiagnostic } from "../../skills/script-compiler.js";
import { SkillChecker } from "../../skills/skill-checker.js";
import { formatDiagnostics } from "../../skills/skill-compiler.js";
import type { GuestErrorInfo } from "../execute-result.js";

/** `sandbox.typeCheck` / `ExecuteOptions.typeCheck`. */
export type TypeCheckMode = "off" | "warn" | "error";

/** What `metadata.typeCheck` reports. */
export interface TypeCheckReport {
  mode: "warn" | "error";
  /** Time the check added before the run, ms. */
  durationMs: number;
  /** Why the script ran unchecked (the checker was loading, busy or too slow), when it did. */
  skipped?: string;
  /** Diagnostics that stopped the run (`error` mode). */
  errors: ScriptDiagnostic[];
  /** The other diagnostics (at most 20). */
  warnings: ScriptDiagnostic[];
}

/** The instance's script type-checker: its own worker, the tools and built-ins it checks against. */
export class ScriptTypeCheck {
  readonly #checker = new SkillChecker();
  readonly #environment: () => { tools: CatalogTool[]; builtins: string };
  readonly #hidden: Readonly<Record<string, readonly string[]>>;

  /**
   * @param tools the tools scripts see (their declarations).
   * @param builtins the guest built-ins' declarations.
   * @param hidden tools the policy hides, by server: a call of one is left to the guard (`POLICY_DENIED`).
   */
  constructor(tools: () => CatalogTool[], builtins: string, hidden: Readonly<Record<string, readonly string[]>> = {}) {
    this.#environment = () => ({ tools: tools(), builtins });
    this.#hidden = hidden;
  }

  /** Starts loading the declarations in the worker (seconds for a big API), off the event loop. */
  warm(): void {
    void this.#checker.warmScripts("script", this.#environment).catch(() => undefined);
  }

  /**
   * Checks `code` in `mode`; the report, and the `GUEST_TYPE_ERROR` to end the run with when
   * `mode` is `error` and a diagnostic is blocking.
   */
  async check(code: string, mode: "warn" | "error", timeoutMs: number): Promise<{ report: TypeCheckReport; error: GuestErrorInfo | null }> {
    const started = performance.now();
    const outcome = await this.#checker.checkScript({ environmentKey: "script", environment: this.#environment, code, timeoutMs });
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    if (!outcome.checked) return { report: { mode, durationMs, skipped: outcome.message, errors: [], warnings: [] }, error: null };
    const diagnostics = outcome.result.diagnostics.filter((d) => !this.#aboutHiddenTool(d));
    const errors = mode === "error" ? diagnostics.filter((d) => d.blocking) : [];
    const warnings = diagnostics.filter((d) => !errors.includes(d)).slice(0, 20);
    const report: TypeCheckReport = { mode, durationMs, errors, warnings };
    if (errors.length === 0) return { report, error: null };
    const first = errors[0]!;
    const error = new ToolcodeError(
      "GUEST_TYPE_ERROR",
      `The script was not run (no tool was called): it calls the tools in a way their declarations do not allow. Fix these and run it again:\n${formatDiagnostics(errors, code, "script.ts")}`,
      { diagnostics: errors.slice(0, 10) },
    );
    return { report, error: { code: error.code, message: error.message, details: error.details, ...(first.line !== undefined ? { line: first.line } : {}), ...(first.column !== undefined ? { column: first.column } : {}) } };
  }

  /** Stops the worker. */
  close(): Promise<void> {
    return this.#checker.close();
  }

  /** `Property 'x' does not exist on type 'typeof server'` for a tool the policy hides (the guard answers it). */
  #aboutHiddenTool(d: ScriptDiagnostic): boolean {
    const match = /^Property '([^']+)' does not exist on type 'typeof ([A-Za-z0-9_$]+)'/.exec(d.message);
    return match !== null && (this.#hidden[match[2]!] ?? []).includes(match[1]!);
  }
}

/** The warnings of a failed run, for its text (nothing when there are none). */
export function typeWarningsText(report: TypeCheckReport | undefined): string {
  if (!report || report.warnings.length === 0) return "";
  const lines = report.warnings.slice(0, 5).map((d) => `script.ts:${d.line ?? 1}:${d.column ?? 1} - ${d.code}: ${d.message.split("\n")[0]}`);
  const more = report.warnings.length > 5 ? `\n… and ${report.warnings.length - 5} more (metadata.typeCheck.warnings)` : "";
  return `\nType-check warnings (the script ran anyway):\n${lines.join("\n")}${more}`;
}
