/**
 * Loads every entry of the config's `openapi` section at once. One API whose spec cannot be
 * loaded never stops the others: its error is reported in `failures`, the rest are usable.
 *
 * @module
 */
import type { OpenApiSourceConfig } from "../../config/openapi-schema.js";
import { SourceError, ToolcodeError } from "../../errors.js";
import { loadOpenApiSource, type OpenApiSource, type OpenApiSourceOptions } from "./openapi-source.js";

/** An API that could not be loaded, and why (same shape as the MCP `SourceFailure`). */
export interface OpenApiSourceFailure {
  /** The config key (`openapi.<name>`). */
  name: string;
  error: ToolcodeError;
}

/** What {@link loadOpenApiSources} produced. */
export interface LoadedOpenApiSources {
  /** Loaded sources, in config order. */
  sources: OpenApiSource[];
  /** APIs that failed, in config order. */
  failures: OpenApiSourceFailure[];
}

/**
 * Loads all APIs in parallel, skipping entries with `disabled: true`. Never rejects because of
 * an API: failures come back in `failures` (anything that is not a `ToolcodeError` is wrapped as
 * `SOURCE_UNAVAILABLE`).
 */
export async function loadOpenApiSources(section: Record<string, OpenApiSourceConfig>, options: OpenApiSourceOptions): Promise<LoadedOpenApiSources> {
  const entries = Object.entries(section).filter(([, config]) => config.disabled !== true);
  const settled = await Promise.allSettled(entries.map(([name, config]) => loadOpenApiSource(name, config, options)));
  const sources: OpenApiSource[] = [];
  const failures: OpenApiSourceFailure[] = [];
  settled.forEach((outcome, index) => {
    const name = (entries[index] as [string, OpenApiSourceConfig])[0];
    if (outcome.status === "fulfilled") {
      sources.push(outcome.value);
      return;
    }
    const reason: unknown = outcome.reason;
    const error =
      reason instanceof ToolcodeError
        ? reason
        : new SourceError(
            "SOURCE_UNAVAILABLE",
            `OpenAPI source "${name}" could not be loaded: ${reason instanceof Error ? reason.message : String(reason)}`,
            { server: name, key: `openapi.${name}` },
            { cause: reason },
          );
    failures.push({ name, error });
  });
  return { sources, failures };
}
