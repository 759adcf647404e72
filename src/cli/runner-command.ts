/**
 * `toolcode runner`: the sandbox runner on its own, for hosts that run guests away from the
 * gateway (docs/runner-protocol.md, docs/isolation.md).
 *
 * - Without `--listen`: one runner on stdin/stdout (newline JSON), the same worker process the
 *   gateway starts (Node's permission model, empty environment), for a host that provides the
 *   channel itself (a container's or VM's stdio, `kubectl exec -i`, an E2B process).
 * - With `--listen HOST:PORT`: a WebSocket server; each authenticated connection gets its own
 *   fresh sandbox worker (`--isolation process`, `bwrap` or `gvisor` on the runner's machine).
 *   The gateway connects with `sandbox.isolation: "remote"`.
 *
 * The runner holds no credential: the shared secret only admits gateways.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import { ToolcodeError } from "../errors.js";
import { engineSpec } from "../sandbox/engines/registry.js";
import { isolationUnavailable, spawnerFor } from "../sandbox/host/isolation-hosts.js";
import { processLaunch } from "../sandbox/host/process-worker.js";
import { DEFAULT_WORKER_MEMORY_MB } from "../sandbox/limits.js";
import { startRunnerServer } from "../sandbox/runner/runner-server.js";

/** Options of `toolcode runner`. */
interface RunnerCommandOptions {
  engine: string;
  listen?: string;
  secretFile?: string;
  isolation: "process" | "bwrap" | "gvisor";
  maxSandboxes: number;
  workerMemoryMb: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** Builds the `runner` command. */
export function runnerCommand(): Command {
  return new Command("runner")
    .description("run the sandbox runner: on stdin/stdout (newline JSON, the runner protocol), or as a WebSocket server for sandbox.isolation \"remote\" (--listen)")
    .addOption(new Option("--engine <engine>", "sandbox engine").default("quickjs"))
    .option("--listen <host:port>", "serve gateways over WebSocket on this address (e.g. 127.0.0.1:7070; port 0 picks one and prints it)")
    .option("--secret-file <file>", "file holding the shared secret gateways send (sandbox.remote.secret); or set TOOLCODE_RUNNER_SECRET")
    .addOption(new Option("--isolation <isolation>", "what each connection's sandbox is, on this machine").choices(["process", "bwrap", "gvisor"]).default("process"))
    .option("--max-sandboxes <n>", "connections (sandboxes) at once; more are refused with 503", parseCount, 16)
    .option("--worker-memory-mb <n>", "V8 heap cap of each sandbox worker, MiB", parseCount, DEFAULT_WORKER_MEMORY_MB)
    .option("--tls-cert <file>", "serve wss:// with this PEM certificate (with --tls-key)")
    .option("--tls-key <file>", "PEM key of --tls-cert")
    .option("--tls-ca <file>", "require client certificates signed by this CA (mutual TLS)")
    .action(async (options: RunnerCommandOptions) => {
      const spec = engineSpec(options.engine);
      if (options.listen === undefined) {
        await stdioRunner(options, spec);
        return;
      }
      const [host, portText] = splitAddress(options.listen);
      const secret = readSecret(options.secretFile);
      const unavailable = isolationUnavailable(options.isolation);
      if (unavailable !== undefined) throw new ToolcodeError("CONFIG_INVALID", unavailable, { key: "--isolation" });
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new ToolcodeError("USAGE", "--tls-cert and --tls-key go together.");
      const spawnWorker = spawnerFor(options.isolation, spec, { workerMemoryMb: options.workerMemoryMb, networkNamespace: "auto", workerNice: 0 });
      const server = await startRunnerServer({
        host,
        port: Number(portText),
        secret,
        spawn: spawnWorker,
        maxSandboxes: options.maxSandboxes,
        ...(options.tlsCert !== undefined && options.tlsKey !== undefined
          ? { tls: { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey), ...(options.tlsCa !== undefined ? { ca: readFileSync(options.tlsCa) } : {}) } }
          : {}),
      });
      process.stderr.write(`toolcode runner listening on ${server.url} (engine ${spec.name}, isolation ${options.isolation}, at most ${options.maxSandboxes} sandboxes)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });
}

/** One runner on this process's stdio: the sandbox worker process, with stdin/stdout passed through. */
async function stdioRunner(options: RunnerCommandOptions, spec: ReturnType<typeof engineSpec>): Promise<void> {
  const launch = processLaunch({ engine: spec, workerMemoryMb: options.workerMemoryMb, networkNamespace: "auto", transport: "stdio" });
  const child = spawn(launch.command, launch.args, { env: {}, cwd: path.parse(process.cwd()).root, stdio: ["inherit", "inherit", "inherit"] });
  const code = await new Promise<number>((resolve) => {
    child.once("error", () => resolve(1));
    child.once("exit", (exitCode) => resolve(exitCode ?? 1));
  });
  process.exitCode = code;
}

function readSecret(file: string | undefined): string {
  const secret = (file !== undefined ? readFileSync(file, "utf8") : (process.env.TOOLCODE_RUNNER_SECRET ?? "")).trim();
  if (secret.length < 16) {
    throw new ToolcodeError("USAGE", "toolcode runner --listen needs a shared secret of at least 16 characters: --secret-file F, or TOOLCODE_RUNNER_SECRET (e.g. `openssl rand -hex 32 > runner.secret`).");
  }
  return secret;
}

function splitAddress(address: string): [string, string] {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address);
  if (match === null || Number(match[2]) > 65535) throw new ToolcodeError("USAGE", `--listen ${address}: use HOST:PORT, e.g. 127.0.0.1:7070 (port 0 picks a free one).`);
  return [(match[1] ?? "").replace(/^\[|\]$/g, ""), match[2] ?? "0"];
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ToolcodeError("USAGE", `Expected a positive integer, got "${value}".`);
  return n;
}
