/**
 * What the policy hides, said out loud: a model that cannot find a tool concludes it does not
 * exist, so `search`, `types` and the `execute` description count the hidden tools, and a search
 * whose query matches hidden tools names them with the config key that would allow them.
 *
 * Two kinds of hidden tool get different words: tools that are merely off under
 * `policy.default` (`read-only` hides write and destructive tools; `deny-all` hides everything)
 * can be enabled with `policy.allow`; tools the operator denied on purpose (`policy.deny`) are
 * named as denied, never advertised as something to enable. With `policy.revealHidden: false`
 * only counts are given, never names.
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { SearchIndex } from "../catalog/search-index.js";
import type { Policy, PolicyDecision } from "./policy.js";

/** One tool the policy hides, and why. */
export interface HiddenTool {
  tool: CatalogTool;
  decision: PolicyDecision;
  /** `off`: not allowed by `policy.default` (enable with `policy.allow`); `denied`: named by `policy.deny`. */
  reason: "off" | "denied";
}

/** Most hidden tools named in one search answer. */
const MAX_NAMED = 8;

/** The hidden tools of one toolcode instance. */
export class HiddenTools {
  readonly tools: readonly HiddenTool[];
  readonly #policy: Policy;
  readonly #reveal: boolean;
  #index: SearchIndex | undefined;

  /** `all`: every tool of the catalog, hidden or not; `reveal`: whether names may be shown (`policy.revealHidden`). */
  constructor(
    private readonly all: readonly CatalogTool[],
    policy: Policy,
    reveal: boolean,
  ) {
    this.#policy = policy;
    this.#reveal = reveal;
    this.tools = all.flatMap((tool): HiddenTool[] => {
      const decision = policy.decide(tool);
      if (decision.action !== "deny") return [];
      return [{ tool, decision, reason: decision.rule.startsWith("policy.deny") ? "denied" : "off" }];
    });
  }

  /** Whether names may be shown (`policy.revealHidden`). */
  get reveal(): boolean {
    return this.#reveal;
  }

  /** Number of hidden tools. */
  get count(): number {
    return this.tools.length;
  }

  /** The hidden tools of one server (guest identifier). */
  ofServer(server: string): HiddenTool[] {
    return this.tools.filter((hidden) => hidden.tool.server === server);
  }

  /**
   * One sentence counting what is hidden and how to enable it, or undefined when nothing is:
   * e.g. `14 write tools are off under the read-only policy (policy.default "read-only"); the
   * operator enables them with policy.allow, e.g. policy.allow: ["filesystem.write_file"].`
   */
  summary(tools: readonly HiddenTool[] = this.tools): string | undefined {
    if (tools.length === 0) return undefined;
    const off = tools.filter((hidden) => hidden.reason === "off");
    const denied = tools.filter((hidden) => hidden.reason === "denied");
    const parts: string[] = [];
    if (off.length > 0) {
      const example = this.#reveal ? `, e.g. policy.allow: ["${(off[0] as HiddenTool).tool.id}"]` : "";
      parts.push(`${offPhrase(off.length, this.#policy.config.default)}; the operator enables them with policy.allow in the toolcode config${example}`);
    }
    if (denied.length > 0) parts.push(`${plural(denied.length, "tool is", "tools are")} denied by the operator (policy.deny)`);
    const names = this.#reveal ? " search names the hidden tools that match a query." : "";
    return `${parts.join("; ")}.${names}`;
  }

  /**
   * What a search for `query` should add about hidden tools: the hidden tools that rank among
   * the top `limit` results of the same query over every tool (so they are as relevant as what
   * the model sees), named with the key that allows them; only a count when names are off.
   */
  describeMatches(query: string, options: { limit?: number; server?: string } = {}): string | undefined {
    if (this.tools.length === 0) return undefined;
    if (query.trim() === "") return this.summary(options.server === undefined ? this.tools : this.ofServer(options.server));
    this.#index ??= new SearchIndex(this.all);
    const hiddenIds = new Map(this.tools.map((hidden) => [hidden.tool.id, hidden]));
    const matches = this.#index
      .search(query, { limit: Math.max(options.limit ?? 10, 5), ...(options.server !== undefined ? { server: options.server } : {}) })
      .flatMap((result) => hiddenIds.get(result.tool.id) ?? []);
    if (matches.length === 0) return undefined;
    if (!this.#reveal) return `(${plural(matches.length, "matching tool is", "matching tools are")} hidden by the policy.)`;
    const lines: string[] = [];
    const off = matches.filter((hidden) => hidden.reason === "off").slice(0, MAX_NAMED);
    const denied = matches.filter((hidden) => hidden.reason === "denied").slice(0, MAX_NAMED);
    if (off.length > 0) {
      const ids = off.map((hidden) => hidden.tool.id);
      lines.push(
        `Hidden by the policy, not callable now: ${ids.join(", ")} (${kinds(off)}, off under ${(off[0] as HiddenTool).decision.rule}). ` +
          `If the user needs one, tell them the operator can enable it in the toolcode config: policy.allow: [${ids.map((id) => `"${id}"`).join(", ")}] (or policy.approve to ask before each call).`,
      );
    }
    if (denied.length > 0) {
      lines.push(`Denied by the operator (policy.deny), not available: ${denied.map((hidden) => hidden.tool.id).join(", ")}. Do not ask for them to be enabled.`);
    }
    return lines.join("\n");
  }

  /**
   * A comment for the end of a declaration file: what the policy hides of `server` (or of every
   * server), names included unless `policy.revealHidden` is false.
   */
  declarationComment(server?: string): string {
    const tools = server === undefined ? this.tools : this.ofServer(server);
    const summary = this.summary(tools);
    if (summary === undefined) return "";
    const lines = [`// Hidden by the policy: ${summary.replace(/ search names .*$/, "")}`];
    if (this.#reveal) {
      for (const [id, group] of groupByServer(tools)) lines.push(`//   ${id}: ${group.map((hidden) => hidden.tool.tool + (hidden.reason === "denied" ? " (denied)" : "")).join(", ")}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

/** `14 write tools are off under the read-only policy (policy.default "read-only")`. */
function offPhrase(count: number, policyDefault: string): string {
  return policyDefault === "read-only"
    ? `${plural(count, "write tool is", "write tools are")} off under the read-only policy (policy.default "read-only")`
    : `${plural(count, "tool is", "tools are")} off under policy.default "${policyDefault}"`;
}

/** `write tools`, `destructive tools` or `write and destructive tools`. */
function kinds(tools: readonly HiddenTool[]): string {
  const set = new Set(tools.map((hidden) => hidden.decision.kind));
  return `${[...set].join(" and ")} ${tools.length === 1 ? "tool" : "tools"}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function groupByServer(tools: readonly HiddenTool[]): Map<string, HiddenTool[]> {
  const groups = new Map<string, HiddenTool[]>();
  for (const hidden of tools) {
    const group = groups.get(hidden.tool.server) ?? [];
    group.push(hidden);
    groups.set(hidden.tool.server, group);
  }
  return groups;
}
