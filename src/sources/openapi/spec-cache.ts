/**
 * On-disk cache of processed specs, keyed by the SHA-256 of the spec bytes and the processing
 * version: an unchanged spec skips parsing, validation and schema processing. Entries are written
 * atomically (temp file + rename); a missing, corrupt or foreign entry is simply a miss. The cache
 * holds nothing secret: only what was derived from the spec.
 *
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PROCESSING_VERSION, type ProcessedSpec } from "./operation-plan.js";

/** A cache entry: the processed spec and whether it passed schema validation. */
interface CacheEntry {
  hash: string;
  validated: boolean;
  spec: ProcessedSpec;
}

function entryPath(dir: string, hash: string): string {
  return path.join(dir, `${hash}.json`);
}

/**
 * The cached processed spec for `hash`, or `undefined`.
 *
 * @param requireValidated Ignore entries written with validation turned off.
 */
export async function readCachedSpec(dir: string, hash: string, requireValidated: boolean): Promise<ProcessedSpec | undefined> {
  let text: string;
  try {
    text = await readFile(entryPath(dir, hash), "utf8");
  } catch {
    return undefined;
  }
  try {
    const entry = JSON.parse(text) as Partial<CacheEntry>;
    const spec = entry.spec;
    if (entry.hash !== hash || spec?.version !== PROCESSING_VERSION) return undefined;
    if (!Array.isArray(spec.operations) || !Array.isArray(spec.servers) || !Array.isArray(spec.warnings)) return undefined;
    if (typeof spec.defs !== "object" || spec.defs === null || typeof spec.deps !== "object" || spec.deps === null) return undefined;
    if (requireValidated && entry.validated !== true) return undefined;
    return spec;
  } catch {
    return undefined;
  }
}

/** Stores a processed spec. Returns the error message when the cache directory is not writable. */
export async function writeCachedSpec(dir: string, hash: string, validated: boolean, spec: ProcessedSpec): Promise<string | undefined> {
  const file = entryPath(dir, hash);
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const entry: CacheEntry = { hash, validated, spec };
    await writeFile(temp, JSON.stringify(entry));
    await rename(temp, file);
    return undefined;
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    return error instanceof Error ? error.message : String(error);
  }
}
