/** Skills used by the skill tests. */

/** A skill that calls a tool in a loop, and one function that fails on purpose. */
export const SUM_ALL = `import { get_sum } from "./servers/everything";

/** Adds numbers one by one with the everything server's get_sum tool. */
export async function sumAll(numbers: number[]): Promise<number> {
  let total = 0;
  for (const n of numbers) {
    const text = String(await get_sum({ a: total, b: n }));
    total = Number(/is (-?[\\d.]+)/.exec(text)?.[1]);
  }
  return total;
}

/** Throws for negative numbers. */
export function checkPositive(n: number): number {
  if (n < 0) throw new RangeError("negative: " + n);
  return n;
}
`;
