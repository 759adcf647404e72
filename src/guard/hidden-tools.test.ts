import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { policySchema } from "../config/guard-schema.js";
import { HiddenTools } from "./hidden-tools.js";
import { Policy } from "./policy.js";

function t(server: string, tool: string, annotations: CatalogTool["spec"]["annotations"], description = ""): CatalogTool {
  return { server, tool, id: `${server}.${tool}`, sourceName: server, spec: { name: tool, description, inputSchema: { type: "object" }, ...(annotations ? { annotations } : {}) } };
}

const TOOLS = [
  t("files", "read_file", { readOnlyHint: true }, "Read a file"),
  t("files", "write_file", { destructiveHint: true }, "Write a file"),
  t("files", "create_directory", {}, "Create a directory"),
  t("notes", "delete_note", { destructiveHint: true }, "Delete a note"),
];

function hidden(policy: Record<string, unknown>, reveal = true): HiddenTools {
  return new HiddenTools(TOOLS, new Policy(policySchema.parse(policy)), reveal);
}

describe("HiddenTools", () => {
  it("says nothing when nothing is hidden", () => {
    const none = hidden({ default: "allow-all" });
    expect(none.count).toBe(0);
    expect(none.summary()).toBeUndefined();
    expect(none.describeMatches("write file")).toBeUndefined();
    expect(none.declarationComment()).toBe("");
  });

  it("counts in the singular and plural, and names the policy.default that hides them", () => {
    expect(hidden({}).summary()).toMatch(/^3 write tools are off under the read-only policy/);
    expect(hidden({ allow: ["files.*"] }).summary()).toMatch(/^1 write tool is off under the read-only policy .*policy\.allow: \["notes\.delete_note"\]/);
    expect(hidden({ default: "deny-all" }).summary()).toMatch(/^4 tools are off under policy\.default "deny-all"/);
  });

  it("keeps operator-denied tools apart from tools that are merely off", () => {
    const h = hidden({ deny: ["notes.*"] });
    expect(h.summary()).toMatch(/2 write tools are off .*; 1 tool is denied by the operator \(policy\.deny\)\./);
    const note = h.describeMatches("delete note") ?? "";
    expect(note).toContain("Denied by the operator (policy.deny), not available: notes.delete_note.");
    expect(note).not.toContain("policy.allow");
  });

  it("names matching hidden tools with the key, filtered by server, and only counts them when reveal is off", () => {
    const note = hidden({}).describeMatches("write a file") ?? "";
    expect(note).toContain("files.write_file");
    expect(note).toContain('policy.allow: ["files.write_file"');
    expect(hidden({}).describeMatches("delete", { server: "files" })).toBeUndefined();
    const quiet = hidden({}, false);
    expect(quiet.describeMatches("write a file")).toMatch(/^\(\d+ matching tools? (is|are) hidden by the policy\.\)$/);
    expect(quiet.summary()).not.toMatch(/files\.|notes\./);
    expect(quiet.declarationComment()).not.toMatch(/write_file|delete_note|create_directory/);
  });

  it("an empty query (list tools) gives the count of the server asked for", () => {
    expect(hidden({}).describeMatches("", { server: "notes" })).toMatch(/^1 write tool is off/);
  });

  it("a server whose every tool is hidden still gets its comment", () => {
    expect(hidden({}).declarationComment("notes")).toMatch(/^\/\/ Hidden by the policy: 1 write tool is off[^\n]*\n\/\/ {3}notes: delete_note\n$/);
  });
});
