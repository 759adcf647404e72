/**
 * Where guest built-ins are registered: the one list, in prelude order. Adding a built-in is a
 * file beside this one (implementing {@link GuestBuiltin}) and one line here.
 *
 * @module
 */
import type { SkillLibrary } from "../../skills/skill-library.js";
import type { GuestBuiltin } from "./guest-builtin.js";
import { type SearchFunction, searchBuiltin } from "./search-builtin.js";
import { skillsBuiltin } from "./skills-builtin.js";
import { DEFAULT_MAX_STATE_BYTES, type StateLimits, stateBuiltin } from "./state-builtin.js";
import { workspaceBuiltin } from "./workspace-builtin.js";

/** What built-ins are made from. */
export interface BuiltinDependencies {
  /** The skill library (opened on first use). */
  skills: () => SkillLibrary;
  /** The instance's search (guest `search(query)`). */
  search: SearchFunction;
  /** Limits of the session `state` (default: 1 MiB, 256 levels). */
  state?: StateLimits;
}

/** Every built-in of a toolcode instance. */
export function registeredBuiltins(deps: BuiltinDependencies): GuestBuiltin[] {
  return [workspaceBuiltin, skillsBuiltin(deps.skills), searchBuiltin(deps.search), stateBuiltin(deps.state ?? { maxBytes: DEFAULT_MAX_STATE_BYTES, maxDepth: 256 })];
}

/** The built-ins skill modules get (their declarations and one-line preludes). */
export function skillBuiltins(builtins: readonly GuestBuiltin[]): { declarations: string; prelude: string } {
  const inSkills = builtins.filter((b) => b.inSkills);
  return { declarations: inSkills.map((b) => b.declarations?.text ?? "").join("\n"), prelude: inSkills.map((b) => b.prelude).join("") };
}
