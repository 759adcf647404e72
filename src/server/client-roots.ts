/**
 * Passing on the MCP roots the client of `toolcode serve` declares: after the handshake, and on
 * every `notifications/roots/list_changed`, the server asks the client for `roots/list` and hands
 * the answer to the {@link RootsChannel} its MCP sources read (server-filesystem then confines
 * itself to those directories). Only for a single-client transport (stdio): over HTTP one
 * process serves many users, whose roots must not reach each other's tools.
 *
 * @module
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { RootsListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Root, RootsChannel } from "../sources/roots.js";

/**
 * Forwards the client's roots to `channel`. `onRoots` hears each list that was applied (for the
 * stderr message); an empty list is not applied (the servers keep their directories).
 */
export function forwardClientRoots(server: McpServer, channel: RootsChannel, onRoots?: (roots: Root[]) => void, onError?: (error: unknown) => void): void {
  const low = server.server;
  const refresh = async (): Promise<void> => {
    if (!low.getClientCapabilities()?.roots) return;
    try {
      const { roots } = await low.listRoots();
      const kept = roots.map((root) => ({ uri: root.uri, ...(root.name !== undefined ? { name: root.name } : {}) }));
      if (kept.length === 0) return;
      channel.set(kept);
      onRoots?.(kept);
    } catch (error) {
      onError?.(error);
    }
  };
  const previous = low.oninitialized;
  low.oninitialized = () => {
    previous?.();
    void refresh();
  };
  low.setNotificationHandler(RootsListChangedNotificationSchema, () => refresh());
}
