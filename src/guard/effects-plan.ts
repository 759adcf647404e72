/**
 * The effects plan: which write and destructive tool calls a script can reach, read from its
 * syntax tree before it runs, so the user can approve them once instead of call by call.
 *
 * The scan (TypeScript's parser, no type checker) finds every `server.tool(…)`,
 * `server["tool"](…)` and call of a tool imported from `./servers/<server>`, and records each
 * call site's tool and its first argument when that is a JSON literal (`dynamic` otherwise). A
 * call site inside a loop or a function may run many times (`repeats`).
 *
 * It is honest about what it cannot see: a server or tool used any other way (a computed name
 * `server[name]`, an alias `const s = server`, `globalThis`, `eval`, `require`, dynamic
 * `import()`) makes the plan `dynamic`: no plan is offered and every call asks on its own, as
 * without a plan. Calls made inside skills are not in the plan either; they ask per call.
 *
 * @module
 */
import { createRequire } from "node:module";
import type * as TS from "typescript";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import type { Policy, PolicyDecision } from "./policy.js";

/** One tool call site found in a script. */
export interface ToolCallSite {
  /** Guest identifiers: server global and tool name. */
  server: string;
  tool: string;
  /** The first argument when it is a JSON literal (`{}` for a call without one); absent when computed. */
  arguments?: Record<string, unknown>;
  /** Inside a loop or a function: the site may run any number of times. */
  repeats: boolean;
  /** 1-based line in the script. */
  line: number;
}

/** What the scan found. */
export interface ToolCallScan {
  sites: ToolCallSite[];
  /** Why the calls cannot all be seen statically (empty when they can), e.g. `computed member memory[name] (line 3)`. */
  dynamic: string[];
  /** The script calls skills, whose own tool calls are not in the plan. */
  usesSkills: boolean;
}

/** One write or destructive call of a plan, as the approver sees it. */
export interface PlannedCall {
  /** `server.tool`. */
  tool: string;
  /** The arguments when they are literal in the script; `"dynamic"` when computed at run time. */
  arguments: Record<string, unknown> | "dynamic";
  /** Present when the call site may run more than once (inside a loop or a function). */
  repeats?: true;
  /** Whether this call needs the approval (the others are allowed by the policy anyway). */
  needsApproval: boolean;
  line: number;
}

/** The write and destructive calls of a script, or why there is no plan. */
export type EffectsPlan =
  | { ok: true; calls: PlannedCall[]; notes: string[] }
  | { ok: false; reason: string };

/** Identifiers that reach globals (and so the server namespaces) by a name computed at run time. */
const ESCAPES = new Set(["globalThis", "eval", "Function", "require", "self", "window"]);

/** Most reasons listed in {@link ToolCallScan.dynamic}. */
const MAX_REASONS = 5;

let typescript: typeof TS | undefined;

/** The TypeScript module, loaded on first use (only scripts that may need an approval pay for it). */
function loadTypeScript(): typeof TS {
  typescript ??= createRequire(import.meta.url)("typescript") as typeof TS;
  return typescript;
}

/**
 * The plan of `code`: every write or destructive call site (by the policy's kind), with its
 * decision, or `ok: false` with the reason when calls cannot all be seen statically.
 *
 * @param servers the guest's server globals (what `server.tool` can name)
 * @param resolve the catalog tool of guest identifiers, undefined when there is none
 */
export function planEffects(code: string, servers: Iterable<string>, resolve: (server: string, tool: string) => CatalogTool | undefined, policy: Policy): EffectsPlan {
  const scan = scanToolCalls(loadTypeScript(), code, new Set(servers));
  if (scan.dynamic.length > 0) return { ok: false, reason: `the script reaches tools dynamically (${scan.dynamic.join("; ")})` };
  const calls: PlannedCall[] = [];
  for (const site of scan.sites) {
    const tool = resolve(site.server, site.tool);
    if (tool === undefined) continue; // an unknown name fails at run time with TOOL_NOT_FOUND
    const decision: PolicyDecision = policy.decide(tool);
    if (decision.kind === "read" || decision.action === "deny") continue;
    calls.push({ tool: tool.id, arguments: site.arguments ?? "dynamic", ...(site.repeats ? { repeats: true as const } : {}), needsApproval: decision.action === "approve", line: site.line });
  }
  return { ok: true, calls, notes: scan.usesSkills ? ["calls made inside skills are not in the plan; each asks on its own"] : [] };
}

/** Scans `code` for tool calls (see the module doc). A script that does not parse yields no sites. */
export function scanToolCalls(ts: typeof TS, code: string, servers: ReadonlySet<string>): ToolCallScan {
  const file = ts.createSourceFile("script.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: ToolCallSite[] = [];
  const dynamic: string[] = [];
  let usesSkills = false;
  /** Local names bound to a server namespace (globals and `import * as s` / default imports). */
  const namespaces = new Map<string, string>([...servers].map((s) => [s, s]));
  /** Local names bound to one tool (`import { tool as t } from "./servers/s"`). */
  const toolFns = new Map<string, { server: string; tool: string }>();
  const lineOf = (node: TS.Node): number => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const flag = (what: string, node: TS.Node): void => {
    if (dynamic.length < MAX_REASONS) dynamic.push(`${what} (line ${lineOf(node)})`);
  };

  // Imports first: they bind names for the whole module.
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const target = serverModule(statement.moduleSpecifier.text);
    if (target === "skills") usesSkills = true;
    if (target === undefined || target === "skills") continue;
    const clause = statement.importClause;
    if (!clause || clause.isTypeOnly) continue;
    if (clause.name) {
      if (target.tool === undefined) namespaces.set(clause.name.text, target.server);
      else toolFns.set(clause.name.text, { server: target.server, tool: target.tool });
    }
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) {
      if (target.tool === undefined) namespaces.set(bindings.name.text, target.server);
      else toolFns.set(bindings.name.text, { server: target.server, tool: target.tool });
    } else if (bindings) {
      for (const element of bindings.elements) {
        if (element.isTypeOnly) continue;
        const imported = (element.propertyName ?? element.name).text;
        if (target.tool === undefined) toolFns.set(element.name.text, { server: target.server, tool: imported });
        else if (imported === target.tool || imported === "default") toolFns.set(element.name.text, { server: target.server, tool: target.tool });
      }
    }
  }

  const record = (call: TS.CallExpression, server: string, tool: string, repeats: boolean): void => {
    const first = call.arguments[0];
    const args = first === undefined ? {} : literalJson(ts, first);
    const site: ToolCallSite = { server, tool, repeats, line: lineOf(call) };
    if (args !== NOT_LITERAL && isPlainObject(args) && call.arguments.length <= 1) site.arguments = args;
    sites.push(site);
  };

  const visit = (node: TS.Node, repeats: boolean): void => {
    if (ts.isImportDeclaration(node)) {
      return; // bindings handled above; the specifier is not a reference
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      flag("dynamic import()", node);
    }
    if (ts.isIdentifier(node) && isReference(ts, node)) {
      const name = node.text;
      if (name === "skills") usesSkills = true;
      if (ESCAPES.has(name)) flag(name, node);
      const server = namespaces.get(name);
      const fn = toolFns.get(name);
      if (server !== undefined) {
        const use = namespaceUse(ts, node);
        if (use === undefined) flag(`${name} used other than ${name}.tool(…)`, node);
        else if (use.tool === undefined) flag(`computed member ${name}[…]`, node);
        else if (use.call) record(use.call, server, use.tool, repeats);
        else flag(`${name}.${use.tool} used other than called`, node);
      } else if (fn !== undefined) {
        const parent = skipParens(ts, node).parent;
        if (ts.isCallExpression(parent) && skipParensDown(ts, parent.expression) === node) record(parent, fn.server, fn.tool, repeats);
        else flag(`${name} used other than called`, node);
      }
      return;
    }
    // A binding that shadows a server or tool name hides what later references mean.
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name && ts.isIdentifier(node.name)) {
      const name = node.name.text;
      if (namespaces.has(name) || toolFns.has(name)) flag(`${name} redeclared`, node);
    }
    const inner = repeats || isLoop(ts, node) || ts.isFunctionLike(node);
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  ts.forEachChild(file, (child) => visit(child, false));
  return { sites, dynamic, usesSkills };
}

/** `./servers/<server>` or `./servers/<server>/<tool>` (any of the spellings the guest loader accepts), `skills` for a skill module. */
function serverModule(specifier: string): { server: string; tool?: string } | "skills" | undefined {
  const parts = specifier.replace(/\.(?:d\.ts|ts|js|mjs|cjs)$/, "").split("/").filter((p) => p !== "" && p !== ".");
  if (parts[parts.length - 1] === "index" && parts.length > 2) parts.pop();
  if (parts[0] === "skills") return "skills";
  if (parts[0] !== "servers" || parts.length < 2 || parts.length > 3 || parts.includes("..")) return undefined;
  return parts[2] === undefined ? { server: parts[1]! } : { server: parts[1]!, tool: parts[2] };
}

/** How a server namespace identifier is used: `ns.tool` / `ns["tool"]` (and the call, when it is called), `ns[expr]` (no tool), or neither. */
function namespaceUse(ts: typeof TS, id: TS.Identifier): { tool?: string; call?: TS.CallExpression } | undefined {
  const outer = skipParens(ts, id);
  const access = outer.parent;
  let tool: string | undefined;
  if (ts.isPropertyAccessExpression(access) && access.expression === outer) tool = access.name.text;
  else if (ts.isElementAccessExpression(access) && access.expression === outer) {
    const key = access.argumentExpression;
    if (ts.isStringLiteral(key) || ts.isNoSubstitutionTemplateLiteral(key)) tool = key.text;
    else return {};
  } else {
    return undefined;
  }
  const member = skipParens(ts, access);
  const parent = member.parent;
  return ts.isCallExpression(parent) && skipParensDown(ts, parent.expression) === access ? { tool, call: parent } : { tool };
}

/** True when `id` is a reference to a binding (not a property name, key, label or declaration name). */
function isReference(ts: typeof TS, id: TS.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isPropertySignature(parent) || ts.isGetAccessor(parent) || ts.isSetAccessor(parent)) && parent.name === id) return false;
  if (ts.isShorthandPropertyAssignment(parent)) return true; // `{ memory }` reads memory
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent) || ts.isFunctionExpression(parent) || ts.isClassDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === id) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === id) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  if (ts.isTypeReferenceNode(parent) || ts.isQualifiedName(parent) || ts.isTypeQueryNode(parent)) return false;
  if (ts.isInterfaceDeclaration(parent) || ts.isTypeAliasDeclaration(parent) || ts.isTypeParameterDeclaration(parent) || ts.isEnumMember(parent)) return false;
  return true;
}

function isLoop(ts: typeof TS, node: TS.Node): boolean {
  return ts.isForStatement(node) || ts.isForInStatement(node) || ts.isForOfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node);
}

/** The outermost node of `node` wrapped in parentheses, `!` or `as`/`satisfies` casts. */
function skipParens(ts: typeof TS, node: TS.Node): TS.Node {
  let current = node;
  while (ts.isParenthesizedExpression(current.parent) || ts.isNonNullExpression(current.parent) || ts.isAsExpression(current.parent) || ts.isSatisfiesExpression(current.parent)) current = current.parent;
  return current;
}

/** The expression inside parentheses, `!` and casts. */
function skipParensDown(ts: typeof TS, node: TS.Expression): TS.Expression {
  let current = node;
  while (ts.isParenthesizedExpression(current) || ts.isNonNullExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current)) current = current.expression;
  return current;
}

const NOT_LITERAL = Symbol("not literal");

/** The JSON value of a literal expression, or {@link NOT_LITERAL}. */
function literalJson(ts: typeof TS, node: TS.Expression): unknown {
  const expr = skipParensDown(ts, node);
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return expr.text;
  if (ts.isNumericLiteral(expr)) return Number(expr.text);
  if (ts.isPrefixUnaryExpression(expr) && expr.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(expr.operand)) return -Number(expr.operand.text);
  if (expr.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (expr.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (expr.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(expr)) {
    const out: unknown[] = [];
    for (const element of expr.elements) {
      const value = ts.isOmittedExpression(element) || ts.isSpreadElement(element) ? NOT_LITERAL : literalJson(ts, element);
      if (value === NOT_LITERAL) return NOT_LITERAL;
      out.push(value);
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(expr)) {
    const out: Record<string, unknown> = {};
    for (const property of expr.properties) {
      if (!ts.isPropertyAssignment(property)) return NOT_LITERAL;
      const name = property.name;
      const key = ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name) ? name.text : ts.isNumericLiteral(name) ? String(Number(name.text)) : undefined;
      if (key === undefined || key === "__proto__") return NOT_LITERAL;
      const value = literalJson(ts, property.initializer);
      if (value === NOT_LITERAL) return NOT_LITERAL;
      out[key] = value;
    }
    return out;
  }
  return NOT_LITERAL;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
