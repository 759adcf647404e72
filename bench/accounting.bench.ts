/**
 * Output accounting in bounded time (issue #11): how long one execution's token accounting takes
 * for 100 KB tool results without pre-token breaks, and whether one session returning such text
 * slows another session's `execute("return 1")` (latency alone vs under that load, one run).
 *
 * Run: npm run bench -- accounting
 */
import os from "node:os";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import { createToolcode } from "../src/execute/create-toolcode.js";
import { TokenCounter } from "../src/execute/token-counter.js";
import type { ToolSource } from "../src/sources/tool-source.js";
import { fmt, header, median, percentile, writeSection } from "./lib.js";

/** Letters without a pre-token break and without repeats (no tokenizer cache helps). */
function letterSoup(chars: number, seed = 11): string {
  let state = seed;
  let out = "";
  for (let i = 0; i < chars; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(97 + (state % 26));
  }
  return out;
}

const TEXTS: Record<string, string> = {
  "one letter × 100,000": "a".repeat(100_000),
  "CJK without punctuation, 100,000 chars": "漢字仮名交じり文".repeat(12_500),
  "zero-width spaces × 100,000": "\u200b".repeat(100_000),
  "spaces × 100,000": " ".repeat(100_000),
  "random letters, no break, 100,000": letterSoup(100_000),
  "prose, 100 KB": Array.from({ length: 1100 }, (_, i) => `Item ${i} was shipped on day ${i % 31} to the warehouse in zone ${i % 7}. `).join("").slice(0, 100_000),
};

const hostileSource: ToolSource = {
  name: "hostile",
  kind: "mcp",
  listTools: async () => [{ name: "text", inputSchema: { type: "object", properties: { kind: { type: "string" } } } }],
  callTool: async (_name, args) => TEXTS[String((args as { kind?: string }).kind)] ?? "",
  close: async () => {},
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  // 1. One execution's accounting (tool result counted, output shaped), median of 5 each.
  const counter = new TokenCounter();
  counter.warm();
  await counter.count(["warm up"]);
  const countRows: string[] = [];
  for (const name of Object.keys(TEXTS)) {
    const runs: number[] = [];
    let estimated = false;
    let tokens = 0;
    for (let i = 0; i < 5; i++) {
      // Fresh random text per run: the tokenizer's merge cache must not make it look cheap.
      const text = name.startsWith("random") ? letterSoup(100_000, 100 + i) : TEXTS[name] as string;
      runs.push(
        await time(async () => {
          const accounting = await counter.account({ output: { logs: [text], result: text, error: null }, maxTokens: 2000, toolResults: { texts: [text], chars: text.length }, key: `k${i}` });
          estimated = accounting.estimated;
          tokens = accounting.toolResults;
        }),
      );
    }
    countRows.push(`| ${name} | ${fmt(median(runs))} | ${fmt(Math.max(...runs))} | ${tokens.toLocaleString("en-US")} | ${estimated ? "yes" : "no"} |`);
  }
  await counter.close();

  // The old path for comparison: js-tiktoken on the whole text (no chunking), growing runs of one letter.
  const tiktoken = new Tiktoken(o200k);
  const oldRows: string[] = [];
  for (const chars of [1000, 2000, 4000]) {
    const ms = await time(async () => tiktoken.encode("a".repeat(chars)));
    oldRows.push(`| ${chars.toLocaleString("en-US")} | ${fmt(ms)} |`);
  }

  // 2. Isolation: a benign session's execute("return 1") alone, then while another session
  // returns (and logs) 100 KB pathological texts in a loop.
  const tc = await createToolcode({ config: {}, sources: [hostileSource] });
  for (let i = 0; i < 20; i++) await tc.execute("return 1", { sessionId: "benign" });
  const benign = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await time(() => tc.execute("return 1", { sessionId: "benign" })));
    return out;
  };
  const N = 60;
  const alone = await benign(N);
  // The attacker loops over pathological texts; the control loops over 100 KB of prose through
  // the same path, so the two ratios separate CPU contention from the cost of pathological text.
  const loop = (kinds: string[], times: number[], flags: { stop: boolean; estimated: number }) =>
    (async () => {
      for (let i = 0; !flags.stop && i < 10_000; i++) {
        const kind = kinds[i % kinds.length] as string;
        let estimated = false;
        times.push(
          await time(async () => {
            const run = await tc.execute(`const t = await hostile.text({ kind: ${JSON.stringify(kind)} }); console.log(t); return t;`, { sessionId: "attacker" });
            estimated = run.metadata.tokens.estimated;
          }),
        );
        if (estimated) flags.estimated++;
      }
    })();
  const kinds = Object.keys(TEXTS).filter((k) => !k.startsWith("prose"));
  const hostileTimes: number[] = [];
  const hostileFlags = { stop: false, estimated: 0 };
  const attacker = loop(kinds, hostileTimes, hostileFlags);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const loaded = await benign(N);
  hostileFlags.stop = true;
  await attacker;
  const hostileEstimated = hostileFlags.estimated;
  const controlTimes: number[] = [];
  const controlFlags = { stop: false, estimated: 0 };
  const control = loop(["prose, 100 KB"], controlTimes, controlFlags);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const controlLoaded = await benign(N);
  controlFlags.stop = true;
  await control;
  const aloneAgain = await benign(N);
  await tc.close();
  const loadAfter = os.loadavg();

  const baseline = median([...alone, ...aloneAgain]);
  const underLoad = median(loaded);
  const ratio = underLoad / baseline;
  const p95Ratio = percentile(loaded, 95) / percentile([...alone, ...aloneAgain], 95);
  const markdown = `${header("Output accounting in bounded time (issue #11)", "npm run bench -- accounting")}
Load average (1, 5, 15 min) before: ${loadBefore.map((v) => fmt(v, 2)).join(", ")}; after: ${loadAfter.map((v) => fmt(v, 2)).join(", ")} (5 engineers share these 2 cores: figures are noisy).

### One execution's accounting of a 100 KB tool result

The tool result is counted, and the same text logged and returned is shaped to 2,000 tokens
(\`TokenCounter.account\`: gpt-tokenizer o200k_base in a worker thread, text cut into chunks of
≤ 256 chars at pre-token boundaries, ${(524_288).toLocaleString("en-US")} chars counted exactly per execution).
Median and max of 5, ms.

| tool result | median ms | max ms | tool-result tokens | estimated |
|---|--:|--:|--:|---|
${countRows.join("\n")}

Before (js-tiktoken, whole text, no chunking): a run of one letter is quadratic.

| chars of "a" | ms |
|--:|--:|
${oldRows.join("\n")}

(100,000 would take minutes; the issue saw every session stall for more than 20 s.)

### Isolation: benign \`execute("return 1")\` while another session returns 100 KB pathological text

${N} benign executions alone (before and after), and ${N} while the attacker session loops over
${kinds.length} pathological texts (each read from a tool, logged and returned: ${hostileTimes.length} hostile
executions, median ${fmt(median(hostileTimes))} ms, max ${fmt(Math.max(...hostileTimes))} ms, ${hostileEstimated} estimated).

| benign execute | p50 ms | p95 ms | max ms |
|---|--:|--:|--:|
| alone | ${fmt(baseline)} | ${fmt(percentile([...alone, ...aloneAgain], 95))} | ${fmt(Math.max(...alone, ...aloneAgain))} |
| beside the attacker | ${fmt(underLoad)} | ${fmt(percentile(loaded, 95))} | ${fmt(Math.max(...loaded))} |
| beside a control session returning 100 KB of prose (${controlTimes.length} executions) | ${fmt(median(controlLoaded))} | ${fmt(percentile(controlLoaded, 95))} | ${fmt(Math.max(...controlLoaded))} |

Ratio under load / alone: **p50 ${fmt(ratio, 2)}×**, p95 ${fmt(p95Ratio, 2)}×; beside the prose control: p50
${fmt(median(controlLoaded) / baseline, 2)}×. Attacker p50 / control p50: **${fmt(underLoad / median(controlLoaded), 2)}×** (near 1: pathological text costs
another session no more than ordinary text of the same size). Both sessions share 2 sandbox
workers and 2 counting workers on 2 cores, so some slowdown is CPU contention, not waiting on
the attacker's accounting (which is capped per execution and served round-robin across sessions).
`;
  writeSection("accounting", markdown);
  console.log(markdown);
}

await main();
