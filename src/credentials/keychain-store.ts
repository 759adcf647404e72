/**
 * A {@link CredentialStore} in the OS keychain: macOS Keychain, Windows Credential Manager, or on
 * Linux a Secret Service (GNOME Keyring, KWallet) on the D-Bus session bus — through
 * `@napi-rs/keyring` (an optional dependency with prebuilt binaries; loaded on first use).
 *
 * - Each credential is one keychain item: service `credentials.keychainService` (default
 *   `toolcode`), account `<user>\u001f<connection>`, secret the credential as JSON. The keychain
 *   encrypts it and guards it with the OS login; toolcode holds no key of its own.
 * - Updates are read-modify-write under a lock file beside the state (`credentials.file` +
 *   `.keychain.lock`) plus an in-process queue, so `toolcode connect` beside a running `serve`
 *   cannot lose either's change (the keychain itself has no compare-and-set).
 * - Without the package, or with no keychain reachable (a server or container without a
 *   session bus), every call fails with `CREDENTIAL_STORE_UNAVAILABLE` saying so and naming the
 *   `file` store as the alternative.
 *
 * @module
 */
import { ToolcodeError } from "../errors.js";
import { withFileLock } from "../runtime/file-lock.js";
import type { Credential, CredentialKey, CredentialStore } from "./credential-store.js";

/** The part of `@napi-rs/keyring` this store uses. */
interface KeyringModule {
  AsyncEntry: new (service: string, account: string) => {
    getPassword(): Promise<string | undefined>;
    setPassword(password: string): Promise<void>;
    deleteCredential(): Promise<boolean>;
  };
  findCredentialsAsync(service: string): Promise<{ account: string; password: string }[]>;
}

/** Between user and connection in an item's account name (neither may contain it). */
const SEPARATOR = "\u001f";
/** Larger secrets are refused: some keychains cap items, and a credential is small. */
const MAX_SECRET_CHARS = 256 * 1024;

/** Options for {@link KeychainCredentialStore}. */
export interface KeychainStoreOptions {
  /** The keychain service items are filed under. */
  service: string;
  /** The lock file ordering updates across processes (absolute). */
  lockFile: string;
  /** Loads the keychain binding (tests pass their own; default: `import("@napi-rs/keyring")`). */
  load?: () => Promise<KeyringModule>;
}

/** Credentials as items in the OS keychain. */
export class KeychainCredentialStore implements CredentialStore {
  readonly kind = "keychain";
  readonly writable = true;
  #module: Promise<KeyringModule> | undefined;

  constructor(private readonly options: KeychainStoreOptions) {}

  /** See {@link CredentialStore.get}. */
  async get(key: CredentialKey): Promise<Credential | undefined> {
    const entry = await this.#entry(key);
    const secret = await this.#call("read", () => entry.getPassword());
    return secret === undefined || secret === null ? undefined : this.#parse(secret, key);
  }

  /** See {@link CredentialStore.update}. */
  async update(key: CredentialKey, change: (current: Credential | undefined) => Credential | undefined): Promise<Credential | undefined> {
    return this.#locked(async () => {
      const entry = await this.#entry(key);
      const secret = await this.#call("read", () => entry.getPassword());
      const next = change(secret === undefined || secret === null ? undefined : this.#parse(secret, key));
      if (next === undefined) {
        await this.#call("remove", () => entry.deleteCredential());
        return undefined;
      }
      const text = JSON.stringify(next);
      if (text.length > MAX_SECRET_CHARS) throw unavailable(`the credential is larger than ${MAX_SECRET_CHARS} characters`);
      await this.#call("write", () => entry.setPassword(text));
      return structuredClone(next);
    });
  }

  /** See {@link CredentialStore.delete}. */
  async delete(key: CredentialKey): Promise<boolean> {
    return this.#locked(async () => {
      const entry = await this.#entry(key);
      const secret = await this.#call("read", () => entry.getPassword());
      if (secret === undefined || secret === null) return false;
      await this.#call("remove", () => entry.deleteCredential());
      return true;
    });
  }

  /** See {@link CredentialStore.list}. */
  async list(user?: string): Promise<CredentialKey[]> {
    const keyring = await this.#load();
    const items = await this.#call("list", () => keyring.findCredentialsAsync(this.options.service));
    const keys: CredentialKey[] = [];
    for (const { account } of items) {
      const cut = account.indexOf(SEPARATOR);
      if (cut <= 0) continue; // not one of ours
      const key = { user: account.slice(0, cut), connection: account.slice(cut + 1) };
      if (user === undefined || key.user === user) keys.push(key);
    }
    return keys.sort((a, b) => a.user.localeCompare(b.user) || a.connection.localeCompare(b.connection));
  }

  async #entry(key: CredentialKey): Promise<InstanceType<KeyringModule["AsyncEntry"]>> {
    if (key.user.includes(SEPARATOR) || key.connection.includes(SEPARATOR)) throw new ToolcodeError("INVALID_ARGUMENTS", "A user or connection name contains a control character; use letters, digits and _ . @ -.");
    const keyring = await this.#load();
    return new keyring.AsyncEntry(this.options.service, `${key.user}${SEPARATOR}${key.connection}`);
  }

  #load(): Promise<KeyringModule> {
    this.#module ??= (this.options.load ?? loadKeyring)().catch((error: unknown) => {
      this.#module = undefined;
      throw unavailable(`the keychain binding @napi-rs/keyring is not installed (${(error as Error).message.split("\n")[0]}); run \`npm install @napi-rs/keyring@1.3.0\``);
    });
    return this.#module;
  }

  /** Runs a keychain call; its failures (no keychain, locked, denied) become one clear error. */
  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ToolcodeError) throw error;
      const reason = String((error as Error)?.message ?? error).split("\n")[0];
      throw unavailable(`cannot ${what} the OS keychain (${reason}); on Linux it needs a Secret Service such as GNOME Keyring on the D-Bus session bus (DBUS_SESSION_BUS_ADDRESS), unlocked`);
    }
  }

  #parse(secret: string, key: CredentialKey): Credential {
    try {
      const parsed = JSON.parse(secret) as Credential;
      if (parsed === null || typeof parsed !== "object" || typeof parsed.values !== "object" || parsed.values === null) throw new Error("not a credential");
      return parsed;
    } catch {
      throw unavailable(`the keychain item for ${key.user}/${key.connection} (service ${this.options.service}) is not a toolcode credential; remove it with \`toolcode disconnect\` and connect again`);
    }
  }

  #locked<T>(work: () => Promise<T>): Promise<T> {
    return withFileLock(this.options.lockFile, work, { timeoutMs: 5_000, staleMs: 10_000 }).catch((error: unknown) => {
      if (error instanceof ToolcodeError && error.code === "INTERNAL") throw unavailable(`${this.options.lockFile} is held by another process; try again, or remove it if no toolcode process is running`);
      throw error;
    });
  }
}

async function loadKeyring(): Promise<KeyringModule> {
  const name = "@napi-rs/keyring";
  return (await import(name)) as KeyringModule;
}

function unavailable(why: string): ToolcodeError {
  return new ToolcodeError("CREDENTIAL_STORE_UNAVAILABLE", `The keychain credential store is unavailable: ${why}. Or set credentials.store to "file" (an encrypted file, key in TOOLCODE_CREDENTIALS_KEY).`);
}
