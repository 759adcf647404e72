/**
 * Loads every entry of the config's `openapi` section at once. One API whose spec cannot be
 * loaded never stops the others: its error is reported in `failures`, the rest are usable.
 *
 * @module
 */
import type { OpenApiSourceConfig } from "../../config/openapi-schema.js";
import { type SourceFailure, type StartedSources, startAll } from "../start-all.js";
import { loadOpenApiSource, type OpenApiSource, type OpenApiSourceOptions } from "./openapi-source.js";

/** An API that could not be loaded, and why (the `SourceFailure` of every source kind). */
export type OpenApiSourceFailure = SourceFailure;

/** What {@link loadOpenApiSources} produced: loaded sources and failed APIs, in config order. */
export type LoadedOpenApiSources = StartedSources<OpenApiSource>;

/**
 * Loads all APIs in parallel, skipping entries with `disabled: true`. Never rejects because of
 * an API: failures come back in `failures` (anything that is not a `ToolcodeError` is wrapped as
 * `SOURCE_UNAVAILABLE`).
 */
export async function loadOpenApiSources(section: Record<string, OpenApiSourceConfig>, options: OpenApiSourceOptions): Promise<LoadedOpenApiSources> {
  return startAll<OpenApiSourceConfig, OpenApiSource>(
    section,
    (name, config) => loadOpenApiSource(name, config, options),
    (name) => ({ label: `OpenAPI source "${name}"`, details: { server: name, key: `openapi.${name}` } }),
  );
}
