/**
 * The OS keychain credential store against a real Secret Service: Debian's GNOME Keyring
 * (`gnome-keyring-daemon --components=secrets`) on a private D-Bus session bus started for the
 * test (installed when missing). The store directly (round trip, users kept apart, concurrent
 * updates losing nothing, a foreign item refused), then the CLI (`connect`, `connections`,
 * `exec` sending the stored token to a loopback HTTP server, `disconnect`) with
 * `credentials.store: "keychain"`, and a clear CREDENTIAL_STORE_UNAVAILABLE without a keychain.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeychainCredentialStore } from "../../src/credentials/keychain-store.js";
import { ToolcodeError } from "../../src/errors.js";
import { ensureDebianPackages } from "../debian-packages.js";
import { CLI, run, tempDir, writeConfig } from "../helpers.js";
import { sendJson, startRecorder, type Recorder } from "../openapi/http-recorder.js";

const ready = ensureDebianPackages([
  ["/usr/bin/dbus-daemon", "dbus"],
  ["/usr/bin/gnome-keyring-daemon", "gnome-keyring"],
]);
if (!ready.ok) console.info(`keychain store test skipped: ${ready.reason}`);

describe.skipIf(!ready.ok)("the keychain credential store (GNOME Keyring over D-Bus)", () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let busEnv: NodeJS.ProcessEnv;
  let store: KeychainCredentialStore;

  beforeAll(async () => {
    dir = tempDir();
    const address = `unix:path=${path.join(dir, "bus")}`;
    const bus = spawn("/usr/bin/dbus-daemon", ["--session", "--nofork", "--nopidfile", `--address=${address}`], { stdio: "ignore" });
    children.push(bus);
    // The keyring's files under the test's own directory; the login keyring unlocked with a password on stdin.
    busEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, HOME: dir, XDG_DATA_HOME: path.join(dir, "data"), XDG_RUNTIME_DIR: dir };
    for (let i = 0; i < 100 && !(await exists(path.join(dir, "bus"))); i++) await sleep(50);
    const keyring = spawn("/usr/bin/gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], { env: busEnv, stdio: ["pipe", "ignore", "ignore"] });
    keyring.stdin?.end("test-keyring-password");
    children.push(keyring);
    // The binding reads the bus address when it connects: set it for this process before the first call.
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    store = new KeychainCredentialStore({ service: `toolcode-test-${process.pid}`, lockFile: path.join(dir, "keychain.lock") });
    for (let attempt = 0; ; attempt++) {
      try {
        await store.list();
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(100);
      }
    }
  }, 60_000);

  afterAll(() => {
    for (const child of children.reverse()) child.kill("SIGKILL");
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
  });

  it("stores, reads, lists and removes each user's credential apart", async () => {
    await store.update({ user: "alice", connection: "github" }, () => ({ values: { TOKEN: "alice-secret-1" }, updatedAt: new Date().toISOString() }));
    await store.update({ user: "bob", connection: "github" }, () => ({ values: { TOKEN: "bob-secret-2" }, updatedAt: new Date().toISOString() }));
    expect((await store.get({ user: "alice", connection: "github" }))?.values).toEqual({ TOKEN: "alice-secret-1" });
    expect((await store.get({ user: "bob", connection: "github" }))?.values).toEqual({ TOKEN: "bob-secret-2" });
    expect(await store.get({ user: "carol", connection: "github" })).toBeUndefined();
    expect(await store.list()).toEqual([{ user: "alice", connection: "github" }, { user: "bob", connection: "github" }]);
    expect(await store.list("bob")).toEqual([{ user: "bob", connection: "github" }]);
    expect(await store.delete({ user: "alice", connection: "github" })).toBe(true);
    expect(await store.delete({ user: "alice", connection: "github" })).toBe(false);
    expect(await store.get({ user: "alice", connection: "github" })).toBeUndefined();
    expect(await store.list()).toEqual([{ user: "bob", connection: "github" }]);
  }, 30_000);

  it("loses no change when many updates of one credential run at once", async () => {
    const key = { user: "dana", connection: "jira" };
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.update(key, (current) => ({ values: { ...(current?.values ?? {}), [`K${i}`]: `v${i}` }, updatedAt: new Date().toISOString() }))),
    );
    const values = (await store.get(key))?.values ?? {};
    expect(Object.keys(values).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `K${i}`).sort());
  }, 60_000);

  it("refuses names with the separator and items that are not toolcode's", async () => {
    await expect(store.get({ user: "a\u001fb", connection: "x" })).rejects.toMatchObject({ code: "INVALID_ARGUMENTS" });
    const { AsyncEntry } = await import("@napi-rs/keyring");
    await new AsyncEntry(`toolcode-test-${process.pid}`, "eve\u001fforeign").setPassword("not json");
    const error = await store.get({ user: "eve", connection: "foreign" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolcodeError);
    expect((error as ToolcodeError).code).toBe("CREDENTIAL_STORE_UNAVAILABLE");
    expect((error as ToolcodeError).message).toContain("toolcode disconnect");
    expect((error as ToolcodeError).message).not.toContain("not json");
  }, 30_000);

  describe("through the CLI", () => {
    let recorder: Recorder;
    let config: string;
    const cli = (args: string[], input = "", env: NodeJS.ProcessEnv = busEnv) =>
      run(process.execPath, [CLI, ...args, "--config", config], { cwd: dir, input, env: { ...env, MY_TOKEN: "keychain-token-from-env-77" }, timeoutMs: 60_000 });

    beforeAll(async () => {
      recorder = await startRecorder((_req, res) => sendJson(res, 200, { ok: true }));
      writeFileSync(
        path.join(dir, "who.json"),
        JSON.stringify({ openapi: "3.0.3", info: { title: "Who", version: "1" }, paths: { "/whoami": { get: { operationId: "whoami", responses: { "200": { description: "ok" } } } } } }),
      );
      config = writeConfig(dir, {
        openapi: { who: { spec: "./who.json", baseUrl: recorder.url, auth: { type: "bearer", token: "${user.TOKEN}" } } },
        auth: { users: { alice: "alice-bearer-token-000001" } },
        credentials: { store: "keychain", keychainService: `toolcode-cli-${process.pid}` },
      });
    });

    afterAll(async () => {
      await recorder?.close();
    });

    it("connect stores the value in the keychain, exec sends it, disconnect removes it", async () => {
      const connected = await cli(["connect", "who", "--user", "alice"], "alice-keychain-secret-55\n");
      expect(connected.stderr).toContain("connected who for user alice");
      expect(connected.code).toBe(0);
      const { findCredentialsAsync } = await import("@napi-rs/keyring");
      const items = await findCredentialsAsync(`toolcode-cli-${process.pid}`);
      expect(items.map((item) => item.account)).toEqual(["alice\u001fwho"]);
      expect(JSON.parse(items[0]!.password).values).toEqual({ TOKEN: "alice-keychain-secret-55" });

      const listed = await cli(["connections", "--json"]);
      expect(listed.stdout).not.toContain("alice-keychain-secret");
      expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ user: "alice", connection: "who", fields: ["TOKEN"] })]);

      expect((await cli(["connect", "who", "--from-env", "TOKEN=MY_TOKEN"])).code).toBe(0);
      const ran = await cli(["exec", "--json", "-"], "return await who.whoami({});");
      expect(JSON.parse(ran.stdout).error).toBeNull();
      expect(recorder.requests.map((r) => r.headers.authorization)).toEqual(["Bearer keychain-token-from-env-77"]);

      expect((await cli(["disconnect", "who", "--user", "alice"])).code).toBe(0);
      expect((await findCredentialsAsync(`toolcode-cli-${process.pid}`)).map((item) => item.account)).not.toContain("alice\u001fwho");
    }, 120_000);

    it("says the keychain is unreachable, and what to use instead, when there is no session bus", async () => {
      const noBus = await cli(["connections"], "", { ...busEnv, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir, "no-such-bus")}` });
      expect(noBus.code).toBe(2);
      expect(noBus.stderr).toContain("CREDENTIAL_STORE_UNAVAILABLE");
      expect(noBus.stderr).toContain("Secret Service");
      expect(noBus.stderr).toContain('credentials.store to "file"');
    }, 60_000);
  });
});

async function exists(file: string): Promise<boolean> {
  const { stat } = await import("node:fs/promises");
  return stat(file).then(() => true, () => false);
}
