/**
 * Skills across the two guest languages. A Python run gets its skills as data (the prelude,
 * `sandbox/engines/pyodide/python-prelude.ts`, turns them into the `skills` package: `skills.save`,
 * `skills.list`, and `skills.<id>` / `from skills.<id> import fn` for every Python skill); a
 * JavaScript run gets, for a Python skill, a module that fails with `SKILL_LANGUAGE_MISMATCH`
 * (and a Python run importing a TypeScript skill fails the same way): a skill runs in the
 * language it was written in.
 *
 * @module
 */
import { SKILLS_BRIDGE } from "./guest-skills.js";
import type { StoredSkill } from "./skill-store.js";
import { skillIdentifier } from "./skill-name.js";

/** Code that may pick a skill by a computed name: it gets every Python skill's source. */
const DYNAMIC_PICK = /\bgetattr\s*\(\s*skills\b|\bimport_module\b|\b__import__\b|\bskills\s*\.\s*__|\bvars\s*\(\s*skills\b/;

/**
 * JSON text for a Python run (the skills bridge's `guestData`): every skill's identifier, name and
 * language, and the source of the Python skills `code` can reach (those it names, transitively;
 * all of them when it picks skills dynamically), so a big library costs a script that uses none of
 * it almost nothing.
 */
export function pythonSkillsData(skills: readonly StoredSkill[], code = ""): string {
  const python = skills.filter((s) => s.language === "python");
  const shipped = new Set<string>();
  if (DYNAMIC_PICK.test(code)) {
    for (const skill of python) shipped.add(skill.name);
  } else {
    const pending = [code];
    for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
      for (const skill of python) {
        if (shipped.has(skill.name) || !text.includes(skillIdentifier(skill.name))) continue;
        shipped.add(skill.name);
        pending.push(skill.source);
      }
    }
  }
  const entries = skills.map((s) => [
    skillIdentifier(s.name),
    { name: s.name, language: s.language ?? "typescript", ...(shipped.has(s.name) ? { source: s.source } : {}) },
  ]);
  return JSON.stringify({ skills: Object.fromEntries(entries) });
}

/**
 * The JavaScript module `./skills/<name>` of a Python skill: every function it seems to export
 * fails with `SKILL_LANGUAGE_MISMATCH`, raised by the host (`__skills.mismatch`), so the code is a
 * real bridge error (errors the guest makes itself keep no code).
 */
export function languageMismatchModule(name: string): string {
  return String.raw`"use strict";
var bridge = ${SKILLS_BRIDGE};
var refuse = function () { return bridge.mismatch({ name: ${JSON.stringify(name)} }); };
module.exports = new Proxy({}, {
  get: function (target, key) {
    if (typeof key === "symbol" || key === "then" || key === "__esModule" || key === "toJSON" || key === "constructor") return undefined;
    return refuse;
  },
});
`;
}

/** The message of `SKILL_LANGUAGE_MISMATCH` for a JavaScript script using Python skill `name`. */
export function pythonSkillFromJavaScript(name: string): string {
  return `Skill "${name}" is written in Python and runs only in Python scripts (execute with language "python"). Call it from a Python script, or save a TypeScript version under another name.`;
}
