/**
 * The guest side of skills: the JavaScript the sandbox runs so guest code can use them.
 *
 * - `./skills` is a guest module (generated per run) holding the `skills` object: `save` and
 *   `list` reach the host through the reserved `__skills` bridge global (the same bridge, limits
 *   and error handling as tool calls, like `workspace`), and `skills.<id>` is a getter that
 *   `require`s `./skills/<name>`. It also keeps this run's usage counts.
 * - `./skills/<name>` is a skill's module: its TypeScript transpiled to a CommonJS body, with a
 *   one-line prelude (`skills`, `workspace`) and an epilogue that wraps each exported function
 *   so calls and failures are counted. Skills call tools as ordinary guest code does, so their
 *   tool calls go through the same bridge and guard as the script's own.
 * - The script's prelude binds `skills`, and {@link wrapMainForSkills} wraps the script so that,
 *   when it ends (returned or threw), one `__skills.report` call hands the counts to the host.
 *
 * @module
 */
import { transform } from "sucrase";
import { ToolcodeError } from "../errors.js";

/** The reserved bridge global behind `skills`. Not a valid config key for a server. */
export const SKILLS_BRIDGE = "__skills";

/** Functions of the bridge global, as the sandbox needs them. */
export const SKILLS_BRIDGE_TOOLS = ["save", "list", "report", "mismatch"];

/** Module path of the `skills` object. */
export const SKILLS_MODULE = "./skills";

/** Prelude of the user's script: one line (it must not shift line numbers). */
export const SKILLS_PRELUDE = `const skills = require(${JSON.stringify(SKILLS_MODULE)});`;

/**
 * Source of the `./skills` module for a run in which `skills` (name → guest identifier) exist.
 * Plain ES2020, evaluated by the sandbox's module loader with `require`, `exports`, `module`.
 */
export function skillsRuntimeModule(skills: ReadonlyArray<{ name: string; id: string }>): string {
  const pairs = JSON.stringify(skills.map((s) => [s.name, s.id]));
  return String.raw`"use strict";
var bridge = ${SKILLS_BRIDGE};
var pairs = ${pairs};
var usage = Object.create(null);
var ownKeys = Object.keys;
var defineProperty = Object.defineProperty;
var getDescriptor = Object.getOwnPropertyDescriptor;
var construct = Reflect.construct;
var apply = Reflect.apply;
function entry(name) {
  var u = usage[name];
  if (u === undefined) { u = { imports: 0, calls: 0, failures: 0 }; usage[name] = u; }
  return u;
}
function wrap(name, fn) {
  var u = entry(name);
  var wrapped = function () {
    u.calls += 1;
    var result;
    try {
      result = new.target ? construct(fn, arguments, new.target) : apply(fn, this, arguments);
    } catch (error) {
      u.failures += 1;
      throw error;
    }
    if (result !== null && typeof result === "object" && typeof result.then === "function") {
      return result.then(undefined, function (error) { u.failures += 1; throw error; });
    }
    return result;
  };
  try {
    defineProperty(wrapped, "name", { value: fn.name });
    defineProperty(wrapped, "length", { value: fn.length });
  } catch (ignored) { /* keep defaults */ }
  return wrapped;
}
function track(name, mod) {
  entry(name).imports = 1;
  var exp = mod.exports;
  if (typeof exp === "function") { mod.exports = wrap(name, exp); return; }
  if (exp === null || typeof exp !== "object") return;
  var seen = new Map();
  var keys = ownKeys(exp);
  for (var i = 0; i < keys.length; i++) {
    var d = getDescriptor(exp, keys[i]);
    if (d === undefined || !("value" in d) || typeof d.value !== "function" || !(d.writable || d.configurable)) continue;
    var w = seen.get(d.value);
    if (w === undefined) { w = wrap(name, d.value); seen.set(d.value, w); }
    if (d.configurable) defineProperty(exp, keys[i], { value: w, writable: d.writable, enumerable: d.enumerable, configurable: true });
    else exp[keys[i]] = w;
  }
}
function report() {
  var names = ownKeys(usage);
  if (names.length === 0) return undefined;
  var payload = {};
  for (var i = 0; i < names.length; i++) payload[names[i]] = usage[names[i]];
  usage = Object.create(null);
  return bridge.report({ usage: payload }).then(undefined, function () { return undefined; });
}
var api = {};
defineProperty(api, "save", { value: function save(skill) { return bridge.save(skill === undefined ? {} : skill); }, enumerable: true });
defineProperty(api, "list", { value: function list() { return bridge.list({}); }, enumerable: true });
pairs.forEach(function (pair) {
  var load = function () { return require("./skills/" + pair[0]); };
  defineProperty(api, pair[1], { get: load });
  if (pair[0] !== pair[1]) defineProperty(api, pair[0], { get: load });
});
defineProperty(api, "__track", { value: track });
defineProperty(api, "__report", { value: report });
Object.freeze(api);
var known = pairs.map(function (pair) { return pair[1]; });
module.exports = new Proxy(api, {
  get: function (target, key) {
    if (typeof key === "symbol" || key in target) return target[key];
    if (key === "then" || key === "toJSON" || key === "constructor" || key === "inspect" || key === "default" || key === "__esModule") return key === "default" ? module.exports : undefined;
    throw new ToolError(
      "skills." + key + " is not a saved skill. Saved skills: " + (known.length > 0 ? known.join(", ") : "(none)") +
        ". Save one with skills.save({ name, description, code }); skills saved in this execution are available from the next one.",
      "SKILL_NOT_FOUND",
    );
  },
});
`;
}

/**
 * Source of the guest module `./skills/<name>` from the skill's TypeScript: types stripped and
 * imports/exports rewritten to a CommonJS body (sucrase, like the script itself), with the
 * one-line `prelude` of other guest built-ins (e.g. `workspace`) after `skills`. Line `n` of the
 * skill stays line `n + 1` of the module (the transpiler's prologue line also carries the prelude).
 *
 * @throws {ToolcodeError} `GUEST_SYNTAX_ERROR` when the source does not parse.
 */
export function skillModuleSource(name: string, source: string, prelude = ""): string {
  let js: string;
  try {
    // The leading newline keeps sucrase's prologue on a line of its own.
    js = transform(`\n${source}`, { transforms: ["typescript", "imports"], disableESTransforms: true }).code;
  } catch (error) {
    throw new ToolcodeError("GUEST_SYNTAX_ERROR", `In module ./skills/${name}: ${error instanceof Error ? error.message : String(error)}`, { module: `./skills/${name}` });
  }
  const lineOne = `const skills = require(${JSON.stringify(SKILLS_MODULE)});${prelude === "" ? "" : ` ${prelude}`}`;
  const newline = js.indexOf("\n");
  const head = newline === -1 ? js : js.slice(0, newline);
  const rest = newline === -1 ? "" : js.slice(newline);
  return `${head}${lineOne}${rest}\n;require(${JSON.stringify(SKILLS_MODULE)}).__track(${JSON.stringify(name)}, module);\n`;
}

/** A module that fails on load with `message` (a stored skill whose source no longer parses). */
export function brokenModuleSource(message: string): string {
  return `throw new Error(${JSON.stringify(message)});\n`;
}

/**
 * Wraps the transpiled script (an expression evaluating to `async function (require, exports)`)
 * so that this run's skill usage is reported once it ends, returned or thrown. Adds no line
 * before the script's first line, so line numbers are unchanged.
 */
export function wrapMainForSkills(code: string): string {
  return (
    `(function (main) { return async function (require, exports) { try { return await main(require, exports); } ` +
    `finally { await require(${JSON.stringify(SKILLS_MODULE)}).__report(); } }; })(${code})`
  );
}
