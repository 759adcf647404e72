/**
 * A real OAuth-protected remote MCP server on 127.0.0.1 for tests, built with the MCP SDK's own
 * server auth helpers: `mcpAuthRouter` (authorization-server metadata, protected-resource
 * metadata, dynamic client registration, authorize with PKCE, token, revocation) over an
 * in-memory `OAuthServerProvider`, and a streamable HTTP MCP server behind `requireBearerAuth`
 * whose `whoami` tool answers with the login the token was issued to.
 *
 * The "browser" is the test: `authorize` logs in the user named by the request's `x-login`
 * header. `expireAccessTokens()` makes every access token invalid (as if its time had run out),
 * so the next call must refresh.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthRegisteredClientsStore } from "@modelcontextprotocol/sdk/server/auth/clients.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { AuthorizationParams, OAuthServerProvider } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import { getOAuthProtectedResourceMetadataUrl, mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

interface Grant {
  clientId: string;
  login: string;
}

/** The in-memory authorization server. */
export class TestOAuthProvider implements OAuthServerProvider {
  readonly clients = new Map<string, OAuthClientInformationFull>();
  readonly codes = new Map<string, Grant & { params: AuthorizationParams }>();
  readonly access = new Map<string, Grant>();
  readonly refresh = new Map<string, Grant>();
  /** Counts, for assertions. */
  readonly stats = { registrations: 0, codeExchanges: 0, refreshes: 0, revocations: 0 };

  get clientsStore(): OAuthRegisteredClientsStore {
    return {
      getClient: async (id) => this.clients.get(id),
      registerClient: async (client) => {
        const full = { ...client, client_id: randomUUID(), client_id_issued_at: Math.floor(Date.now() / 1000) } as OAuthClientInformationFull;
        this.clients.set(full.client_id, full);
        this.stats.registrations += 1;
        return full;
      },
    };
  }

  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Parameters<OAuthServerProvider["authorize"]>[2]): Promise<void> {
    const header = (res as unknown as { req: { headers: Record<string, string | undefined> } }).req.headers["x-login"];
    const target = new URL(params.redirectUri);
    if (header === undefined) {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_description", "the user did not log in");
    } else {
      const code = randomUUID();
      this.codes.set(code, { clientId: client.client_id, login: header, params });
      target.searchParams.set("code", code);
    }
    if (params.state !== undefined) target.searchParams.set("state", params.state);
    res.redirect(target.href);
  }

  async challengeForAuthorizationCode(_client: OAuthClientInformationFull, code: string): Promise<string> {
    const found = this.codes.get(code);
    if (found === undefined) throw new Error("unknown code");
    return found.params.codeChallenge;
  }

  async exchangeAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<OAuthTokens> {
    const found = this.codes.get(code);
    if (found === undefined || found.clientId !== client.client_id) throw new Error("invalid code");
    this.codes.delete(code);
    this.stats.codeExchanges += 1;
    const refresh = `rt-${found.login}-${randomUUID()}`;
    this.refresh.set(refresh, { clientId: client.client_id, login: found.login });
    return { ...this.#issue(client.client_id, found.login), refresh_token: refresh };
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string): Promise<OAuthTokens> {
    const found = this.refresh.get(refreshToken);
    if (found === undefined || found.clientId !== client.client_id) {
      const { InvalidGrantError } = await import("@modelcontextprotocol/sdk/server/auth/errors.js");
      throw new InvalidGrantError("refresh token revoked or unknown");
    }
    this.stats.refreshes += 1;
    return { ...this.#issue(client.client_id, found.login), refresh_token: refreshToken };
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const found = this.access.get(token);
    if (found === undefined) {
      const { InvalidTokenError } = await import("@modelcontextprotocol/sdk/server/auth/errors.js");
      throw new InvalidTokenError("invalid or expired token");
    }
    return { token, clientId: found.clientId, scopes: ["mcp:tools"], expiresAt: Math.floor(Date.now() / 1000) + 3600, extra: { login: found.login } };
  }

  async revokeToken(_client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    this.stats.revocations += 1;
    this.access.delete(request.token);
    this.refresh.delete(request.token);
  }

  /** Every access token stops working (as if expired): the next call must refresh. */
  expireAccessTokens(): void {
    this.access.clear();
  }

  #issue(clientId: string, login: string): OAuthTokens {
    const token = `at-${login}-${randomUUID()}`;
    this.access.set(token, { clientId, login });
    return { access_token: token, token_type: "bearer", expires_in: 3600, scope: "mcp:tools" };
  }
}

/** A running OAuth-protected MCP server. */
export interface OAuthMcpServer {
  /** The MCP endpoint (`…/mcp`). */
  url: string;
  provider: TestOAuthProvider;
  /** Access tokens the MCP endpoint accepted, in order. */
  seenTokens: string[];
  close(): Promise<void>;
}

/** Starts the authorization server and the MCP server on one 127.0.0.1 port. */
export async function startOAuthMcpServer(): Promise<OAuthMcpServer> {
  const provider = new TestOAuthProvider();
  const app = createMcpExpressApp();
  let server: Server | undefined;
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server?.address() as AddressInfo).port;
  const base = new URL(`http://127.0.0.1:${port}`);
  const mcpUrl = new URL("/mcp", base);
  const seenTokens: string[] = [];
  app.use(mcpAuthRouter({ provider, issuerUrl: base, resourceServerUrl: mcpUrl, scopesSupported: ["mcp:tools"], authorizationOptions: { rateLimit: false }, tokenOptions: { rateLimit: false }, clientRegistrationOptions: { rateLimit: false }, revocationOptions: { rateLimit: false } }));
  const bearer = requireBearerAuth({ verifier: provider, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl) });
  app.all("/mcp", bearer, async (req: { auth?: AuthInfo; body?: unknown }, res: unknown) => {
    if (req.auth !== undefined) seenTokens.push(req.auth.token);
    const mcp = new McpServer({ name: "oauth-test", version: "1.0.0" });
    mcp.registerTool("whoami", { description: "The login the access token was issued to.", annotations: { readOnlyHint: true } }, async (extra) => ({
      content: [{ type: "text", text: JSON.stringify({ login: extra.authInfo?.extra?.login ?? null }) }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await mcp.connect(transport);
    await transport.handleRequest(req as never, res as never, req.body);
  });
  return {
    url: mcpUrl.href,
    provider,
    seenTokens,
    close: async () => {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
  };
}
