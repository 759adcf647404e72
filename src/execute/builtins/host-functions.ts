/**
 * Host functions for one run (`ExecuteOptions.builtins`, e.g. the agent's `final` and
 * `searchTools`) as a guest built-in over the reserved `__host` bridge global.
 *
 * @module
 */
import { ToolcodeError } from "../../errors.js";
import type { GuestBuiltin } from "./guest-builtin.js";

/** The reserved bridge global behind host functions. Not a valid config key for a server. */
const HOST_BRIDGE = "__host";

/**
 * Guest built-ins implemented on the host for one run. `prelude` (one line of JavaScript, run
 * after the standard prelude) reaches `functions.<name>` as `__host.<name>(arg)`: one JSON
 * argument, awaited like a tool call (and counted as one); a throw reaches the guest as a
 * `ToolError`. Host functions bypass the catalog, so they must not reach tools themselves.
 */
export interface GuestBuiltins {
  prelude: string;
  /** For Python scripts: the names of each function's positional parameters (`final("…")` sends `{ answer: "…" }`); keyword arguments are sent by name. */
  parameters?: Record<string, string[]>;
  functions: Record<string, (arg: unknown) => unknown>;
}

/** `functions` as a built-in. */
export function hostFunctionsBuiltin({ prelude, functions, parameters }: GuestBuiltins): GuestBuiltin {
  const names = Object.keys(functions);
  return {
    bridge: HOST_BRIDGE,
    prelude,
    begin: () => ({
      functions: names,
      guestData: JSON.stringify(parameters ?? {}),
      call: (fn, args) => {
        const found = Object.hasOwn(functions, fn) ? functions[fn] : undefined;
        if (!found) throw new ToolcodeError("TOOL_NOT_FOUND", `No host function "${fn}". Host functions: ${names.join(", ") || "(none)"}.`, { available: names });
        return found(args);
      },
    }),
  };
}
