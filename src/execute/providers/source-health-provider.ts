/**
 * Makes broken sources loud where the model looks: a server that failed to start (a spec that
 * does not exist or does not parse, a command that is missing) and an OpenAPI spec with `$ref`s
 * that do not resolve are named, with the reason and `SOURCE_UNAVAILABLE`, at the end of every
 * `search` text, in `types()`, and as the declarations of that server (instead of "unknown
 * server"). Reasons are scrubbed of host paths (see host-scrub.ts).
 *
 * @module
 */
import type { SourceFailure } from "../../sources/start-all.js";
import type { HostScrubber } from "../host-scrub.js";
import type { DiscoveryProvider } from "./discovery-provider.js";

/** A loaded server with problems: its name and what is wrong. */
export interface DegradedSource {
  server: string;
  problems: readonly string[];
}

/** Most problems quoted per server (the operator's start log has them all). */
const MAX_PROBLEMS = 3;

/** The provider over the sources that failed or loaded with problems. */
export function sourceHealthProvider(failures: readonly SourceFailure[], degraded: readonly DegradedSource[], scrubber: HostScrubber): DiscoveryProvider {
  const down = new Map(failures.map((f) => [f.name, `Server "${f.name}" is unavailable (${f.error.code}): ${scrubber.text(f.error.message)}`]));
  const partial = new Map(
    degraded
      .filter((d) => d.problems.length > 0)
      .map((d) => {
        const shown = d.problems.slice(0, MAX_PROBLEMS).map((p) => scrubber.text(p)).join("; ");
        const more = d.problems.length > MAX_PROBLEMS ? `; … (${d.problems.length - MAX_PROBLEMS} more)` : "";
        return [d.server, `Server "${d.server}" loaded with problems (SOURCE_UNAVAILABLE for the parts named): ${shown}${more}`];
      }),
  );
  const lines = [...down.values(), ...partial.values()];
  const comment = (line: string): string => `/* ${line.replace(/\*\//g, "* /")} */`;
  return {
    searchNote: () => (lines.length > 0 ? lines.join("\n") : undefined),
    serverDeclarations: (server) => {
      const line = down.get(server);
      return line === undefined ? undefined : comment(line);
    },
    declarations: () => lines.map(comment),
    virtualPaths: () => [],
    virtualFile: () => undefined,
  };
}
