/**
 * Pending approvals kept in the state store, so a run paused for approval resumes after a
 * restart or on another replica. Each record holds the approval (the call, the script, the
 * journal of earlier calls and results, the plan grant, the retry record), the user it belongs
 * to and the PII vault entries its tokens stand for; it is sealed with the state cipher
 * (AES-256-GCM, bound to its key) and expires with the approval.
 *
 * The store key is `approval:<hash of the user>:<id>`: an id is an unguessable capability, and
 * never crosses users (another user's take of the same id finds nothing). A claim is an atomic
 * take from the store, so of N executions on any number of replicas exactly one gets it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { StateHandle } from "../runtime/open-state-store.js";
import type { PendingApproval } from "./approvals.js";

/** One kept record: what a new session needs to go on with it. */
export interface KeptRecord<T> {
  record: T;
  /** The user whose run made it (null: no user). */
  user: string | null;
  /** Vault entries (token → real value) the record's arguments and results reference. */
  vault: [string, string | number | boolean][];
}

/** A kept pending approval. */
export type KeptApproval = KeptRecord<PendingApproval>;

/** What every kept record has: an id, the session that made it, an expiry. */
interface StoredRecord {
  sessionId: string;
  expiresAtMs: number;
}

/**
 * Records of one kind (`approval`, `retry`) kept in the state store, sealed, per user, until
 * they expire; {@link DurableApprovals} is the one of pending approvals.
 */
export class DurableRecords<T extends StoredRecord> {
  readonly #state: StateHandle;
  readonly #kind: string;
  readonly #idPattern: RegExp;
  readonly #idOf: (record: T) => string;

  constructor(state: StateHandle, kind: string, idPattern: RegExp, idOf: (record: T) => string) {
    this.#state = state;
    this.#kind = kind;
    this.#idPattern = idPattern;
    this.#idOf = idOf;
  }

  /** `file`, `redis` or `memory` (a file store that fell back). */
  get kind(): string {
    return this.#state.store.kind;
  }

  /** Stores (or replaces) a kept record until it expires; nothing when it already has. */
  async save(kept: KeptRecord<T>): Promise<void> {
    const ttlMs = kept.record.expiresAtMs - Date.now();
    const key = this.#key(this.#idOf(kept.record), kept.user);
    if (ttlMs <= 0 || key === undefined) return;
    const cipher = await this.#state.cipher();
    await this.#state.store.put(key, cipher.seal(kept, key), ttlMs);
  }

  /** Takes (gets and deletes, atomically) the user's kept record `id`. */
  async take(id: string, user: string | null): Promise<KeptRecord<T> | undefined> {
    const key = this.#key(id, user);
    if (key === undefined) return undefined;
    const sealed = await this.#state.store.take(key);
    return sealed === undefined ? undefined : this.#open(sealed, key, id, user);
  }

  /** The user's kept record `id`, left in place. */
  async get(id: string, user: string | null): Promise<KeptRecord<T> | undefined> {
    const key = this.#key(id, user);
    if (key === undefined) return undefined;
    const sealed = await this.#state.store.get(key);
    return sealed === undefined ? undefined : this.#open(sealed, key, id, user);
  }

  /** Deletes the user's kept record `id`; true when there was one. */
  async delete(id: string, user: string | null): Promise<boolean> {
    const key = this.#key(id, user);
    return key === undefined ? false : this.#state.store.delete(key);
  }

  async #open(sealed: string, key: string, id: string, user: string | null): Promise<KeptRecord<T> | undefined> {
    const kept = (await this.#state.cipher()).open(sealed, key) as KeptRecord<T>;
    // Bound to its key by the cipher; checked again so a damaged record is never used.
    return kept?.record !== undefined && this.#idOf(kept.record) === id && kept.user === user ? kept : undefined;
  }

  /** The store key of record `id` of `user`, or undefined for a string that is no id of this kind. */
  #key(id: string, user: string | null): string | undefined {
    if (!this.#idPattern.test(id)) return undefined;
    const owner = createHash("sha256").update(`toolcode-user:${user ?? ""}`).digest("hex").slice(0, 32);
    return `${this.#kind}:${owner}:${id}`;
  }
}

/** Pending approvals in the state store (see the module comment). */
export class DurableApprovals extends DurableRecords<PendingApproval> {
  constructor(state: StateHandle) {
    super(state, "approval", /^ap_[A-Za-z0-9_-]{22}$/, (approval) => approval.id);
  }
}
