# workerd config of toolcode's Workers engine (`sandbox.engine: "workers"`). The sandbox worker
# starts `workerd serve --experimental config.capnp -s http=unix:<socket>`; nothing listens on TCP.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "runner", worker = .runner),
    # Where the runner's own fetch() would go: nowhere.
    (name = "nowhere", network = (allow = [])),
  ],
  sockets = [ (name = "http", address = "unix:/dev/null", http = (), service = "runner") ],
  # Every isolate's heap: 64 MiB (sandbox.memoryMb's default; Cloudflare allows 128). Past it V8
  # aborts workerd (SANDBOX_MEMORY) and the sandbox worker starts a fresh one.
  v8Flags = ["--max-old-space-size=64"],
);

const runner :Workerd.Worker = (
  modules = [ (name = "runner.js", esModule = embed "runner.js") ],
  compatibilityDate = "2025-06-01",
  bindings = [ (name = "LOADER", workerLoader = ()) ],
  globalOutbound = "nowhere",
);
