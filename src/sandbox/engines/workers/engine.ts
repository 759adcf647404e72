/**
 * Cloudflare Workers as a sandbox engine (`sandbox.engine: "workers"`): each execution runs as a
 * Dynamic Worker (the Worker Loader API) inside a local `workerd` (the open-source Workers
 * runtime, from the `workerd` npm package), with no network (`globalOutbound: null`), no
 * bindings and no code generation from strings. Tool calls are bridged back over the runner's
 * stream to the sandbox worker and on to the host, which holds the credentials and the guard.
 *
 * One `workerd` per sandbox worker (a child of it, killed with it); the worker's usual limits
 * apply on top (tool calls, logs, time — the host kills the worker and its `workerd` at the
 * deadline), every isolate's heap is capped at 64 MiB and the process's data segment at ~1 GiB.
 *
 * Not installed by default: `npm install workerd@1.20261123.1` (an optional peer dependency; its
 * platform package carries the prebuilt binary, nothing compiles).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EngineSpec } from "../engine-spec.js";
import { DATA_LIMIT_KB } from "./limits.js";

/** The `workerd` version toolcode is tested with (the optional peer dependency). */
export const WORKERD_VERSION = "1.20261123.1";

/** Files of the runner Worker and its config, beside this module (copied into dist/ by the build). */
const WORKERD_DIR = fileURLToPath(new URL("./workerd/", import.meta.url));
const ASSET_FILES = ["config.capnp", "runner.js"] as const;

/** The platform package holding the workerd binary, as the `workerd` package names it. */
function platformPackage(): string {
  const arch = process.arch === "x64" ? "64" : process.arch;
  const platform = process.platform === "win32" ? "windows" : process.platform;
  return `@cloudflare/workerd-${platform}-${arch}`;
}

/** Absolute path of the workerd binary, or undefined when the package is not installed. */
export function workerdBinary(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve(`${platformPackage()}/package.json`);
    const binary = path.join(path.dirname(manifest), "bin", process.platform === "win32" ? "workerd.exe" : "workerd");
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

let prepared: string | undefined;

/**
 * Writes the runner's config, its module and a `workerd` link to the binary into a directory of
 * the temp dir named by their hash (written once, atomically; reused by later processes).
 */
export function workerdAssets(): string {
  if (prepared !== undefined && existsSync(prepared)) return prepared;
  const binary = workerdBinary();
  if (binary === undefined) throw new Error(`workerd is not installed: npm install workerd@${WORKERD_VERSION}`);
  // The sandbox worker cannot look at the file system (Node's permission model): what it starts is decided here.
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((candidate) => existsSync(candidate));
  const start = [
    "#!/bin/sh",
    "# Starts workerd for one sandbox worker; $1 is the unix socket to serve on.",
    'dir=$(dirname "$0")',
    // Off-heap memory (ArrayBuffers) is not under V8's heap cap: cap the process's data segment.
    `ulimit -d ${DATA_LIMIT_KB} 2>/dev/null`,
    `exec ${setpriv !== undefined ? `${setpriv} --pdeathsig KILL -- ` : ""}"$dir/workerd" serve --experimental "$dir/config.capnp" -s "http=unix:$1"`,
    "",
  ].join("\n");
  const files = [...ASSET_FILES.map((name) => [name, readFileSync(path.join(WORKERD_DIR, name), "utf8")] as const), ["start.sh", start] as const];
  const hash = createHash("sha256").update(binary).update(JSON.stringify(files)).digest("hex").slice(0, 16);
  const dir = path.join(os.tmpdir(), `toolcode-workerd-${hash}`);
  if (!existsSync(path.join(dir, "workerd"))) {
    const staging = `${dir}.${process.pid}.${Date.now().toString(36)}`;
    mkdirSync(staging, { recursive: true, mode: 0o755 });
    for (const [name, text] of files) writeFileSync(path.join(staging, name), text, { mode: 0o644 });
    symlinkSync(binary, path.join(staging, "workerd"));
    try {
      renameSync(staging, dir);
    } catch {
      // Another process won the race: its directory has the same contents.
    }
  }
  prepared = dir;
  return dir;
}

/** The Workers engine, as the host side sees it. */
export const workersEngine: EngineSpec = {
  name: "workers",
  runner: "engines/workers/runner",
  packages: [],
  // The sandbox worker starts its own workerd (the guest runs there, not in the worker).
  processFlags: ["--allow-child-process"],
  // V8 in workerd sizes the guest's stack itself.
  maxGuestStackKb: () => 0,
  unavailable: () =>
    workerdBinary() === undefined
      ? {
          key: "sandbox.engine",
          message: `sandbox.engine "workers" needs the workerd runtime, which is not installed. Install it with: npm install workerd@${WORKERD_VERSION} (its platform package ships a prebuilt binary), or use "quickjs".`,
        }
      : undefined,
  // The worker is told where the host put workerd's files (it cannot look for them itself).
  launchExtras: () => ({ args: [workerdAssets()], readPaths: [] }),
};
