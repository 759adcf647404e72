import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { StateHandle } from "../runtime/open-state-store.js";
import { StateCipher } from "../runtime/state-cipher.js";
import { MemoryStateStore } from "../runtime/state-store.js";
import { PiiVault } from "./pii-vault.js";
import { SharedVault } from "./shared-vault.js";

const keyOf = (user: string | null, session: string): string => `vault:${createHash("sha256").update(`toolcode-user:${user ?? ""}`).digest("hex").slice(0, 32)}:${session}`;
const rules = { kinds: ["email" as const], fields: [] };

function handle(): StateHandle {
  const store = new MemoryStateStore();
  const cipher = StateCipher.ephemeral();
  return { store, cipher: async () => cipher, close: async () => undefined };
}

describe("SharedVault", () => {
  it("two replicas' vaults of one session tokenizing at once never give one number to two values", async () => {
    const state = handle();
    const shared = new SharedVault({ state, ttlMs: 60_000 });
    const a = new PiiVault(rules);
    const b = new PiiVault(rules);
    const emails = Array.from({ length: 10 }, (_, i) => `user${i}@example.com`);
    const results = await Promise.all(emails.map((email, i) => shared.tokenize(i % 2 === 0 ? a : b, "s1", "ann", `mail ${email}`)));
    const tokens = results.map((r) => r.replace("mail ", ""));
    expect(new Set(tokens).size).toBe(10);
    // Each replica loads the other's entries and detokenizes every token; values keep their token.
    const fresh = new PiiVault(rules);
    await shared.load(fresh, "s1", "ann");
    expect(tokens.map((t) => fresh.detokenize(t))).toEqual(emails);
    expect(await shared.tokenize(fresh, "s1", "ann", emails[3])).toBe(tokens[3]);
    // Another user's or session's vault sees none of it; the record holds no email in clear.
    const other = new PiiVault(rules);
    await shared.load(other, "s1", "bob");
    expect(other.size).toBe(0);
    const raw = await state.store.get(keyOf("ann", "s1"));
    expect(raw).toBeDefined();
    expect(raw).not.toContain("example.com");
  });

  it("without privacy rules nothing is stored", async () => {
    const state = handle();
    const shared = new SharedVault({ state, ttlMs: 60_000 });
    const vault = new PiiVault({ kinds: [], fields: [] });
    expect(await shared.tokenize(vault, "s", null, "a@example.com")).toBe("a@example.com");
    await shared.load(vault, "s", null);
    expect(await state.store.get(keyOf(null, "s"))).toBeUndefined();
  });
});
