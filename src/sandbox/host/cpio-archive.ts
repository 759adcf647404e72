/**
 * A writer of `newc` cpio archives, the format of a Linux initramfs (several archives
 * concatenated are one initramfs). Just what the microVM image needs: directories, regular
 * files, symbolic links, all owned by root.
 *
 * @module
 */

/** One entry: a directory, a file with its bytes, or a symbolic link to `target`. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Buffer; mode?: number }
  | { kind: "symlink"; path: string; target: string };

const TRAILER = "TRAILER!!!";

/** The archive of `entries` (paths without a leading "/"), with its trailer. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let inode = 1;
  for (const entry of entries) {
    const data = entry.kind === "file" ? entry.data : entry.kind === "symlink" ? Buffer.from(entry.target) : Buffer.alloc(0);
    const mode = entry.kind === "dir" ? 0o040000 | (entry.mode ?? 0o755) : entry.kind === "symlink" ? 0o120777 : 0o100000 | (entry.mode ?? 0o644);
    parts.push(...record(entry.path.replace(/^\/+/, ""), mode, data, inode++));
  }
  parts.push(...record(TRAILER, 0, Buffer.alloc(0), 0));
  return Buffer.concat(parts);
}

function record(name: string, mode: number, data: Buffer, inode: number): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [inode, mode, 0, 0, mode & 0o040000 ? 2 : 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map((field) => field.toString(16).padStart(8, "0")).join("")}`);
  return [header, nameBytes, pad(header.length + nameBytes.length), data, pad(data.length)];
}

function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
