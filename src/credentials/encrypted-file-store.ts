/**
 * A {@link CredentialStore} in one encrypted local file (AES-256-GCM, node:crypto).
 *
 * - Key: from an environment variable (`credentials.keyEnv`, default `TOOLCODE_CREDENTIALS_KEY`):
 *   64 hex digits are the key itself; any other value is a passphrase stretched with scrypt and
 *   the file's random salt. Without the variable the store refuses to work
 *   (`CREDENTIAL_STORE_UNAVAILABLE` naming it); a wrong key or a tampered file fails the GCM tag.
 * - Writes: the whole file is re-encrypted with a fresh IV, written to a temporary file (mode
 *   0600) in the same directory, flushed and renamed over the old one, so a crash leaves either
 *   the old or the new file. Updates take a lock file (`<file>.lock`, created exclusively), so a
 *   `toolcode connect` beside a running `serve` cannot lose either's change.
 * - Reads: the file is decrypted again when its size or mtime changed, so a running gateway sees
 *   rotation and revocation by `toolcode connect` / `disconnect` on the next call.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { mkdirSync } from "node:fs";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ToolcodeError } from "../errors.js";
import type { Credential, CredentialKey, CredentialStore } from "./credential-store.js";

/** The default environment variable holding the key. */
export const DEFAULT_KEY_ENV = "TOOLCODE_CREDENTIALS_KEY";
/** Bound into every ciphertext (GCM additional data): a file of another format never decrypts. */
const AAD = Buffer.from("toolcode-credentials-v1");
/** A lock older than this is from a process that died holding it. */
const STALE_LOCK_MS = 10_000;
/** How long an update waits for the lock before failing. */
const LOCK_WAIT_MS = 5_000;

/** The file as stored: everything but `format` is base64. */
interface SealedFile {
  format: "toolcode-credentials";
  version: 1;
  kdf: "raw" | "scrypt";
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

/** Decrypted contents: user → connection → credential. */
type Entries = Record<string, Record<string, Credential>>;

/** Options for {@link EncryptedFileCredentialStore}. */
export interface EncryptedFileStoreOptions {
  /** The file (absolute). */
  file: string;
  /** The key or passphrase (the value of `credentials.keyEnv`); undefined: the store refuses to work. */
  key: string | undefined;
  /** The variable's name, for messages. */
  keyEnv?: string;
}

/** Credentials in one AES-256-GCM encrypted file. */
export class EncryptedFileCredentialStore implements CredentialStore {
  readonly kind = "file";
  readonly writable = true;
  #cache: { size: number; mtimeMs: number; entries: Entries; salt: Buffer; kdf: SealedFile["kdf"] } | undefined;
  readonly #keys = new Map<string, Buffer>();
  /** Updates of this process, one at a time (the lock file orders them against other processes). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EncryptedFileStoreOptions) {}

  /** The file's path. */
  get file(): string {
    return this.options.file;
  }

  /** See {@link CredentialStore.get}. */
  async get(key: CredentialKey): Promise<Credential | undefined> {
    const entries = await this.#read();
    const connections = Object.hasOwn(entries, key.user) ? entries[key.user] : undefined;
    const found = connections !== undefined && Object.hasOwn(connections, key.connection) ? connections[key.connection] : undefined;
    return found === undefined ? undefined : structuredClone(found);
  }

  /** See {@link CredentialStore.update}. */
  async update(key: CredentialKey, change: (current: Credential | undefined) => Credential | undefined): Promise<Credential | undefined> {
    const run = this.#queue.then(() => this.#locked(async () => {
      const entries = await this.#read();
      const connections = Object.hasOwn(entries, key.user) ? (entries[key.user] as Record<string, Credential>) : {};
      const current = Object.hasOwn(connections, key.connection) ? connections[key.connection] : undefined;
      const next = change(current === undefined ? undefined : structuredClone(current));
      const updated: Entries = { ...entries, [key.user]: { ...connections } };
      const mine = updated[key.user] as Record<string, Credential>;
      if (next === undefined) delete mine[key.connection];
      else mine[key.connection] = structuredClone(next);
      if (Object.keys(mine).length === 0) delete updated[key.user];
      await this.#write(updated);
      return next;
    }));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** See {@link CredentialStore.delete}. */
  async delete(key: CredentialKey): Promise<boolean> {
    let existed = false;
    await this.update(key, (current) => {
      existed = current !== undefined;
      return undefined;
    });
    return existed;
  }

  /** See {@link CredentialStore.list}. */
  async list(user?: string): Promise<CredentialKey[]> {
    const entries = await this.#read();
    return Object.entries(entries).flatMap(([name, connections]) => (user !== undefined && name !== user ? [] : Object.keys(connections).map((connection) => ({ user: name, connection }))));
  }

  /** The decrypted entries, from the cache while the file is unchanged. */
  async #read(): Promise<Entries> {
    let info: { size: number; mtimeMs: number };
    try {
      info = await stat(this.options.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        this.#cache = undefined;
        return {};
      }
      throw this.#unavailable(`cannot read ${this.options.file}: ${(error as Error).message}`);
    }
    const cached = this.#cache;
    if (cached !== undefined && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached.entries;
    const text = await readFile(this.options.file, "utf8");
    let sealed: SealedFile;
    try {
      sealed = JSON.parse(text) as SealedFile;
    } catch {
      throw this.#unavailable(`${this.options.file} is not a toolcode credential file`);
    }
    if (sealed.format !== "toolcode-credentials" || sealed.version !== 1) throw this.#unavailable(`${this.options.file} is not a toolcode credential file (version 1)`);
    const salt = Buffer.from(sealed.salt, "base64");
    const key = this.#key(salt, sealed.kdf);
    let entries: Entries;
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
      decipher.setAAD(AAD);
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]);
      entries = JSON.parse(plain.toString("utf8")) as Entries;
    } catch {
      throw this.#unavailable(`${this.options.file} cannot be decrypted with ${this.#keyEnv}: the key is wrong or the file was changed`);
    }
    this.#cache = { ...info, entries, salt, kdf: sealed.kdf };
    return entries;
  }

  /** Encrypts `entries` with a fresh IV and replaces the file atomically (mode 0600). */
  async #write(entries: Entries): Promise<void> {
    const kdf: SealedFile["kdf"] = this.#cache?.kdf ?? (/^[0-9a-fA-F]{64}$/.test(this.options.key ?? "") ? "raw" : "scrypt");
    const salt = this.#cache?.salt ?? randomBytes(16);
    const key = this.#key(salt, kdf);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(AAD);
    const data = Buffer.concat([cipher.update(JSON.stringify(entries), "utf8"), cipher.final()]);
    const sealed: SealedFile = { format: "toolcode-credentials", version: 1, kdf, salt: salt.toString("base64"), iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
    const dir = path.dirname(this.options.file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = path.join(dir, `.${path.basename(this.options.file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(sealed));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.options.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const info = await stat(this.options.file);
    this.#cache = { size: info.size, mtimeMs: info.mtimeMs, entries, salt, kdf };
  }

  /** Runs `work` holding `<file>.lock` (created exclusively; a stale one is taken over). */
  async #locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = `${this.options.file}.lock`;
    mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, "wx", 0o600);
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw this.#unavailable(`cannot create ${lock}: ${(error as Error).message}`);
        const held = await stat(lock).catch(() => undefined);
        if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw this.#unavailable(`${lock} is held by another process; try again, or remove it if no toolcode process is running`);
        await sleep(20);
      }
    }
    try {
      return await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** The AES key for `salt` (derived once per salt). */
  #key(salt: Buffer, kdf: SealedFile["kdf"]): Buffer {
    const secret = this.options.key;
    if (secret === undefined || secret === "") {
      throw this.#unavailable(`the environment variable ${this.#keyEnv} is not set; set it to 64 hex digits (e.g. \`openssl rand -hex 32\`) or a long passphrase`);
    }
    const id = `${kdf}:${salt.toString("base64")}`;
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = kdf === "raw" ? Buffer.from(secret, "hex") : scryptSync(secret, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
      if (key.length !== 32) throw this.#unavailable(`${this.#keyEnv} must be 64 hex digits or a passphrase`);
      this.#keys.set(id, key);
    }
    return key;
  }

  get #keyEnv(): string {
    return this.options.keyEnv ?? DEFAULT_KEY_ENV;
  }

  #unavailable(why: string): ToolcodeError {
    return new ToolcodeError("CREDENTIAL_STORE_UNAVAILABLE", `The credential store (credentials.store "file") is unavailable: ${why}.`, { store: "file", key: "credentials.keyEnv" });
  }
}
