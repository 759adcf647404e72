/**
 * What every isolation host guarantees beyond the corpus: where a run ran (`stats.sandbox`: the
 * host and the kernel the runner saw), a fresh sandbox per execution by default, the host killing
 * a sandbox whose runner ignores the deadline, and — probed from inside the very sandbox a worker
 * gets — an empty environment, no network, no host files, a read-only filesystem.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import { createEngine } from "../../src/sandbox/create-engine.js";
import type { Engine, RunResult, SandboxHost } from "../../src/sandbox/engine.js";
import { quickJsEngine } from "../../src/sandbox/engines/quickjs/engine.js";
import { bwrapArgs, bwrapBinary } from "../../src/sandbox/host/bwrap-host.js";
import { gvisorLaunch } from "../../src/sandbox/host/gvisor-host.js";
import { PooledEngine } from "../../src/sandbox/host/pooled-engine.js";
import { type StreamLaunch, streamWorker } from "../../src/sandbox/host/stream-worker.js";
import { hostCases, runTimeoutMs } from "./hosts.js";

const LIMITS = { timeoutMs: 5_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100, maxLogBytes: 100_000 };
const ECHO: SandboxHost = { callTool: (_server, _tool, args) => Promise.resolve(args) };

function runOn(engine: Engine, source: string, limits: Partial<typeof LIMITS> = {}): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: { ...LIMITS, ...limits } }, ECHO);
}

for (const c of hostCases()) {
  describe.skipIf(c.skip !== undefined)(`isolation host ${c.config.isolation}`, () => {
    let engine: PooledEngine;
    const run = (engine: Engine, source: string, limits: Partial<typeof LIMITS> = {}): Promise<RunResult> =>
      runOn(engine, source, { timeoutMs: runTimeoutMs(c.config.isolation), ...limits });

    beforeAll(() => {
      engine = createEngine({ ...c.config, poolSize: 2, graceMs: 500 });
    });

    afterAll(async () => {
      await engine?.close();
    });

    it("runs a script that calls a tool, and reports the host and the kernel release the runner saw", async () => {
      const result = await run(engine, "const r = await t.echo({ n: 41 }); console.log('called'); return r.n + 1;");
      expect(result.ok ? result.value : result.error).toBe(42);
      expect(result.logs).toEqual([{ level: "log", message: "called" }]);
      expect(result.stats.sandbox?.isolation).toBe(c.config.isolation);
      const kernel = result.stats.sandbox?.kernel ?? "";
      expect(kernel).toMatch(/^\d+\.\d+/);
      // gVisor's Sentry and a VM's kernel are not the host's; bwrap and a loopback runner share it.
      // gVisor's Sentry, a VM's kernel and an E2B microVM's are not the host's; bwrap and a loopback runner share it.
      if (["gvisor", "microvm", "e2b"].includes(c.config.isolation)) expect(kernel).not.toBe(os.release());
      else expect(kernel).toBe(os.release());
    });

    it("stops a guest at its deadline and keeps serving", async () => {
      const stuck = await run(engine, "while (true) {}", { timeoutMs: 300 });
      expect(stuck.ok ? "ok" : stuck.error.code).toBe("SANDBOX_TIMEOUT");
      const next = await run(engine, "return 1 + 1;");
      expect(next.ok ? next.value : next.error).toBe(2);
    });

    it("gives every execution a fresh sandbox (reuse: execution)", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const result = await run(engine, "return 1;");
        expect(result.ok).toBe(true);
        expect(result.stats.sandbox?.reuse).toBe("execution");
        const id = result.stats.sandbox?.id ?? "";
        seen.add(id);
        // The sandbox it ran in is gone from the pool.
        expect(engine.sandboxIds()).not.toContain(id);
      }
      expect(seen.size).toBe(3);
    });
  });
}

/** A launch of `command` inside the sandbox `isolation` gives its workers. */
function probeLaunch(isolation: string, command: string[]): StreamLaunch | undefined {
  const options = { engine: quickJsEngine, workerMemoryMb: 64 };
  if (isolation === "bwrap") {
    const binary = bwrapBinary();
    return binary === undefined ? undefined : { command: binary, args: bwrapArgs(options, command) };
  }
  if (isolation === "gvisor") return gvisorLaunch(options, command);
  return undefined;
}

/** Runs `command` in a launch; resolves with its stdout. */
function output(launch: StreamLaunch): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(launch.command, launch.args, { env: {}, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      launch.cleanup?.();
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${String(code)}: ${err}`));
    });
  });
}

const PROBE = `
const fs = require("node:fs");
const os = require("node:os");
let write = "allowed";
try { fs.writeFileSync("/usr/toolcode-probe", "x"); } catch (e) { write = e.code; }
let tmp = "denied";
try { fs.writeFileSync("/tmp/x", "x"); tmp = "allowed"; } catch {}
process.stdout.write(JSON.stringify({
  env: process.env,
  interfaces: Object.keys(os.networkInterfaces()),
  passwd: fs.existsSync("/etc/passwd"),
  home: fs.existsSync("/root") || fs.existsSync("/home"),
  write,
  tmp,
  uid: process.getuid(),
}));
`;

for (const c of hostCases().filter((h) => h.config.isolation === "bwrap" || h.config.isolation === "gvisor")) {
  describe.skipIf(c.skip !== undefined)(`inside a ${c.config.isolation} sandbox`, () => {
    it("nothing of the host's environment, no network, no host file outside the binds, and the filesystem is read-only", async () => {
      const launch = probeLaunch(c.config.isolation, [process.execPath, "-e", PROBE]);
      expect(launch).toBeDefined();
      if (launch === undefined) return;
      const seen = JSON.parse(await output(launch)) as Record<string, unknown>;
      // Nothing from the host's environment: at most the runtime's own HOME=/ (gVisor) or PWD=/ (bwrap).
      expect(Object.entries(seen.env as Record<string, string>).filter(([key, value]) => !(["HOME", "PWD"].includes(key) && value === "/"))).toEqual([]);
      expect((seen.interfaces as string[]).filter((name) => name !== "lo")).toEqual([]);
      expect(seen.passwd).toBe(false);
      expect(seen.home).toBe(false);
      expect(["EROFS", "EACCES", "EPERM"]).toContain(seen.write);
      expect(seen.uid).not.toBe(0);
    });
  });
}

for (const c of hostCases().filter((h) => h.config.isolation === "bwrap" || h.config.isolation === "gvisor")) {
  describe.skipIf(c.skip !== undefined)(`a ${c.config.isolation} runner that ignores its deadline`, () => {
    it("is answered SANDBOX_TIMEOUT and its sandbox is killed by the host", async () => {
      // A "runner" that says ready and then never answers (as if stuck in native code).
      const silent = `process.stdout.write(JSON.stringify({ type: "ready", runner: { protocol: 1, kernel: require("os").release() } }) + "\\n"); setInterval(() => {}, 1000);`;
      const pids: number[] = [];
      const engine = new PooledEngine({
        name: "quickjs",
        isolation: c.config.isolation,
        poolSize: 1,
        graceMs: 200,
        spawn: () => {
          const launch = probeLaunch(c.config.isolation, [process.execPath, "-e", silent]);
          if (launch === undefined) throw new Error("no launch");
          const worker = streamWorker(launch);
          if (worker.pid !== undefined) pids.push(worker.pid);
          return worker;
        },
      });
      try {
        const result = await runOn(engine, "return 1;", { timeoutMs: 300 });
        expect(result.ok ? "ok" : result.error.code).toBe("SANDBOX_TIMEOUT");
        // The kill timer fires graceMs after the deadline: wait (bounded) for the launcher to be gone.
        const first = pids[0];
        expect(first).toBeDefined();
        for (let i = 0; i < 100 && alive(first ?? 0); i++) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(alive(first ?? 0)).toBe(false);
      } finally {
        await engine.close();
      }
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
