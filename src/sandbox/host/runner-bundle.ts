/**
 * The runner as files to copy into a sandbox that has Node but not toolcode (a microVM's
 * initramfs, an E2B sandbox): the sandbox worker's code (./worker-files.ts), the engine's
 * packages, and the command line that starts the worker on its stdio (newline JSON, the runner
 * protocol) under the same flags as a local worker process: Node's permission model reading only
 * the bundle, no code generation from strings, a heap cap.
 *
 * @module
 */
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { EngineSpec } from "../engines/engine-spec.js";
import { packageDir, workerFiles } from "./worker-files.js";

/** What to copy and how to start it. Paths are POSIX and relative to the bundle's root. */
export interface RunnerBundle {
  /** Directories, each after its parent. */
  dirs: string[];
  files: { path: string; data: Buffer }[];
  /** The worker's command line inside the sandbox (absolute paths under the root). */
  command: string[];
}

/** Options of {@link runnerBundle}. */
export interface RunnerBundleOptions {
  /** Absolute directory the bundle is copied to inside the sandbox (e.g. `/opt/toolcode`). */
  root: string;
  /** The sandbox's Node binary. */
  node: string;
  workerMemoryMb: number;
  /** V8 stack of the worker, KiB: the sandbox must run it with a native stack larger than this. */
  v8StackKb: number;
}

/** The bundle of `engine`'s runner. Throws when the worker's code cannot be found. */
export function runnerBundle(engine: EngineSpec, options: RunnerBundleOptions): RunnerBundle {
  const worker = workerFiles(engine);
  const sandboxDir = path.dirname(path.dirname(worker.file));
  const dirs: string[] = ["node_modules", "node_modules/@jitl"];
  const files: RunnerBundle["files"] = [];
  const seen = new Set<string>(dirs);
  const addTree = (source: string, target: string): void => {
    if (!seen.has(target)) {
      seen.add(target);
      dirs.push(target);
    }
    for (const entry of readDirRecursive(source)) {
      const relative = path.relative(source, entry.path).split(path.sep).join("/");
      const bundlePath = path.posix.join(target, relative);
      if (seen.has(bundlePath)) continue;
      seen.add(bundlePath);
      if (entry.isDir) dirs.push(bundlePath);
      else files.push({ path: bundlePath, data: readFileSync(entry.path) });
    }
  };
  addTree(sandboxDir, "sandbox");
  for (const name of engine.packages) {
    try {
      addTree(packageDir(name), `node_modules/${name}`);
    } catch {
      // not installed: the worker reports it when it starts
    }
  }
  files.push({ path: "package.json", data: Buffer.from('{ "type": "module" }\n') });
  if (!seen.has("sandbox/package.json")) files.push({ path: "sandbox/package.json", data: Buffer.from('{ "type": "module" }\n') });
  const command = [
    options.node,
    "--experimental-permission",
    `--allow-fs-read=${options.root}`,
    ...engine.processFlags,
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${Math.max(16, Math.floor(options.workerMemoryMb))}`,
    `--stack-size=${options.v8StackKb}`,
    "--no-warnings",
    path.posix.join(options.root, "sandbox", path.relative(sandboxDir, worker.file).split(path.sep).join("/")),
    `--runner=${engine.runner}`,
    `--max-guest-stack-kb=${engine.maxGuestStackKb(options.v8StackKb)}`,
    "--transport=stdio",
  ];
  return { dirs, files, command };
}

function readDirRecursive(root: string): { path: string; isDir: boolean }[] {
  const out: { path: string; isDir: boolean }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSyncSafe(dir)) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        out.push({ path: full, isDir: true });
        walk(full);
      } else if (entry.isFile()) out.push({ path: full, isDir: false });
    }
  };
  walk(root);
  return out;
}

function readdirSyncSafe(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
