/**
 * Saved skills as the model discovers them: search entries (server `skills`), the `skills`
 * namespace and the `skills/<name>/index.d.ts` files. Holds the library, opened on first use.
 *
 * @module
 */
import type { SearchIndex, SearchResult } from "../../catalog/search-index.js";
import { SKILLS_SERVER, type SkillLibrary } from "../../skills/skill-library.js";
import type { SearchDetail } from "../../typegen/search-render.js";
import type { DiscoveryProvider } from "./discovery-provider.js";

/** The skill library as a {@link DiscoveryProvider}. */
export class SkillsProvider implements DiscoveryProvider {
  #library: SkillLibrary | undefined;
  /** The search index does not hold the current skills. */
  #stale = true;

  constructor(private readonly open: () => SkillLibrary) {}

  /** The library: opened on first use, then re-read when other processes changed it. */
  library(): SkillLibrary {
    if (!this.#library) {
      const library = this.open();
      library.onChange(() => (this.#stale = true));
      this.#library = library;
    } else {
      this.#library.refresh(); // skills saved or removed by other processes since
    }
    return this.#library;
  }

  /** The library if it was opened. */
  get opened(): SkillLibrary | undefined {
    return this.#library;
  }

  syncIndex(index: SearchIndex): void {
    const library = this.library();
    if (!this.#stale) return;
    this.#stale = false;
    index.replace(SKILLS_SERVER, library.catalogTools());
  }

  describe(result: SearchResult, detail: SearchDetail): string | undefined {
    return result.tool.server === SKILLS_SERVER ? this.#library?.describe(result.tool.tool, detail) : undefined;
  }

  serverDeclarations(server: string): string | undefined {
    return server === SKILLS_SERVER ? this.library().namespaceDeclaration() : undefined;
  }

  declarations(): string[] {
    return [this.library().namespaceDeclaration()];
  }

  virtualPaths(): string[] {
    return this.library().virtualPaths();
  }

  virtualFile(path: string): string | undefined {
    return path.startsWith(`${SKILLS_SERVER}/`) ? this.library().virtualFile(path) : undefined;
  }
}
