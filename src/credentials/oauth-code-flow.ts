/**
 * OAuth 2.0 authorization-code flow per user for an OpenAPI source (`auth.type: "oauth2"`,
 * `flow: "authorizationCode"`), with the MCP SDK's OAuth client functions over the configured
 * endpoints: `toolcode connect` (PKCE, `state`, loopback callback) and the gateway's access
 * tokens, refreshed on the host with the user's refresh token.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { exchangeAuthorization, refreshAuthorization, startAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import type { AuthorizationServerMetadata, OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { ToolcodeError } from "../errors.js";
import type { CredentialKey, CredentialStore, OAuthState } from "./credential-store.js";
import { type Callback, type PendingAuthorization, awaitCallback, listenForCallback } from "./oauth-connect.js";

/** Renew tokens this long before `expires_in` says they expire. */
const EXPIRY_MARGIN_MS = 30_000;

/** The configured endpoints and client of an authorization-code source. */
export interface OAuthCodeEndpoints {
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl?: string | undefined;
  clientId: string;
  clientSecret?: string | undefined;
  scopes?: string[] | undefined;
  clientAuth?: "basic" | "body" | undefined;
}

/** The endpoints as authorization-server metadata (what the SDK's functions take). */
export function endpointMetadata(endpoints: OAuthCodeEndpoints): AuthorizationServerMetadata {
  const method = endpoints.clientSecret === undefined ? "none" : endpoints.clientAuth === "body" ? "client_secret_post" : "client_secret_basic";
  return {
    issuer: new URL(endpoints.tokenUrl).origin,
    authorization_endpoint: endpoints.authorizationUrl,
    token_endpoint: endpoints.tokenUrl,
    ...(endpoints.revocationUrl !== undefined ? { revocation_endpoint: endpoints.revocationUrl } : {}),
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: [method],
  };
}

function clientInformation(endpoints: OAuthCodeEndpoints): OAuthClientInformationMixed {
  return { client_id: endpoints.clientId, ...(endpoints.clientSecret !== undefined ? { client_secret: endpoints.clientSecret } : {}) };
}

/** Options for {@link connectOAuthCode}. */
export interface ConnectOAuthCodeOptions {
  store: CredentialStore;
  key: CredentialKey;
  endpoints: OAuthCodeEndpoints;
  /** Loopback port of the callback (0: any free port; the client must accept that redirect URI). */
  port: number;
  onAuthorizationUrl: (url: URL) => void;
  timeoutMs?: number;
}

/** Starts the authorization for `key.user` with the callback at `redirectUri`. */
export async function beginOAuthCode(options: { store: CredentialStore; key: CredentialKey; endpoints: OAuthCodeEndpoints; redirectUri: string }): Promise<PendingAuthorization> {
  const { store, key, endpoints, redirectUri } = options;
  const metadata = endpointMetadata(endpoints);
  const client = clientInformation(endpoints);
  const state = randomBytes(16).toString("base64url");
  const { authorizationUrl, codeVerifier } = await startAuthorization(endpoints.authorizationUrl, {
    metadata,
    clientInformation: client,
    redirectUrl: redirectUri,
    state,
    ...(endpoints.scopes !== undefined ? { scope: endpoints.scopes.join(" ") } : {}),
  });
  const finish = async (answer: Callback): Promise<void> => {
    if (answer.error !== undefined) throw failed(`the authorization server refused: ${answer.error}`);
    if (answer.code === undefined || answer.state !== state) throw failed("the callback's state does not match this authorization (another tab or an attack); run toolcode connect again");
    const tokens = await exchangeAuthorization(endpoints.tokenUrl, { metadata, clientInformation: client, authorizationCode: answer.code, codeVerifier, redirectUri }).catch((error: unknown) => {
      throw failed(`exchanging the authorization code at ${endpoints.tokenUrl} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    const oauth: OAuthState = { tokens: { ...tokens, obtained_at: Date.now() }, discovery: { authorizationServerMetadata: metadata }, grant: randomBytes(8).toString("hex") };
    await store.update(key, (current) => ({ values: current?.values ?? {}, oauth, updatedAt: new Date().toISOString() }));
  };
  return { authorizationUrl, state, finish };
}

/** Runs the authorization for `key.user` with a loopback callback and stores the tokens as a new grant. Throws `OAUTH_FAILED`. */
export async function connectOAuthCode(options: ConnectOAuthCodeOptions): Promise<void> {
  const listener = await listenForCallback(options.port);
  try {
    const pending = await beginOAuthCode({ ...options, redirectUri: listener.url });
    if (pending.authorizationUrl !== undefined) options.onAuthorizationUrl(pending.authorizationUrl);
    await pending.finish(await awaitCallback(listener.callback, options.timeoutMs));
  } finally {
    listener.close();
  }
}

/** Options for {@link UserAccessTokens}. */
export interface UserAccessTokensOptions {
  store: CredentialStore;
  key: CredentialKey;
  endpoints: OAuthCodeEndpoints;
  /** The stored state this connection starts from (its `grant` decides whether refreshes are saved). */
  initial: OAuthState;
  /** Hears every access token as it arrives (to redact it). */
  onToken?: (token: string) => void;
  /** The error when the user must authorize again (no refresh token, or the server refused it). */
  expired: () => ToolcodeError;
}

/**
 * One user's access token for one connection: the stored one while it is valid, else refreshed
 * (one refresh at a time; concurrent calls share it), saved back while the stored entry is still
 * the same grant (a refresh never resurrects a credential `disconnect` removed).
 */
export class UserAccessTokens {
  #tokens: Record<string, unknown>;
  #invalid = false;
  #refreshing: Promise<string> | undefined;

  constructor(private readonly options: UserAccessTokensOptions) {
    this.#tokens = { ...(options.initial.tokens ?? {}) };
    if (typeof this.#tokens.access_token === "string") options.onToken?.(this.#tokens.access_token);
  }

  /** A valid access token. */
  async accessToken(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const token = this.#tokens.access_token;
    if (typeof token === "string" && !this.#invalid && !this.#expired()) return token;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** After a 401: the next token is refreshed. */
  invalidate(): void {
    this.#invalid = true;
  }

  #expired(): boolean {
    const obtained = Number(this.#tokens.obtained_at);
    const lifetime = Number(this.#tokens.expires_in);
    if (!Number.isFinite(obtained) || !Number.isFinite(lifetime) || lifetime <= 0) return false;
    return Date.now() > obtained + lifetime * 1000 - EXPIRY_MARGIN_MS;
  }

  async #refresh(): Promise<string> {
    const { endpoints, store, key } = this.options;
    const refreshToken = this.#tokens.refresh_token;
    if (typeof refreshToken !== "string") throw this.options.expired();
    let fresh: OAuthTokens;
    try {
      fresh = await refreshAuthorization(endpoints.tokenUrl, { metadata: endpointMetadata(endpoints), clientInformation: clientInformation(endpoints), refreshToken });
    } catch {
      throw this.options.expired();
    }
    const tokens: Record<string, unknown> = { ...fresh, refresh_token: fresh.refresh_token ?? refreshToken, obtained_at: Date.now() };
    this.#tokens = tokens;
    this.#invalid = false;
    this.options.onToken?.(fresh.access_token);
    const grant = this.options.initial.grant;
    await store.update(key, (current) => (current?.oauth === undefined || current.oauth.grant !== grant ? current : { ...current, oauth: { ...current.oauth, tokens } }));
    return fresh.access_token;
  }
}

function failed(why: string): ToolcodeError {
  return new ToolcodeError("OAUTH_FAILED", `The OAuth authorization failed: ${why}.`);
}
