/**
 * The `workspace` built-in: a session's files (`workspace.read/write/list/remove`), over the
 * reserved `__workspace` bridge global.
 *
 * @module
 */
import { ToolcodeError } from "../../errors.js";
import type { SessionWorkspace } from "../workspace.js";
import type { GuestBuiltin } from "./guest-builtin.js";

/** The reserved bridge global behind `workspace`. Not a valid config key for a server. */
const WORKSPACE_BRIDGE = "__workspace";

/** Functions of the bridge global. */
const WORKSPACE_FUNCTIONS = ["read", "write", "list", "remove"];

/** Guest prelude: one line (it must not shift the user's line numbers). */
const WORKSPACE_PRELUDE =
  `const workspace = Object.freeze({ read: (path) => ${WORKSPACE_BRIDGE}.read({ path }), write: (path, data) => ${WORKSPACE_BRIDGE}.write({ path, data }), ` +
  `list: (dir) => ${WORKSPACE_BRIDGE}.list({ dir }), remove: (path) => ${WORKSPACE_BRIDGE}.remove({ path }) });`;

/** What the model reads about `workspace`. */
export const WORKSPACE_DECLARATION = `/** Files kept for this session: the next \`execute\` of the same session can read what this one wrote. */
declare namespace workspace {
  /** Reads a file: parsed JSON for \`*.json\`, text otherwise. */
  function read(path: string): Promise<unknown>;
  /** Writes text (a string) or JSON (anything else). Paths are relative, e.g. "data/users.json". */
  function write(path: string, data: unknown): Promise<{ path: string; bytes: number }>;
  /** Lists files under a directory (default: all). */
  function list(dir?: string): Promise<{ path: string; bytes: number; modified: string }[]>;
  /** Removes a file or directory; true if something was removed. */
  function remove(path: string): Promise<boolean>;
}
`;

/** The `workspace` built-in. */
export const workspaceBuiltin: GuestBuiltin = {
  bridge: WORKSPACE_BRIDGE,
  declarations: { file: "workspace.d.ts", text: WORKSPACE_DECLARATION },
  prelude: WORKSPACE_PRELUDE,
  inSkills: true,
  begin: ({ workspace }) => ({ functions: WORKSPACE_FUNCTIONS, call: (fn, args) => callWorkspace(workspace, fn, args) }),
};

/** Performs one workspace call coming from the guest. */
async function callWorkspace(workspace: SessionWorkspace, fn: string, args: unknown): Promise<unknown> {
  const input = (typeof args === "object" && args !== null ? args : {}) as { path?: unknown; data?: unknown; dir?: unknown };
  switch (fn) {
    case "read":
      return workspace.read(input.path as string);
    case "write":
      return workspace.write(input.path as string, input.data);
    case "list":
      return workspace.list(typeof input.dir === "string" ? input.dir : ".");
    case "remove":
      return workspace.remove(input.path as string);
    default:
      throw new ToolcodeError("TOOL_NOT_FOUND", `workspace has no function "${fn}". Use workspace.read, write, list or remove.`, { available: WORKSPACE_FUNCTIONS });
  }
}
