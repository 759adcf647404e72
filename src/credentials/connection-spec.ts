/**
 * Which configured sources read each user's own credential, under which connection, and which
 * named values (`${user.NAME}`) they need: what `toolcode connect` asks for and stores.
 *
 * @module
 */
import type { OpenApiSourceConfig } from "../config/openapi-schema.js";
import type { Config, McpServerConfig } from "../config/schema.js";
import type { OAuthCodeEndpoints } from "./oauth-code-flow.js";
import { ToolcodeError } from "../errors.js";
import { type UserField, userFields } from "./placeholders.js";
import type { OAuthClientSettings } from "./store-oauth-provider.js";
import type { ConnectionRef } from "./user-credentials.js";

/** A per-user source as `toolcode connect` sees it. */
export interface ConnectionSpec extends ConnectionRef {
  /** The `${user.NAME}` fields it reads. */
  fields: UserField[];
  /** Set for a remote MCP server with `oauth`: each user authorizes through its authorization server. */
  oauth?: { serverUrl: string; client: OAuthClientSettings };
  /** Set for an OpenAPI source with `auth.flow: "authorizationCode"`. */
  oauthCode?: OAuthCodeEndpoints;
}

/** The endpoints of an OpenAPI source whose `auth` is the OAuth 2.0 authorization-code flow. */
export function openApiOAuthCode(api: OpenApiSourceConfig): OAuthCodeEndpoints | undefined {
  const auth = api.auth;
  if (auth?.type !== "oauth2" || auth.flow !== "authorizationCode" || auth.authorizationUrl === undefined) return undefined;
  return {
    authorizationUrl: auth.authorizationUrl,
    tokenUrl: auth.tokenUrl,
    revocationUrl: auth.revocationUrl,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    scopes: auth.scopes,
    clientAuth: auth.clientAuth,
  };
}

/** The OAuth settings of a remote MCP server, if it has `oauth`. */
export function mcpOAuth(config: McpServerConfig): ConnectionSpec["oauth"] {
  if ("command" in config || config.oauth === undefined) return undefined;
  const client: OAuthClientSettings = config.oauth === true ? {} : { ...config.oauth };
  return { serverUrl: config.url, client };
}

/** The parts of an MCP server's config that may read the calling user's credential. */
export function mcpCredentialParts(config: McpServerConfig): unknown {
  return "command" in config ? { env: config.env } : { headers: config.headers };
}

/** Every source of `config` that reads each user's own credential, in config order. */
export function perUserSources(config: Config): ConnectionSpec[] {
  const specs: ConnectionSpec[] = [];
  for (const [source, server] of Object.entries(config.mcpServers)) {
    const fields = userFields(mcpCredentialParts(server));
    const oauth = mcpOAuth(server);
    if (fields.length > 0 || oauth !== undefined) specs.push({ source, kind: "mcp", connection: server.connection ?? source, fields, ...(oauth !== undefined ? { oauth } : {}) });
  }
  for (const [source, api] of Object.entries(config.openapi)) {
    const fields = userFields({ auth: api.auth, headers: api.headers });
    const oauthCode = openApiOAuthCode(api);
    if (fields.length > 0 || oauthCode !== undefined) specs.push({ source, kind: "openapi", connection: api.connection ?? source, fields, ...(oauthCode !== undefined ? { oauthCode } : {}) });
  }
  return specs;
}

/** The per-user source named `source` (its config key), or a `USAGE` error listing them. */
export function connectionSpec(config: Config, source: string): ConnectionSpec {
  const specs = perUserSources(config);
  const found = specs.find((spec) => spec.source === source);
  if (found !== undefined) return found;
  const configured = Object.hasOwn(config.mcpServers, source) || Object.hasOwn(config.openapi, source);
  const list = specs.length > 0 ? `Sources with per-user credentials: ${specs.map((spec) => spec.source).join(", ")}.` : "No source of this config uses per-user credentials (write ${user.NAME} in a source's auth, headers or env, or give a remote MCP server an oauth key).";
  throw new ToolcodeError(
    "USAGE",
    configured ? `Source "${source}" uses one shared credential from the config, not each user's own, so there is nothing to connect. ${list}` : `No source "${source}" in the config. ${list}`,
    { source, valid: specs.map((spec) => spec.source) },
  );
}
