/**
 * The Python side of the virtual tree: `servers/<server>/__init__.pyi` for every server the
 * policy shows (typegen/python-stubs.ts), generated on first read and kept.
 *
 * @module
 */
import type { Catalog } from "../../catalog/catalog.js";
import { pythonServerStub } from "../../typegen/python-stubs.js";
import type { DiscoveryProvider } from "./discovery-provider.js";

/** Path of a server's Python stub in the virtual tree. */
export function pythonStubPath(server: string): string {
  return `servers/${server}/__init__.pyi`;
}

/** Serves the Python stubs of `catalog`'s servers. */
export function pythonStubsProvider(catalog: Catalog): DiscoveryProvider {
  const cache = new Map<string, string>();
  return {
    declarations: () => [],
    virtualPaths: () => catalog.serverIds().map(pythonStubPath),
    virtualFile(file) {
      const match = /^(?:\.\/)?servers\/([^/]+)\/__init__\.pyi$/.exec(file);
      const server = match === null ? undefined : catalog.server(match[1] ?? "");
      if (server === undefined) return undefined;
      let text = cache.get(server.id);
      if (text === undefined) {
        text = pythonServerStub(server.id, server.tools);
        cache.set(server.id, text);
      }
      return text;
    },
  };
}
