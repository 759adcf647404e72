/**
 * The plug-in point for everything that provides tools: MCP servers, OpenAPI specs, skills.
 *
 * A source lists its tools as {@link ToolSpec}s (plain JSON Schema, no SDK types) and calls
 * them by their original name. It converts whatever the remote returns into a plain value
 * (what the guest sees) and reports failures by throwing {@link ToolError} /
 * {@link SourceError}. Sources never import from the catalog, typegen, sandbox or execute stages.
 *
 * @module
 */

/** A JSON Schema object as received from a source (draft 7 / 2020-12; not validated here). */
export type JsonSchema = { [key: string]: unknown };

/** Behaviour hints, as in MCP tool annotations. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** One tool as its source describes it, before names are sanitized. */
export interface ToolSpec {
  /** The tool's name at its source (`read_file`, `issues/list-for-repo`). */
  name: string;
  /** Human title, when the source gives one. */
  title?: string;
  description?: string;
  /** JSON Schema of the single argument object. */
  inputSchema: JsonSchema;
  /** JSON Schema of the result value, when the source declares one. */
  outputSchema?: JsonSchema;
  annotations?: ToolAnnotations;
  /** The source marks the tool deprecated (OpenAPI `deprecated: true`): search ranks it below its replacement. */
  deprecated?: boolean;
}

/** Whose credential a call of a per-user source used (for the audit log; never the secret). */
export interface CredentialUse {
  /** The connection the credential is stored under. */
  connection: string;
  /** The user whose own credential it was, or null when the config's shared fallback was used. */
  owner: string | null;
}

/** Options for a single tool call. */
export interface CallOptions {
  /** Aborted when the execution that made the call ends or times out. */
  signal?: AbortSignal;
  /**
   * The user the call runs for (an `auth.users` name; undefined: `credentials.defaultUser`).
   * Sources with `${user.NAME}` placeholders call upstream with this user's credential only.
   */
  user?: string;
  /** Told which credential a per-user source used. Must not throw. */
  onCredential?: (use: CredentialUse) => void;
  /**
   * The call's idempotency key (write and destructive calls: `toolcode-<executionId>-<n>`, the
   * same when a retry re-sends it). OpenAPI sources send it as `Idempotency-Key`.
   */
  idempotencyKey?: string;
}

/**
 * Where sources report events an operator should know about (a server restarted, a tool list
 * failed to refresh). `console` and pino loggers fit.
 */
export interface SourceLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** A connected provider of tools. */
export interface ToolSource {
  /** The config key (`fs`, `github`); the guest global is derived from it. */
  readonly name: string;
  /** What kind of source this is, for display. */
  readonly kind: "mcp" | "openapi" | "skills";
  /** Tools as last listed. */
  listTools(): Promise<ToolSpec[]>;
  /**
   * Calls a tool by its source name and returns the result as a plain JSON-compatible value.
   * Throws `ToolError` (`TOOL_ERROR` with the server's message when the tool reports an error)
   * or `SourceError` (`SOURCE_CRASHED`, `SOURCE_UNAVAILABLE`).
   */
  callTool(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** Disconnects and stops any child process. Idempotent. */
  close(): Promise<void>;
  /**
   * Optional: calls `listener` with the new list whenever the source's tools change (an MCP
   * server's `notifications/tools/list_changed`, a restart). Returns an unsubscribe function.
   */
  onToolsChanged?(listener: (tools: ToolSpec[]) => void): () => void;
}
