/**
 * The `credentials` config section: where each user's upstream credentials (the values of
 * `${user.NAME}` placeholders and OAuth tokens) are stored, and the bounds on per-user MCP
 * server processes.
 *
 * @module
 */
import { z } from "zod";

/** Credential store and per-user connection limits. */
export const credentialsSchema = z.strictObject({
  /** `file` (AES-256-GCM encrypted, default), `keychain` (the OS keychain via the optional `@napi-rs/keyring`), `env` (read-only `TOOLCODE_CREDENTIAL__<USER>__<CONNECTION>__<NAME>` variables) or `memory`. */
  store: z.enum(["file", "keychain", "env", "memory"]).default("file"),
  /** The keychain service name items are filed under (`store: "keychain"`). */
  keychainService: z.string().min(1).max(200).default("toolcode"),
  /** The encrypted file, relative to the config file's directory. */
  file: z.string().min(1).default(".toolcode/credentials.enc"),
  /** Environment variable holding the file's key (64 hex digits) or passphrase. */
  keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").default("TOOLCODE_CREDENTIALS_KEY"),
  /** The user of calls without an authenticated user (the library without `user`); default: the OS user running toolcode, else `local`. Local CLI runs (`exec`, stdio `serve`) run as the OS user. */
  defaultUser: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "a user name: 1-64 letters, digits, _ . @ -").optional(),
  /** Per-user connections (processes, HTTP sessions) one MCP server may have open at once. */
  maxConnectionsPerSource: z.number().int().min(1).max(10_000).default(16),
  /** Per-user connections of all MCP servers together. */
  maxConnections: z.number().int().min(1).max(100_000).default(64),
  /** A per-user connection unused this long is closed (its process stopped). */
  idleMinutes: z.number().positive().max(7 * 24 * 60).default(10),
  /** Loopback port `toolcode connect` receives OAuth callbacks on (0: any free port). */
  callbackPort: z.number().int().min(0).max(65_535).default(0),
});

/** `credentials`, defaults applied. */
export type CredentialsConfig = z.output<typeof credentialsSchema>;
