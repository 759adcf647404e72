import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog, type AuditRecord, codeHash, redactForAudit } from "./audit-log.js";
import { filterAudit, formatAuditRecord, readAuditLog } from "./audit-read.js";

const base = { ts: "2026-01-01T00:00:00.000Z", durationMs: 1.5, error: null, codeHash: "abc" };
const records: AuditRecord[] = [
  { ...base, type: "call", user: "alice", session: "s1", execution: "e1", seq: 1, tool: "memory.read_graph", kind: "read", decision: "allow", rule: 'policy.default "read-only"', approval: null, replayed: false },
  { ...base, type: "call", user: "alice", session: "s1", execution: "e1", seq: 2, tool: "memory.delete_entities", kind: "destructive", decision: "approve", rule: "policy.approveDestructive", approval: { id: "ap_1", via: "pending", granted: false }, replayed: false, error: "APPROVAL_REQUIRED" },
  { ...base, type: "execution", user: "alice", session: "s1", execution: "e1", toolCalls: 2, approve: null, pendingApproval: "ap_1", error: "APPROVAL_REQUIRED" },
  { ...base, type: "execution", user: "bob", session: "s2", execution: "e2", toolCalls: 0, approve: null, pendingApproval: null },
];

describe("audit log", () => {
  it("masks detector matches and field values, keeps tokens", () => {
    expect(redactForAudit({ to: "ada@example.com", note: "call +1 202 555 0143", name: "Ada", who: "<name_1>", n: 3 }, ["name"])).toEqual({
      to: "[email]",
      note: "call [phone]",
      name: "[name]",
      who: "<name_1>",
      n: 3,
    });
    expect(codeHash("return 1")).toMatch(/^[0-9a-f]{16}$/);
  });

  it("appends one JSON line per record and reads them back, filtered", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "toolcode-audit-"));
    const log = AuditLog.open("logs/audit.jsonl", dir, { arguments: "redacted", fields: [] });
    for (const record of records) log.record(record);
    await log.close();
    const file = path.join(dir, "logs", "audit.jsonl");
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(4);
    expect(readAuditLog(file).records).toEqual(records);
    expect(readAuditLog(file, { user: "bob" }).records.map((r) => r.execution)).toEqual(["e2"]);
    expect(filterAudit(records, { tool: "memory.delete*" }).map((r) => r.type)).toEqual(["call", "execution"]);
    expect(filterAudit(records, { session: "s1", tool: "memory" })).toHaveLength(3);
  });

  it("flush() resolves once every record so far is in the file, with the log still open", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "toolcode-audit-"));
    const log = AuditLog.open("audit.jsonl", dir, { arguments: "redacted", fields: [] });
    for (const record of records) log.record(record);
    await log.flush();
    expect(readAuditLog(path.join(dir, "audit.jsonl")).records).toEqual(records);
    await log.close();
  });

  it("formats a line per record for people", () => {
    expect(formatAuditRecord(records[1] as AuditRecord)).toBe("2026-01-01T00:00:00.000Z alice s1   #2 memory.delete_entities approve approval=pending:not granted 2ms APPROVAL_REQUIRED");
    expect(formatAuditRecord(records[2] as AuditRecord)).toBe("2026-01-01T00:00:00.000Z alice s1 execute abc calls=2 2ms APPROVAL_REQUIRED pending=ap_1");
  });
});
