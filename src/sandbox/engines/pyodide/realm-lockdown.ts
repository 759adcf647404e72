/**
 * Hardens the JavaScript realm of a Python worker once Pyodide has loaded and before any guest
 * code runs. Python guests are kept away from JavaScript (see ../../guest and python-prelude.ts),
 * but Python cannot hide anything from Python; should a guest still reach a JavaScript object,
 * it finds no way out of the process here: no `fetch`/sockets, no signals to other processes, no
 * native bindings or addons, no IPC channel of its own (the worker's transport keeps the one it
 * bound at startup), and the worker's permission model and empty environment behind that.
 *
 * @module
 */

/** Globals a guest could use for network or code loading; Pyodide no longer needs them once loaded. */
const REMOVED_GLOBALS = ["fetch", "WebSocket", "EventSource", "XMLHttpRequest", "Request", "Response", "Headers", "FormData", "WebAssembly"] as const;

/** Process methods a guest must never call (Node's permission model of Node 20 does not cover signals). */
const REFUSED_PROCESS_METHODS = ["kill", "binding", "_linkedBinding", "dlopen", "chdir", "send", "disconnect", "setuid", "setgid", "seteuid", "setegid", "setgroups", "initgroups", "_debugProcess", "_kill", "openStdin", "setSourceMapsEnabled", "loadEnvFile"] as const;

/** Applies the lockdown (idempotent). `keep` lists globals the runner still needs. */
export function lockDownRealm(): void {
  const global = globalThis as Record<string, unknown>;
  for (const name of REMOVED_GLOBALS) {
    try {
      delete global[name];
    } catch {
      // not configurable: leave it (the permission model and network namespace still apply)
    }
    if (name in global) {
      try {
        Object.defineProperty(global, name, { value: undefined, writable: false, configurable: false });
      } catch {
        // keep going
      }
    }
  }
  const proc = process as unknown as Record<string, unknown>;
  for (const name of REFUSED_PROCESS_METHODS) {
    const refuse = (): never => {
      throw new Error(`process.${name} is not available in the sandbox`);
    };
    try {
      Object.defineProperty(proc, name, { value: refuse, writable: false, configurable: false });
    } catch {
      // keep going
    }
  }
}
