/**
 * Encryption at rest of what the state store keeps (pending approvals, their journals of tool
 * results, PII vault entries): AES-256-GCM (node:crypto), a fresh 96-bit IV per value, and the
 * store key as additional data, so a value copied under another key (another user's) does not
 * open.
 *
 * The key: `state.key` from the config, else the `TOOLCODE_STATE_KEY` environment variable
 * (any secret of at least 16 characters; the AES key is derived from it with HKDF-SHA256), else
 * a random key generated once into `<state.dir>/key` (mode 0600). Replicas sharing a Redis
 * store must share the key: set `state.key` (or the variable) on each of them.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { ToolcodeError } from "../errors.js";
import { stateStoreUnavailable } from "./state-store.js";

/** The environment variable holding the state key when the config has none. */
export const STATE_KEY_ENV = "TOOLCODE_STATE_KEY";
const VERSION = "v1";

/** Seals and opens values with one AES-256-GCM key. */
export class StateCipher {
  readonly #key: Buffer;
  /** Where the key came from: `config`, `env` or the generated key file's path. */
  readonly source: string;

  private constructor(key: Buffer, source: string) {
    this.#key = key;
    this.source = source;
  }

  /** A cipher with a random key of this process only (what a store kept in memory uses). */
  static ephemeral(): StateCipher {
    return new StateCipher(randomBytes(32), "memory");
  }

  /** A cipher whose AES key is derived from `secret` (HKDF-SHA256). */
  static fromSecret(secret: string, source = "config"): StateCipher {
    if (secret.length < 16) throw new ToolcodeError("CONFIG_INVALID", `state.key (or ${STATE_KEY_ENV}) must be at least 16 characters of secret; generate one with \`openssl rand -base64 32\`.`, { path: "state.key" });
    return new StateCipher(Buffer.from(hkdfSync("sha256", secret, "toolcode-state", VERSION, 32)), source);
  }

  /**
   * The cipher of a store: `key` (the config's), else {@link STATE_KEY_ENV}, else the key file in
   * `dir` (created with mode 0600 when missing; concurrent processes agree on one).
   *
   * @throws ToolcodeError `STATE_STORE_UNAVAILABLE` when the key file cannot be read or created.
   */
  static async load(options: { key?: string | undefined; dir: string; env?: Record<string, string | undefined> }): Promise<StateCipher> {
    if (options.key !== undefined) return StateCipher.fromSecret(options.key, "config");
    const fromEnv = (options.env ?? process.env)[STATE_KEY_ENV];
    if (fromEnv !== undefined && fromEnv !== "") return StateCipher.fromSecret(fromEnv, "env");
    const file = path.join(options.dir, "key");
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      try {
        const handle = await open(file, "wx", 0o600);
        try {
          await handle.writeFile(`${randomBytes(32).toString("base64")}\n`);
          await handle.datasync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      // Another process may be writing it right now: wait briefly for its 44 characters.
      for (let attempt = 0; ; attempt++) {
        const text = (await readFile(file, "utf8")).trim();
        if (text.length >= 16) return StateCipher.fromSecret(text, file);
        if (attempt >= 20) throw new Error(`${file} holds no key`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } catch (error) {
      if (error instanceof ToolcodeError) throw error;
      throw stateStoreUnavailable(`cannot read or create the state key ${file}`, `Set state.key in the config (or ${STATE_KEY_ENV}), or make ${options.dir} writable.`, error);
    }
  }

  /** `value` as JSON, encrypted and bound to `context` (the store key). */
  seal(value: unknown, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return `${VERSION}.${iv.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}.${body.toString("base64url")}`;
  }

  /**
   * The value {@link seal} sealed under `context`.
   *
   * @throws ToolcodeError `STATE_STORE_UNAVAILABLE` when it does not open (another key, another context, damaged).
   */
  open(text: string, context: string): unknown {
    const [version, iv, tag, body] = text.split(".");
    try {
      if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) throw new Error("not a sealed value");
      const decipher = createDecipheriv("aes-256-gcm", this.#key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return JSON.parse(Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8"));
    } catch (error) {
      throw stateStoreUnavailable(
        "a stored value does not decrypt with this instance's state key",
        `Every replica sharing the store needs the same state.key (or ${STATE_KEY_ENV}); this one uses ${this.source === "config" || this.source === "env" ? `the ${this.source === "env" ? STATE_KEY_ENV : "state.key"} secret` : `the key generated in ${this.source}`}.`,
        error,
      );
    }
  }
}
