import { describe, expect, it } from "vitest";
import { PiiVault } from "./pii-vault.js";

describe("PiiVault", () => {
  it("tokenizes detector matches with stable per-vault tokens, and detokenizes them back", () => {
    const vault = new PiiVault({ kinds: ["email", "phone"], fields: [] });
    const out = vault.tokenize({ a: "mail ada@example.com", b: ["ada@example.com", "bob@example.com"], c: "call +1 202 555 0143" });
    expect(out).toEqual({ a: "mail <email_1>", b: ["<email_1>", "<email_2>"], c: "call <phone_1>" });
    expect(vault.detokenize({ to: "<email_2>", note: "cc <email_1> and <email_9>" })).toEqual({ to: "bob@example.com", note: "cc ada@example.com and <email_9>" });
  });

  it("tokenizes values of configured fields, in objects and in JSON text, and hides them wherever they appear later", () => {
    const vault = new PiiVault({ kinds: [], fields: ["name", "*_address"] });
    const out = vault.tokenize({
      relations: [{ from: "Ada Lovelace", to: "Charles Babbage", relationType: "knows" }],
      entities: [{ name: "Ada Lovelace", home_address: { street: "12 St James's Sq", city: "London" } }, { Name: "Charles Babbage" }],
      text: '[{"name": "Grace Hopper", "age": 85}]',
      prose: "Grace Hopper met Ada Lovelace; Ada Lovelacey is someone else.",
    });
    expect(out).toEqual({
      relations: [{ from: "<name_1>", to: "<name_2>", relationType: "knows" }],
      entities: [{ name: "<name_1>", home_address: { street: "<home_address_1>", city: "<home_address_2>" } }, { Name: "<name_2>" }],
      text: '[{"name": "<name_3>", "age": 85}]',
      prose: "<name_3> met <name_1>; Ada Lovelacey is someone else.",
    });
    expect(JSON.stringify(out)).not.toMatch(/Lovelace"|Babbage|Hopper|James|London/);
  });

  it("keeps a number's type when a whole argument is its token", () => {
    const vault = new PiiVault({ kinds: [], fields: ["phone"] });
    const out = vault.tokenize({ phone: 2025550143 }) as unknown as { phone: string };
    expect(out.phone).toBe("<phone_1>");
    expect(vault.detokenize({ phone: "<phone_1>", text: "tel <phone_1>" })).toEqual({ phone: 2025550143, text: "tel 2025550143" });
  });

  it("escapes real values put back into JSON text", () => {
    const vault = new PiiVault({ kinds: [], fields: ["address"] });
    vault.tokenize({ address: 'Flat "B"\n1 Main St' });
    const json = JSON.stringify({ address: "<address_1>" });
    const back = vault.detokenize(json);
    expect(JSON.parse(back)).toEqual({ address: 'Flat "B"\n1 Main St' });
    expect(vault.detokenize("<address_1>")).toBe('Flat "B"\n1 Main St');
  });

  it("does not re-tokenize tokens, leaves base64 blobs alone, and is the identity when disabled", () => {
    const vault = new PiiVault({ kinds: ["email", "card", "iban"], fields: ["name"] });
    expect(vault.tokenize({ name: "<name_7>", text: "<email_2>" })).toEqual({ name: "<name_7>", text: "<email_2>" });
    const blob = "QUJD".repeat(200) + "GB82WEST12345698765432";
    expect(vault.tokenizeText(blob)).toBe(blob);
    const off = new PiiVault({ kinds: [], fields: [] });
    const value = { email: "ada@example.com" };
    expect(off.tokenize(value)).toBe(value);
    expect(off.enabled).toBe(false);
  });

  it("finds every known value again among thousands that share their first word (longest match wins)", () => {
    const vault = new PiiVault({ kinds: [], fields: ["name"] });
    const people = Array.from({ length: 2000 }, (_, i) => ({ name: `Person ${i} Smith` }));
    vault.tokenize(people);
    vault.tokenize({ name: "Person" });
    const prose = people.map((p) => `${p.name} met Person.`).join(" ");
    const out = vault.tokenizeText(prose);
    expect(out).not.toMatch(/Smith/);
    expect(out.startsWith("<name_1> met <name_2001>. <name_2> met <name_2001>.")).toBe(true);
  });

  it("two vaults never share tokens", () => {
    const a = new PiiVault({ kinds: ["email"], fields: [] });
    const b = new PiiVault({ kinds: ["email"], fields: [] });
    expect(a.tokenize("ada@example.com")).toBe("<email_1>");
    expect(b.detokenize("<email_1>")).toBe("<email_1>");
  });
  it("exports the entries a text references and adopts them into another vault, all or none", () => {
    const first = new PiiVault({ kinds: ["email"], fields: [] });
    first.tokenize(["ada@example.com", "bob@example.com", "eve@example.com"]);
    const entries = first.entriesIn('{"to":"<email_2>","cc":["<email_1>","<email_2>","<email_7>"]}');
    expect(entries).toEqual([["<email_2>", "bob@example.com"], ["<email_1>", "ada@example.com"]]);

    const resumed = new PiiVault({ kinds: ["email"], fields: [] });
    expect(resumed.adopt(entries)).toEqual({ ok: true });
    expect(resumed.detokenize({ to: "<email_2>" })).toEqual({ to: "bob@example.com" });
    // Known values keep their tokens; new ones number after the adopted ones.
    expect(resumed.tokenize("ada@example.com and zed@example.com")).toBe("<email_1> and <email_3>");

    const clashing = new PiiVault({ kinds: ["email"], fields: [] });
    clashing.tokenize("mallory@example.com");
    expect(clashing.adopt(entries)).toEqual({ ok: false, token: "<email_1>" });
    expect(clashing.detokenize("<email_2>")).toBe("<email_2>");
  });
});
