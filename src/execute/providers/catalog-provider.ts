/**
 * Tool servers as the model discovers them: search text, declarations and the
 * `servers/<server>/…` tree of the tools the policy lets scripts see.
 *
 * @module
 */
import type { Catalog } from "../../catalog/catalog.js";
import type { SearchResult } from "../../catalog/search-index.js";
import type { HiddenTools } from "../../guard/hidden-tools.js";
import { DeclarationStore, declarationDiskCache } from "../../typegen/declaration-store.js";
import { type SearchDetail, describeResults } from "../../typegen/search-render.js";
import { virtualTreePaths } from "../../typegen/virtual-tree.js";
import type { DiscoveryProvider } from "./discovery-provider.js";

/** The catalog's tools as a {@link DiscoveryProvider}. */
export class CatalogProvider implements DiscoveryProvider {
  /** Rendered declarations: lazily, per tool, cached in memory and (OpenAPI sources) on disk by spec hash. */
  readonly #declarations: DeclarationStore;

  /** `hidden`: what the policy hides, noted at the end of each server's declarations. */
  constructor(
    private readonly catalog: Catalog,
    private readonly hidden?: HiddenTools,
  ) {
    this.#declarations = new DeclarationStore(() => catalog, { diskCache: (server) => declarationDiskCache(catalog.server(server)?.source, server) });
  }

  describe(result: SearchResult, detail: SearchDetail): string | undefined {
    return this.catalog.server(result.tool.server) ? describeResults([result], detail, this.#declarations) : undefined;
  }

  serverDeclarations(server: string): string | undefined {
    const entry = this.catalog.server(server);
    // A server whose every tool is hidden still answers, with the note saying so.
    if (!entry) return this.hidden?.declarationComment(server) || undefined;
    return (this.#declarations.server(entry.id) ?? "") + (this.hidden?.declarationComment(entry.id) ?? "");
  }

  declarations(): string[] {
    return this.catalog.serverIds().map((id) => this.#declarations.server(id) ?? "");
  }

  virtualPaths(): string[] {
    return virtualTreePaths(this.catalog.tools());
  }

  virtualFile(path: string): string | undefined {
    return this.#declarations.file(path);
  }
}
