/**
 * Host-side credentials for an OpenAPI source: applied to each outgoing request, never part of a
 * tool's input, spec, error or result. OAuth 2.0 client-credentials tokens are fetched on first
 * use, shared by concurrent calls, cached until shortly before they expire, and dropped when the
 * API answers 401.
 *
 * @module
 */
import type { OpenApiAuthConfig } from "../../config/openapi-schema.js";
import { SourceError } from "../../errors.js";
import { describeNetworkFailure } from "../network-errors.js";
import { apiMessage, excerpt } from "./http-error.js";
import type { Redactor } from "./redactor.js";

/** Renew tokens this long before `expires_in` says they expire. */
const EXPIRY_MARGIN_MS = 30_000;
/** How long a token without `expires_in` is used before it is fetched again (a 401 drops it sooner). */
const DEFAULT_TOKEN_LIFETIME_MS = 3_600_000;

/** The values of an auth config that must never be shown. */
export function authSecrets(auth: OpenApiAuthConfig | undefined): string[] {
  if (auth === undefined) return [];
  switch (auth.type) {
    case "bearer":
      return [auth.token];
    case "apiKey":
      return [auth.value];
    case "basic":
      return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString("base64")];
    case "oauth2":
      return auth.clientSecret === undefined ? [] : [auth.clientSecret, Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`).toString("base64")];
  }
}

/** Lower-case names of the headers auth sets (the guest may not set them itself). */
export function authHeaderNames(auth: OpenApiAuthConfig | undefined): string[] {
  if (auth === undefined) return [];
  if (auth.type === "apiKey") return auth.in === "header" ? [auth.name.toLowerCase()] : [];
  return ["authorization"];
}

/** Options for {@link AuthProvider}. */
export interface AuthProviderOptions {
  /** Config key of the source (for messages: `openapi.<name>.auth`). */
  source: string;
  auth: OpenApiAuthConfig | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
  /** Learns each OAuth access token as it arrives. */
  redactor: Redactor;
  /**
   * The calling user's OAuth access token (the authorization-code flow), instead of a token this
   * provider fetches: sent as a bearer token, invalidated after a 401 so the next one is fresh.
   */
  tokenSource?: AccessTokenSource;
}

/** Where a per-user OAuth access token comes from (refreshing it when needed). */
export interface AccessTokenSource {
  /** A valid access token (refreshed first when it has expired or was invalidated). */
  accessToken(signal?: AbortSignal): Promise<string>;
  /** The API refused the token (401): the next `accessToken()` refreshes. */
  invalidate(): void;
}

/** Applies the configured credentials to requests. */
export class AuthProvider {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly options: AuthProviderOptions) {}

  /** Whether a 401 may be cured by fetching a new token (OAuth 2.0 only). */
  get refreshable(): boolean {
    return this.options.tokenSource !== undefined || this.options.auth?.type === "oauth2";
  }

  /** Adds the credentials to `headers` (lower-case names) or `url` (API key in query). */
  async apply(headers: Record<string, string>, url: URL, signal?: AbortSignal): Promise<void> {
    if (this.options.tokenSource !== undefined) {
      headers.authorization = `Bearer ${await this.options.tokenSource.accessToken(signal)}`;
      return;
    }
    const auth = this.options.auth;
    if (auth === undefined) return;
    switch (auth.type) {
      case "bearer":
        headers.authorization = `Bearer ${auth.token}`;
        return;
      case "basic":
        headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
        return;
      case "apiKey":
        if (auth.in === "header") headers[auth.name.toLowerCase()] = auth.value;
        else url.searchParams.set(auth.name, auth.value);
        return;
      case "oauth2":
        headers.authorization = `Bearer ${await this.accessToken(signal)}`;
        return;
    }
  }

  /** Forgets the cached OAuth token (after a 401). */
  invalidate(): void {
    this.token = undefined;
    this.options.tokenSource?.invalidate();
  }

  private async accessToken(signal?: AbortSignal): Promise<string> {
    if (this.token !== undefined && Date.now() < this.token.expiresAt) return this.token.value;
    // One token request at a time; concurrent calls share it. It is not tied to one caller's signal.
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    if (signal === undefined) return this.pending;
    signal.throwIfAborted();
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending!.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  private async fetchToken(): Promise<string> {
    const auth = this.options.auth;
    if (auth?.type !== "oauth2" || auth.clientSecret === undefined) throw new Error("not an OAuth 2.0 client-credentials source");
    const { source, redactor } = this.options;
    const key = `openapi.${source}.auth`;
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (auth.scopes !== undefined && auth.scopes.length > 0) form.set("scope", auth.scopes.join(" "));
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (auth.clientAuth === "body") {
      form.set("client_id", auth.clientId);
      form.set("client_secret", auth.clientSecret);
    } else {
      const basic = `${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
    }
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(auth.tokenUrl, {
        method: "POST",
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: "error",
      });
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${this.options.timeoutMs} ms` : describeNetworkFailure(error);
      throw redactor.error(
        new SourceError(
          "SOURCE_UNAVAILABLE",
          `OpenAPI source "${source}": the OAuth 2.0 token request to ${auth.tokenUrl} failed: ${reason}. Check ${key}.tokenUrl.`,
          { server: source, key: `${key}.tokenUrl` },
        ),
      );
    }
    if (!response.ok) {
      const why = apiMessage(text) ?? excerpt(text, 200);
      throw redactor.error(
        new SourceError(
          "SOURCE_UNAVAILABLE",
          `OpenAPI source "${source}": the OAuth 2.0 token endpoint ${auth.tokenUrl} answered HTTP ${response.status}${why ? `: ${why}` : ""}. Check ${key}.clientId, ${key}.clientSecret and ${key}.scopes.`,
          { server: source, key, status: response.status },
        ),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const value = record.access_token;
    if (typeof value !== "string" || value === "") {
      throw new SourceError(
        "SOURCE_UNAVAILABLE",
        `OpenAPI source "${source}": the OAuth 2.0 token endpoint ${auth.tokenUrl} answered without an access_token. Check ${key}.tokenUrl.`,
        { server: source, key: `${key}.tokenUrl` },
      );
    }
    redactor.add(value);
    const expiresIn = Number(record.expires_in);
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? Math.max(expiresIn * 1000 - EXPIRY_MARGIN_MS, expiresIn * 500) : DEFAULT_TOKEN_LIFETIME_MS;
    this.token = { value, expiresAt: Date.now() + lifetime };
    return value;
  }
}
