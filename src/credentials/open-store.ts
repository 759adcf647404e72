/**
 * The credential store the `credentials` config section names.
 *
 * @module
 */
import path from "node:path";
import type { CredentialsConfig } from "../config/credentials-schema.js";
import type { CredentialStore } from "./credential-store.js";
import { EncryptedFileCredentialStore } from "./encrypted-file-store.js";
import { EnvCredentialStore } from "./env-store.js";
import { KeychainCredentialStore } from "./keychain-store.js";
import { MemoryCredentialStore } from "./memory-store.js";

/**
 * Opens `config.store`: the encrypted file (relative to `baseDir`, key from `config.keyEnv`),
 * the OS keychain (its update lock beside where the file would be), the environment, or memory. Nothing is read until the first credential is needed, so a config
 * without per-user sources never needs the key.
 */
export function openCredentialStore(config: CredentialsConfig, baseDir: string, env: Record<string, string | undefined> = process.env): CredentialStore {
  switch (config.store) {
    case "env":
      return new EnvCredentialStore(env);
    case "memory":
      return new MemoryCredentialStore();
    case "keychain":
      return new KeychainCredentialStore({ service: config.keychainService, lockFile: `${path.resolve(baseDir, config.file)}.keychain.lock` });
    case "file":
      return new EncryptedFileCredentialStore({ file: path.resolve(baseDir, config.file), key: env[config.keyEnv], keyEnv: config.keyEnv });
  }
}
