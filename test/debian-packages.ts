/**
 * Debian packages a test needs, installed in its setup when missing (root with apt-get; one
 * `apt-get update` per process, waiting for dpkg's lock so parallel test files can ask at once),
 * or the reason they cannot be, for a printed skip.
 *
 * TOOLCODE_TEST_NO_APT=1 skips the installation.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

let updated = false;

/**
 * Makes sure each `[binary, package]` pair's binary exists, installing the missing packages.
 * Returns `{ ok: true }` or why they are still missing.
 */
export function ensureDebianPackages(needed: readonly (readonly [binary: string, pkg: string])[]): { ok: true } | { ok: false; reason: string } {
  const missing = needed.filter(([binary]) => !existsSync(binary));
  if (missing.length === 0) return { ok: true };
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const why = process.env.TOOLCODE_TEST_NO_APT === "1"
    ? "TOOLCODE_TEST_NO_APT=1"
    : process.platform !== "linux" ? "not Linux"
    : process.getuid?.() !== 0 ? "not root"
    : !existsSync("/usr/bin/apt-get") ? "no apt-get"
    : undefined;
  if (why !== undefined) return { ok: false, reason: `${packages.join(", ")} not installed and not installable here (${why})` };
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const lock = ["-o", "DPkg::Lock::Timeout=600"];
  try {
    if (!updated) execFileSync("apt-get", [...lock, "update"], { stdio: "ignore", timeout: 300_000, env });
    updated = true;
    execFileSync("apt-get", [...lock, "install", "-y", "--no-install-recommends", ...packages], { stdio: "ignore", timeout: 600_000, env });
  } catch (error) {
    return { ok: false, reason: `apt-get install ${packages.join(" ")} failed (${(error as Error).message.split("\n")[0]})` };
  }
  const still = missing.filter(([binary]) => !existsSync(binary));
  return still.length === 0 ? { ok: true } : { ok: false, reason: `${still.map(([b]) => b).join(", ")} still missing after apt-get install ${packages.join(" ")}` };
}
