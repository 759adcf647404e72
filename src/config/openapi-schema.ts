/**
 * The schema of one `openapi.<name>` entry: an OpenAPI (3.0, 3.1) or Swagger 2.0 API used as a
 * tool source. Secrets (`token`, `value`, `password`, `clientSecret`, header values) arrive through
 * the config loader's `${ENV}` interpolation and stay on the host: the OpenAPI source injects them
 * per request and redacts them from everything it produces.
 *
 * Numeric limits have no zod defaults: the source applies its own (`DEFAULT_TIMEOUT_MS`, …), so
 * a config written without them stays minimal.
 *
 * @module
 */
import { z } from "zod";

const httpUrl = (hint: string) => z.url({ protocol: /^https?$/, error: hint });

/** `Authorization: Bearer <token>` on every request. */
export const bearerAuthSchema = z.strictObject({
  type: z.literal("bearer"),
  token: z.string().min(1, 'a token, e.g. "${GITHUB_TOKEN}"'),
});

/** An API key sent as a header (`X-API-Key: …`) or a query parameter (`?api_key=…`). */
export const apiKeyAuthSchema = z.strictObject({
  type: z.literal("apiKey"),
  in: z.enum(["header", "query"]),
  name: z.string().min(1, 'the header or query parameter name, e.g. "X-API-Key"'),
  value: z.string().min(1, 'the key, e.g. "${API_KEY}"'),
});

/** HTTP Basic authentication. */
export const basicAuthSchema = z.strictObject({
  type: z.literal("basic"),
  username: z.string(),
  password: z.string(),
});

/**
 * OAuth 2.0. `flow: "clientCredentials"` (default): the host fetches an access token from
 * `tokenUrl` with the client's own credentials, caches it until it expires (or the API answers
 * 401) and sends it as a bearer token. `flow: "authorizationCode"`: each user authorizes once
 * (`toolcode connect <source>`: `authorizationUrl` in a browser, PKCE, the callback on 127.0.0.1);
 * the host sends that user's access token and refreshes it at `tokenUrl`.
 */
export const oauth2AuthSchema = z
  .strictObject({
    type: z.literal("oauth2"),
    flow: z.enum(["clientCredentials", "authorizationCode"]).optional(),
    tokenUrl: httpUrl('the token endpoint, an http(s) URL such as "https://auth.example.com/oauth/token"'),
    /** The authorization endpoint (`flow: "authorizationCode"`). */
    authorizationUrl: httpUrl('the authorization endpoint, an http(s) URL such as "https://auth.example.com/oauth/authorize"').optional(),
    /** The token revocation endpoint (RFC 7009), used by `toolcode disconnect` (`flow: "authorizationCode"`). */
    revocationUrl: httpUrl('the revocation endpoint, an http(s) URL such as "https://auth.example.com/oauth/revoke"').optional(),
    clientId: z.string().min(1),
    /** Required for client credentials; optional for the authorization-code flow (a public client uses PKCE only). */
    clientSecret: z.string().min(1).optional(),
    scopes: z.array(z.string().min(1)).optional(),
    /** How the client authenticates to the token endpoint: HTTP Basic (default, RFC 6749 §2.3.1) or form fields. */
    clientAuth: z.enum(["basic", "body"]).optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.flow === "authorizationCode") {
      if (auth.authorizationUrl === undefined) ctx.addIssue({ code: "custom", path: ["authorizationUrl"], message: 'the authorization endpoint is required with flow "authorizationCode"' });
    } else if (auth.clientSecret === undefined) {
      ctx.addIssue({ code: "custom", path: ["clientSecret"], message: 'a client secret is required for the client-credentials flow (or set flow: "authorizationCode")' });
    }
  });

/** `auth` of an OpenAPI source, discriminated on `type`. */
export const openApiAuthSchema = z.discriminatedUnion("type", [bearerAuthSchema, apiKeyAuthSchema, basicAuthSchema, oauth2AuthSchema], {
  error: () => 'auth: { "type": "bearer" | "apiKey" | "basic" | "oauth2", … }',
});

/** One entry of `openapi`: where the spec is, where the API is, and how to authenticate. */
export const openApiSourceSchema = z.strictObject({
  /** Spec file (relative to the config file's directory) or http(s) URL; JSON or YAML. */
  spec: z.string().min(1, 'a spec file path or URL, e.g. "./github.json"'),
  /** API base URL; default: the spec's `servers[0].url` (Swagger 2.0: `schemes`, `host`, `basePath`). */
  baseUrl: httpUrl('an http(s) URL, e.g. "https://api.github.com"').optional(),
  auth: openApiAuthSchema.optional(),
  /** Extra static headers sent with every request (treated as secrets: never shown). */
  headers: z.record(z.string().min(1), z.string()).optional(),
  /** Keep only operations whose tag, path or operationId matches one of these globs (`*`, `?`). */
  include: z.array(z.string().min(1)).optional(),
  /** Drop operations whose tag, path or operationId matches one of these globs; `"request"` drops the generic tool. */
  exclude: z.array(z.string().min(1)).optional(),
  /** Per-attempt request timeout. Default 30 000 ms. */
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  /** Largest response body accepted (bytes, after decompression). Default 10 MB. */
  maxResponseBytes: z.number().int().positive().optional(),
  /** Retries for idempotent requests on network errors, 502, 503, 504 (and for 429). Default 2. */
  retries: z.number().int().min(0).max(10).optional(),
  /** Send each write call's idempotency key as `Idempotency-Key` on non-GET requests (default true); false for APIs that reject the header. */
  idempotencyKeys: z.boolean().optional(),
  /** Validate the spec against the OpenAPI JSON Schema (default true); false loads specs with minor violations. */
  validate: z.boolean().optional(),
  /** The connection `${user.NAME}` placeholders read (default: this source's config key); sources naming the same one share each user's credential. */
  connection: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a connection name: 1-64 letters, digits, _ . -").optional(),
  disabled: z.boolean().optional(),
});

/** The `openapi` section: config key → API. */
export const openApiSectionSchema = z.record(z.string().min(1), openApiSourceSchema);

/** One `openapi.<name>` entry as validated. */
export type OpenApiSourceConfig = z.output<typeof openApiSourceSchema>;
/** The `auth` of an OpenAPI source. */
export type OpenApiAuthConfig = z.output<typeof openApiAuthSchema>;
