/**
 * Least privilege: which tools a script may call, which only after an approval, and which not at
 * all. Decided per tool from the `policy` config and the tool's read/write/destructive kind, and
 * checked again in the host on every call.
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { z } from "zod";
import type { policySchema } from "../config/guard-schema.js";
import { ToolcodeError } from "../errors.js";
import type { ToolSpec } from "../sources/tool-source.js";
import { GlobList } from "./glob.js";

/** The `policy` config section, defaults applied. */
export type PolicyConfig = z.output<typeof policySchema>;

/**
 * How dangerous a tool is: `read` (`readOnlyHint: true`; OpenAPI GET/HEAD/OPTIONS),
 * `destructive` (`destructiveHint: true`; OpenAPI DELETE and raw requests), `write` otherwise —
 * tools without annotations included.
 */
export type ToolKind = "read" | "write" | "destructive";

/** What the policy says about one tool. */
export interface PolicyDecision {
  /** `allow`: call it; `approve`: call it after an approval; `deny`: never. */
  action: "allow" | "approve" | "deny";
  kind: ToolKind;
  /** The config key that decided, e.g. `policy.deny[0] "*.delete*"` or `policy.default "read-only"`. */
  rule: string;
}

/** Classifies a tool from its annotations. */
export function toolKind(spec: ToolSpec): ToolKind {
  if (spec.annotations?.readOnlyHint === true) return "read";
  if (spec.annotations?.destructiveHint === true) return "destructive";
  return "write";
}

/** The compiled `policy` section. */
export class Policy {
  readonly #allow: GlobList;
  readonly #approve: GlobList;
  readonly #deny: GlobList;

  constructor(readonly config: PolicyConfig) {
    this.#allow = new GlobList(config.allow);
    this.#approve = new GlobList(config.approve);
    this.#deny = new GlobList(config.deny);
  }

  /** Decides for one tool: `deny` patterns, then `approve`, then `allow`, then `default`. */
  decide(tool: CatalogTool): PolicyDecision {
    const kind = toolKind(tool.spec);
    const denied = this.#deny.match(tool.id);
    if (denied) return { action: "deny", kind, rule: `policy.deny[${denied.index}] "${denied.pattern}"` };
    const approve = this.#approve.match(tool.id);
    if (approve) return { action: "approve", kind, rule: `policy.approve[${approve.index}] "${approve.pattern}"` };
    const allowed = this.#allow.match(tool.id);
    const destructiveAsks = kind === "destructive" && this.config.approveDestructive;
    if (allowed) {
      return destructiveAsks
        ? { action: "approve", kind, rule: "policy.approveDestructive" }
        : { action: "allow", kind, rule: `policy.allow[${allowed.index}] "${allowed.pattern}"` };
    }
    const rule = `policy.default "${this.config.default}"`;
    switch (this.config.default) {
      case "deny-all":
        return { action: "deny", kind, rule };
      case "read-only":
        return kind === "read" ? { action: "allow", kind, rule } : { action: "deny", kind, rule };
      case "allow-all":
        return destructiveAsks ? { action: "approve", kind, rule: "policy.approveDestructive" } : { action: "allow", kind, rule };
    }
  }

  /** True when a script may see the tool (its calls are allowed, possibly after approval). */
  visible(tool: CatalogTool): boolean {
    return this.decide(tool).action !== "deny";
  }

  /** Patterns of `allow`, `approve` and `deny` that match no tool (likely typos), as config keys. */
  unmatched(tools: readonly CatalogTool[]): string[] {
    const out: string[] = [];
    for (const [key, list] of [["allow", this.config.allow], ["approve", this.config.approve], ["deny", this.config.deny]] as const) {
      list.forEach((pattern, index) => {
        const glob = new GlobList([pattern]);
        if (!tools.some((tool) => glob.test(tool.id))) out.push(`policy.${key}[${index}] "${pattern}"`);
      });
    }
    return out;
  }
}

/**
 * The `POLICY_DENIED` error: for the model (stop, this tool is not available) and for the
 * operator (the config key that would allow it).
 */
export function policyDeniedError(tool: CatalogTool, decision: PolicyDecision): ToolcodeError {
  const allowWith = `policy.allow: ["${tool.id}"]`;
  const why = decision.rule.startsWith("policy.deny")
    ? `it is denied by ${decision.rule}`
    : `it is a ${decision.kind} tool and ${decision.rule} does not allow it`;
  const fix = decision.rule.startsWith("policy.deny")
    ? `remove the pattern from policy.deny, then add ${allowWith}`
    : `add ${allowWith} to the config (or policy.approve: ["${tool.id}"] to allow it after an approval)`;
  return new ToolcodeError(
    "POLICY_DENIED",
    `${tool.id} is not allowed: ${why}. Scripts cannot call it; do not retry, tell the user what you wanted it for. (Operator: ${fix}.)`,
    { tool: tool.id, kind: decision.kind, rule: decision.rule, allowWith },
  );
}
