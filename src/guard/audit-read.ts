/**
 * Reading the audit log back (`toolcode audit`): parse the JSON lines, filter by user, session
 * or tool pattern, and format one line per record for people.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { ToolcodeError } from "../errors.js";
import type { AuditRecord } from "./audit-log.js";
import { globToRegExp } from "./glob.js";

/** Filters for {@link readAuditLog}. */
export interface AuditFilter {
  user?: string;
  session?: string;
  /** A `<source>.<tool>` glob; only call records match it (and executions that made such a call). */
  tool?: string;
}

/** Records of a log file, filtered; `skipped` counts lines that were not valid records. */
export function readAuditLog(file: string, filter: AuditFilter = {}): { records: AuditRecord[]; skipped: number } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ToolcodeError("USAGE", `Cannot read audit log ${file}: ${(error as Error).message}. Pass --file, or set audit.file in the config.`, { file });
  }
  const records: AuditRecord[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as AuditRecord;
      if (record && (record.type === "call" || record.type === "execution")) records.push(record);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records: filterAudit(records, filter), skipped };
}

/** Applies an {@link AuditFilter}. */
export function filterAudit(records: readonly AuditRecord[], filter: AuditFilter): AuditRecord[] {
  const tool = filter.tool !== undefined ? globToRegExp(filter.tool) : undefined;
  let out = records.filter((r) => (filter.user === undefined || r.user === filter.user) && (filter.session === undefined || r.session === filter.session));
  if (tool) {
    const executions = new Set(out.filter((r) => r.type === "call" && tool.test(r.tool)).map((r) => r.execution));
    out = out.filter((r) => (r.type === "call" ? tool.test(r.tool) : executions.has(r.execution)));
  }
  return out;
}

/** One human-readable line per record. */
export function formatAuditRecord(record: AuditRecord): string {
  const who = `${record.user ?? "-"} ${record.session.slice(0, 8)}`;
  const outcome = record.error ?? "ok";
  if (record.type === "execution") {
    const extra = [record.approve ? `approve=${record.approve}` : "", record.pendingApproval ? `pending=${record.pendingApproval}` : ""].filter(Boolean).join(" ");
    return `${record.ts} ${who} execute ${record.codeHash} calls=${record.toolCalls} ${Math.round(record.durationMs)}ms ${outcome}${extra ? ` ${extra}` : ""}`;
  }
  const approval = record.approval ? ` approval=${record.approval.via}:${record.approval.granted ? "granted" : "not granted"}` : "";
  const args = record.arguments !== undefined ? ` ${truncate(JSON.stringify(record.arguments), 200)}` : "";
  return `${record.ts} ${who}   #${record.seq} ${record.tool} ${record.decision}${record.replayed ? " (replayed)" : ""}${approval} ${Math.round(record.durationMs)}ms ${outcome}${args}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
