/**
 * The `skills` built-in: `skills.save/list` and the skill modules of a run, over the reserved
 * `__skills` bridge global (the guest side is in `skills/guest-skills.ts`).
 *
 * @module
 */
import { SKILLS_BRIDGE, SKILLS_BRIDGE_TOOLS, SKILLS_PRELUDE } from "../../skills/guest-skills.js";
import type { SkillLibrary } from "../../skills/skill-library.js";
import type { GuestBuiltin } from "./guest-builtin.js";

/** The `skills` built-in over the library `library()` returns (opened on first use). */
export function skillsBuiltin(library: () => SkillLibrary): GuestBuiltin {
  return {
    bridge: SKILLS_BRIDGE,
    prelude: SKILLS_PRELUDE,
    begin: ({ code, language }) => {
      const run = library().beginRun(code, language);
      return {
        functions: SKILLS_BRIDGE_TOOLS,
        call: (fn, args) => run.call(fn, args),
        modules: run.modules,
        ...(run.guestData !== undefined ? { guestData: run.guestData } : {}),
        wrapMain: (main) => run.wrapMain(main),
        get internalCalls() {
          return run.internalCalls;
        },
        finish: (succeeded) => run.finish(succeeded),
      };
    },
  };
}
