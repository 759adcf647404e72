/**
 * Helpers for the guard tests: the memory server's graph as stored on disk, and the audit log.
 */
import { existsSync, readFileSync } from "node:fs";
import type { AuditRecord } from "../../src/guard/audit-log.js";

/** One entity of server-memory's JSONL file. */
export interface StoredEntity {
  name: string;
  entityType: string;
  observations: string[];
}

/** The knowledge graph server-memory keeps in `file` (what the receiving server really got). */
export function storedGraph(file: string): { entities: StoredEntity[]; relations: { from: string; to: string; relationType: string }[] } {
  const graph = { entities: [] as StoredEntity[], relations: [] as { from: string; to: string; relationType: string }[] };
  if (!existsSync(file)) return graph;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const item = JSON.parse(line) as { type: string } & Record<string, unknown>;
    if (item.type === "entity") graph.entities.push(item as unknown as StoredEntity);
    else if (item.type === "relation") graph.relations.push(item as unknown as { from: string; to: string; relationType: string });
  }
  return graph;
}

/** Parsed lines of an audit log. */
export function auditRecords(file: string): AuditRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditRecord);
}
