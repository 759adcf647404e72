/**
 * Finding, reading, interpolating and validating `toolcode.config.json`.
 *
 * Order: an explicit path (`--config F`) → `./toolcode.config.json` in the working directory →
 * the embedded default (see {@link ./default-config.ts}).
 *
 * Files are JSONC (comments, trailing commas), so a client's config pastes in: a Claude Desktop
 * or Cursor file (`mcpServers`) or a VS Code `.vscode/mcp.json` (`servers`) loads as it is, its
 * other keys (`globalShortcut`, `inputs`, …) ignored with a notice. A key close to a known one
 * (`mcpServer`) is an error with a did-you-mean.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { closest, distance } from "fastest-levenshtein";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { type Config, configSchema } from "./schema.js";
import { type DefaultConfigOptions, defaultConfig } from "./default-config.js";

/** The file name looked up in the working directory. */
export const CONFIG_FILE_NAME = "toolcode.config.json";

/** Where a loaded config came from. */
export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file, or `null` for the embedded default. */
  path: string | null;
  /** Directory relative paths in the config resolve against (stdio `cwd` defaults to it). */
  baseDir: string;
  /** Things worth telling the operator (ignored keys of a client's file, what the default exposes). */
  notices: string[];
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Explicit config path (`--config F`); it must exist. */
  path?: string;
  /** Working directory (default `process.cwd()`). */
  cwd?: string;
  /** Variables for `${VAR}` (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Directories for the embedded default's filesystem server (`--root DIR`); see {@link defaultConfig}. */
  roots?: readonly string[];
}

/** Loads the config the CLI and library use. Throws {@link ConfigError} with a key path on bad input. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  if (options.path !== undefined) {
    const file = path.resolve(cwd, options.path);
    if (!existsSync(file)) {
      throw new ConfigError(
        `Config file ${file} does not exist. Pass an existing file to --config, or omit --config to use ./${CONFIG_FILE_NAME} or the embedded default.`,
        { path: file },
        "CONFIG_NOT_FOUND",
      );
    }
    return loadConfigFile(file, env);
  }
  const local = path.join(cwd, CONFIG_FILE_NAME);
  if (existsSync(local)) return loadConfigFile(local, env);
  const defaults: DefaultConfigOptions = { cwd, ...(options.roots !== undefined ? { roots: options.roots } : {}) };
  const embedded = defaultConfig(defaults);
  return { config: parseConfig(embedded.input, { env, source: "embedded default" }), path: null, baseDir: embedded.baseDir, notices: embedded.notices };
}

/** Reads and validates one config file. */
export function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`, { path: file });
  }
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first !== undefined || raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const where = first !== undefined ? position(text, first.offset) : undefined;
    const what = first !== undefined ? printParseErrorCode(first.error) : "not an object";
    throw new ConfigError(
      `Config file ${file} is not valid JSON${where ? ` (line ${where.line}, column ${where.column})` : ""}: ${what}. Fix the syntax; the file must be one JSON object (comments and trailing commas are fine).`,
      { path: file, ...where },
    );
  }
  const notices: string[] = [];
  return { config: parseConfig(raw, { env, source: file, notices }), path: file, baseDir: path.dirname(file), notices };
}

/** Options for {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Variables for `${VAR}` (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Names the config in messages (a file path, "embedded default"). */
  source?: string;
  /** Receives notices, e.g. the keys of a client's config file that were ignored. */
  notices?: string[];
}

/** The top-level sections toolcode reads. */
const SECTIONS = Object.keys(configSchema.shape);

/**
 * Validates a config object (as parsed from JSON), replacing `${VAR}` and `${VAR:-default}`
 * in every string value. Throws {@link ConfigError} naming the key path and what is expected.
 *
 * A client's file loads too: VS Code's `servers` is read as `mcpServers`, and when the object has
 * MCP servers, top-level keys that are neither toolcode sections nor a misspelling of one
 * (`globalShortcut`) are ignored, with a notice.
 */
export function parseConfig(raw: unknown, options: ParseConfigOptions = {}): Config {
  const source = options.source ?? "config";
  const interpolated = interpolate(clientFileView(raw, source, options.notices), options.env ?? process.env, [], source);
  const parsed = configSchema.safeParse(interpolated);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, []));
  const lines = problems.map((p) => `  - ${p.path || "(top level)"}: ${p.message}`);
  throw new ConfigError(`Invalid config (${source}):\n${lines.join("\n")}`, {
    source,
    issues: problems,
  });
}

interface Problem {
  path: string;
  message: string;
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? String(segment) : `.${String(segment)}`))
    .join("");
}

/** Flattens a zod issue; for unions, reports the branch that got furthest (fewest issues). */
function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): Problem[] {
  const at = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    const nested = best.flatMap((inner) => describeIssue(inner, at));
    return [{ path: formatPath(at), message: `expected ${issue.message}` }, ...nested];
  }
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(at);
    return issue.keys.map((key) => {
      const near = nearKey(key, known);
      const message = near !== undefined ? `unknown key; did you mean "${near}"?` : `unknown key; remove it or check its spelling${known.length > 0 ? ` (known keys: ${known.join(", ")})` : ""}`;
      return { path: formatPath([...at, key]), message };
    });
  }
  return [{ path: formatPath(at), message: issue.message }];
}

const VAR_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, env: Record<string, string | undefined>, at: PropertyKey[], source: string): unknown {
  if (typeof value === "string") {
    return value.replace(VAR_PATTERN, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(
        `Invalid config (${source}): ${formatPath(at)} uses \${${name}}, but the environment variable ${name} is not set. Set it, or write \${${name}:-default} to give a default.`,
        { source, path: formatPath(at), variable: name },
      );
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...at, index], source));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, [...at, key], source)]));
  }
  return value;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** `key`'s closest known key when it is near enough to be a misspelling of it. */
function nearKey(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(key, [...known]);
  const allowed = Math.max(1, Math.floor(Math.min(key.length, best.length) / 3));
  return distance(key.toLowerCase(), best.toLowerCase()) <= allowed ? best : undefined;
}

/**
 * The config as toolcode reads it from a client's file: `servers` (VS Code) merged into
 * `mcpServers`, and foreign top-level keys dropped (with a notice) when the file has servers.
 */
function clientFileView(raw: unknown, source: string, notices: string[] | undefined): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const view: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if ("servers" in view && !("servers" in configSchema.shape)) {
    const servers = view.servers;
    const mcpServers = view.mcpServers;
    if (servers !== null && typeof servers === "object" && !Array.isArray(servers) && (mcpServers === undefined || (mcpServers !== null && typeof mcpServers === "object" && !Array.isArray(mcpServers)))) {
      const both = Object.keys(servers).filter((name) => Object.hasOwn(mcpServers ?? {}, name));
      if (both.length > 0) {
        throw new ConfigError(`Invalid config (${source}):\n  - servers.${both[0]}: also defined in mcpServers; keep one of the two entries`, { source, path: `servers.${both[0]}` });
      }
      view.mcpServers = { ...(mcpServers as Record<string, unknown> | undefined), ...servers };
      delete view.servers;
    }
  }
  if (!("mcpServers" in view)) return view;
  const foreign = Object.keys(view).filter((key) => !SECTIONS.includes(key) && nearKey(key, SECTIONS) === undefined);
  if (foreign.length === 0) return view;
  for (const key of foreign) delete view[key];
  notices?.push(`${source}: ignored ${foreign.map((key) => `"${key}"`).join(", ")} (not toolcode settings; read: mcpServers/servers${SECTIONS.some((key) => key !== "mcpServers" && key in view) ? " and toolcode's own sections" : ""}).`);
  return view;
}

/** The keys a strict object at `at` accepts (the union of a union's branches), or none. */
function knownKeysAt(at: readonly PropertyKey[]): string[] {
  let schemas: z.core.$ZodType[] = [configSchema];
  for (const segment of [...at, undefined]) {
    schemas = schemas.flatMap(unwrap);
    if (segment === undefined) break;
    schemas = schemas.flatMap((schema) => {
      const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType; element?: z.core.$ZodType };
      if (def.type === "object" && typeof segment === "string") return def.shape?.[segment] ? [def.shape[segment]] : [];
      if (def.type === "record" && def.valueType) return [def.valueType];
      if (def.type === "array" && def.element) return [def.element];
      return [];
    });
  }
  const keys = new Set<string>();
  for (const schema of schemas) {
    const def = schema._zod.def as { type: string; shape?: Record<string, unknown> };
    if (def.type === "object") for (const key of Object.keys(def.shape ?? {})) keys.add(key);
  }
  return [...keys];
}

/** A schema without its default/optional/union wrappers (a union gives all its branches). */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType[] {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; options?: z.core.$ZodType[]; in?: z.core.$ZodType };
  if ((def.type === "default" || def.type === "optional" || def.type === "nullable" || def.type === "prefault") && def.innerType) return unwrap(def.innerType);
  if (def.type === "union" && def.options) return def.options.flatMap(unwrap);
  if (def.type === "pipe" && def.in) return unwrap(def.in);
  return [schema];
}
