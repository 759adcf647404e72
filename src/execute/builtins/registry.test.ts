import { describe, expect, it } from "vitest";
import { sanitizeIdentifier } from "../../catalog/names.js";
import { ToolcodeError } from "../../errors.js";
import type { SkillLibrary } from "../../skills/skill-library.js";
import { hostFunctionsBuiltin } from "./host-functions.js";
import { registeredBuiltins, skillBuiltins } from "./registry.js";

const unopened = (): SkillLibrary => {
  throw new Error("the registry must not open the skill library");
};
const noSearch = (): { results: [] } => ({ results: [] });

describe("guest built-ins registry", () => {
  const builtins = [...registeredBuiltins({ skills: unopened, search: noSearch }), hostFunctionsBuiltin({ prelude: "", functions: {} })];

  it("every bridge global is reserved (no server can take its name) and unique", () => {
    for (const builtin of builtins) expect(sanitizeIdentifier(builtin.bridge), builtin.bridge).not.toBe(builtin.bridge);
    expect(new Set(builtins.map((b) => b.bridge)).size).toBe(builtins.length);
  });

  it("every prelude is one line, so user line numbers do not shift", () => {
    for (const builtin of builtins) expect(builtin.prelude, builtin.bridge).not.toContain("\n");
  });

  it("skill modules get workspace (declarations and prelude), not skills itself", () => {
    const inSkills = skillBuiltins(registeredBuiltins({ skills: unopened, search: noSearch }));
    expect(inSkills.declarations).toContain("declare namespace workspace");
    expect(inSkills.prelude).toMatch(/^const workspace = /);
    expect(inSkills.prelude).not.toContain("__skills");
  });

  it("host functions answer only their own names", async () => {
    const run = hostFunctionsBuiltin({ prelude: "", functions: { twice: (arg) => Number(arg) * 2 } }).begin({ code: "", workspace: undefined as never });
    expect(run.functions).toEqual(["twice"]);
    expect(run.call("twice", 21)).toBe(42);
    expect(() => run.call("toString", {})).toThrow(ToolcodeError);
    expect(() => run.call("toString", {})).toThrow(/No host function "toString". Host functions: twice/);
  });
});
