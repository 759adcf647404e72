/**
 * `toolcode connect` for an OAuth connection: the authorization-code flow with PKCE (and dynamic
 * client registration when no client is configured) through the MCP SDK's `auth()`, receiving
 * the callback on a loopback port; and `toolcode disconnect`'s token revocation (RFC 7009).
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { ToolcodeError } from "../errors.js";
import type { CredentialKey, CredentialStore, OAuthState } from "./credential-store.js";
import { type OAuthClientSettings, StoreOAuthProvider } from "./store-oauth-provider.js";

/** How long `connect` waits for the browser to come back. */
export const DEFAULT_AUTHORIZATION_TIMEOUT_MS = 5 * 60_000;

/** Options for {@link connectOAuth}. */
export interface ConnectOAuthOptions {
  store: CredentialStore;
  key: CredentialKey;
  /** The MCP server's URL (its protected-resource metadata names the authorization server). */
  serverUrl: string;
  client: OAuthClientSettings;
  /** Loopback port of the callback (0: any free port). */
  port: number;
  /** Told the URL the user must open (print it, open a browser). */
  onAuthorizationUrl: (url: URL) => void;
  timeoutMs?: number;
}

/** What came back to the callback. */
export interface Callback {
  code?: string;
  state?: string;
  error?: string;
}

const PAGE = (text: string): string => `<!doctype html><meta charset="utf-8"><title>toolcode</title><p>${text}</p>`;

/** Listens on 127.0.0.1 for one `/callback` request; `close()` stops listening. */
export async function listenForCallback(port: number): Promise<{ url: string; callback: Promise<Callback>; close: () => void }> {
  const { server, url, callback } = await listen(port);
  return {
    url,
    callback,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

async function listen(port: number): Promise<{ server: Server; url: string; callback: Promise<Callback> }> {
  let deliver: (callback: Callback) => void = () => {};
  const callback = new Promise<Callback>((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    const error = url.searchParams.get("error");
    const answer: Callback = {};
    const code = url.searchParams.get("code");
    const state = url.searchParams.get("state");
    if (code !== null) answer.code = code;
    if (state !== null) answer.state = state;
    if (error !== null) answer.error = `${error}${url.searchParams.get("error_description") ? `: ${url.searchParams.get("error_description")}` : ""}`;
    res.writeHead(error === null ? 200 : 400, { "content-type": "text/html; charset=utf-8" });
    res.end(PAGE(error === null ? "toolcode is connected. You can close this tab." : "The authorization failed; see the terminal."));
    deliver(answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${address.port}/callback`, callback };
}

/** An authorization started: where to send the user, and how to finish when the callback comes. */
export interface PendingAuthorization {
  /** The URL the user opens (undefined: nothing to do, the stored grant was renewed). */
  authorizationUrl: URL | undefined;
  /** The `state` the callback must carry. */
  state: string | undefined;
  /** Exchanges the callback's code and stores the tokens as a new grant. */
  finish(answer: Callback): Promise<void>;
}

/** Options for {@link beginMcpOAuth}. */
export interface BeginMcpOAuthOptions {
  store: CredentialStore;
  key: CredentialKey;
  serverUrl: string;
  client: OAuthClientSettings;
  /** Where the callback arrives (`toolcode connect`'s loopback listener, or the gateway's `/oauth/callback`). */
  redirectUrl: string;
}

/**
 * Starts the MCP authorization for `key.user` (discovery, dynamic registration when no client is
 * configured, PKCE) through the SDK's `auth()`.
 */
export async function beginMcpOAuth(options: BeginMcpOAuthOptions): Promise<PendingAuthorization> {
  const { store, key, serverUrl, client, redirectUrl } = options;
  const current = await store.get(key);
  const initial: OAuthState = { ...(current?.oauth ?? {}) };
  delete initial.tokens; // a new grant, not a refresh of the old one
  // A registration made for another redirect URI (another port) cannot be reused.
  const registered = initial.client?.redirect_uris;
  if (initial.client !== undefined && !(Array.isArray(registered) && registered.includes(redirectUrl))) delete initial.client;
  await store.update(key, (entry) => ({ values: entry?.values ?? {}, oauth: { ...(entry?.oauth?.grant !== undefined ? { grant: entry.oauth.grant } : {}), ...initial }, updatedAt: entry?.updatedAt ?? new Date().toISOString() }));
  const provider = new StoreOAuthProvider({ store, key, initial, redirectUrl, client, connecting: true });
  const scope = client.scopes?.join(" ");
  const first = await auth(provider, { serverUrl, ...(scope !== undefined ? { scope } : {}) }).catch((error: unknown) => {
    throw failed(`could not start the authorization with ${serverUrl}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const finish = async (answer: Callback): Promise<void> => {
    if (answer.error !== undefined) throw failed(`the authorization server refused: ${answer.error}`);
    if (answer.code === undefined || answer.state === undefined || answer.state !== provider.expectedState) throw failed("the callback's state does not match this authorization (another tab or an attack); run toolcode connect again");
    const second = await auth(provider, { serverUrl, authorizationCode: answer.code, ...(scope !== undefined ? { scope } : {}) }).catch((error: unknown) => {
      throw failed(`exchanging the authorization code failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (second !== "AUTHORIZED") throw failed("the authorization server did not issue tokens");
    await provider.markGrant();
  };
  if (first !== "REDIRECT") {
    await provider.markGrant();
    return { authorizationUrl: undefined, state: undefined, finish: async () => {} };
  }
  return { authorizationUrl: provider.authorizationUrl, state: provider.expectedState, finish };
}

/** Waits for the browser's callback on `listener`, at most `timeoutMs`. */
export async function awaitCallback(callback: Promise<Callback>, timeoutMs = DEFAULT_AUTHORIZATION_TIMEOUT_MS): Promise<Callback> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      callback,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(failed(`no answer from the browser within ${Math.round(timeoutMs / 1000)} s; run toolcode connect again`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Authorizes `key.user` at the server's authorization server with the callback on a loopback
 * port, and stores the tokens as a new grant (open gateway connections built on an older one are
 * replaced on their next call). Throws `OAUTH_FAILED` when the user refuses, the state does not
 * match, or time runs out.
 */
export async function connectOAuth(options: ConnectOAuthOptions): Promise<void> {
  const listener = await listenForCallback(options.port);
  try {
    const pending = await beginMcpOAuth({ ...options, redirectUrl: listener.url });
    if (pending.authorizationUrl === undefined) return;
    options.onAuthorizationUrl(pending.authorizationUrl);
    await pending.finish(await awaitCallback(listener.callback, options.timeoutMs));
  } finally {
    listener.close();
  }
}

/**
 * Revokes the stored tokens at the authorization server (RFC 7009), when it has a revocation
 * endpoint. Returns what happened, for the operator; never throws (the local credential is
 * removed either way).
 */
export async function revokeOAuth(state: OAuthState | undefined, client: OAuthClientSettings): Promise<string> {
  const metadata = (state?.discovery?.authorizationServerMetadata ?? {}) as Record<string, unknown>;
  const endpoint = metadata.revocation_endpoint;
  const tokens = state?.tokens ?? {};
  if (typeof endpoint !== "string") return "the authorization server has no revocation endpoint; its tokens expire on their own";
  const registered = (state?.client ?? {}) as Record<string, unknown>;
  const clientId = client.clientId ?? (typeof registered.client_id === "string" ? registered.client_id : undefined);
  const clientSecret = client.clientSecret ?? (typeof registered.client_secret === "string" ? registered.client_secret : undefined);
  const revoked: string[] = [];
  for (const [hint, token] of [["refresh_token", tokens.refresh_token], ["access_token", tokens.access_token]] as const) {
    if (typeof token !== "string") continue;
    const form = new URLSearchParams({ token, token_type_hint: hint });
    if (clientId !== undefined) form.set("client_id", clientId);
    if (clientSecret !== undefined) form.set("client_secret", clientSecret);
    try {
      const response = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form, signal: AbortSignal.timeout(10_000), redirect: "error" });
      await response.body?.cancel();
      if (response.ok) revoked.push(hint);
      else return `the revocation endpoint answered HTTP ${response.status}`;
    } catch (error) {
      return `the revocation request failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return revoked.length > 0 ? `revoked the ${revoked.join(" and ")} at ${new URL(endpoint).origin}` : "no token to revoke";
}

function failed(why: string): ToolcodeError {
  return new ToolcodeError("OAUTH_FAILED", `The OAuth authorization failed: ${why}.`);
}
