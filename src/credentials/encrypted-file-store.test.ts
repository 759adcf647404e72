import { readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withValues } from "./credential-store.js";
import { EncryptedFileCredentialStore } from "./encrypted-file-store.js";

const HEX_KEY = "a".repeat(64);
const fresh = (key: string | undefined = HEX_KEY) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "toolcode-creds-")), "nested", "credentials.enc");
  return { file, store: new EncryptedFileCredentialStore({ file, key }) };
};

describe("EncryptedFileCredentialStore", () => {
  it("round-trips credentials in a 0600 file that holds no plaintext", async () => {
    const { file, store } = fresh();
    await store.update({ user: "alice", connection: "github" }, (c) => withValues(c, { GITHUB_TOKEN: "ghp_alice_secret_value" }));
    await store.update({ user: "bob", connection: "github" }, (c) => withValues(c, { GITHUB_TOKEN: "ghp_bob_secret_value" }));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("ghp_");
    expect(text).not.toContain("alice");
    const reopened = new EncryptedFileCredentialStore({ file, key: HEX_KEY });
    expect((await reopened.get({ user: "alice", connection: "github" }))?.values).toEqual({ GITHUB_TOKEN: "ghp_alice_secret_value" });
    expect((await reopened.get({ user: "carol", connection: "github" }))).toBeUndefined();
    expect((await reopened.list()).map((k) => `${k.user}/${k.connection}`).sort()).toEqual(["alice/github", "bob/github"]);
    expect(await reopened.delete({ user: "alice", connection: "github" })).toBe(true);
    expect(await reopened.delete({ user: "alice", connection: "github" })).toBe(false);
    // The first instance sees the other's change (the file's mtime/size changed).
    expect(await store.get({ user: "alice", connection: "github" })).toBeUndefined();
  });

  it("works with a passphrase (scrypt) and refuses a wrong key or a tampered file", async () => {
    const { file, store } = fresh("correct horse battery staple");
    await store.update({ user: "alice", connection: "x" }, (c) => withValues(c, { T: "secret-value-1" }));
    await expect(new EncryptedFileCredentialStore({ file, key: "wrong passphrase" }).get({ user: "alice", connection: "x" })).rejects.toMatchObject({ code: "CREDENTIAL_STORE_UNAVAILABLE" });
    const sealed = JSON.parse(readFileSync(file, "utf8")) as { data: string };
    const bytes = Buffer.from(sealed.data, "base64");
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    writeFileSync(file, JSON.stringify({ ...sealed, data: bytes.toString("base64") }));
    await expect(new EncryptedFileCredentialStore({ file, key: "correct horse battery staple" }).get({ user: "alice", connection: "x" })).rejects.toMatchObject({ code: "CREDENTIAL_STORE_UNAVAILABLE" });
  });

  it("names the key variable when it is not set", async () => {
    const { store } = fresh("");
    await expect(store.update({ user: "a", connection: "b" }, (c) => withValues(c, { T: "v" }))).rejects.toThrow(/TOOLCODE_CREDENTIALS_KEY is not set/);
  });

  it("loses no update when two stores (two processes) write at once", async () => {
    const { file } = fresh();
    const a = new EncryptedFileCredentialStore({ file, key: HEX_KEY });
    const b = new EncryptedFileCredentialStore({ file, key: HEX_KEY });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).update({ user: `u${i}`, connection: "c" }, (c) => withValues(c, { T: `value-${i}` }))),
    );
    const keys = await new EncryptedFileCredentialStore({ file, key: HEX_KEY }).list();
    expect(keys).toHaveLength(20);
  });
});
