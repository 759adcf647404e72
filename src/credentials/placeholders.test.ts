import { describe, expect, it } from "vitest";
import { fillUserPlaceholders, hasUserPlaceholder, userFields } from "./placeholders.js";

describe("${user.NAME} placeholders", () => {
  it("finds fields and fallbacks anywhere in a config value", () => {
    const value = { auth: { type: "bearer", token: "${user.TOKEN}" }, headers: { "X-Org": "org-${user.ORG:-acme}", Plain: "x" } };
    expect(userFields(value)).toEqual([{ name: "TOKEN" }, { name: "ORG", fallback: "acme" }]);
    expect(hasUserPlaceholder("Bearer ${user.TOKEN}")).toBe(true);
    expect(hasUserPlaceholder("Bearer ${TOKEN}")).toBe(false);
  });

  it("fills values, then fallbacks, and refuses to fill a field without either", () => {
    const value = { token: "${user.TOKEN}", org: "org-${user.ORG:-acme}" };
    expect(fillUserPlaceholders(value, { TOKEN: "t1" })).toEqual({ token: "t1", org: "org-acme" });
    expect(fillUserPlaceholders(value, { TOKEN: "t1", ORG: "mine" })).toEqual({ token: "t1", org: "org-mine" });
    expect(() => fillUserPlaceholders(value, {})).toThrow(/user\.TOKEN/);
  });
});
