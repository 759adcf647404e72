/**
 * A read-only {@link CredentialStore} over environment variables, for CI and single-user
 * setups: user `alice`'s `GITHUB_TOKEN` for connection `github` is
 * `TOOLCODE_CREDENTIAL__ALICE__GITHUB__GITHUB_TOKEN` (each part upper-cased, every character
 * other than a letter or digit as `_`). `toolcode connect` cannot write it; set the variable.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";
import type { Credential, CredentialKey, CredentialStore } from "./credential-store.js";

/** The prefix of every variable this store reads. */
export const CREDENTIAL_ENV_PREFIX = "TOOLCODE_CREDENTIAL__";

/** One part of a variable name: upper case, letters and digits, the rest `_`. */
function part(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** The variable holding `name` of `key`'s credential. */
export function credentialEnvName(key: CredentialKey, name: string): string {
  return `${CREDENTIAL_ENV_PREFIX}${part(key.user)}__${part(key.connection)}__${part(name)}`;
}

/** Reads credentials from environment variables; never writes. */
export class EnvCredentialStore implements CredentialStore {
  readonly kind = "env";
  readonly writable = false;

  /** @param env The variables (default `process.env`). */
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  /** See {@link CredentialStore.get}: every `TOOLCODE_CREDENTIAL__<USER>__<CONNECTION>__<NAME>` as value `NAME`. */
  async get(key: CredentialKey): Promise<Credential | undefined> {
    const prefix = `${CREDENTIAL_ENV_PREFIX}${part(key.user)}__${part(key.connection)}__`;
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.env)) {
      if (value !== undefined && value !== "" && name.startsWith(prefix)) values[name.slice(prefix.length)] = value;
    }
    return Object.keys(values).length === 0 ? undefined : { values, updatedAt: new Date(0).toISOString() };
  }

  /** Always refused: the environment is set by the operator. */
  async update(key: CredentialKey): Promise<Credential | undefined> {
    throw this.#readOnly(key);
  }

  /** Always refused: unset the variables instead. */
  async delete(key: CredentialKey): Promise<boolean> {
    throw this.#readOnly(key);
  }

  /** See {@link CredentialStore.list}: keys as upper-cased in the variable names. */
  async list(user?: string): Promise<CredentialKey[]> {
    const keys = new Map<string, CredentialKey>();
    for (const name of Object.keys(this.env)) {
      if (!name.startsWith(CREDENTIAL_ENV_PREFIX)) continue;
      const [u, connection] = name.slice(CREDENTIAL_ENV_PREFIX.length).split("__");
      if (u === undefined || connection === undefined || (user !== undefined && part(user) !== u)) continue;
      keys.set(`${u}\0${connection}`, { user: u, connection });
    }
    return [...keys.values()];
  }

  #readOnly(key: CredentialKey): ToolcodeError {
    return new ToolcodeError(
      "CREDENTIAL_STORE_UNAVAILABLE",
      `The credential store is the environment (credentials.store: "env"), which toolcode cannot write. Set ${credentialEnvName(key, "<NAME>")} instead, or use credentials.store "file".`,
      { store: "env", key: "credentials.store" },
    );
  }
}
