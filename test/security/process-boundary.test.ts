/**
 * The process boundary around the engines: what a sandbox worker process is allowed to do,
 * checked on a Node process started with exactly the worker's command line (only the entry
 * script is swapped for a probe), and on a live worker through /proc.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import type { Engine } from "../../src/sandbox/engine.js";
import { ENGINES, engineSpec } from "../../src/sandbox/engines/registry.js";
import { processLaunch } from "../../src/sandbox/host/process-worker.js";
import { workerFiles } from "../../src/sandbox/host/worker-files.js";
import { ENGINE_MAIN_CASES, engineFor } from "./engines.js";

/** Runs in a process started with the worker's flags; prints what it could do as JSON. */
const PROBE = String.raw`
const out = {};
const attempt = async (name, fn) => { try { out[name] = await fn(); } catch (e) { out[name] = "denied:" + (e.code || e.name); } };
const fs = require("node:fs");
await attempt("readEtcPasswd", () => fs.readFileSync("/etc/passwd", "utf8").length);
await attempt("readHome", () => fs.readdirSync(require("node:os").homedir()).length);
await attempt("writeTmp", () => { fs.writeFileSync("/tmp/toolcode-sandbox-probe.txt", "x"); return "written"; });
await attempt("spawn", () => require("node:child_process").spawnSync("/bin/true").status);
await attempt("worker", () => { new (require("node:worker_threads").Worker)("1", { eval: true }); return "started"; });
await attempt("eval", () => eval("1 + 1"));
await attempt("newFunction", () => new Function("return 2")());
await attempt("env", () => Object.keys(process.env).filter((k) => !k.startsWith("NODE_CHANNEL")).length);
await attempt("network", () => new Promise((resolve) => {
  const socket = require("node:net").connect({ host: "1.1.1.1", port: 53, timeout: 1500 });
  socket.on("connect", () => { socket.destroy(); resolve("connected"); });
  socket.on("timeout", () => { socket.destroy(); resolve("timeout"); });
  socket.on("error", (e) => resolve("denied:" + e.code));
}));
await attempt("readOwnCode", () => typeof fs.readFileSync(process.argv[1] ?? __filename));
console.log(JSON.stringify(out));
`;

describe.skipIf(process.platform !== "linux")("sandbox worker process (Linux)", () => {
  for (const engine of ENGINES.map((spec) => spec.name)) {
    it(`${engine}: runs with an empty environment under the permission model, without code generation or (if available) network`, () => {
      if (ENGINE_MAIN_CASES.every((c) => c.config.engine !== engine || c.skip !== undefined)) return;
      const launch = processLaunch({ engine: engineSpec(engine), workerMemoryMb: 128 });
      const entry = workerFiles(engineSpec(engine)).file;
      const args = launch.args.map((arg) => (arg === entry ? "-e" : arg));
      const at = args.indexOf("-e");
      // -e takes the probe; the runner's own arguments after it are dropped.
      const probeArgs = [...args.slice(0, at), "--input-type=commonjs", "-e", `(async () => { ${PROBE} })()`];
      const probe = spawnSync(launch.command, probeArgs, { env: {}, encoding: "utf8", timeout: 20_000 });
      const line = probe.stdout.trim().split("\n").at(-1) ?? "";
      expect(line, probe.stderr).toMatch(/^\{/);
      const out = JSON.parse(line) as Record<string, unknown>;
      expect(out.readEtcPasswd).toBe("denied:ERR_ACCESS_DENIED");
      expect(out.readHome).toBe("denied:ERR_ACCESS_DENIED");
      expect(out.writeTmp).toBe("denied:ERR_ACCESS_DENIED");
      // The Workers engine's worker starts its own workerd (and nothing else: its runner spawns only that).
      expect(out.spawn).toBe(engineSpec(engine).processFlags.includes("--allow-child-process") ? 0 : "denied:ERR_ACCESS_DENIED");
      expect(out.worker).toBe("denied:ERR_ACCESS_DENIED");
      expect(out.eval).toBe("denied:EvalError");
      expect(out.newFunction).toBe("denied:EvalError");
      expect(out.env).toBe(0);
      if (launch.networkIsolated) expect(out.network).toMatch(/^denied:(ENETUNREACH|EHOSTUNREACH|EACCES|EPERM)$/);
      expect(existsSync("/tmp/toolcode-sandbox-probe.txt")).toBe(false);
    });
  }
});

for (const c of ENGINE_MAIN_CASES) {
  describe.skipIf(c.skip !== undefined || process.platform !== "linux")(`live ${c.label} worker`, () => {
    let engine: Engine & { workerPids(): number[] };

    beforeAll(async () => {
      engine = engineFor(c, { poolSize: 1 }) as Engine & { workerPids(): number[] };
      const { code, lineOffset } = transpileGuest("return 1;");
      await engine.run({ code, lineOffset, api: { globals: {} }, limits: { timeoutMs: 5000, memoryMb: 32, maxStackKb: 128, maxToolCalls: 1, maxLogBytes: 100 } }, { callTool: () => Promise.resolve(null) });
    });

    afterAll(async () => {
      await engine?.close();
    });

    it("has an empty environment, the permission flags, and its own network namespace when available", () => {
      const [pid] = engine.workerPids();
      expect(pid).toBeTypeOf("number");
      // The worker is node itself (sh and unshare exec into it).
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter((entry) => entry !== "" && !entry.startsWith("NODE_CHANNEL"));
      expect(environ).toEqual([]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(cmdline).toContain("--experimental-permission");
      expect(cmdline).toContain("--disallow-code-generation-from-strings");
      expect(cmdline.some((arg) => arg.startsWith("--allow-fs-write") || arg === "--allow-worker")).toBe(false);
      expect(cmdline.includes("--allow-child-process")).toBe(c.config.engine === "workers");
      expect(cmdline.includes("--allow-addons")).toBe(c.config.engine === "isolate");
      const launch = processLaunch({ engine: engineSpec(c.config.engine), workerMemoryMb: 256 });
      if (launch.networkIsolated) expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(readlinkSync("/proc/self/ns/net"));
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/");
    });
  });
}
