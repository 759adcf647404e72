/**
 * Starting every entry of a config section at once, where one entry that fails never stops the
 * others: its error is reported in `failures`, the rest are usable.
 *
 * @module
 */
import { SourceError, ToolcodeError } from "../errors.js";

/** An entry that could not be started, and why. */
export interface SourceFailure {
  /** The config key (`mcpServers.<name>`, `openapi.<name>`). */
  name: string;
  error: ToolcodeError;
}

/** What {@link startAll} produced, both lists in config order. */
export interface StartedSources<S> {
  sources: S[];
  failures: SourceFailure[];
}

/**
 * Starts all entries not marked `disabled: true` in parallel. Never rejects because of an entry:
 * anything thrown that is not a `ToolcodeError` is wrapped as `SOURCE_UNAVAILABLE` with
 * `describe(name)` ("MCP server \"x\"") and `details`.
 */
export async function startAll<C extends { disabled?: boolean | undefined }, S>(
  section: Record<string, C>,
  start: (name: string, config: C) => Promise<S>,
  describe: (name: string) => { label: string; details: Record<string, unknown> },
): Promise<StartedSources<S>> {
  const entries = Object.entries(section).filter(([, config]) => config.disabled !== true);
  const settled = await Promise.allSettled(entries.map(([name, config]) => start(name, config)));
  const result: StartedSources<S> = { sources: [], failures: [] };
  settled.forEach((outcome, index) => {
    const name = (entries[index] as [string, C])[0];
    if (outcome.status === "fulfilled") {
      result.sources.push(outcome.value);
      return;
    }
    const reason: unknown = outcome.reason;
    const { label, details } = describe(name);
    const error =
      reason instanceof ToolcodeError
        ? reason
        : new SourceError("SOURCE_UNAVAILABLE", `${label} could not be started: ${reason instanceof Error ? reason.message : String(reason)}`, details, { cause: reason });
    result.failures.push({ name, error });
  });
  return result;
}
