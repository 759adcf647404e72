/**
 * Cheap checks on JSON text crossing the bridge, done before anything parses or walks it.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/**
 * True when `text` (JSON) nests arrays/objects more than `max` levels deep. One linear scan
 * without recursion, so a nesting bomb cannot overflow the checker's own stack.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i += 1;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth -= 1;
  }
  return false;
}

/** UTF-8 size of a string in bytes. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
