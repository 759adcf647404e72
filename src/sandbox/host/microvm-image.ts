/**
 * The microVM image (`toolcode sandbox build-image`): a Debian cloud kernel and the initramfs
 * base every sandbox VM boots, built from Debian packages and cached in a directory
 * (`<state dir>/microvm/` by default):
 *
 * - `vmlinuz`: the kernel of `linux-image-cloud-amd64` (`apt-get download`, unpacked with dpkg-deb);
 * - `base.cpio`: `/init` (a busybox shell script), `busybox-static`, the virtio modules the
 *   channel needs (virtio, virtio_ring, virtio_mmio, virtio_console), and this host's Node binary
 *   with the shared libraries it links;
 * - `image.json`: what it was built from.
 *
 * The sandbox code and the engine's packages are a second, small archive appended at launch
 * (./microvm-host.ts), so rebuilding toolcode does not mean rebuilding the image.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type CpioEntry, cpioArchive } from "./cpio-archive.js";

/** The files of a built image. */
export interface MicrovmImage {
  dir: string;
  kernel: string;
  baseInitrd: string;
  /** Kernel release of the image (what the runner reports as its kernel). */
  release: string;
}

const MODULES = ["kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio_mmio.ko", "kernel/drivers/char/virtio_console.ko"];

/**
 * PID 1 of the VM (also appended at launch, so a newer toolcode's init replaces the image's): mount what Node needs, load the channel's modules, wait for the port, then run
 * the runner with its stdio on the port. When the runner exits the VM powers off (panic → exit).
 */
export const MICROVM_INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t tmpfs -o size=16m tmp /tmp
for m in virtio_ring virtio virtio_mmio virtio_console; do /bin/busybox insmod /lib/toolcode-modules/$m.ko 2>/dev/null; done
port=""
i=0
while [ -z "$port" ] && [ $i -lt 500 ]; do
  for p in /sys/class/virtio-ports/*; do
    [ -f "$p/name" ] && [ "$(/bin/busybox cat $p/name)" = "toolcode" ] && port=/dev/$(/bin/busybox basename $p)
  done
  [ -z "$port" ] && /bin/busybox usleep 10000
  i=$((i+1))
done
[ -n "$port" ] || /bin/busybox poweroff -f
cd /
ulimit -s 40960
/bin/busybox env -i $(/bin/busybox cat /opt/toolcode/command) 0<>"$port" 1>&0
/bin/busybox poweroff -f
`;

/** The default image directory under a state directory. */
export function defaultImageDir(stateDir: string): string {
  return path.join(stateDir, "microvm");
}

/** The image in `dir`, or undefined when it has not been built (or is incomplete). */
export function readImage(dir: string): MicrovmImage | undefined {
  const manifest = path.join(dir, "image.json");
  if (!existsSync(manifest)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { release?: unknown };
    const image = { dir, kernel: path.join(dir, "vmlinuz"), baseInitrd: path.join(dir, "base.cpio"), release: String(parsed.release) };
    return existsSync(image.kernel) && existsSync(image.baseInitrd) ? image : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the image into `dir` (replacing an older one); `progress` gets one line per step. */
export function buildImage(dir: string, progress: (line: string) => void = () => {}): MicrovmImage {
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error("the microVM image is built on x86-64 Linux");
  for (const tool of ["apt-get", "apt-cache", "dpkg-deb"]) {
    if (spawnSync("which", [tool], { stdio: "ignore" }).status !== 0) throw new Error(`${tool} is needed to build the microVM image (a Debian or Ubuntu host)`);
  }
  const work = mkdtempSync(path.join(os.tmpdir(), "toolcode-image-"));
  try {
    const kernelPackage = /Depends:\s*(linux-image-\S+)/.exec(execFileSync("apt-cache", ["depends", "linux-image-cloud-amd64"], { encoding: "utf8" }))?.[1];
    if (kernelPackage === undefined) throw new Error("apt-cache knows no linux-image-cloud-amd64 (run apt-get update)");
    for (const pkg of [kernelPackage, "busybox-static"]) {
      progress(`apt-get download ${pkg}`);
      execFileSync("apt-get", ["download", pkg], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
    }
    const root = path.join(work, "root");
    for (const deb of readdirSync(work).filter((name) => name.endsWith(".deb"))) execFileSync("dpkg-deb", ["-x", path.join(work, deb), root]);
    const release = kernelPackage.replace(/^linux-image-/, "");
    const entries: CpioEntry[] = [];
    const dirs = new Set<string>();
    const addDir = (dirPath: string): void => {
      const parts = dirPath.split("/").filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const sub = parts.slice(0, i).join("/");
        if (!dirs.has(sub)) {
          dirs.add(sub);
          entries.push({ kind: "dir", path: sub });
        }
      }
    };
    const addFile = (target: string, source: string, mode = 0o755): void => {
      addDir(path.posix.dirname(target));
      entries.push({ kind: "file", path: target, data: readFileSync(source), mode });
    };
    for (const dirName of ["proc", "sys", "dev", "tmp", "opt/toolcode"]) addDir(dirName);
    entries.push({ kind: "file", path: "init", data: Buffer.from(MICROVM_INIT), mode: 0o755 });
    addFile("bin/busybox", path.join(root, "bin", "busybox"));
    for (const module of MODULES) addFile(`lib/toolcode-modules/${path.basename(module)}`, path.join(root, "lib", "modules", release, module), 0o644);
    progress(`node ${process.version} and its libraries`);
    const node = realpathSync(process.execPath);
    addFile("usr/bin/node", node);
    for (const library of sharedLibraries(node)) addFile(library.replace(/^\//, ""), realpathSync(library));
    mkdirSync(dir, { recursive: true });
    const staging = mkdtempSync(path.join(dir, ".build-"));
    writeFileSync(path.join(staging, "base.cpio"), cpioArchive(entries));
    renameSync(path.join(root, "boot", `vmlinuz-${release}`), path.join(staging, "vmlinuz"));
    writeFileSync(path.join(staging, "image.json"), `${JSON.stringify({ release, kernelPackage, node: process.version, built: new Date().toISOString() }, null, 2)}\n`);
    for (const name of ["vmlinuz", "base.cpio", "image.json"]) renameSync(path.join(staging, name), path.join(dir, name));
    rmSync(staging, { recursive: true, force: true });
    progress(`image ready in ${dir} (kernel ${release})`);
    const image = readImage(dir);
    if (image === undefined) throw new Error(`the image in ${dir} is incomplete`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Absolute paths of the shared libraries `binary` links (ldd), the dynamic loader included. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  const found = new Set<string>();
  for (const line of out.split("\n")) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1] !== undefined) found.add(match[1]);
  }
  return [...found];
}
