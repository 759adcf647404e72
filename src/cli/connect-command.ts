/**
 * `toolcode connect <source>`, `toolcode disconnect <source>` and `toolcode connections`: store,
 * rotate, revoke and list each user's own credentials for the sources whose config reads them
 * (`${user.NAME}`). Values are read from the terminal (not echoed), from stdin, or from
 * environment variables (`--from-env NAME=VAR`), never from the command line (where `ps` shows
 * them), and are never printed.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Command, type Option } from "commander";
import { loadConfig } from "../config/load-config.js";
import type { Config } from "../config/schema.js";
import { connectionSpec, type ConnectionSpec } from "../credentials/connection-spec.js";
import { withValues, type CredentialStore } from "../credentials/credential-store.js";
import { connectOAuthCode } from "../credentials/oauth-code-flow.js";
import { connectOAuth, revokeOAuth } from "../credentials/oauth-connect.js";
import { openCredentialStore } from "../credentials/open-store.js";
import { defaultCredentialUser } from "../credentials/user-credentials.js";
import { ToolcodeError } from "../errors.js";

interface ConnectOptions {
  config?: string;
  user?: string;
  fromEnv?: string[];
  json?: boolean;
  /** `--no-browser` sets it false. */
  browser?: boolean;
}

/** Opens `url` in the desktop's browser when there is one; best effort, silent on failure. */
function openBrowser(url: string): void {
  const command = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // no browser: the URL is printed
  }
}

/** The config, its store and the user the command acts for. */
function context(options: ConnectOptions): { config: Config; store: CredentialStore; user: string; baseDir: string } {
  const loaded = loadConfig(options.config !== undefined ? { path: options.config } : {});
  const config = loaded.config;
  const defaultUser = config.credentials.defaultUser ?? defaultCredentialUser();
  const user = options.user ?? defaultUser;
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(user)) throw new ToolcodeError("USAGE", `--user ${user}: a user name is 1-64 letters, digits, _ . @ -.`);
  const users = Object.keys(config.auth.users);
  if (options.user !== undefined && users.length > 0 && !users.includes(user) && user !== defaultUser) {
    process.stderr.write(`warning: "${user}" is not one of auth.users (${users.join(", ")}); serve --http will never call as this user.\n`);
  }
  return { config, store: openCredentialStore(config.credentials, loaded.baseDir), user, baseDir: loaded.baseDir };
}

/** Reads one line from the terminal without echoing it. */
async function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    input.setRawMode?.(true);
    input.resume();
    input.setEncoding("utf8");
    const done = (error?: Error): void => {
      input.setRawMode?.(false);
      input.pause();
      input.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new ToolcodeError("USAGE", "cancelled"));
        if (char === "\u007f") value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on("data", onData);
  });
}

/** Lines of stdin (not a terminal). */
async function stdinLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: process.stdin })) if (line.trim() !== "") lines.push(line);
  return lines;
}

/**
 * The values to store: `--from-env NAME=VAR` first; then, on a terminal, a hidden prompt per
 * field; otherwise stdin: the value alone when one field is needed, else `NAME=value` lines.
 */
async function readValues(spec: ConnectionSpec, fromEnv: readonly string[]): Promise<Record<string, string>> {
  const names = spec.fields.map((field) => field.name);
  const values: Record<string, string> = {};
  for (const pair of fromEnv) {
    const [name, variable] = pair.split("=", 2);
    if (name === undefined || variable === undefined || !names.includes(name)) throw new ToolcodeError("USAGE", `--from-env ${pair}: write NAME=VAR with NAME one of ${names.join(", ")}.`);
    const value = process.env[variable];
    if (value === undefined || value === "") throw new ToolcodeError("USAGE", `--from-env ${pair}: the environment variable ${variable} is not set.`);
    values[name] = value;
  }
  const missing = names.filter((name) => !Object.hasOwn(values, name));
  if (missing.length === 0) return values;
  if (process.stdin.isTTY) {
    for (const name of missing) {
      const value = (await askHidden(`${name} for ${spec.source}: `)).trim();
      if (value !== "") values[name] = value;
    }
  } else {
    const lines = await stdinLines();
    if (missing.length === 1 && lines.length === 1 && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(lines[0] as string)) {
      values[missing[0] as string] = (lines[0] as string).trim();
    } else {
      for (const line of lines) {
        const at = line.indexOf("=");
        const name = line.slice(0, at).trim();
        if (at <= 0 || !missing.includes(name)) throw new ToolcodeError("USAGE", `stdin: expected NAME=value lines with NAME one of ${missing.join(", ")}.`);
        values[name] = line.slice(at + 1).trim();
      }
    }
  }
  const still = spec.fields.filter((field) => !Object.hasOwn(values, field.name) && field.fallback === undefined).map((field) => field.name);
  if (still.length > 0) {
    throw new ToolcodeError("USAGE", `${spec.source} needs ${still.join(", ")}: type ${still.length === 1 ? "it" : "them"} when asked, pipe ${still.length === 1 ? "the value" : "NAME=value lines"} to stdin, or pass --from-env NAME=VAR.`, { fields: still });
  }
  return values;
}

const userOption = (what: string): [string, string] => ["-u, --user <user>", `the user whose credential to ${what} (default: credentials.defaultUser, else the OS user; operators name an auth.users user)`];
const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Builds `connect`, `disconnect` and `connections`. */
export function connectCommands(configOption: () => Option): Command[] {
  const connect = new Command("connect")
    .description("store (or rotate) a user's own credential for a source whose config reads ${user.NAME} (values asked for on the terminal, read from stdin, or taken from --from-env), or authorize a remote MCP server with oauth (prints the authorization URL, receives the callback on 127.0.0.1)")
    .argument("<source>", "the source's config key")
    .addOption(configOption())
    .option(...userOption("store"))
    .option("--from-env <NAME=VAR>", "take the value of NAME from the environment variable VAR (repeatable)", repeatable)
    .option("--no-browser", "OAuth: only print the authorization URL (a browser is opened on a desktop terminal otherwise)")
    .action(async (source: string, options: ConnectOptions) => {
      const { config, store, user } = context(options);
      const spec = connectionSpec(config, source);
      const key = { user, connection: spec.connection };
      const had = await store.get(key);
      const stored: string[] = [];
      if (spec.fields.length > 0) {
        const values = await readValues(spec, options.fromEnv ?? []);
        await store.update(key, (current) => withValues(current, values));
        stored.push(...Object.keys(values));
      }
      const onAuthorizationUrl = (url: URL): void => {
        process.stderr.write(`Open this URL to authorize ${source} for user ${user}:\n${url.href}\n`);
        if (options.browser !== false && process.stderr.isTTY) openBrowser(url.href);
      };
      if (spec.oauthCode !== undefined) {
        await connectOAuthCode({ store, key, endpoints: spec.oauthCode, port: config.credentials.callbackPort, onAuthorizationUrl });
        stored.push("OAuth tokens");
      }
      if (spec.oauth !== undefined) {
        await connectOAuth({
          store,
          key,
          serverUrl: spec.oauth.serverUrl,
          client: spec.oauth.client,
          port: config.credentials.callbackPort,
          onAuthorizationUrl,
        });
        stored.push("OAuth tokens");
      }
      process.stderr.write(`${had ? "rotated" : "connected"} ${source} for user ${user} (connection ${spec.connection}, ${stored.join(", ")}; store: ${store.kind}).\n`);
    });
  const disconnect = new Command("disconnect")
    .description("remove a user's credential for a source (revocation): that user's next call fails with CREDENTIAL_MISSING and their open connection is closed")
    .argument("<source>", "the source's config key")
    .addOption(configOption())
    .option(...userOption("remove"))
    .action(async (source: string, options: ConnectOptions) => {
      const { config, store, user } = context(options);
      const spec = connectionSpec(config, source);
      const key = { user, connection: spec.connection };
      const current = await store.get(key);
      const client = spec.oauth?.client ?? (spec.oauthCode !== undefined ? { clientId: spec.oauthCode.clientId, clientSecret: spec.oauthCode.clientSecret } : undefined);
      const revoked = client !== undefined && current?.oauth?.tokens !== undefined ? ` (${await revokeOAuth(current.oauth, client)})` : "";
      const removed = await store.delete(key);
      process.stderr.write(removed ? `disconnected ${source} for user ${user}${revoked}.\n` : `user ${user} had no credential for ${source}; nothing to remove.\n`);
    });
  const connections = new Command("connections")
    .description("list which users have connected which sources (never the values)")
    .addOption(configOption())
    .option("-u, --user <user>", "only this user's connections")
    .option("--json", "print [{ user, connection, fields, updatedAt }]")
    .action(async (options: ConnectOptions) => {
      const { store } = context({ ...options, user: options.user ?? "local" });
      const keys = await store.list(options.user);
      const rows = await Promise.all(keys.map(async (key) => ({ ...key, fields: Object.keys((await store.get(key))?.values ?? {}), updatedAt: (await store.get(key))?.updatedAt ?? null })));
      if (options.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else for (const row of rows) process.stdout.write(`${row.user}\t${row.connection}\t${row.fields.join(",")}\t${row.updatedAt ?? ""}\n`);
    });
  return [connect, disconnect, connections];
}
