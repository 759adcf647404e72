/**
 * Opens the state store the `state` config section names: Redis when `state.redis` is set,
 * else the file store in `state.dir` (default `<state dir>/state`, e.g. `.toolcode/state`
 * beside the config file), with its cipher (loaded on first use).
 *
 * @module
 */
import { FileStateStore } from "./file-state-store.js";
import { RedisStateStore } from "./redis-state-store.js";
import { StateCipher } from "./state-cipher.js";
import type { StateStore } from "./state-store.js";

/** Options of {@link openStateStore} (the `state` config section, paths resolved). */
export interface StateStoreOptions {
  /** Directory of the file store and of the generated key (absolute). */
  dir: string;
  /** Redis URL: use Redis instead of files. */
  redis?: string | undefined;
  /** Prefix of Redis keys. */
  keyPrefix?: string | undefined;
  /** The encryption secret (else TOOLCODE_STATE_KEY, else the key file in `dir`). */
  key?: string | undefined;
}

/** A store and the cipher its values are sealed with. */
export interface StateHandle {
  readonly store: StateStore;
  /** The cipher, loaded (or generated) on first use. */
  cipher(): Promise<StateCipher>;
  close(): Promise<void>;
}

/** See the module comment. Nothing is connected or created before the first operation. */
export function openStateStore(options: StateStoreOptions): StateHandle {
  const files = options.redis === undefined ? new FileStateStore({ dir: options.dir }) : undefined;
  const store: StateStore = files ?? new RedisStateStore({ url: options.redis ?? "", ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}) });
  let cipher: Promise<StateCipher> | undefined;
  return {
    store,
    cipher: () => {
      cipher ??= StateCipher.load({ key: options.key, dir: options.dir }).catch((error: unknown) => {
        // No key file can be made in an unwritable directory: the file store keeps entries in memory
        // then (one notice), sealed with a key of this process. Redis needs a real key: the error stands.
        if (!files || options.key !== undefined) throw error;
        files.useMemory((error as Error).message);
        return StateCipher.ephemeral();
      });
      // A failed load is tried again next time.
      cipher.catch(() => (cipher = undefined));
      return cipher;
    },
    close: () => store.close(),
  };
}
