/**
 * Keeps host detail out of what the model reads: absolute paths under the host's directories
 * (the workspaces root, the config's directory, the package, the home and temp directories) in
 * error messages and details become relative or labelled paths before an error reaches guest
 * code or an `execute` result. A crashing server's stack trace (its script's absolute path), a
 * file-system error (the workspace's absolute path, which holds the host's pid) and the like
 * keep their meaning without naming the machine.
 *
 * Only errors are rewritten: tool results are the tools' data and pass unchanged.
 *
 * @module
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ToolcodeError, toErrorInfo } from "../errors.js";
import type { GuestErrorInfo } from "./execute-result.js";

/** A host directory and what it becomes in model-visible text. */
interface Root {
  pattern: RegExp;
  label: string;
}

/** The package's own directory (two levels above this file, from `src/` or `dist/`). */
const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Rewrites host paths in error text (see the module doc). */
export class HostScrubber {
  readonly #roots: Root[];

  /**
   * @param dirs.workspaces the directory holding every session's workspace (`<dir>/<session>/…`
   *   becomes the workspace-relative path)
   * @param dirs.base the config file's directory (becomes `.`)
   */
  constructor(dirs: { workspaces?: string; base?: string }) {
    const entries: { dir: string; label: string; child?: boolean }[] = [];
    if (dirs.workspaces) entries.push({ dir: dirs.workspaces, label: "", child: true });
    if (dirs.base) entries.push({ dir: dirs.base, label: "." });
    entries.push({ dir: process.cwd(), label: "." }, { dir: PACKAGE_DIR, label: "<toolcode>" }, { dir: os.homedir(), label: "~" }, { dir: os.tmpdir(), label: "$TMPDIR" });
    // Longest first, so the most specific directory wins.
    this.#roots = entries
      .filter((e) => e.dir.length > 1)
      .sort((a, b) => b.dir.length - a.dir.length)
      .map(({ dir, label, child }) => {
        const base = `(?:file://)?${escape(path.resolve(dir))}`;
        // A session directory under the workspaces root disappears with it: `<root>/<id>/a/b` → `a/b`.
        return child ? { pattern: new RegExp(`${base}/[^/\\s'"\`]+/?`, "g"), label } : { pattern: new RegExp(`${base}(?=/|\\b|$)`, "g"), label };
      });
  }

  /** `text` with host directories replaced. */
  text(text: string): string {
    let out = text;
    for (const root of this.#roots) out = out.replace(root.pattern, root.label);
    return out;
  }

  /** A copy of plain data with every string scrubbed (iterative; depth-bounded data only). */
  data(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.text(value);
    if (depth > 32 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item) => this.data(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.data(item, depth + 1);
    return out;
  }

  /**
   * Any thrown value as a {@link ToolcodeError} with scrubbed message and details: a
   * ToolcodeError is rewritten in place (its class, and what the guard attached, are kept).
   */
  error(thrown: unknown): ToolcodeError {
    const info = toErrorInfo(thrown);
    const message = this.text(info.message);
    const details = (this.data(info.details ?? {}) ?? {}) as Record<string, unknown>;
    if (thrown instanceof ToolcodeError) {
      if (message !== thrown.message) thrown.message = message;
      Object.assign(thrown.details, details);
      return thrown;
    }
    return new ToolcodeError(info.code, message, details);
  }

  /** An `execute` result's error, scrubbed. */
  guestError(error: GuestErrorInfo | null): GuestErrorInfo | null {
    if (error === null) return null;
    const scrubbed: GuestErrorInfo = { ...error, message: this.text(error.message) };
    if (error.details !== undefined) scrubbed.details = this.data(error.details) as Record<string, unknown>;
    return scrubbed;
  }
}
