/**
 * The isolation hosts (`sandbox.isolation`): how each one starts sandbox workers, and why it
 * cannot run here. `process` and `thread` run workers on the host's kernel; `bwrap` adds
 * namespaces; `gvisor` and `microvm` put a kernel boundary around each worker; `remote` runs it
 * on another machine. All of them speak the same runner protocol (../protocol.ts) to the same
 * pooled engine (./pooled-engine.ts).
 *
 * @module
 */
import type { EngineSpec, Isolation } from "../engines/engine-spec.js";
import { bwrapUnavailable, bwrapWorkers } from "./bwrap-host.js";
import { type E2bConfig, e2bUnavailable, e2bWorkers } from "./e2b-host.js";
import { gvisorUnavailable, gvisorWorkers } from "./gvisor-host.js";
import { microvmUnavailable, microvmWorkers, type MicrovmConfig } from "./microvm-host.js";
import { type NetworkNamespaceMode, processWorkers } from "./process-worker.js";
import { remoteWorkers, type RemoteRunnerConfig } from "./remote-worker.js";
import type { SpawnWorker } from "./sandbox-worker.js";
import { threadWorkers } from "./thread-worker.js";

/** What the hosts need from the `sandbox` config section. */
export interface HostConfig {
  workerMemoryMb: number;
  networkNamespace: NetworkNamespaceMode;
  workerNice: number;
  remote?: RemoteRunnerConfig;
  microvm?: MicrovmConfig;
  e2b?: E2bConfig;
}

/** Isolations whose sandboxes are kernel- or machine-level: one fresh sandbox per execution by default. */
export const STRONG_ISOLATIONS: ReadonlySet<Isolation> = new Set(["bwrap", "gvisor", "microvm", "remote", "e2b"]);

/** Why `isolation` cannot run here (a message that says what to do), or undefined. */
export function isolationUnavailable(isolation: Isolation, config: Pick<HostConfig, "remote" | "microvm" | "e2b"> = {}): string | undefined {
  switch (isolation) {
    case "process":
    case "thread":
      return undefined;
    case "bwrap": {
      const reason = bwrapUnavailable();
      return reason === undefined ? undefined : `sandbox.isolation "bwrap" cannot run here: ${reason}.`;
    }
    case "gvisor": {
      const reason = gvisorUnavailable();
      return reason === undefined ? undefined : `sandbox.isolation "gvisor" cannot run here: ${reason}.`;
    }
    case "microvm": {
      const reason = microvmUnavailable(config.microvm);
      return reason === undefined ? undefined : `sandbox.isolation "microvm" cannot run here: ${reason}.`;
    }
    case "remote":
      return config.remote === undefined
        ? 'sandbox.isolation "remote" needs sandbox.remote: { "url": "ws://runner-host:7070", "secret": "${TOOLCODE_RUNNER_SECRET}" } (a runner started with `toolcode runner --listen`).'
        : undefined;
    case "e2b": {
      const reason = e2bUnavailable(config.e2b);
      return reason === undefined ? undefined : `sandbox.isolation "e2b" cannot run here: ${reason}.`;
    }
  }
}

/** The worker starter of `isolation` for `engine`. Throws when it cannot run here. */
export function spawnerFor(isolation: Isolation, engine: EngineSpec, config: HostConfig): SpawnWorker {
  const { workerMemoryMb } = config;
  switch (isolation) {
    case "process":
      return processWorkers({ engine, workerMemoryMb, networkNamespace: config.networkNamespace, nice: config.workerNice });
    case "thread":
      return threadWorkers({ engine, workerMemoryMb });
    case "bwrap":
      return bwrapWorkers({ engine, workerMemoryMb });
    case "gvisor":
      return gvisorWorkers({ engine, workerMemoryMb });
    case "microvm":
      return microvmWorkers({ engine, workerMemoryMb, config: config.microvm ?? {} });
    case "remote":
      if (config.remote === undefined) throw new Error(isolationUnavailable("remote", config));
      return remoteWorkers(config.remote);
    case "e2b":
      return e2bWorkers({ engine, workerMemoryMb, config: config.e2b ?? {} });
  }
}
