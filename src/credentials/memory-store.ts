/**
 * A {@link CredentialStore} in memory: for the library (an app that keeps credentials itself
 * and hands them over) and tests. Gone when the process exits.
 *
 * @module
 */
import type { Credential, CredentialKey, CredentialStore } from "./credential-store.js";

/** Credentials kept in a map, keyed by user and connection. */
export class MemoryCredentialStore implements CredentialStore {
  readonly kind = "memory";
  readonly writable = true;
  readonly #entries = new Map<string, Map<string, Credential>>();

  /** @param initial `{ user: { connection: { NAME: value } } }` to start with. */
  constructor(initial: Record<string, Record<string, Record<string, string>>> = {}) {
    for (const [user, connections] of Object.entries(initial)) {
      for (const [connection, values] of Object.entries(connections)) this.#set({ user, connection }, { values: { ...values }, updatedAt: new Date().toISOString() });
    }
  }

  /** See {@link CredentialStore.get}. */
  async get(key: CredentialKey): Promise<Credential | undefined> {
    const found = this.#entries.get(key.user)?.get(key.connection);
    return found === undefined ? undefined : structuredClone(found);
  }

  /** See {@link CredentialStore.update}. Synchronous inside, so atomic. */
  async update(key: CredentialKey, change: (current: Credential | undefined) => Credential | undefined): Promise<Credential | undefined> {
    const current = this.#entries.get(key.user)?.get(key.connection);
    const next = change(current === undefined ? undefined : structuredClone(current));
    if (next === undefined) this.#entries.get(key.user)?.delete(key.connection);
    else this.#set(key, structuredClone(next));
    return next;
  }

  /** See {@link CredentialStore.delete}. */
  async delete(key: CredentialKey): Promise<boolean> {
    return this.#entries.get(key.user)?.delete(key.connection) ?? false;
  }

  /** See {@link CredentialStore.list}. */
  async list(user?: string): Promise<CredentialKey[]> {
    const keys: CredentialKey[] = [];
    for (const [name, connections] of this.#entries) {
      if (user !== undefined && name !== user) continue;
      for (const connection of connections.keys()) keys.push({ user: name, connection });
    }
    return keys;
  }

  #set(key: CredentialKey, credential: Credential): void {
    let connections = this.#entries.get(key.user);
    if (connections === undefined) this.#entries.set(key.user, (connections = new Map()));
    connections.set(key.connection, credential);
  }
}
