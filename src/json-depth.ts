/**
 * Nesting depth checks that cannot themselves overflow a stack: a linear scan of JSON text and
 * an iterative walk of a parsed value. Used wherever untrusted JSON enters (tool results from
 * sources, the sandbox bridge), before anything recursive (JSON.stringify, guards) touches it.
 *
 * @module
 */

// The text scan lives with the sandbox (its worker may import only from src/sandbox); it is a
// leaf module without imports of its own, shared here so sources check results the same way.
export { jsonDepthExceeds } from "./sandbox/json-limits.js";

/**
 * True when a parsed value nests arrays/objects more than `max` levels deep. Iterative (an
 * explicit stack), linear in the value's size; cycles cannot occur in parsed JSON, and a value
 * visited twice through shared references is simply walked again, bounded by `max` levels.
 */
export function valueDepthExceeds(value: unknown, max: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > max) return true;
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const child of children) if (child !== null && typeof child === "object") stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}
