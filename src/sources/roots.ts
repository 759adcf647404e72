/**
 * The MCP roots toolcode declares to the servers it connects to (the `roots` client capability):
 * directories from `--root DIR`, or the ones the client of `toolcode serve` sends. Servers such as
 * server-filesystem ask for them with `roots/list` and confine themselves to them; a change is
 * announced with `notifications/roots/list_changed`, after which they ask again.
 *
 * @module
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One root as MCP sends it: a `file://` URI and an optional display name. */
export interface Root {
  uri: string;
  name?: string;
}

/** The roots shared by every MCP source of one toolcode instance. */
export class RootsChannel {
  #roots: Root[];
  readonly #listeners = new Set<() => void>();

  /** @param dirs Initial roots, as directories (resolved against the working directory). */
  constructor(dirs: readonly string[] = []) {
    this.#roots = dirs.map((dir) => ({ uri: pathToFileURL(path.resolve(dir)).href }));
  }

  /** The current roots (answers `roots/list`). */
  list(): Root[] {
    return this.#roots.map((root) => ({ ...root }));
  }

  /** The current roots as directory paths (`file://` URIs only; others are skipped). */
  directories(): string[] {
    return this.#roots.flatMap((root) => (root.uri.startsWith("file://") ? [fileURLToPath(root.uri)] : []));
  }

  /** Replaces the roots and tells every connected server (`notifications/roots/list_changed`). */
  set(roots: readonly Root[]): void {
    this.#roots = roots.map((root) => ({ ...root }));
    for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` after every {@link set}; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
