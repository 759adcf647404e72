/**
 * Connecting from an MCP client of `serve --http`: a user whose call needs an OAuth connection
 * they have not made gets, in `CREDENTIAL_MISSING`, a link to this gateway (`/connect?ticket=…`)
 * that the client shows. Opening it starts the authorization for that user and connection
 * (the ticket is single-use, bound to both, and expires after 10 minutes); the authorization
 * server sends the browser back to `/oauth/callback`, where the gateway exchanges the code and
 * stores the tokens. Tokens never pass through the MCP client or the model.
 *
 * These routes carry no bearer token (a browser opens them): the ticket, or the OAuth `state`,
 * is what authenticates them.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Config } from "../config/schema.js";
import { type ConnectionSpec, perUserSources } from "../credentials/connection-spec.js";
import { beginOAuthCode } from "../credentials/oauth-code-flow.js";
import { type PendingAuthorization, beginMcpOAuth } from "../credentials/oauth-connect.js";
import type { ConnectionRef, UserCredentials } from "../credentials/user-credentials.js";

/** How long a link and an authorization in progress stay valid. */
const TTL_MS = 10 * 60_000;
/** Links and authorizations in progress kept at once (the oldest are dropped beyond it). */
const MAX_PENDING = 1000;

/** Paths the routes answer. */
export const CONNECT_PATH = "/connect";
export const CALLBACK_PATH = "/oauth/callback";

interface Ticket {
  user: string;
  spec: ConnectionSpec;
  expires: number;
}

/** Keeps at most {@link MAX_PENDING} entries, dropping expired and then the oldest ones. */
function bounded<T extends { expires: number }>(map: Map<string, T>, key: string, value: T): void {
  const now = Date.now();
  for (const [k, v] of map) if (v.expires < now) map.delete(k);
  while (map.size >= MAX_PENDING) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
  map.set(key, value);
}

function page(res: ServerResponse, status: number, text: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>toolcode</title><p>${text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`;
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" }).end(body);
}

/** The gateway's connect links and OAuth callback. */
export class ConnectRoutes {
  readonly #specs: Map<string, ConnectionSpec>;
  readonly #tickets = new Map<string, Ticket>();
  readonly #pending = new Map<string, { finish: PendingAuthorization["finish"]; spec: ConnectionSpec; user: string; expires: number }>();

  /** @param base The gateway's own origin as clients reach it (`http://127.0.0.1:3333`). */
  constructor(
    config: Config,
    private readonly credentials: UserCredentials,
    private readonly base: string,
  ) {
    this.#specs = new Map(perUserSources(config).filter((spec) => spec.oauth !== undefined || spec.oauthCode !== undefined).map((spec) => [spec.source, spec]));
  }

  /** Whether any source can be connected through the gateway. */
  get active(): boolean {
    return this.#specs.size > 0;
  }

  /** A single-use link for `user` to connect `ref` (OAuth sources only). */
  link(ref: ConnectionRef, user: string): string | undefined {
    const spec = this.#specs.get(ref.source);
    if (spec === undefined) return undefined;
    const ticket = randomBytes(24).toString("base64url");
    bounded(this.#tickets, ticket, { user, spec, expires: Date.now() + TTL_MS });
    return `${this.base}${CONNECT_PATH}?ticket=${ticket}`;
  }

  /** True for the paths these routes answer. */
  matches(pathname: string): boolean {
    return pathname === CONNECT_PATH || pathname === CALLBACK_PATH;
  }

  /** Answers `/connect` (redirects to the authorization server) and `/oauth/callback`. */
  async handle(url: URL, res: ServerResponse): Promise<void> {
    if (url.pathname === CONNECT_PATH) {
      const id = url.searchParams.get("ticket") ?? "";
      const ticket = this.#tickets.get(id);
      this.#tickets.delete(id);
      if (ticket === undefined || ticket.expires < Date.now()) {
        page(res, 410, "This connect link is unknown, used or expired. Run the script again to get a new one, or run toolcode connect.");
        return;
      }
      const { spec, user } = ticket;
      const key = { user, connection: spec.connection };
      const redirectUrl = `${this.base}${CALLBACK_PATH}`;
      let pending: PendingAuthorization;
      try {
        pending =
          spec.oauthCode !== undefined
            ? await beginOAuthCode({ store: this.credentials.store, key, endpoints: spec.oauthCode, redirectUri: redirectUrl })
            : await beginMcpOAuth({ store: this.credentials.store, key, serverUrl: spec.oauth?.serverUrl ?? "", client: spec.oauth?.client ?? {}, redirectUrl });
      } catch (error) {
        page(res, 502, error instanceof Error ? error.message : String(error));
        return;
      }
      if (pending.authorizationUrl === undefined || pending.state === undefined) {
        page(res, 200, `${spec.source} is connected for ${user}. You can close this tab.`);
        return;
      }
      bounded(this.#pending, pending.state, { finish: pending.finish, spec, user, expires: Date.now() + TTL_MS });
      res.writeHead(302, { location: pending.authorizationUrl.href, "cache-control": "no-store", "referrer-policy": "no-referrer" }).end();
      return;
    }
    const state = url.searchParams.get("state") ?? "";
    const found = this.#pending.get(state);
    this.#pending.delete(state);
    if (found === undefined || found.expires < Date.now()) {
      page(res, 410, "This authorization is unknown or expired. Open a new connect link.");
      return;
    }
    const error = url.searchParams.get("error");
    const code = url.searchParams.get("code");
    try {
      await found.finish({ state, ...(code !== null ? { code } : {}), ...(error !== null ? { error: `${error}${url.searchParams.get("error_description") ? `: ${url.searchParams.get("error_description")}` : ""}` } : {}) });
    } catch (failure) {
      page(res, 400, failure instanceof Error ? failure.message : String(failure));
      return;
    }
    page(res, 200, `${found.spec.source} is connected for ${found.user}. You can close this tab and run the script again.`);
  }
}
