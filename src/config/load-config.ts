/**
 * Finding, reading, interpolating and validating `toolcode.config.json`.
 *
 * Order: an explicit path (`--config F`) → `./toolcode.config.json` in the working directory →
 * the embedded default (server-filesystem rooted at the working directory + server-memory).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { type Config, configSchema } from "./schema.js";
import { defaultConfigInput, ensureDefaultStateDir } from "./default-config.js";

/** The file name looked up in the working directory. */
export const CONFIG_FILE_NAME = "toolcode.config.json";

/** Where a loaded config came from. */
export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file, or `null` for the embedded default. */
  path: string | null;
  /** Directory relative paths in the config resolve against (stdio `cwd` defaults to it). */
  baseDir: string;
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Explicit config path (`--config F`); it must exist. */
  path?: string;
  /** Working directory (default `process.cwd()`). */
  cwd?: string;
  /** Variables for `${VAR}` (default `process.env`). */
  env?: Record<string, string | undefined>;
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
  ensureDefaultStateDir(cwd);
  return { config: parseConfig(defaultConfigInput(cwd), { env, source: "embedded default" }), path: null, baseDir: cwd };
}

/** Reads and validates one config file. */
export function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`, { path: file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const where = jsonErrorPosition(text, (error as Error).message);
    throw new ConfigError(
      `Config file ${file} is not valid JSON${where ? ` (line ${where.line}, column ${where.column})` : ""}: ${(error as Error).message}. Fix the syntax; the file must be one JSON object.`,
      { path: file, ...where },
    );
  }
  return { config: parseConfig(raw, { env, source: file }), path: file, baseDir: path.dirname(file) };
}

/**
 * Validates a config object (as parsed from JSON), replacing `${VAR}` and `${VAR:-default}`
 * in every string value. Throws {@link ConfigError} naming the key path and what is expected.
 */
export function parseConfig(raw: unknown, options: { env?: Record<string, string | undefined>; source?: string } = {}): Config {
  const source = options.source ?? "config";
  const interpolated = interpolate(raw, options.env ?? process.env, [], source);
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
    return issue.keys.map((key) => ({ path: formatPath([...at, key]), message: "unknown key; remove it or check its spelling" }));
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

function jsonErrorPosition(text: string, message: string): { line: number; column: number } | undefined {
  const match = /position (\d+)/.exec(message);
  if (!match?.[1]) return undefined;
  const offset = Number(match[1]);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
