/**
 * Step 5 of `execute`: write the full form of what shaping cut to the session's workspace, so
 * the next script can read it.
 *
 * @module
 */
import type { ExecuteMetadata } from "../execute-result.js";
import type { ShapedOutput } from "../output-budget.js";
import type { Session } from "../sessions.js";
import type { GuestOutcome } from "./run-guest.js";
import type { SpillPaths } from "./shape.js";

/** Spill file names for the session's next spill. */
export function nextSpillPaths(session: Session): SpillPaths {
  session.spills += 1;
  return { logs: `spill/${session.spills}-logs.txt`, result: `spill/${session.spills}-result.json` };
}

/** Writes the cut parts; the paths written (a failed write is left out). */
export async function spillCut(session: Session, paths: SpillPaths, cut: ShapedOutput["cut"], outcome: GuestOutcome): Promise<ExecuteMetadata["spilled"]> {
  const spilled: ExecuteMetadata["spilled"] = {};
  const write = async (file: string, data: unknown): Promise<string | undefined> => (await session.workspace.write(file, data).catch(() => undefined))?.path;
  if (cut.result) {
    const written = await write(paths.result, outcome.value);
    if (written) spilled.result = written;
  }
  if (cut.logs) {
    const written = await write(paths.logs, outcome.logs.join("\n"));
    if (written) spilled.logs = written;
  }
  return spilled;
}
