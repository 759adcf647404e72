/**
 * `sandbox.isolation: "microvm"`: each sandbox worker is a QEMU `microvm` guest with its own
 * kernel (the image of ./microvm-image.ts, `toolcode sandbox build-image`), running the usual
 * worker process (Node's permission model, no eval, heap cap) as the VM's only program. The VM
 * has no network device and no disk: its root is an initramfs (the image's base archive plus a
 * small archive of the sandbox code and the engine's packages, made once per host process). The
 * runner protocol runs as newline JSON over a virtio-serial port, which QEMU puts on its own
 * stdio (./stream-worker.ts); the kernel console goes nowhere.
 *
 * Acceleration: KVM when `/dev/kvm` works and a probe VM boots with it, TCG (software emulation)
 * otherwise; `sandbox.microvm.accel` forces one. Under TCG the kernel gets its TSC frequency and
 * loops-per-jiffy on the command line (calibrating them under emulation takes seconds).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EngineSpec } from "../engines/engine-spec.js";
import { type CpioEntry, cpioArchive } from "./cpio-archive.js";
import { defaultImageDir, MICROVM_INIT, readImage, type MicrovmImage } from "./microvm-image.js";
import { dropSnapshot, readSnapshot, restoredWorker, restoreLaunch, snapshotPath, takeSnapshot } from "./microvm-snapshot.js";
import { runnerBundle } from "./runner-bundle.js";
import type { SandboxWorker, SpawnWorker } from "./sandbox-worker.js";
import { type StreamLaunch, streamWorker } from "./stream-worker.js";

/** `sandbox.microvm`: the VMs of the microvm host. */
export interface MicrovmConfig {
  /** `kvm`, `tcg` (software emulation), or `auto` (default: KVM when a probe boot succeeds). */
  accel?: "auto" | "kvm" | "tcg";
  /** Guest memory, MiB (default 512). */
  memoryMb?: number;
  /** Directory of the image built by `toolcode sandbox build-image` (default `~/.toolcode/microvm`). */
  imageDir?: string;
  /**
   * Start VMs from a snapshot of a booted one (default true; ./microvm-snapshot.ts): taken once in
   * the background, cached in the image directory; a VM whose restore fails boots cold.
   */
  snapshot?: boolean;
}

/** Options of {@link microvmWorkers}. */
export interface MicrovmOptions {
  engine: EngineSpec;
  workerMemoryMb: number;
  config: MicrovmConfig;
}

const QEMU_CANDIDATES = ["/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"];
const GUEST_ROOT = "/opt/toolcode";
const V8_STACK_KB = 39 * 1024;

/** The QEMU binary, or undefined. */
export function qemuBinary(): string | undefined {
  return QEMU_CANDIDATES.find((candidate) => existsSync(candidate));
}

/** Where the image is by default: `~/.toolcode/microvm`. */
export function microvmImageDir(config: MicrovmConfig = {}): string {
  return config.imageDir ?? defaultImageDir(path.join(os.homedir(), ".toolcode"));
}

/** Why microVMs cannot run here, or undefined. */
export function microvmUnavailable(config: MicrovmConfig = {}): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return "microVMs run on x86-64 Linux only";
  if (qemuBinary() === undefined) return "QEMU is not installed (apt-get install qemu-system-x86)";
  if (readImage(microvmImageDir(config)) === undefined) return `no microVM image in ${microvmImageDir(config)}: run \`toolcode sandbox build-image\` first`;
  if (config.accel === "kvm" && !kvmUsable()) return "sandbox.microvm.accel is \"kvm\" but /dev/kvm is not usable here; use \"auto\" or \"tcg\"";
  return undefined;
}

/** Starts workers, each in its own microVM. Throws when microVMs cannot run here. */
export function microvmWorkers(options: MicrovmOptions): SpawnWorker {
  const reason = microvmUnavailable(options.config);
  const image = readImage(microvmImageDir(options.config));
  if (reason !== undefined || image === undefined) throw new Error(reason ?? "no microVM image");
  let launch: StreamLaunch | undefined;
  let snapshotFile: string | undefined;
  let snapshots = options.config.snapshot !== false;
  let taking: Promise<boolean> | undefined;
  return () => {
    launch ??= microvmLaunch(options, image);
    const cold = launch;
    const boot = (): SandboxWorker => streamWorker(cold);
    if (!snapshots) return boot();
    snapshotFile ??= snapshotPath(image.dir, cold);
    const snapshot = readSnapshot(snapshotFile);
    if (snapshot !== undefined) {
      return restoredWorker(() => streamWorker(restoreLaunch(cold, snapshot)), snapshot, boot, {
        probeTimeoutMs: SNAPSHOT_PROBE_MS,
        onFailed: () => {
          // A snapshot that does not restore is dropped; this process boots cold from now on.
          dropSnapshot(snapshot.file);
          snapshots = false;
        },
      });
    }
    // The first VM boots cold; one more VM boots in the background to be saved for the next ones.
    taking ??= takeSnapshot(cold, snapshotFile, SNAPSHOT_TAKE_MS).then((ok) => {
      if (!ok) snapshots = false;
      return ok;
    });
    return boot();
  };
}

/** How long a restored VM has to answer its probe run before it is replaced by a cold boot. */
const SNAPSHOT_PROBE_MS = 60_000;
/** How long taking a snapshot may take (a cold boot under TCG takes up to a minute on a loaded machine). */
const SNAPSHOT_TAKE_MS = 600_000;

const accelCache = new Map<string, "kvm" | "tcg">();

/** The QEMU command of one sandbox VM (the initramfs is made once per engine and process). */
export function microvmLaunch(options: MicrovmOptions, image: MicrovmImage): StreamLaunch {
  const qemu = qemuBinary();
  if (qemu === undefined) throw new Error("QEMU is not installed");
  const initrd = initramfs(options.engine, options.workerMemoryMb, image);
  const wanted = options.config.accel ?? "auto";
  const key = `${image.dir}:${wanted}`;
  let accel = accelCache.get(key);
  if (accel === undefined) {
    accel = wanted === "tcg" ? "tcg" : wanted === "kvm" ? "kvm" : kvmUsable() && probeKvm(qemu, image, initrd) ? "kvm" : "tcg";
    accelCache.set(key, accel);
  }
  return { command: qemu, args: qemuArgs(image, initrd, accel, options.config.memoryMb ?? 512) };
}

function qemuArgs(image: MicrovmImage, initrd: string, accel: "kvm" | "tcg", memoryMb: number): string[] {
  const append = ["console=ttyS0", "quiet", "loglevel=0", "panic=-1", "rdinit=/init", ...(accel === "tcg" ? tscHints() : [])];
  return [
    "-M", "microvm,x-option-roms=off,rtc=on",
    "-accel", accel,
    "-cpu", accel === "kvm" ? "host" : "max",
    "-m", String(memoryMb),
    "-smp", "1",
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-kernel", image.kernel,
    "-initrd", initrd,
    "-append", append.join(" "),
    "-serial", "null",
    "-device", "virtio-serial-device",
    "-chardev", "stdio,id=channel,signal=off",
    "-device", "virtserialport,chardev=channel,name=toolcode",
  ];
}

/** `tsc_early_khz` and `lpj` of this host's CPU, so the guest kernel skips calibration under TCG. */
function tscHints(): string[] {
  try {
    const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]);
    if (!Number.isFinite(mhz) || mhz <= 0) return [];
    const khz = Math.round(mhz * 1000);
    return [`tsc_early_khz=${khz}`, `lpj=${khz * 4}`];
  } catch {
    return [];
  }
}

function kvmUsable(): boolean {
  try {
    return existsSync("/dev/kvm") && spawnSync("test", ["-r", "/dev/kvm", "-a", "-w", "/dev/kvm"]).status === 0;
  } catch {
    return false;
  }
}

/** Boots one VM with KVM and waits for its runner's `ready` line (nested KVM may not run a stock kernel). */
function probeKvm(qemu: string, image: MicrovmImage, initrd: string): boolean {
  const probe = spawnSync(qemu, qemuArgs(image, initrd, "kvm", 512), { input: "", timeout: 15_000, stdio: ["pipe", "pipe", "ignore"], env: {}, killSignal: "SIGKILL" });
  return probe.stdout?.toString().includes('"type":"ready"') === true;
}

const initrdCache = new Map<string, string>();

/** base.cpio + an archive of the worker's code, the engine's packages and the runner's command line. */
function initramfs(engine: EngineSpec, workerMemoryMb: number, image: MicrovmImage): string {
  const key = `${engine.name}:${workerMemoryMb}:${image.dir}`;
  const hit = initrdCache.get(key);
  if (hit !== undefined && existsSync(hit)) return hit;
  const bundle = runnerBundle(engine, { root: GUEST_ROOT, node: "/usr/bin/node", workerMemoryMb, v8StackKb: V8_STACK_KB });
  const root = GUEST_ROOT.slice(1);
  const entries: CpioEntry[] = [
    { kind: "dir", path: root },
    ...bundle.dirs.map((dir): CpioEntry => ({ kind: "dir", path: `${root}/${dir}` })),
    ...bundle.files.map((file): CpioEntry => ({ kind: "file", path: `${root}/${file.path}`, data: file.data })),
    { kind: "file", path: "init", data: Buffer.from(MICROVM_INIT), mode: 0o755 },
    { kind: "file", path: `${root}/command`, data: Buffer.from(`${bundle.command.join(" ")}\n`) },
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-microvm-"));
  const file = path.join(dir, "initrd.cpio");
  writeFileSync(file, Buffer.concat([readFileSync(image.baseInitrd), cpioArchive(entries)]));
  initrdCache.set(key, file);
  return file;
}
