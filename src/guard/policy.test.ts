import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { policySchema } from "../config/guard-schema.js";
import type { ToolAnnotations } from "../sources/tool-source.js";
import { Policy, policyDeniedError, toolKind } from "./policy.js";

const tool = (id: string, annotations?: ToolAnnotations): CatalogTool => {
  const [server = "", name = ""] = id.split(".");
  return { server, tool: name, id, sourceName: server, spec: { name, inputSchema: { type: "object" }, ...(annotations ? { annotations } : {}) } };
};
const read = tool("files.read_file", { readOnlyHint: true });
const write = tool("memory.create_entities", { readOnlyHint: false, destructiveHint: false });
const destructive = tool("memory.delete_entities", { readOnlyHint: false, destructiveHint: true });
const unannotated = tool("remote.do_thing");
const policy = (input: unknown): Policy => new Policy(policySchema.parse(input));

describe("Policy", () => {
  it("classifies read / write / destructive from annotations; unannotated is write", () => {
    expect([read, write, destructive, unannotated].map((t) => toolKind(t.spec))).toEqual(["read", "write", "destructive", "write"]);
  });

  it("read-only by default: reads allowed, writes and destructive denied by policy.default", () => {
    const p = policy({});
    expect(p.decide(read)).toEqual({ action: "allow", kind: "read", rule: 'policy.default "read-only"' });
    expect(p.decide(write)).toMatchObject({ action: "deny", rule: 'policy.default "read-only"' });
    expect(p.decide(destructive).action).toBe("deny");
    expect(p.decide(unannotated).action).toBe("deny");
  });

  it("allow lets writes run; destructive tools still need approval unless approveDestructive is false", () => {
    const p = policy({ allow: ["memory.*"] });
    expect(p.decide(write)).toEqual({ action: "allow", kind: "write", rule: 'policy.allow[0] "memory.*"' });
    expect(p.decide(destructive)).toEqual({ action: "approve", kind: "destructive", rule: "policy.approveDestructive" });
    expect(policy({ allow: ["memory"], approveDestructive: false }).decide(destructive).action).toBe("allow");
  });

  it("first match wins: deny, then approve, then allow, then default", () => {
    const p = policy({ default: "allow-all", deny: ["*.delete*"], approve: ["memory.create_*"], allow: ["memory.*"] });
    expect(p.decide(destructive)).toMatchObject({ action: "deny", rule: 'policy.deny[0] "*.delete*"' });
    expect(p.decide(write)).toMatchObject({ action: "approve", rule: 'policy.approve[0] "memory.create_*"' });
    expect(p.decide(read).action).toBe("allow");
    expect(policy({ default: "allow-all" }).decide(destructive).action).toBe("approve");
    expect(policy({ default: "deny-all" }).decide(read).action).toBe("deny");
    expect(policy({ default: "deny-all", approve: ["files.read_file"] }).decide(read).action).toBe("approve");
  });

  it("hides only denied tools and reports patterns that match nothing", () => {
    const p = policy({ allow: ["memory.create_entities", "memroy.*"], deny: ["files.read_file"] });
    expect([read, write, destructive].filter((t) => p.visible(t)).map((t) => t.id)).toEqual(["memory.create_entities"]);
    expect(p.unmatched([read, write, destructive])).toEqual(['policy.allow[1] "memroy.*"']);
  });

  it("POLICY_DENIED names the config key that would allow the tool", () => {
    const error = policyDeniedError(write, policy({}).decide(write));
    expect(error.code).toBe("POLICY_DENIED");
    expect(error.message).toContain('policy.allow: ["memory.create_entities"]');
    expect(error.message).toContain("do not retry");
    expect(error.details).toMatchObject({ tool: "memory.create_entities", kind: "write", allowWith: 'policy.allow: ["memory.create_entities"]' });
    const denied = policyDeniedError(destructive, policy({ deny: ["*.delete*"] }).decide(destructive));
    expect(denied.message).toContain('policy.deny[0] "*.delete*"');
  });
});
