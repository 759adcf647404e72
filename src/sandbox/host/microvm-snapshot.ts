/**
 * Warm starts of microVMs from a snapshot (`sandbox.microvm.snapshot`, on by default): one VM is
 * booted until its runner says `ready`, its whole state is saved with QEMU's `migrate` to a file
 * (over QMP), and later VMs start from that file (`-incoming "exec:cat FILE"`) instead of booting:
 * under TCG here 0.5–1 s instead of 4–50 s. The snapshot is cached beside the image, keyed by the
 * image, the QEMU version, the initramfs (the sandbox code) and the VM's command line, so any
 * change makes a new one.
 *
 * A restored VM has already sent its `ready` line (before the snapshot), so the host replays the
 * saved one, but only after the VM answered a probe run: a restore that fails (QEMU refuses the
 * file, the guest is stuck) is detected before the pool hands the VM a run, the snapshot is
 * dropped, and that VM boots cold instead (./microvm-host.ts).
 *
 * Every restored VM starts from the same memory image: the guest kernel's random pool is the
 * same in each, as in any VM clone. Nothing secret is in a sandbox VM (no credentials, no keys),
 * and the guest's `Math.random` is seeded per run from the clock, but guest-visible randomness
 * must not be relied on for secrets.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { LineDecoder } from "../line-channel.js";
import { resolveLimits } from "../limits.js";
import type { HostMessage, WorkerMessage } from "../protocol.js";
import type { SandboxWorker, WorkerExit } from "./sandbox-worker.js";
import type { StreamLaunch } from "./stream-worker.js";
import { toWorkerMessage } from "./worker-messages.js";

/** A saved VM: its state file and the `ready` message its runner sent before the snapshot. */
export interface MicrovmSnapshot {
  file: string;
  ready: WorkerMessage;
  /** The state file is lz4-compressed (when `lz4` was installed as it was taken: ~3× smaller). */
  lz4: boolean;
}

const LZ4_CANDIDATES = ["/usr/bin/lz4", "/usr/local/bin/lz4"];

function lz4Binary(): string | undefined {
  return LZ4_CANDIDATES.find((candidate) => existsSync(candidate));
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Snapshots kept per image directory (older ones are removed when a new one is written). */
const KEEP = 3;
/** The probe run's id (the pool's run ids start at 1). */
const PROBE_RUN_ID = 0;

const qemuVersions = new Map<string, string>();

/** `qemu-system-x86_64 --version`'s first line (cached per binary). */
export function qemuVersion(qemu: string): string {
  let version = qemuVersions.get(qemu);
  if (version === undefined) {
    version = spawnSync(qemu, ["--version"], { encoding: "utf8", timeout: 10_000 }).stdout?.split("\n")[0]?.trim() ?? "";
    qemuVersions.set(qemu, version);
  }
  return version;
}

/**
 * Where the snapshot of `launch` is kept: `<imageDir>/snapshots/<key>.state` (+ `.json`). The key
 * covers the image, the QEMU version, the VM's options and the initramfs's content; not the
 * initramfs's (temporary) path, nor the kernel command line (a restored kernel has booted already).
 */
export function snapshotPath(imageDir: string, launch: StreamLaunch): string {
  const initrd = launch.args[launch.args.indexOf("-initrd") + 1] ?? "";
  const args = launch.args.map((arg, i) => (launch.args[i - 1] === "-initrd" || launch.args[i - 1] === "-append" ? "" : arg));
  const hash = createHash("sha256");
  hash.update(readFileSync(path.join(imageDir, "image.json"))).update("\0");
  hash.update(qemuVersion(launch.command)).update("\0");
  hash.update(args.join("\0")).update("\0");
  hash.update(readFileSync(initrd));
  return path.join(imageDir, "snapshots", `${hash.digest("hex").slice(0, 24)}.state`);
}

/** The snapshot at `file`, when it is complete. */
export function readSnapshot(file: string): MicrovmSnapshot | undefined {
  try {
    if (!existsSync(file)) return undefined;
    const saved = JSON.parse(readFileSync(`${file.replace(/\.state$/, "")}.json`, "utf8")) as { ready?: unknown; lz4?: unknown };
    const ready = toWorkerMessage(saved.ready);
    if (ready?.type !== "ready") return undefined;
    const lz4 = saved.lz4 === true;
    if (lz4 && lz4Binary() === undefined) return undefined;
    return { file, ready, lz4 };
  } catch {
    return undefined;
  }
}

/** Removes a snapshot that failed to restore. */
export function dropSnapshot(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file.replace(/\.state$/, "")}.json`, { force: true });
}

/** The command line of a VM restored from `snapshot`. */
export function restoreLaunch(launch: StreamLaunch, snapshot: MicrovmSnapshot): StreamLaunch {
  const lz4 = lz4Binary();
  // A decompression that fails must still end the stream with something QEMU rejects at once (an
  // empty stream leaves it waiting), so the restore fails fast and the VM boots cold.
  const read = snapshot.lz4 && lz4 !== undefined ? `${lz4} -dcq ${shellQuote(snapshot.file)} || echo corrupt` : `cat ${shellQuote(snapshot.file)}`;
  return { ...launch, env: { PATH: "/usr/bin:/bin", ...launch.env }, args: [...launch.args, "-incoming", `exec:${read}`] };
}

/**
 * Boots one VM of `launch`, waits for its runner's `ready`, and saves it to `file` (atomically:
 * a temporary file renamed when QEMU reports the migration complete). Resolves false when any
 * step fails or takes longer than `timeoutMs`; never rejects.
 */
export async function takeSnapshot(launch: StreamLaunch, file: string, timeoutMs: number): Promise<boolean> {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const work = path.join(os.tmpdir(), `toolcode-snap-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(work, { recursive: true });
  const socket = path.join(work, "qmp.sock");
  const temporary = `${file}.${process.pid}.tmp`;
  const lz4 = lz4Binary();
  const child = spawn(launch.command, [...launch.args, "-qmp", `unix:${socket},server=on,wait=off`], { env: { PATH: "/usr/bin:/bin", ...launch.env }, stdio: ["pipe", "pipe", "ignore"], detached: true });
  child.unref();
  // Detached (its own process group): it must not outlive this process.
  const orphaned = (): void => kill(child.pid);
  process.once("exit", orphaned);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const deadline = setTimeout(() => kill(child.pid), timeoutMs);
  deadline.unref();
  try {
    const ready = await new Promise<WorkerMessage | undefined>((resolve) => {
      const decoder = new LineDecoder(
        (value) => {
          const message = toWorkerMessage(value);
          if (message?.type === "ready") resolve(message);
        },
        () => resolve(undefined),
      );
      child.stdout.on("data", (chunk: Buffer) => decoder.push(chunk));
      void exited.then(() => resolve(undefined));
    });
    if (ready === undefined) return false;
    const qmp = await QmpClient.connect(socket);
    try {
      await qmp.command("qmp_capabilities");
      // A live migration of the idle VM: its saved run state is "running", so a restore starts at once.
      await qmp.command("migrate", { uri: `exec:${lz4 !== undefined ? `${lz4} -1 -q` : "cat"} > ${shellQuote(temporary)}` });
      for (;;) {
        const status = (await qmp.command("query-migrate")) as { status?: string };
        if (status.status === "completed") break;
        if (status.status === "failed" || status.status === "cancelled") return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await qmp.command("quit").catch(() => undefined);
    } finally {
      qmp.close();
    }
    writeFileSync(`${file.replace(/\.state$/, "")}.json`, `${JSON.stringify({ ready, lz4: lz4 !== undefined })}\n`);
    renameSync(temporary, file);
    prune(dir, file);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(deadline);
    kill(child.pid);
    await exited;
    process.off("exit", orphaned);
    rmSync(temporary, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Keeps the newest {@link KEEP} snapshots of a directory (and `keep`). */
function prune(dir: string, keep: string): void {
  const states = readdirSync(dir)
    .filter((name) => name.endsWith(".state"))
    .map((name) => path.join(dir, name))
    .filter((full) => full !== keep)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of states.slice(KEEP - 1)) dropSnapshot(old);
}

function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** A minimal QMP client: one command at a time, JSON lines over a unix socket. */
class QmpClient {
  private readonly waiting: ((reply: { return?: unknown; error?: { desc?: string } }) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line === "") continue;
        let reply: { return?: unknown; error?: { desc?: string }; event?: string; QMP?: unknown };
        try {
          reply = JSON.parse(line) as typeof reply;
        } catch {
          continue;
        }
        if (reply.event !== undefined || reply.QMP !== undefined) continue;
        this.waiting.shift()?.(reply);
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      for (const waiter of this.waiting.splice(0)) waiter({ error: { desc: "QMP connection closed" } });
    });
  }

  /** Connects, retrying while QEMU creates the socket. */
  static async connect(file: string): Promise<QmpClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(file, () => resolve(s));
          s.once("error", reject);
        });
        return new QmpClient(socket);
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  command(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => (reply.error !== undefined ? reject(new Error(reply.error.desc ?? "QMP error")) : resolve(reply.return)));
      this.socket.write(`${JSON.stringify(args === undefined ? { execute } : { execute, arguments: args })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A worker restored from `snapshot`: the VM is sent a probe run first; when its answer comes, the
 * saved `ready` is passed on and the worker behaves as any other. When the restored VM ends or
 * does not answer the probe within `probeTimeoutMs`, `onFailed` is told (drop the snapshot) and
 * `fallback()` (a cold boot) takes its place, unnoticed by the pool.
 */
export function restoredWorker(
  start: () => SandboxWorker,
  snapshot: MicrovmSnapshot,
  fallback: () => SandboxWorker,
  options: { probeTimeoutMs: number; onFailed: () => void },
): SandboxWorker {
  const handlers: ((message: WorkerMessage) => void)[] = [];
  const exitHandlers: ((exit: WorkerExit) => void)[] = [];
  let current = start();
  let probing = true;
  let killed = false;
  let keep = false;
  const probe: HostMessage = {
    type: "run",
    runId: PROBE_RUN_ID,
    code: '(async function (require, exports) {"use strict";\nreturn 1;\n})',
    lineOffset: 1,
    api: { globals: {} },
    limits: resolveLimits({ timeoutMs: options.probeTimeoutMs, memoryMb: 16, maxStackKb: 64, maxToolCalls: 1, maxLogBytes: 1024 }),
  };
  const forward = (worker: SandboxWorker): void => {
    worker.onMessage((message) => {
      if (worker !== current) return;
      for (const handler of handlers) handler(message);
    });
    worker.onExit((exit) => {
      if (worker !== current) return;
      for (const handler of exitHandlers) handler(exit);
    });
  };
  const fail = (): void => {
    if (!probing) return;
    probing = false;
    clearTimeout(timer);
    const broken = current;
    options.onFailed();
    if (killed) {
      for (const handler of exitHandlers) handler({ outOfMemory: false, reason: "killed" });
      return;
    }
    current = fallback();
    current.ref(keep);
    forward(current);
    void broken.kill();
  };
  const timer = setTimeout(fail, options.probeTimeoutMs);
  timer.unref();
  const restored = current;
  restored.onMessage((message) => {
    if (restored !== current) return;
    if (probing) {
      if (message.type === "done" && message.runId === PROBE_RUN_ID) {
        probing = false;
        clearTimeout(timer);
        if (message.outcome.ok !== true) {
          probing = true;
          fail();
          return;
        }
        for (const handler of handlers) handler(snapshot.ready);
      }
      return;
    }
    for (const handler of handlers) handler(message);
  });
  restored.onExit((exit) => {
    if (restored !== current) return;
    if (probing) fail();
    else for (const handler of exitHandlers) handler(exit);
  });
  restored.send(probe);
  return {
    get pid() {
      return current.pid;
    },
    send(message) {
      if (!probing) current.send(message);
    },
    onMessage(handler) {
      handlers.push(handler);
    },
    onExit(handler) {
      exitHandlers.push(handler);
    },
    async kill() {
      killed = true;
      clearTimeout(timer);
      // Ending while the probe runs: no fallback; the VM's exit is passed on as the worker's.
      probing = false;
      await current.kill();
    },
    ref(value) {
      keep = value;
      current.ref(value);
    },
  };
}
