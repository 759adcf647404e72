/**
 * The isolation hosts under test (src/sandbox/host/isolation-hosts.ts): QuickJS in each of
 * bwrap, gvisor, microvm, remote and e2b (only with E2B_API_KEY; TOOLCODE_TEST_E2B_TEMPLATE
 * names a template other than "base"). A host that cannot run here is listed with its reason,
 * printed once, and its tests are skipped. The remote host connects to the runner that
 * global-setup.ts started in another process.
 */
import type { EngineConfig } from "../../src/sandbox/create-engine.js";
import { engineUnavailable } from "../../src/sandbox/create-engine.js";
import type { Isolation } from "../../src/sandbox/engines/engine-spec.js";
import type { EngineCase } from "../security/engines.js";

/** The hosts beyond process and thread. */
export const STRONG_HOSTS: readonly Isolation[] = ["bwrap", "gvisor", "microvm", "remote", "e2b"];

/** The config of `isolation` for tests (the remote one points at the test runner). */
export function hostConfig(isolation: Isolation): EngineConfig & { engine: string; isolation: Isolation } {
  const url = process.env.TOOLCODE_TEST_RUNNER_URL;
  const secret = process.env.TOOLCODE_TEST_RUNNER_SECRET;
  return {
    engine: "quickjs",
    isolation,
    ...(isolation === "remote" && url !== undefined && secret !== undefined ? { remote: { url, secret } } : {}),
    ...(isolation === "e2b" && process.env.TOOLCODE_TEST_E2B_TEMPLATE !== undefined ? { e2b: { template: process.env.TOOLCODE_TEST_E2B_TEMPLATE } } : {}),
  };
}

/**
 * Time limit of an ordinary run on `isolation`: a microVM under TCG (no usable KVM) runs JavaScript
 * 12–20× slower than the host, and its first run in a fresh VM takes seconds.
 */
export function runTimeoutMs(isolation: Isolation): number {
  return isolation === "microvm" ? 120_000 : isolation === "e2b" ? 30_000 : 5_000;
}

const printed = new Set<string>();

/**
 * One case per host; `reuse` "shared" lets the corpus check what an attack leaves behind in a
 * sandbox. `slowSkip` skips microVMs under emulation for suites that run hundreds of executions.
 */
export function hostCases(extra: EngineConfig = {}, slowSkip?: string): EngineCase[] {
  return STRONG_HOSTS.map((isolation): EngineCase => {
    const label = `quickjs/${isolation}`;
    const config = { ...hostConfig(isolation), ...extra };
    const skip = engineUnavailable(config)?.message ?? (isolation === "microvm" ? slowSkip : undefined);
    if (skip !== undefined && !printed.has(label)) {
      printed.add(label);
      console.warn(`[toolcode tests] skipping ${label}: ${skip}`);
    }
    return { label, config, skip, codeGeneration: true };
  });
}
