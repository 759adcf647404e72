/**
 * The E2B adapter's plumbing, with a local process standing in for the E2B one: the runner
 * bundle written into a directory, started by the same shell line the adapter runs in an E2B
 * sandbox, the runner protocol over its stdin/stdout as text chunks, a start that fails, a
 * runner that breaks the protocol, and kill. The real E2B path runs in test/isolation/e2b.test.ts
 * when E2B_API_KEY is set.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { transpileGuest } from "../../execute/transpile.js";
import type { RunResult, SandboxHost } from "../engine.js";
import { quickJsEngine } from "../engines/quickjs/engine.js";
import { e2bUnavailable, type RemoteProcess, remoteProcessWorker, runnerShellCommand, type StartRemoteProcess } from "./e2b-host.js";
import { PooledEngine } from "./pooled-engine.js";
import { runnerBundle } from "./runner-bundle.js";

const LIMITS = { timeoutMs: 10_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100, maxLogBytes: 100_000 };
const ECHO: SandboxHost = { callTool: (_server, _tool, args) => Promise.resolve(args) };

/** A local directory and process in place of an E2B sandbox and its command. */
function localSandbox(script?: string): StartRemoteProcess {
  return (output) => {
    const root = mkdtempSync(path.join(os.tmpdir(), "toolcode-e2b-standin-"));
    const bundle = runnerBundle(quickJsEngine, { root, node: "node", workerMemoryMb: 128, v8StackKb: 39 * 1024 });
    for (const dir of bundle.dirs) mkdirSync(path.join(root, dir), { recursive: true });
    for (const file of bundle.files) {
      mkdirSync(path.dirname(path.join(root, file.path)), { recursive: true });
      writeFileSync(path.join(root, file.path), file.data);
    }
    const child = spawn("/bin/sh", ["-c", script ?? runnerShellCommand(bundle, root)], {
      env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => output.stdout(chunk));
    child.stderr.on("data", (chunk: string) => output.stderr(chunk));
    child.stdin.on("error", () => {});
    const ended = new Promise<string>((resolve) => child.once("close", (code, signal) => resolve(signal !== null ? `killed by ${signal}` : `exit code ${code}`)));
    const proc: RemoteProcess = {
      write: (data) => new Promise<void>((resolve, reject) => child.stdin.write(data, (error) => (error ? reject(error) : resolve()))),
      ended,
      kill: async () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await ended;
      },
    };
    return Promise.resolve(proc);
  };
}

function run(engine: PooledEngine, source: string): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest(source);
  return engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: LIMITS }, ECHO);
}

describe("E2B adapter plumbing (a local stand-in for the E2B process)", () => {
  const engines: PooledEngine[] = [];
  const engine = (start: StartRemoteProcess): PooledEngine => {
    const made = new PooledEngine({ name: "quickjs", isolation: "e2b", spawn: () => remoteProcessWorker(start, { readyTimeoutMs: 20_000 }), poolSize: 1, recycleAfter: 1, keepWarm: true });
    engines.push(made);
    return made;
  };

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it("runs a script that calls a tool through the bundle the adapter uploads, one fresh process per run", async () => {
    const e = engine(localSandbox());
    const first = await run(e, "const r = await t.echo({ n: 41 }); console.log('called'); return r.n + 1;");
    expect(first.ok ? first.value : first.error).toBe(42);
    expect(first.logs).toEqual([{ level: "log", message: "called" }]);
    expect(first.stats.sandbox?.isolation).toBe("e2b");
    expect(first.stats.sandbox?.kernel).toMatch(/^\d+\.\d+/);
    const second = await run(e, "return 'again';");
    expect(second.ok ? second.value : second.error).toBe("again");
    expect(second.stats.sandbox?.id).not.toBe(first.stats.sandbox?.id);
  });

  it("reports a sandbox that cannot be created as SANDBOX_CRASHED with the reason", async () => {
    const e = engine(() => Promise.reject(new Error("401: invalid API key")));
    await expect(run(e, "return 1;")).rejects.toMatchObject({ code: "SANDBOX_CRASHED", message: expect.stringContaining("401: invalid API key") });
  });

  it("ends a runner that sends something outside the protocol", async () => {
    const e = engine(localSandbox("echo 'not json'; sleep 30"));
    await expect(run(e, "return 1;")).rejects.toMatchObject({ code: "SANDBOX_CRASHED" });
  });

  it("kills the process when the worker is killed", async () => {
    let ended: Promise<string> | undefined;
    const start: StartRemoteProcess = async (output) => {
      const proc = await localSandbox("sleep 30")(output);
      ended = proc.ended;
      return proc;
    };
    const worker = remoteProcessWorker(start, { readyTimeoutMs: 20_000 });
    const exits: string[] = [];
    worker.onExit((exit) => exits.push(exit.reason));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await worker.kill();
    expect(await ended).toBe("killed by SIGKILL");
    expect(exits).toEqual(["killed"]);
  });

  it("says what is missing without an API key", () => {
    expect(e2bUnavailable({ apiKeyEnv: "TOOLCODE_TEST_NO_SUCH_KEY" })).toMatch(/TOOLCODE_TEST_NO_SUCH_KEY.*sandbox\.e2b\.apiKeyEnv/);
  });
});
