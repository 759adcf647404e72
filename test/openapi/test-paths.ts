/** Paths and temp directories for the OpenAPI tests (kept here so they depend on nothing shared). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A fresh temp directory. */
export function tempDir(prefix = "toolcode-openapi-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
