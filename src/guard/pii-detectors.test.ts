import { describe, expect, it } from "vitest";
import { PII_KINDS, type PiiKind } from "../config/guard-schema.js";
import { detectPii, ibanValid, luhnValid } from "./pii-detectors.js";

const ALL = new Set<PiiKind>(PII_KINDS);
const found = (text: string, kinds: Iterable<PiiKind> = ALL): [PiiKind, string][] => detectPii(text, new Set(kinds)).map((m) => [m.kind, m.value]);

describe("PII detectors", () => {
  it("checksums: Luhn and IBAN mod-97", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(ibanValid("DE89 3704 0044 0532 0130 00")).toBe(true);
    expect(ibanValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanValid("GB82WEST12345698765433")).toBe(false);
  });

  it("finds emails", () => {
    expect(found("Contact ada.lovelace+work@example.co.uk today.")).toEqual([["email", "ada.lovelace+work@example.co.uk"]]);
    expect(found("not an email: a@b, @handle, x@y.z")).toEqual([]);
  });

  it("finds phone numbers in international and North American formats, not dates or ids", () => {
    expect(found("call +44 20 7946 0958 or (555) 123-4567 or 555.867.5309")).toEqual([
      ["phone", "+44 20 7946 0958"],
      ["phone", "(555) 123-4567"],
      ["phone", "555.867.5309"],
    ]);
    expect(found("on 2024-01-15 order 1234567 version 1.2.3 at 12:30:45")).toEqual([]);
  });

  it("finds payment cards only when the Luhn check passes", () => {
    expect(found("card 4111 1111 1111 1111, also 5500-0000-0000-0004")).toEqual([
      ["card", "4111 1111 1111 1111"],
      ["card", "5500-0000-0000-0004"],
    ]);
    expect(found("card 4111 1111 1111 1112 and id 1700000000000")).toEqual([]);
  });

  it("finds IBANs (compact and grouped) only when mod-97 passes", () => {
    expect(found("pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432.")).toEqual([
      ["iban", "DE89 3704 0044 0532 0130 00"],
      ["iban", "GB82WEST12345698765432"],
    ]);
    expect(found("ref GB82WEST12345698765433")).toEqual([]);
  });

  it("finds national IDs: US SSN and UK National Insurance numbers", () => {
    expect(found("SSN 123-45-6789, NI AB 12 34 56 C")).toEqual([
      ["national-id", "123-45-6789"],
      ["national-id", "AB 12 34 56 C"],
    ]);
    expect(found("not SSNs: 000-12-3456 666-12-3456 123-00-4567")).toEqual([]);
  });

  it("finds IPv4 and IPv6 addresses, not versions or C++ scopes", () => {
    expect(found("from 192.168.1.20 and 2001:db8::8a2e:370:7334 and fe80::1")).toEqual([
      ["ip", "192.168.1.20"],
      ["ip", "2001:db8::8a2e:370:7334"],
      ["ip", "fe80::1"],
    ]);
    expect(found("v1.2.3.4.5 std::map a::b 999.1.1.1")).toEqual([]);
  });

  it("only runs the requested kinds and never returns overlapping matches", () => {
    expect(found("mail me: bob@example.com, 192.168.0.1", ["ip"])).toEqual([["ip", "192.168.0.1"]]);
    const matches = detectPii("x 4111-1111-1111-1111 y", ALL);
    expect(matches).toHaveLength(1);
  });
});
