/**
 * `sandbox.isolation: "microvm"`: each sandbox worker is a QEMU `microvm` guest (work in progress).
 *
 * @module
 */
import type { EngineSpec } from "../engines/engine-spec.js";
import type { SpawnWorker } from "./sandbox-worker.js";

/** `sandbox.microvm`: the VMs of the microvm host. */
export interface MicrovmConfig {
  /** `kvm`, `tcg` (software emulation), or `auto` (default: KVM when a probe boot succeeds). */
  accel?: "auto" | "kvm" | "tcg";
  /** Guest memory, MiB (default 512). */
  memoryMb?: number;
  /** Directory of the image built by `toolcode sandbox build-image` (default under the state dir). */
  imageDir?: string;
}

/** Options of {@link microvmWorkers}. */
export interface MicrovmOptions {
  engine: EngineSpec;
  workerMemoryMb: number;
  config: MicrovmConfig;
}

/** Why microVMs cannot run here, or undefined. */
export function microvmUnavailable(_config: MicrovmConfig = {}): string | undefined {
  return "the microvm host is not available in this build";
}

/** Starts workers in microVMs. */
export function microvmWorkers(options: MicrovmOptions): SpawnWorker {
  throw new Error(microvmUnavailable(options.config));
}
