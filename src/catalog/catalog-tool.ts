/**
 * The catalog's view of one tool: the source's {@link ToolSpec} plus the identifiers the guest uses.
 *
 * @module
 */
import type { ToolSpec } from "../sources/tool-source.js";

/** A tool as the model sees it: `server.tool(args)`. */
export interface CatalogTool {
  /** Sanitized server identifier (the guest global), e.g. `fs`. */
  server: string;
  /** Sanitized tool identifier (the function name), e.g. `read_file`. */
  tool: string;
  /** `server.tool`, the id used by search, policy globs and the virtual tree. */
  id: string;
  /** The source's config key, unsanitized. */
  sourceName: string;
  /** The tool as its source describes it (original name, schemas, annotations). */
  spec: ToolSpec;
}
