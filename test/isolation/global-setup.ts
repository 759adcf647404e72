/**
 * Global setup of the `isolation` test project: installs what the sandbox hosts need when it is
 * missing and this machine can (root with apt-get: bubblewrap, runsc, qemu-system-x86,
 * busybox-static, lz4; one `apt-get update`, bounded in time), then starts a `toolcode runner
 * --listen` in its own process on loopback for the `remote` host (its URL and secret go to the
 * test workers through the environment). Suites that still cannot run skip with a printed reason.
 *
 * TOOLCODE_TEST_NO_APT=1 skips the installation.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { microvmImageDir } from "../../src/sandbox/host/microvm-host.js";
import { buildImage, readImage } from "../../src/sandbox/host/microvm-image.js";
import { ROOT } from "../helpers.js";

/** Debian package of each binary the hosts use. */
const NEEDED: readonly [binary: string, pkg: string][] = [
  ["/usr/bin/bwrap", "bubblewrap"],
  ["/usr/bin/runsc", "runsc"],
  ["/usr/bin/qemu-system-x86_64", "qemu-system-x86"],
  ["/bin/busybox", "busybox-static"],
  // microVM snapshots are lz4-compressed when it is there (uncompressed otherwise).
  ["/usr/bin/lz4", "lz4"],
];

function installMissing(): void {
  const missing = NEEDED.filter(([binary]) => !existsSync(binary) && !existsSync(binary.replace(/^\/bin\//, "/usr/bin/")));
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg);
  const why = process.env.TOOLCODE_TEST_NO_APT === "1"
    ? "TOOLCODE_TEST_NO_APT=1"
    : process.platform !== "linux" ? "not Linux"
    : process.getuid?.() !== 0 ? "not root"
    : !existsSync("/usr/bin/apt-get") ? "no apt-get"
    : undefined;
  if (why !== undefined) {
    console.warn(`[toolcode tests] not installing ${packages.join(", ")} (${why}); the suites that need them skip`);
    return;
  }
  console.warn(`[toolcode tests] apt-get install ${packages.join(" ")} (once, for the isolation suites)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", timeout: 180_000, env });
  const result = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: ["ignore", "ignore", "pipe"], timeout: 600_000, env });
  if (result.status !== 0) console.warn(`[toolcode tests] apt-get install failed: ${result.stderr?.toString().trim().split("\n").slice(-2).join(" ")}`);
}

let runner: ChildProcess | undefined;
let secretDir: string | undefined;

/** Starts the remote runner (another process, loopback WebSocket); resolves with its URL. */
async function startRunner(secretFile: string): Promise<string> {
  const tsx = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  const child = spawn(process.execPath, [tsx, path.join(ROOT, "src", "cli", "main.ts"), "runner", "--listen", "127.0.0.1:0", "--secret-file", secretFile], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  runner = child;
  return new Promise<string>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`toolcode runner did not start: ${text}`)), 60_000);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      text += chunk;
      const match = /listening on (ws:\/\/\S+)/.exec(text);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`toolcode runner exited (${String(code)}): ${text}`));
    });
  });
}

/** Builds the microVM image once (cached in ~/.toolcode/microvm) where QEMU is installed. */
function buildImageIfMissing(): void {
  const dir = microvmImageDir();
  if (readImage(dir) !== undefined || !existsSync("/usr/bin/qemu-system-x86_64") || process.env.TOOLCODE_TEST_NO_APT === "1") return;
  console.warn(`[toolcode tests] building the microVM image into ${dir} (once)`);
  try {
    buildImage(dir, () => {});
  } catch (error) {
    console.warn(`[toolcode tests] cannot build the microVM image: ${error instanceof Error ? error.message : String(error)}; the microvm suites skip`);
  }
}

export async function setup(): Promise<void> {
  installMissing();
  buildImageIfMissing();
  secretDir = mkdtempSync(path.join(os.tmpdir(), "toolcode-runner-secret-"));
  const secret = randomBytes(24).toString("hex");
  const secretFile = path.join(secretDir, "secret");
  writeFileSync(secretFile, secret, { mode: 0o600 });
  process.env.TOOLCODE_TEST_RUNNER_URL = await startRunner(secretFile);
  process.env.TOOLCODE_TEST_RUNNER_SECRET = secret;
}

export function teardown(): void {
  runner?.kill("SIGTERM");
  if (secretDir !== undefined) rmSync(secretDir, { recursive: true, force: true });
}
