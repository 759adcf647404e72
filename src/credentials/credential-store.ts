/**
 * The plug-in point for where each user's upstream credentials live: an encrypted local file,
 * environment variables, memory (library and tests), and later the Redis state store.
 *
 * A credential belongs to one user and one connection (a source's config key, or the
 * `connection` it names), and holds the named values its `${user.NAME}` placeholders read plus,
 * for OAuth connections, the OAuth client's state (tokens, registered client, PKCE verifier).
 * Nothing in a store is ever shown to guest code or to the model.
 *
 * @module
 */

/** Which credential: one user's, for one connection. */
export interface CredentialKey {
  /** The user (an `auth.users` name, or `credentials.defaultUser` for calls without one). */
  user: string;
  /** The connection: a source's config key, or the `connection` its config names. */
  connection: string;
}

/** OAuth state the host keeps for a connection (JSON data; tokens never leave the host). */
export interface OAuthState {
  /** The token response (`access_token`, `refresh_token`, `expires_in`, …) plus `obtained_at` (ms). */
  tokens?: Record<string, unknown>;
  /** The client registration (RFC 7591 dynamic registration, or the configured client id). */
  client?: Record<string, unknown>;
  /** The PKCE code verifier of an authorization in progress. */
  codeVerifier?: string;
  /** The `state` parameter of an authorization in progress. */
  state?: string;
  /** Discovered authorization-server metadata, kept so a refresh needs no rediscovery. */
  discovery?: Record<string, unknown>;
  /** Identifies one authorization (`toolcode connect`); a refresh keeps it, a new connect changes it. */
  grant?: string;
}

/** One user's credential for one connection. */
export interface Credential {
  /** Named secret values (`GITHUB_TOKEN`), read by `${user.GITHUB_TOKEN}` placeholders. */
  values: Record<string, string>;
  /** OAuth client state of an OAuth connection. */
  oauth?: OAuthState;
  /** ISO time of the last change (rotation shows here). */
  updatedAt: string;
}

/** A credential store. Implementations make `update` atomic (read-modify-write under one lock). */
export interface CredentialStore {
  /** `file`, `env`, `memory`, … (for messages). */
  readonly kind: string;
  /** Whether `update` and `delete` work (the environment store is read-only). */
  readonly writable: boolean;
  /** The credential, or undefined when the user has not connected. */
  get(key: CredentialKey): Promise<Credential | undefined>;
  /**
   * Replaces the credential with what `change` returns for the current one (undefined removes
   * it), atomically with respect to other updates of the same store, in this and other processes.
   */
  update(key: CredentialKey, change: (current: Credential | undefined) => Credential | undefined): Promise<Credential | undefined>;
  /** Removes the credential (revocation); true when there was one. */
  delete(key: CredentialKey): Promise<boolean>;
  /** Every stored key (no secrets), optionally only one user's. */
  list(user?: string): Promise<CredentialKey[]>;
}

/** A copy of a credential with `values` merged in (the OAuth state kept). */
export function withValues(current: Credential | undefined, values: Record<string, string>): Credential {
  return { ...(current ?? {}), values: { ...(current?.values ?? {}), ...values }, updatedAt: new Date().toISOString() };
}
