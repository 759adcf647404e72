/**
 * The declarations of guest built-ins (e.g. `workspace.d.ts`) as the model discovers them.
 *
 * @module
 */
import type { GuestBuiltin } from "../builtins/guest-builtin.js";
import type { DiscoveryProvider } from "./discovery-provider.js";

/** The declarations of `builtins` as a {@link DiscoveryProvider}. */
export function builtinsProvider(builtins: readonly GuestBuiltin[]): DiscoveryProvider {
  const files = builtins.flatMap((b) => (b.declarations ? [b.declarations] : []));
  return {
    declarations: () => files.map((f) => f.text),
    virtualPaths: () => files.map((f) => f.file),
    virtualFile: (path) => files.find((f) => f.file === path)?.text,
  };
}
