/**
 * The PII vault of a session shared by every replica (with `state.redis`): one sealed record
 * `vault:<hash of the user>:<session id>` holds the session's entries (token → real value), so a
 * token the model got from replica A is turned back into the real value on replica B.
 *
 * Loaded into the session's in-memory vault when an execution starts ({@link SharedVault.load}).
 * A tool result that needs new tokens is tokenized on a draft first; the new values are then
 * numbered against the record and written with compare-and-set (retried on conflict), and only
 * then is the result tokenized for the guest. So two replicas tokenizing for one session at the
 * same time never give one number to two values, and a value keeps its token everywhere.
 * The record expires with the session (idle expiry, refreshed at each load) and holds at most
 * {@link MAX_SHARED_VAULT_ENTRIES} entries.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { ToolcodeError } from "../errors.js";
import type { StateHandle } from "../runtime/open-state-store.js";
import type { PiiVault } from "./pii-vault.js";

/** Most entries one session's shared vault holds. */
export const MAX_SHARED_VAULT_ENTRIES = 10_000;
/** Compare-and-set rounds before giving up. */
const MAX_ROUNDS = 50;

type Entry = [string, string | number | boolean];

interface VaultRecord {
  user: string | null;
  sessionId: string;
  entries: Entry[];
}

/** Options of {@link SharedVault}. */
export interface SharedVaultOptions {
  state: StateHandle;
  /** Lifetime of a session's record after its last use (the session idle expiry). */
  ttlMs: number;
}

/** Session vaults kept in the state store (see the module comment). */
export class SharedVault {
  readonly #state: StateHandle;
  readonly #ttlMs: number;

  constructor(options: SharedVaultOptions) {
    this.#state = options.state;
    this.#ttlMs = options.ttlMs;
  }

  /** Adds the session's shared entries to `vault` and refreshes the record's expiry. */
  async load(vault: PiiVault, sessionId: string, user: string | null): Promise<void> {
    if (!vault.enabled) return;
    const key = this.#key(sessionId, user);
    const { record } = await this.#read(key, sessionId, user);
    if (record.entries.length === 0) return;
    adoptEach(vault, record.entries);
    await this.#state.store.expire?.([key], this.#ttlMs);
  }

  /** Tokenizes `value` into `vault`, numbering new tokens against the shared record first. */
  async tokenize<T>(vault: PiiVault, sessionId: string, user: string | null, value: T): Promise<T> {
    if (!vault.enabled) return value;
    const draft = vault.fork();
    draft.tokenize(value);
    const known = new Set(vault.entries().map(([, real]) => String(real)));
    const fresh = draft.entries().filter(([, real]) => !known.has(String(real)));
    if (fresh.length === 0) return vault.tokenize(value);
    const key = this.#key(sessionId, user);
    const store = this.#state.store;
    if (!store.replace) throw new ToolcodeError("STATE_STORE_UNAVAILABLE", "The shared PII vault needs a state store with compare-and-set (state.redis).", { store: store.kind });
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { raw, record } = await this.#read(key, sessionId, user);
      const byValue = new Map(record.entries.map(([token, real]) => [String(real), token]));
      const top = new Map<string, number>();
      for (const [token] of record.entries) {
        const parsed = TOKEN.exec(token);
        if (parsed) top.set(parsed[1] ?? "", Math.max(top.get(parsed[1] ?? "") ?? 0, Number(parsed[2])));
      }
      const added: Entry[] = [];
      for (const [token, real] of fresh) {
        if (byValue.has(String(real))) continue;
        const prefix = TOKEN.exec(token)?.[1] ?? "field";
        const n = Math.max(top.get(prefix) ?? 0, vault.counter(prefix)) + 1;
        top.set(prefix, n);
        const numbered = `<${prefix}_${n}>`;
        byValue.set(String(real), numbered);
        added.push([numbered, real]);
      }
      const entries = [...record.entries, ...added];
      if (added.length > 0) {
        if (entries.length > MAX_SHARED_VAULT_ENTRIES) {
          throw new ToolcodeError("STATE_TOO_LARGE", `This session's PII vault holds ${record.entries.length} values, the most a shared vault keeps is ${MAX_SHARED_VAULT_ENTRIES}; start a new session (a new MCP connection) to go on.`, { entries: record.entries.length, max: MAX_SHARED_VAULT_ENTRIES });
        }
        const sealed = (await this.#state.cipher()).seal({ user, sessionId, entries } satisfies VaultRecord, key);
        if (!(await store.replace(key, raw, sealed, this.#ttlMs))) continue;
      }
      adoptEach(vault, entries);
      return vault.tokenize(value);
    }
    throw new ToolcodeError("STATE_STORE_UNAVAILABLE", `The shared PII vault of this session changed under ${MAX_ROUNDS} tries in a row (other replicas writing it); retry the execution.`, { rounds: MAX_ROUNDS });
  }

  /** Deletes the session's record (the session ended for every replica). */
  async delete(sessionId: string, user: string | null): Promise<void> {
    await this.#state.store.delete(this.#key(sessionId, user));
  }

  async #read(key: string, sessionId: string, user: string | null): Promise<{ raw: string | undefined; record: VaultRecord }> {
    const raw = await this.#state.store.get(key);
    const empty: VaultRecord = { user, sessionId, entries: [] };
    if (raw === undefined) return { raw, record: empty };
    const record = (await this.#state.cipher()).open(raw, key) as VaultRecord | undefined;
    // Bound to its key by the cipher; checked again so a damaged record is never used.
    return { raw, record: record && record.user === user && record.sessionId === sessionId && Array.isArray(record.entries) ? record : empty };
  }

  #key(sessionId: string, user: string | null): string {
    const owner = createHash("sha256").update(`toolcode-user:${user ?? ""}`).digest("hex").slice(0, 32);
    return `vault:${owner}:${sessionId}`;
  }
}

const TOKEN = /^<([a-z][a-z0-9_]*)_(\d+)>$/;

/** Adopts the entries that do not clash with this vault (a clash: a token adopted from an approval of another session). */
function adoptEach(vault: PiiVault, entries: readonly Entry[]): void {
  if (vault.adopt(entries).ok) return;
  for (const entry of entries) vault.adopt([entry]);
}
