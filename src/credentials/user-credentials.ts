/**
 * Resolves the calling user's values for a source's `${user.NAME}` placeholders from the
 * credential store, and builds the one error a user who has not connected gets.
 *
 * The rule: a call uses its own user's credential (calls without an authenticated user use
 * `credentials.defaultUser`); a field the user lacks takes the placeholder's fallback only when
 * the config writes one; otherwise `CREDENTIAL_MISSING`, naming `toolcode connect`. Nothing
 * here ever looks at another user's entry.
 *
 * @module
 */
import os from "node:os";
import { ToolcodeError } from "../errors.js";
import type { CredentialStore } from "./credential-store.js";
import type { UserField } from "./placeholders.js";

/** The user of calls without one when the OS user cannot be read (or is no valid user name). */
export const DEFAULT_CREDENTIAL_USER = "local";

/**
 * The user of calls without an authenticated user unless `credentials.defaultUser` says
 * otherwise: the OS user running toolcode (local CLI runs call as that user too), else `local`.
 */
export function defaultCredentialUser(): string {
  try {
    const name = os.userInfo().username;
    return /^[A-Za-z0-9_.@-]{1,64}$/.test(name) ? name : DEFAULT_CREDENTIAL_USER;
  } catch {
    return DEFAULT_CREDENTIAL_USER;
  }
}

/** What needs a credential: a source and the connection it reads. */
export interface ConnectionRef {
  /** The source's config key (`github`). */
  source: string;
  /** `mcp` or `openapi`, for messages and the config key (`mcpServers.<source>`, `openapi.<source>`). */
  kind: "mcp" | "openapi";
  /** The connection the credential is stored under (default: the source's name). */
  connection: string;
}

/** One call's resolved values. */
export interface ResolvedCredential {
  /** Values by field name (fallbacks included). */
  values: Record<string, string>;
  /** Whose credential it is: the user, or `null` when every field came from the config's shared fallback. */
  owner: string | null;
  /** Changes when the stored credential changes (rotation): part of every cache key built on it. */
  version: string;
}

/** Options for {@link UserCredentials}. */
export interface UserCredentialsOptions {
  store: CredentialStore;
  /** The user of calls without one (default {@link defaultCredentialUser}). */
  defaultUser?: string;
}

/** The calling user's credentials, for the sources. */
export class UserCredentials {
  readonly store: CredentialStore;
  readonly defaultUser: string;
  /**
   * Set by a gateway that can run the authorization itself (`serve --http`): a link the user
   * opens to connect `ref` (OAuth connections), added to `CREDENTIAL_MISSING`.
   */
  connectLink: ((ref: ConnectionRef, user: string) => string | undefined) | undefined;

  constructor(options: UserCredentialsOptions) {
    this.store = options.store;
    this.defaultUser = options.defaultUser ?? defaultCredentialUser();
  }

  /** The user a call runs as. */
  userOf(user: string | undefined): string {
    return user === undefined || user === "" ? this.defaultUser : user;
  }

  /**
   * The values of `fields` for `user`. Throws `CREDENTIAL_MISSING` when the user has none of a
   * field that has no fallback.
   */
  async resolve(ref: ConnectionRef, user: string | undefined, fields: readonly UserField[]): Promise<ResolvedCredential> {
    const who = this.userOf(user);
    const stored = await this.store.get({ user: who, connection: ref.connection });
    const values: Record<string, string> = {};
    const missing: string[] = [];
    let own = false;
    for (const field of fields) {
      const value = stored !== undefined && Object.hasOwn(stored.values, field.name) ? stored.values[field.name] : undefined;
      if (value !== undefined && value !== "") {
        values[field.name] = value;
        own = true;
      } else if (field.fallback !== undefined) {
        values[field.name] = field.fallback;
      } else {
        missing.push(field.name);
      }
    }
    if (missing.length > 0) throw this.missing(ref, who, missing);
    return { values, owner: own ? who : null, version: stored?.updatedAt ?? "shared" };
  }

  /** The error of a user who has not connected `ref` (or lacks `fields` of it). */
  missing(ref: ConnectionRef, user: string, fields: readonly string[], extra: { authorizationUrl?: string } = {}): ToolcodeError {
    const link = extra.authorizationUrl ?? this.connectLink?.(ref, user);
    return credentialMissing(ref, user, user === this.defaultUser, fields, link !== undefined ? { authorizationUrl: link } : {});
  }
}

/** The command that connects `ref` for `user` (no `--user` for the default user). */
export function connectCommand(ref: ConnectionRef, user: string, isDefault: boolean): string {
  return `toolcode connect ${ref.source}${isDefault ? "" : ` --user ${user}`}`;
}

/** `CREDENTIAL_MISSING`: what the model tells the user, and what the operator runs. */
export function credentialMissing(ref: ConnectionRef, user: string, isDefault: boolean, fields: readonly string[], extra: { authorizationUrl?: string } = {}): ToolcodeError {
  const what = ref.kind === "mcp" ? `MCP server "${ref.source}"` : `OpenAPI source "${ref.source}"`;
  const command = connectCommand(ref, user, isDefault);
  const needs = fields.length > 0 ? ` (${fields.join(", ")})` : "";
  const link = extra.authorizationUrl !== undefined ? ` Or open this link to authorize: ${extra.authorizationUrl}` : "";
  return new ToolcodeError(
    "CREDENTIAL_MISSING",
    `${what} uses each user's own credential${needs}, and user "${user}" has not connected it. Ask the user to connect it with \`${command}\`, then run the script again; do not retry before that.${link}`,
    { server: ref.source, connection: ref.connection, user, fields: [...fields], connect: command, ...(extra.authorizationUrl !== undefined ? { authorizationUrl: extra.authorizationUrl } : {}) },
  );
}
