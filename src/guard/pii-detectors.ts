/**
 * Detectors for personal data in text: email addresses, phone numbers, payment cards (Luhn),
 * IBANs (ISO 13616 mod-97), national ID numbers (US SSN, UK National Insurance number) and IP
 * addresses (v4 and v6). Each is a candidate pattern plus a validity check, tuned to miss little
 * personal data while leaving dates, versions, ids and plain numbers alone.
 *
 * @module
 */
import { isIPv6 } from "node:net";
import type { PiiKind } from "../config/guard-schema.js";

/** One finding in a string. */
export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
  value: string;
}

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  valid?: (value: string) => boolean;
}

/** True when a string of digits passes the Luhn checksum (payment card numbers). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** True when an IBAN (spaces allowed) passes the ISO 13616 mod-97 check. */
export function ibanValid(iban: string): boolean {
  const compact = iban.replace(/ /g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const chunk = code >= 65 ? String(code - 55) : char;
    for (const digit of chunk) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function cardValid(value: string): boolean {
  const digits = value.replace(/[ -]/g, "");
  return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
}

function phoneValid(value: string): boolean {
  const digits = value.replace(/\D/g, "").length;
  return digits >= 8 && digits <= 15;
}

function ipv6Valid(value: string): boolean {
  if (!isIPv6(value)) return false;
  const groups = value.split(":").filter((g) => g !== "");
  // `a::b` or `std::map`-like text is not an address; real ones have 3+ groups or a 3+ digit group.
  return value === "::1" || groups.length >= 3 || groups.some((g) => g.length >= 3);
}

/** Detectors in priority order: when two matches overlap, the earlier one here wins. */
const DETECTORS: readonly Detector[] = [
  { kind: "email", pattern: /(?<![\w.+%-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g },
  { kind: "iban", pattern: /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/g, valid: ibanValid },
  { kind: "iban", pattern: /\b[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?\b/g, valid: ibanValid },
  { kind: "card", pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, valid: cardValid },
  // US Social Security number (never 000/666/9xx, 00 or 0000 groups), written with dashes.
  { kind: "national-id", pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g },
  // UK National Insurance number, e.g. "QQ 12 34 56 C".
  { kind: "national-id", pattern: /\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g },
  { kind: "ip", pattern: /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)/g },
  { kind: "ip", pattern: /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g, valid: ipv6Valid },
  // International (+CC …) or North American ((555) 123-4567, 555-123-4567, 555.123.4567).
  { kind: "phone", pattern: /(?<![\w+])\+\d[\d ().-]{6,20}\d(?!\d)/g, valid: phoneValid },
  { kind: "phone", pattern: /(?<![\d(-])(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\d-])/g },
];

/** Finds non-overlapping personal data of the given kinds, sorted by position. */
export function detectPii(text: string, kinds: ReadonlySet<PiiKind>): PiiMatch[] {
  const found: (PiiMatch & { priority: number })[] = [];
  DETECTORS.forEach((detector, priority) => {
    if (!kinds.has(detector.kind)) return;
    for (const match of text.matchAll(detector.pattern)) {
      const value = match[0];
      if (detector.valid && !detector.valid(value)) continue;
      const start = match.index;
      found.push({ kind: detector.kind, start, end: start + value.length, value, priority });
    }
  });
  found.sort((a, b) => a.priority - b.priority || a.start - b.start);
  const claimed = new Uint8Array(text.length);
  const kept: PiiMatch[] = [];
  for (const match of found) {
    if (claimed.subarray(match.start, match.end).includes(1)) continue;
    claimed.fill(1, match.start, match.end);
    kept.push({ kind: match.kind, start: match.start, end: match.end, value: match.value });
  }
  return kept.sort((a, b) => a.start - b.start);
}
