/**
 * The `state` built-in: one JSON object per session that survives between executions, like the
 * variables of a REPL (`state.page = 2` in one `execute`, `state.page` is 2 in the next).
 *
 * The host keeps the session's state as JSON text. A run starts with it parsed into a `state`
 * object that the script's code reaches by closure (the wrapper defines it around the script:
 * a script that declares its own `state`, e.g. `const state = "open"`, shadows it and keeps
 * working); when the script ends, returned or thrown, the wrapper serialises it and hands it
 * to the host over the reserved `__state` bridge global in one call. The host checks it (JSON
 * object text, at most `sessions.maxStateBytes`, nesting within `sandbox.maxJsonDepth`) and
 * keeps it; a value that fails the check is refused whole (`STATE_INVALID`,
 * `STATE_TOO_LARGE`), so the previous state stays as it was.
 *
 * Not kept: the state of a run the sandbox stopped (timeout, memory, crash: the script never
 * reached its end) and of a run the guard stopped (`APPROVAL_REQUIRED`, `REPLAY_DIVERGED`: the
 * approved re-run must start from the state the first run saw). Concurrent executions of one
 * session each start from the state saved last; the last to end wins.
 *
 * @module
 */
import { ToolcodeError } from "../../errors.js";
import { jsonDepthExceeds } from "../../json-depth.js";
import type { GuestBuiltin } from "./guest-builtin.js";

/** The reserved bridge global behind `state`. Not a valid config key for a server. */
export const STATE_BRIDGE = "__state";

/** Default of `sessions.maxStateBytes`. */
export const DEFAULT_MAX_STATE_BYTES = 1024 * 1024;

/** What the model reads about `state`. */
export const STATE_DECLARATION = `/**
 * An object kept for this session, like REPL variables: what a script sets (\`state.page = 2\`)
 * the next \`execute\` of the same session reads (\`state.page\` is 2). Only JSON values (no
 * functions, Map, Set, BigInt, cycles); saved when the script ends, also when it throws.
 */
declare const state: Record<string, any>;
`;

/** Where a session keeps its state between runs (JSON text of an object). */
export interface StateSlot {
  json: string;
}

/** Limits of the state built-in. */
export interface StateLimits {
  /** Bytes of the state's JSON text (`sessions.maxStateBytes`). */
  maxBytes: number;
  /** Nesting depth (`sandbox.maxJsonDepth`). */
  maxDepth: number;
}

/**
 * The guest side, around the transpiled script: `state` parsed from the session's JSON, then
 * (after the script ends) serialised with a replacer that refuses what JSON would silently drop
 * or mangle, and sent to the host. One line: no user line number moves. A failing save reports
 * its error unless the script already failed with its own.
 */
function wrapState(main: string, json: string): string {
  const serialise =
    `function (value) { try { return { json: JSON.stringify(value, function (key, v) { ` +
    `var kind = typeof v === "function" ? "a function" : typeof v === "symbol" ? "a symbol" : typeof v === "bigint" ? "a BigInt" : v instanceof Map ? "a Map" : v instanceof Set ? "a Set" : undefined; ` +
    `if (kind !== undefined) throw new TypeError("state" + (key === "" ? "" : "." + key) + " is " + kind + ", which JSON cannot keep"); return v; }) }; } ` +
    `catch (error) { return { error: String(error && error.message || error) }; } }`;
  return (
    `(function () { const state = JSON.parse(${JSON.stringify(json)}); const serialise = ${serialise}; const main = ${main}; ` +
    `return async function (require, exports) { let value, failed = false, failure; ` +
    `try { value = await main(require, exports); } catch (error) { failed = true; failure = error; } ` +
    `try { await ${STATE_BRIDGE}.save(serialise(state)); } catch (error) { if (!failed) throw error; } ` +
    `if (failed) throw failure; return value; }; })()`
  );
}

/**
 * Checks `input` (what the guest's save sent) and returns the JSON text to keep. Throws
 * `STATE_INVALID` (not JSON, not an object) or `STATE_TOO_LARGE`.
 */
export function checkState(input: unknown, limits: StateLimits): string {
  const sent = (typeof input === "object" && input !== null ? input : {}) as { json?: unknown; error?: unknown };
  if (typeof sent.error === "string") {
    throw new ToolcodeError("STATE_INVALID", `state was not saved: ${sent.error}. Keep only JSON values in state (strings, numbers, booleans, null, arrays, plain objects); the previous state is unchanged.`, { reason: "not-json" });
  }
  if (typeof sent.json !== "string") {
    throw new ToolcodeError("STATE_INVALID", "state was not saved: it is not JSON-serialisable. Keep only JSON values in state; the previous state is unchanged.", { reason: "not-json" });
  }
  const bytes = Buffer.byteLength(sent.json);
  if (bytes > limits.maxBytes) {
    throw new ToolcodeError(
      "STATE_TOO_LARGE",
      `state was not saved: its JSON is ${bytes} bytes, over the session's limit of ${limits.maxBytes} (sessions.maxStateBytes). Keep large data in workspace files (workspace.write) and only small values in state; the previous state is unchanged.`,
      { bytes, max: limits.maxBytes, limit: "sessions.maxStateBytes" },
    );
  }
  if (jsonDepthExceeds(sent.json, limits.maxDepth)) {
    throw new ToolcodeError("STATE_INVALID", `state was not saved: it nests deeper than ${limits.maxDepth} levels (sandbox.maxJsonDepth). Flatten it; the previous state is unchanged.`, { reason: "too-deep", max: limits.maxDepth });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(sent.json);
  } catch {
    throw new ToolcodeError("STATE_INVALID", "state was not saved: it did not serialise to valid JSON. Keep only JSON values in state; the previous state is unchanged.", { reason: "not-json" });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ToolcodeError("STATE_INVALID", "state was not saved: it must stay an object (set its properties, e.g. state.items = [...]). The previous state is unchanged.", { reason: "not-object" });
  }
  return sent.json;
}

/** The `state` built-in with these limits. */
export function stateBuiltin(limits: StateLimits): GuestBuiltin {
  return {
    bridge: STATE_BRIDGE,
    declarations: { file: "state.d.ts", text: STATE_DECLARATION },
    // `state` is defined around the script (see wrapState), not by a prelude line.
    prelude: "",
    begin: (context) => {
      const slot = context.state ?? { json: "{}" };
      const json = slot.json;
      let saves = 0;
      return {
        functions: ["save"],
        wrapMain: (main) => wrapState(main, json),
        guestData: json,
        get internalCalls() {
          return saves;
        },
        call: (fn, args) => {
          if (fn !== "save") throw new ToolcodeError("TOOL_NOT_FOUND", "state has no functions: set its properties (state.x = 1); it is saved when the script ends.");
          saves += 1;
          const checked = checkState(args, limits);
          // A run the guard stopped keeps nothing: its approved re-run starts from the same state.
          if (!context.halted?.()) slot.json = checked;
          return true;
        },
      };
    },
  };
}
