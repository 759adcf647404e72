/**
 * microVM warm starts from a snapshot (src/sandbox/host/microvm-snapshot.ts): the first VM boots
 * cold while one more boots in the background to be saved (beside the image, keyed by image,
 * QEMU version, initramfs and options); the next VMs start from it (`qemu … -incoming`) and run
 * scripts as a cold one does; a snapshot that does not restore is dropped and the VM boots cold,
 * unnoticed by the caller. Slow under TCG (each cold boot takes seconds to a minute): this is in
 * the isolation project, and skipped with the reason where microVMs cannot run.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transpileGuest } from "../../src/execute/transpile.js";
import { createEngine, engineUnavailable } from "../../src/sandbox/create-engine.js";
import type { RunResult, SandboxHost } from "../../src/sandbox/engine.js";
import { microvmImageDir } from "../../src/sandbox/host/microvm-host.js";
import type { PooledEngine } from "../../src/sandbox/host/pooled-engine.js";
import { tempDir } from "../helpers.js";

const LIMITS = { timeoutMs: 180_000, memoryMb: 64, maxStackKb: 256, maxToolCalls: 100, maxLogBytes: 100_000 };
const ECHO: SandboxHost = { callTool: (_server, _tool, args) => Promise.resolve(args) };
const skip = engineUnavailable({ isolation: "microvm" })?.message;
if (skip !== undefined) console.warn(`[toolcode tests] skipping microVM snapshots: ${skip}`);

/** An image directory of its own (links to the built image), so its snapshots are this test's. */
function ownImageDir(): string {
  const source = microvmImageDir();
  const dir = tempDir("toolcode-microvm-image-");
  copyFileSync(path.join(source, "image.json"), path.join(dir, "image.json"));
  for (const name of ["vmlinuz", "base.cpio"]) symlinkSync(path.join(source, name), path.join(dir, name));
  return dir;
}

function states(dir: string): string[] {
  const snapshots = path.join(dir, "snapshots");
  return existsSync(snapshots) ? readdirSync(snapshots).filter((name) => name.endsWith(".state")).map((name) => path.join(snapshots, name)) : [];
}

function run(engine: PooledEngine): Promise<RunResult> {
  const { code, lineOffset } = transpileGuest("const r = await t.echo({ n: 41 }); return r.n + 1;");
  return engine.run({ code, lineOffset, api: { globals: { t: ["echo"] } }, limits: LIMITS }, ECHO);
}

/** Whether a worker process of `engine` is a QEMU restoring a snapshot. */
function restoring(engine: PooledEngine): boolean[] {
  return engine.workerPids().map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("-incoming");
    } catch {
      return false;
    }
  });
}

describe.skipIf(skip !== undefined)("microVM snapshots", () => {
  const engines: PooledEngine[] = [];
  const engine = (imageDir: string): PooledEngine => {
    const made = createEngine({ isolation: "microvm", microvm: { imageDir }, poolSize: 1, graceMs: 1000 });
    engines.push(made);
    return made;
  };

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it("saves a booted VM once and starts the next VMs from it", async () => {
    const dir = ownImageDir();
    const first = engine(dir);
    const cold = await run(first);
    expect(cold.ok ? cold.value : cold.error).toBe(42);
    await vi.waitFor(() => expect(states(dir)).toHaveLength(1), { timeout: 600_000, interval: 1000 });
    const saved = states(dir)[0] ?? "";
    expect(JSON.parse(readFileSync(saved.replace(/\.state$/, ".json"), "utf8"))).toMatchObject({ ready: { type: "ready", runner: { kernel: cold.stats.sandbox?.kernel } } });
    await first.close();

    const second = engine(dir);
    second.warm();
    await vi.waitFor(() => expect(restoring(second)).toEqual([true]), { timeout: 60_000, interval: 200 });
    const restored = await run(second);
    expect(restored.ok ? restored.value : restored.error).toBe(42);
    expect(restored.stats.sandbox?.kernel).toBe(cold.stats.sandbox?.kernel);
    // The VM that replaces it (reuse "execution") is restored too, and serves the next run.
    const next = await run(second);
    expect(next.ok ? next.value : next.error).toBe(42);
    expect(next.stats.sandbox?.id).not.toBe(restored.stats.sandbox?.id);
    expect(states(dir)).toEqual([saved]);
  }, 900_000);

  it("boots cold when the snapshot does not restore, and drops it", async () => {
    const dir = ownImageDir();
    const first = engine(dir);
    expect((await run(first)).ok).toBe(true);
    await vi.waitFor(() => expect(states(dir)).toHaveLength(1), { timeout: 600_000, interval: 1000 });
    await first.close();
    const saved = states(dir)[0] ?? "";
    writeFileSync(saved, "not a QEMU migration stream");

    const second = engine(dir);
    const result = await run(second);
    expect(result.ok ? result.value : result.error).toBe(42);
    expect(existsSync(saved)).toBe(false);
  }, 900_000);
});
