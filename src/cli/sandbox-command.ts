/**
 * `toolcode sandbox build-image`: builds the microVM image of `sandbox.isolation: "microvm"`
 * (a Debian cloud kernel, busybox and this host's Node in an initramfs; see
 * src/sandbox/host/microvm-image.ts) into `--dir` or `~/.toolcode/microvm`.
 *
 * @module
 */
import { Command } from "commander";
import { ToolcodeError } from "../errors.js";
import { buildImage, readImage } from "../sandbox/host/microvm-image.js";
import { microvmImageDir } from "../sandbox/host/microvm-host.js";

/** Builds the `sandbox` command group. */
export function sandboxCommand(): Command {
  const sandbox = new Command("sandbox").description("sandbox hosts: build the microVM image");
  sandbox
    .command("build-image")
    .description("build the microVM image (sandbox.isolation \"microvm\") from Debian packages: apt-get download of a cloud kernel and busybox-static, plus this host's node; cached")
    .option("--dir <dir>", "where to put it (default: sandbox.microvm.imageDir, ~/.toolcode/microvm)")
    .option("--force", "rebuild even if an image is there")
    .action((options: { dir?: string; force?: boolean }) => {
      const dir = microvmImageDir(options.dir !== undefined ? { imageDir: options.dir } : {});
      const existing = readImage(dir);
      if (existing !== undefined && options.force !== true) {
        process.stderr.write(`microVM image already in ${dir} (kernel ${existing.release}); --force rebuilds it\n`);
        return;
      }
      try {
        buildImage(dir, (line) => process.stderr.write(`${line}\n`));
      } catch (error) {
        throw new ToolcodeError("CONFIG_INVALID", `Cannot build the microVM image: ${error instanceof Error ? error.message : String(error)}`, { dir });
      }
    });
  return sandbox;
}
