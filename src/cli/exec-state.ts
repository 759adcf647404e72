/**
 * What `toolcode exec` keeps between runs, under the state directory (`<baseDir>/.toolcode/`):
 * `exec-sessions/<name>/` (the workspace of `exec --session NAME`) and `exec-approvals.json`
 * (approvals a run stopped for, so `exec --approve ID` can grant them to the same script later).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { STATE_DIR_NAME } from "../config/default-config.js";
import { ToolcodeError } from "../errors.js";
import type { ApprovalInfo } from "../guard/approvals.js";
import type { ApprovalHandler } from "../guard/guard.js";

/** At most this many pending approvals are kept (the oldest go first). */
const MAX_KEPT_APPROVALS = 100;

/** Where `exec --session` workspaces live. */
export function execSessionsDir(baseDir: string): string {
  return path.join(baseDir, STATE_DIR_NAME, "exec-sessions");
}

/** A pending approval as exec keeps it: which call, of which script. */
interface KeptApproval extends ApprovalInfo {
  codeHash: string;
}

function approvalsFile(baseDir: string): string {
  return path.join(baseDir, STATE_DIR_NAME, "exec-approvals.json");
}

function readKept(baseDir: string): KeptApproval[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(approvalsFile(baseDir), "utf8"));
    return Array.isArray(parsed) ? (parsed as KeptApproval[]) : [];
  } catch {
    return [];
  }
}

function writeKept(baseDir: string, kept: KeptApproval[]): void {
  const file = approvalsFile(baseDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(kept.slice(-MAX_KEPT_APPROVALS), null, 2));
  renameSync(temp, file);
}

/** SHA-256 of a script: an approval is granted only to the script that asked for it. */
export function codeHash(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}

/** Keeps the approval a run stopped for. */
export function keepApproval(baseDir: string, approval: ApprovalInfo, code: string): void {
  const now = Date.now();
  const kept = readKept(baseDir).filter((entry) => Date.parse(entry.expiresAt) > now && entry.id !== approval.id);
  writeKept(baseDir, [...kept, { ...approval, codeHash: codeHash(code) }]);
}

/**
 * The approver of `exec --approve ID`: runs the one call the approval was for (same tool, same
 * arguments, once) and leaves every other call to `fallback`. The approval is used up here.
 *
 * @throws ToolcodeError `APPROVAL_INVALID` for an unknown or expired id, or another script.
 */
export function approvalFor(baseDir: string, id: string, code: string, fallback: ApprovalHandler | undefined): ApprovalHandler {
  const kept = readKept(baseDir);
  const found = kept.find((entry) => entry.id === id);
  if (!found) throw new ToolcodeError("APPROVAL_INVALID", `No pending approval "${id}" in ${approvalsFile(baseDir)} (unknown, already used, or made with another config). Run the script again to get a new one.`, { approval: id });
  if (Date.parse(found.expiresAt) <= Date.now()) throw new ToolcodeError("APPROVAL_INVALID", `Approval "${id}" expired at ${found.expiresAt}. Run the script again to get a new one.`, { approval: id });
  if (found.codeHash !== codeHash(code)) throw new ToolcodeError("APPROVAL_INVALID", `Approval "${id}" was given for another script: pass the same script that stopped with it.`, { approval: id });
  writeKept(baseDir, kept.filter((entry) => entry.id !== id));
  const wanted = JSON.stringify(found.arguments);
  let used = false;
  return (request) => {
    if (!used && request.tool === found.tool && JSON.stringify(request.arguments) === wanted) {
      used = true;
      return true;
    }
    return fallback?.(request);
  };
}
