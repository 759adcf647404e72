/**
 * connectSources / closeSources with real servers: one good, one broken, one disabled.
 */
import { describe, expect, it } from "vitest";
import { SourceError } from "../../src/errors.js";
import { closeSources, connectSources } from "../../src/sources/connect.js";
import type { McpSource } from "../../src/sources/mcp/mcp-source.js";
import { fixture, waitFor } from "./helpers.js";

describe("connectSources", () => {
  it("connects the good servers in parallel and reports the bad ones without failing", async () => {
    const { sources, failures } = await connectSources({
      good: { command: process.execPath, args: [fixture("crashy-server.mjs")] },
      bad: { command: "definitely-not-installed-mcp", args: [] },
      off: { command: "also-not-installed", args: [], disabled: true },
      paged: { command: process.execPath, args: [fixture("paged-server.mjs")] },
    });
    try {
      expect(sources.map((source) => source.name)).toEqual(["good", "paged"]);
      expect(sources.every((source) => source.kind === "mcp")).toBe(true);
      expect(failures).toHaveLength(1);
      expect(failures[0]?.name).toBe("bad");
      expect(failures[0]?.error).toBeInstanceOf(SourceError);
      expect(failures[0]?.error.code).toBe("SOURCE_UNAVAILABLE");
      expect(failures[0]?.error.message).toContain("Check mcpServers.bad.command");
      expect(await sources[0]?.callTool("echo", { text: "works" })).toBe("works");
    } finally {
      const pids = sources.map((source) => (source as McpSource).pid as number);
      await closeSources(sources);
      await waitFor(() => pids.every((pid) => !alive(pid)));
    }
  });

  it("returns nothing for an empty config", async () => {
    expect(await connectSources({})).toEqual({ sources: [], failures: [] });
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
