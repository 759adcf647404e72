/**
 * What the policy hides, as the model discovers it: named (or counted) after a search whose
 * query matches hidden tools, and counted at the end of all declarations.
 *
 * @module
 */
import type { HiddenTools } from "../../guard/hidden-tools.js";
import type { DiscoveryProvider } from "./discovery-provider.js";

/** `hidden` as a {@link DiscoveryProvider}. */
export function hiddenToolsProvider(hidden: HiddenTools): DiscoveryProvider {
  return {
    searchNote: (query, options) => hidden.describeMatches(query, options),
    declarations: () => [hidden.declarationComment()],
    virtualPaths: () => [],
    virtualFile: () => undefined,
  };
}
