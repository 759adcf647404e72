/**
 * Peers, side by side in one run (issue 21): the same four scripts — trivial, one tool call, 100
 * sequential calls, filtering 10,000 rows a tool returns — on the same real MCP server
 * (bench/peers/rows-server.mjs over stdio), through toolcode (each engine it can run here) and
 * Cloudflare's `@cloudflare/codemode` DynamicWorkerExecutor in local `workerd --experimental`
 * (tools served from Node over loopback by the same MCP server, and separately implemented inside
 * the Worker). `@utcp/code-mode` and `@ai-sdk/code-mode` are reported with why they do not run.
 *
 * Run: npm run bench -- peers
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { build } from "esbuild";
import { type Toolcode, createToolcode } from "../src/execute/create-toolcode.js";
import { engineUnavailable } from "../src/sandbox/create-engine.js";
import { workerdBinary } from "../src/sandbox/engines/workers/engine.js";
import { BENCH_DIR, fmt, header, median, percentile, writeSection } from "./lib.js";

const ROWS_SERVER = { command: process.execPath, args: [path.join(BENCH_DIR, "peers", "rows-server.mjs")] };
const RUNS = 7;

/** The scripts, identical for every system (an async function body; tools under `t`). */
const SCRIPTS = {
  trivial: { code: "return 1;", iterations: 30, expect: 1 },
  oneCall: { code: "return await t.add({ a: 2, b: 40 });", iterations: 30, expect: 42 },
  calls100: { code: "let s = 0;\nfor (let i = 0; i < 100; i++) s += await t.add({ a: i, b: 1 });\nreturn s;", iterations: 5, expect: 5050 },
  filter10k: { code: "const rows = await t.rows({ n: 10000 });\nreturn rows.filter((r) => r.group === 3 && r.value > 500).length;", iterations: 5, expect: expectedFiltered() },
} as const;
type ScriptName = keyof typeof SCRIPTS;

function expectedFiltered(): number {
  let n = 0;
  for (let i = 0; i < 10_000; i++) if (i % 10 === 3 && (i * 7919) % 1000 > 500) n++;
  return n;
}

/** One system under test. */
interface System {
  name: string;
  /** Whether its tools are the MCP server (then per-call overhead is against the direct SDK call). */
  viaMcp: boolean;
  run(code: string): Promise<unknown>;
  /** Resident memory of its sandbox processes, MiB. */
  memoryMb(): number | undefined;
  close(): Promise<void>;
}

interface Figures {
  p50: Record<ScriptName, number>;
  p95: Record<ScriptName, number>;
  memoryMb: number | undefined;
}

async function measure(system: System): Promise<Figures> {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    const value = await system.run(script.code);
    if (value !== script.expect) throw new Error(`${system.name} ${name}: got ${JSON.stringify(value)}, expected ${script.expect}`);
    for (let i = 0; i < 3; i++) await system.run(script.code);
  }
  const samples = Object.fromEntries(Object.keys(SCRIPTS).map((name) => [name, [] as number[]])) as Record<ScriptName, number[]>;
  const runMedians = Object.fromEntries(Object.keys(SCRIPTS).map((name) => [name, [] as number[]])) as Record<ScriptName, number[]>;
  // Interleaved runs: load that drifts during the bench hits every script alike.
  for (let run = 0; run < RUNS; run++) {
    for (const [name, script] of Object.entries(SCRIPTS) as [ScriptName, (typeof SCRIPTS)[ScriptName]][]) {
      const times: number[] = [];
      for (let i = 0; i < script.iterations; i++) {
        const start = process.hrtime.bigint();
        await system.run(script.code);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      samples[name].push(...times);
      runMedians[name].push(median(times));
    }
  }
  const pick = (f: (values: number[]) => number, from: Record<ScriptName, number[]>) =>
    Object.fromEntries(Object.entries(from).map(([k, v]) => [k, f(v)])) as Record<ScriptName, number>;
  return { p50: pick(median, runMedians), p95: pick((v) => percentile(v, 95), samples), memoryMb: system.memoryMb() };
}

/** RSS (MiB) of this process's descendants whose command line matches `pattern`. */
function descendantsRssMb(pattern: RegExp, root = process.pid): number | undefined {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let kib = 0;
  let found = false;
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      try {
        const cmdline = readFileSync(`/proc/${child}/cmdline`, "utf8").replace(/\0/g, " ");
        if (pattern.test(cmdline)) {
          const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child}/status`, "utf8"))?.[1];
          kib += Number(rss ?? 0);
          found = true;
        }
      } catch {
        // gone meanwhile
      }
      walk(child);
    }
  };
  walk(root);
  return found ? kib / 1024 : undefined;
}

async function toolcodeSystem(engine: "quickjs" | "isolate" | "workers", typeCheck: "off" | "error"): Promise<System> {
  const toolcode: Toolcode = await createToolcode({ config: { mcpServers: { t: ROWS_SERVER }, sandbox: { engine, typeCheck }, policy: { default: "allow-all" } } });
  if (toolcode.failures.length > 0) throw new Error(toolcode.failures.map((f) => f.error.message).join("; "));
  return {
    name: `toolcode ${engine}${typeCheck === "error" ? " (type-check on, the default)" : " (type-check off)"}`,
    viaMcp: true,
    async run(code) {
      const result = await toolcode.execute(code, { typeCheck });
      if (result.error) throw new Error(`${result.error.code}: ${result.error.message}`);
      return result.result;
    },
    memoryMb: () => descendantsRssMb(engine === "workers" ? /workerd|sandbox|worker-entry/ : /sandbox|worker-entry/),
    close: () => toolcode.close(),
  };
}

/** A port free right now on 127.0.0.1 (workerd's config needs a number). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Node serving the MCP server's tools over loopback HTTP, for the codemode host Worker. */
async function toolServer(client: Client): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      const tool = (request.url ?? "/").slice(1);
      client
        .callTool({ name: tool, arguments: JSON.parse(body || "{}") as Record<string, unknown> })
        .then((result) => {
          const text = (result.content as { text?: string }[])[0]?.text ?? "null";
          response.writeHead(200, { "content-type": "application/json" }).end(text);
        })
        .catch((error: unknown) => response.writeHead(500).end(JSON.stringify({ error: String(error) })));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function codemodeSystems(client: Client): Promise<{ systems: System[]; hopMs: number; stop(): Promise<void> }> {
  const binary = workerdBinary();
  if (binary === undefined) throw new Error("workerd is not installed");
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-peers-"));
  await build({
    entryPoints: [path.join(BENCH_DIR, "peers", "codemode-host.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "import"],
    external: ["cloudflare:*", "node:*"],
    outfile: path.join(dir, "host.js"),
    logLevel: "error",
  });
  const tools = await toolServer(client);
  const port = await freePort();
  writeFileSync(
    path.join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "host", worker = .host), (name = "loopback", network = (allow = ["local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "host") ],
);
const host :Workerd.Worker = (
  modules = [ (name = "host.js", esModule = embed "host.js") ],
  compatibilityDate = "2025-06-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [ (name = "LOADER", workerLoader = ()), (name = "TOOL_URL", text = "${tools.url}") ],
  globalOutbound = "loopback",
);
`,
  );
  const workerd: ChildProcess = spawn(binary, ["serve", "--experimental", path.join(dir, "config.capnp")], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  workerd.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await fetch(base).then((r) => r.ok, () => false)) break;
    if (i > 200 || workerd.exitCode !== null) throw new Error(`workerd did not start: ${stderr}`);
    await sleep(50);
  }
  const hops: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = process.hrtime.bigint();
    await (await fetch(base)).text();
    hops.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const system = (mode: "loopback" | "inside"): System => ({
    name: `Cloudflare codemode 0.5.6 in workerd, tools ${mode === "loopback" ? "served by Node over loopback" : "inside the Worker"}`,
    viaMcp: mode === "loopback",
    async run(code) {
      const response = await fetch(base, { method: "POST", body: JSON.stringify({ code, tools: mode }) });
      const result = (await response.json()) as { result?: unknown; error?: string };
      if (result.error !== undefined) throw new Error(result.error);
      return result.result;
    },
    memoryMb: () => descendantsRssMb(/workerd/),
    close: async () => {},
  });
  return {
    systems: [system("loopback"), system("inside")],
    hopMs: median(hops),
    stop: async () => {
      workerd.kill("SIGKILL");
      await new Promise((resolve) => tools.server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const direct = new Client({ name: "peers-bench", version: "1" });
  await direct.connect(new StdioClientTransport({ ...ROWS_SERVER, stderr: "ignore" }));
  const directRuns: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) await direct.callTool({ name: "add", arguments: { a: i, b: 1 } });
    directRuns.push(Number(process.hrtime.bigint() - start) / 1e3 / 200);
  }
  const directUs = median(directRuns);

  const results: { system: System; figures: Figures; subtractMs: number }[] = [];
  const skipped: string[] = [];
  const engines: ("quickjs" | "isolate" | "workers")[] = ["quickjs", "isolate", "workers"];
  for (const engine of engines) {
    const why = engineUnavailable({ engine, isolation: "process" });
    if (why !== undefined) {
      skipped.push(`toolcode ${engine}: ${why}`);
      continue;
    }
    for (const typeCheck of engine === "quickjs" ? (["off", "error"] as const) : (["off"] as const)) {
      const system = await toolcodeSystem(engine, typeCheck);
      try {
        console.log(`measuring ${system.name}`);
        results.push({ system, figures: await measure(system), subtractMs: 0 });
      } finally {
        await system.close();
      }
    }
  }
  let hopMs = 0;
  try {
    const codemode = await codemodeSystems(direct);
    hopMs = codemode.hopMs;
    try {
      for (const system of codemode.systems) {
        console.log(`measuring ${system.name}`);
        results.push({ system, figures: await measure(system), subtractMs: hopMs });
      }
    } finally {
      await codemode.stop();
    }
  } catch (error) {
    skipped.push(`Cloudflare codemode: ${(error as Error).message.split("\n")[0]}`);
  }
  await direct.close();
  skipped.push(
    "`@ai-sdk/code-mode` 1.0.42: requires Node ≥ 22.13 (`engines`); this machine and the project run Node 20, so it is not installed",
    "`@utcp/code-mode` 1.2.12: needs `isolated-vm` ^6 as a required peer, and isolated-vm 6 requires Node ≥ 22 (`engines`); on Node 20 toolcode uses isolated-vm 5.0.4, so it is not installed",
  );

  const base = results.find((r) => r.system.name.startsWith("toolcode quickjs (type-check off)"));
  const ms = (value: number) => `${fmt(value, value < 10 ? 2 : 1)} ms`;
  const rows = results.map(({ system, figures, subtractMs }) => {
    const p50 = (name: ScriptName) => figures.p50[name] - subtractMs;
    const perCallUs = ((p50("calls100") - p50("trivial")) / 100) * 1000;
    const overUs = system.viaMcp ? perCallUs - directUs : perCallUs;
    const ratio = base ? p50("trivial") / (base.figures.p50.trivial - base.subtractMs) : NaN;
    return `| ${system.name} | ${ms(p50("trivial"))} / ${ms(figures.p95.trivial - subtractMs)} | ${ms(p50("oneCall"))} | ${ms(p50("calls100"))} | ${fmt(perCallUs, 0)} µs (${system.viaMcp ? `${overUs >= 0 ? "+" : ""}${fmt(overUs, 0)} µs over the direct call` : "no MCP server: the bridge alone"}) | ${ms(p50("filter10k"))} | ${figures.memoryMb !== undefined ? `${fmt(figures.memoryMb, 0)} MiB` : "—"} | ${fmt(ratio, 2)}× |`;
  });
  const table = [
    "| system | trivial p50 / p95 | one call p50 | 100 sequential calls p50 | per call | filter 10,000 rows p50 | memory (sandbox processes) | trivial vs toolcode quickjs |",
    "|---|--:|--:|--:|--:|--:|--:|--:|",
    ...rows,
  ].join("\n");
  const load = os.loadavg()[0] ?? 0;
  const notes = [
    `Direct call of the same tool through the SDK client (stdio): **${fmt(directUs, 0)} µs** (median of ${RUNS} runs of 200). Per call = (100-call script − trivial script) / 100; "over the direct call" subtracts it.`,
    `Medians of ${RUNS} interleaved runs (p95 over every sample); load average ${fmt(load, 1)} on ${os.cpus().length} cores while measuring. Every script's answer is checked on every system first.`,
    `codemode figures have the Node → workerd HTTP hop (${fmt(hopMs * 1000, 0)} µs median, measured with GET /ping) subtracted; its memory is workerd's RSS (host Worker + Dynamic Workers). toolcode's memory is its sandbox worker processes' RSS (and workerd for the workers engine). toolcode quickjs runs in a locked-down worker process (the default isolation); codemode's Dynamic Worker is a V8 isolate inside workerd.`,
    ...skipped.map((s) => `Not measured: ${s}.`),
  ];
  writeSection("peers", `${header("Peers side by side (issue 21)", "npm run bench -- peers")}\n${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}`);
  console.log(`${table}\n\n${notes.join("\n")}`);
}

await main();
