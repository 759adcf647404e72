/**
 * The MCP SDK's `OAuthClientProvider` (client/auth.js: discovery, dynamic client registration,
 * PKCE, refresh) backed by the credential store: one provider per user and connection, whose
 * registered client, PKCE verifier, discovery state and tokens are that user's entry.
 *
 * The SDK does the protocol; this class only keeps its state. Tokens are saved exactly as the SDK
 * hands them over (with their `issuer`), with `obtained_at` added, so a refresh made by the
 * gateway is kept for the next process too. When the SDK asks to send the user to the
 * authorization page (no tokens, or a refresh the server refused), the provider records the URL
 * (`authorizationUrl`) and tells `onAuthorizationUrl`: `toolcode connect` prints it and waits for
 * the callback; the gateway turns it into `CREDENTIAL_MISSING`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { OAuthClientProvider, OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { CredentialKey, CredentialStore, OAuthState } from "./credential-store.js";

/** A client registered out of band (config), instead of dynamic registration. */
export interface OAuthClientSettings {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  scopes?: string[] | undefined;
  /** `client_name` sent in dynamic registration (default "toolcode"). */
  clientName?: string | undefined;
}

/** Options for {@link StoreOAuthProvider}. */
export interface StoreOAuthProviderOptions {
  store: CredentialStore;
  key: CredentialKey;
  /** The OAuth state as stored when the provider is made (the provider then keeps it current). */
  initial: OAuthState | undefined;
  /** Where the authorization server sends the browser back (`toolcode connect`'s loopback listener). */
  redirectUrl: string;
  client?: OAuthClientSettings;
  /** Hears the authorization URL the user must open. */
  onAuthorizationUrl?: (url: URL) => void;
  /**
   * True for `toolcode connect` (it creates the entry). Otherwise (a gateway's connection) saves
   * apply only while the stored entry is still the same grant: a refresh never re-creates a
   * credential that `disconnect` removed, nor overwrites a newer `connect`.
   */
  connecting?: boolean;
}

/** One user's OAuth client state for one connection. */
export class StoreOAuthProvider implements OAuthClientProvider {
  /** The last authorization URL the SDK asked to open (undefined: it has not asked). */
  authorizationUrl: URL | undefined;
  #state: OAuthState;

  constructor(private readonly options: StoreOAuthProviderOptions) {
    this.#state = structuredClone(options.initial ?? {});
  }

  /** See OAuthClientProvider. */
  get redirectUrl(): string {
    return this.options.redirectUrl;
  }

  /** See OAuthClientProvider: a public client (PKCE) unless the config gives a secret. */
  get clientMetadata(): OAuthClientMetadata {
    const client = this.options.client ?? {};
    return {
      client_name: client.clientName ?? "toolcode",
      redirect_uris: [this.options.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: client.clientSecret !== undefined ? "client_secret_post" : "none",
      ...(client.scopes !== undefined && client.scopes.length > 0 ? { scope: client.scopes.join(" ") } : {}),
    };
  }

  /** A fresh `state` per authorization, kept to check the callback. */
  async state(): Promise<string> {
    const state = randomBytes(16).toString("base64url");
    await this.#save({ state });
    return state;
  }

  /** The configured client, else the one registered for this user. */
  clientInformation(): OAuthClientInformationMixed | undefined {
    const client = this.options.client;
    if (client?.clientId !== undefined) return { client_id: client.clientId, ...(client.clientSecret !== undefined ? { client_secret: client.clientSecret } : {}) };
    return this.#state.client as OAuthClientInformationMixed | undefined;
  }

  /** Keeps a dynamic registration (RFC 7591). */
  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    await this.#save({ client: { ...info } });
  }

  /** See OAuthClientProvider. */
  tokens(): OAuthTokens | undefined {
    return this.#state.tokens as OAuthTokens | undefined;
  }

  /** Keeps new tokens (after the code exchange or a refresh), with the time they came. */
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.#save({ tokens: { ...tokens, obtained_at: Date.now() } });
  }

  /** Records the URL the user must open; the caller decides what to do with it. */
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
    this.options.onAuthorizationUrl?.(url);
  }

  /** See OAuthClientProvider. */
  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.#save({ codeVerifier });
  }

  /** See OAuthClientProvider. */
  codeVerifier(): string {
    const verifier = this.#state.codeVerifier;
    if (verifier === undefined) throw new Error("no PKCE code verifier saved: start the authorization again (toolcode connect)");
    return verifier;
  }

  /** See OAuthClientProvider. */
  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.#save({ discovery: JSON.parse(JSON.stringify(state)) as Record<string, unknown> });
  }

  /** See OAuthClientProvider. */
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#state.discovery as OAuthDiscoveryState | undefined;
  }

  /** Drops what the SDK says is no longer valid. */
  async invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): Promise<void> {
    const drop: (keyof OAuthState)[] =
      scope === "all" ? ["client", "tokens", "codeVerifier", "discovery"] : scope === "client" ? ["client"] : scope === "tokens" ? ["tokens"] : scope === "verifier" ? ["codeVerifier"] : ["discovery"];
    for (const key of drop) delete this.#state[key];
    const grant = this.options.initial?.grant;
    await this.options.store.update(this.options.key, (current) => {
      if (this.options.connecting !== true && (current === undefined || current.oauth?.grant !== grant)) return current;
      const oauth = { ...(current?.oauth ?? {}) };
      for (const key of drop) delete oauth[key];
      return { values: current?.values ?? {}, oauth, updatedAt: current?.updatedAt ?? new Date().toISOString() };
    });
  }

  /** The `state` of the authorization in progress (to check the callback's). */
  get expectedState(): string | undefined {
    return this.#state.state;
  }

  /** Marks the tokens as a new grant (`toolcode connect`), so open connections built on an older one are replaced. */
  async markGrant(): Promise<void> {
    await this.#save({ grant: randomBytes(8).toString("hex"), codeVerifier: undefined, state: undefined });
  }

  /** Merges `change` into the state, in memory and in the store (atomically). */
  async #save(change: Partial<OAuthState>): Promise<void> {
    const apply = (state: OAuthState): OAuthState => {
      const next: OAuthState = { ...state, ...change };
      for (const [key, value] of Object.entries(change)) if (value === undefined) delete next[key as keyof OAuthState];
      return next;
    };
    this.#state = apply(this.#state);
    // Only OAuth state is written here, and only when it is a real change; `updatedAt` is not
    // touched by refreshes (it marks what the user connected).
    const grant = this.options.initial?.grant;
    await this.options.store.update(this.options.key, (current) => {
      if (this.options.connecting !== true && (current === undefined || current.oauth?.grant !== grant)) return current;
      return { values: current?.values ?? {}, oauth: apply(current?.oauth ?? {}), updatedAt: current?.updatedAt ?? new Date().toISOString() };
    });
  }
}
