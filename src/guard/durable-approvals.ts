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

/** One kept approval: what a new session needs to resume its run. */
export interface KeptApproval {
  approval: PendingApproval;
  /** The user whose run asked (null: no user). */
  user: string | null;
  /** Vault entries (token → real value) the approval's arguments and journal reference. */
  vault: [string, string | number | boolean][];
}

const APPROVAL_ID = /^ap_[A-Za-z0-9_-]{22}$/;

/** See the module comment. */
export class DurableApprovals {
  readonly #state: StateHandle;

  constructor(state: StateHandle) {
    this.#state = state;
  }

  /** `file`, `redis` or `memory` (a file store that fell back). */
  get kind(): string {
    return this.#state.store.kind;
  }

  /** Stores (or replaces) a kept approval until the approval expires; nothing when it already has. */
  async save(kept: KeptApproval): Promise<void> {
    const ttlMs = kept.approval.expiresAtMs - Date.now();
    const key = storeKey(kept.approval.id, kept.user);
    if (ttlMs <= 0 || key === undefined) return;
    const cipher = await this.#state.cipher();
    await this.#state.store.put(key, cipher.seal(kept, key), ttlMs);
  }

  /** Takes (gets and deletes, atomically) the user's kept approval `id`. */
  async take(id: string, user: string | null): Promise<KeptApproval | undefined> {
    const key = storeKey(id, user);
    if (key === undefined) return undefined;
    const sealed = await this.#state.store.take(key);
    return sealed === undefined ? undefined : this.#open(sealed, key, id, user);
  }

  /** The user's kept approval `id`, left in place. */
  async get(id: string, user: string | null): Promise<KeptApproval | undefined> {
    const key = storeKey(id, user);
    if (key === undefined) return undefined;
    const sealed = await this.#state.store.get(key);
    return sealed === undefined ? undefined : this.#open(sealed, key, id, user);
  }

  /** Deletes the user's kept approval `id`; true when there was one. */
  async delete(id: string, user: string | null): Promise<boolean> {
    const key = storeKey(id, user);
    return key === undefined ? false : this.#state.store.delete(key);
  }

  async #open(sealed: string, key: string, id: string, user: string | null): Promise<KeptApproval | undefined> {
    const kept = (await this.#state.cipher()).open(sealed, key) as KeptApproval;
    // Bound to its key by the cipher; checked again so a damaged record is never used.
    return kept?.approval?.id === id && kept.user === user ? kept : undefined;
  }
}

/** The store key of approval `id` of `user`, or undefined for a string that is no approval id. */
function storeKey(id: string, user: string | null): string | undefined {
  if (!APPROVAL_ID.test(id)) return undefined;
  const owner = createHash("sha256").update(`toolcode-user:${user ?? ""}`).digest("hex").slice(0, 32);
  return `approval:${owner}:${id}`;
}
