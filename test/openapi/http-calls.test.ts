/**
 * Calls through an OpenAPI source reach a real HTTP server on 127.0.0.1 with the right method,
 * path, query, headers, body and credentials; failures (HTTP errors, timeouts, retries, 429,
 * HTML, oversized and binary bodies) come back as clear errors; and the credential (a canary
 * value) appears nowhere in what the source produces, only in what the server received.
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { OpenApiSourceConfig } from "../../src/config/openapi-schema.js";
import { ToolcodeError } from "../../src/errors.js";
import { HttpError } from "../../src/sources/openapi/http-error.js";
import { loadOpenApiSource, type OpenApiSource } from "../../src/sources/openapi/openapi-source.js";
import { ROOT } from "./test-paths.js";
import { sendJson, startRecorder, type Recorder } from "./http-recorder.js";

const FIXTURES = path.join(ROOT, "test", "fixtures", "openapi");
const CANARY = "canary-7f3a9c";

/** Every string the tests saw the source produce; checked for the canary at the end. */
const produced: string[] = [];

function remember(value: unknown): void {
  produced.push(typeof value === "string" ? value : JSON.stringify(value) ?? "undefined");
}

function rememberError(error: unknown): void {
  if (error instanceof Error) produced.push(error.message, String(error.stack), JSON.stringify(error));
  if (error instanceof ToolcodeError) produced.push(JSON.stringify(error.toJSON()));
}

async function call(source: OpenApiSource, tool: string, args: Record<string, unknown> = {}, signal?: AbortSignal): Promise<unknown> {
  const result = await source.callTool(tool, args, signal === undefined ? {} : { signal });
  remember(result);
  return result;
}

async function failure(promise: Promise<unknown>): Promise<ToolcodeError> {
  try {
    await promise;
  } catch (error) {
    rememberError(error);
    if (error instanceof ToolcodeError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

let server: Recorder;
let other: Recorder;

async function pets(config: Partial<OpenApiSourceConfig> = {}): Promise<OpenApiSource> {
  const source = await loadOpenApiSource(
    "pets",
    { spec: "petstore.yaml", baseUrl: `${server.url}/v1`, auth: { type: "bearer", token: CANARY }, retries: 2, ...config },
    { baseDir: FIXTURES, cacheDir: false, retryDelayMs: 10, maxRetryAfterMs: 2000 },
  );
  remember(await source.listTools());
  remember(source.warnings);
  return source;
}

beforeAll(async () => {
  server = await startRecorder();
  other = await startRecorder();
});
afterEach(() => {
  server.requests.length = 0;
  other.requests.length = 0;
  server.handle = (_req, res) => sendJson(res, 200, { ok: true });
});
afterAll(async () => {
  await server.close();
  await other.close();
  // The canary was sent (see the first tests) but never came back out of the source.
  expect(produced.length).toBeGreaterThan(50);
  for (const text of produced) expect(text).not.toContain(CANARY);
  expect(produced.join("\n")).not.toContain(Buffer.from(CANARY).toString("base64"));
});

describe("requests", () => {
  it("GET: path, query styles, header and cookie parameters, bearer auth", async () => {
    const source = await pets();
    server.handle = (_req, res) => sendJson(res, 200, [{ id: 1, name: "Rex" }]);
    const result = await call(source, "listPets", {
      limit: 5,
      tags: ["a b", "c"],
      ids: [1, 2],
      filter: { species: "dog", age: 3 },
      "X-Request-Id": "req-1",
      session: "s1",
    });
    expect(result).toEqual([{ id: 1, name: "Rex" }]);
    const [req] = server.requests;
    expect(req?.method).toBe("GET");
    expect(req?.path).toBe("/v1/pets");
    expect(req?.rawUrl).toBe("/v1/pets?limit=5&tags=a%20b&tags=c&ids=1%2C2&filter%5Bspecies%5D=dog&filter%5Bage%5D=3");
    expect(req?.query.getAll("tags")).toEqual(["a b", "c"]);
    expect(req?.query.get("filter[species]")).toBe("dog");
    expect(req?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(req?.headers["x-request-id"]).toBe("req-1");
    expect(req?.headers.cookie).toBe("session=s1");
    expect(req?.headers.accept).toBe("application/json");
    expect(req?.headers["user-agent"]).toMatch(/toolcode/);
  });

  it("POST with a JSON body; PUT without an operationId; DELETE answering 204", async () => {
    const source = await pets();
    server.handle = (req, res) => {
      if (req.method !== "DELETE") return sendJson(res, 201, { id: 7, ...(JSON.parse(req.body.toString()) as object) });
      res.writeHead(204);
      res.end();
    };
    expect(await call(source, "createPet", { body: { name: "Rex", species: "dog" } })).toEqual({ id: 7, name: "Rex", species: "dog" });
    expect(await call(source, "put_pets_petId", { petId: "7", body: { name: "Max" } })).toEqual({ id: 7, name: "Max" });
    expect(await call(source, "deletePet", { petId: "7" })).toBeNull();
    expect(server.requests.map((r) => `${r.method} ${r.rawUrl} ${r.headers["content-type"] ?? "-"} ${r.body.toString()}`)).toEqual([
      'POST /v1/pets application/json {"name":"Rex","species":"dog"}',
      'PUT /v1/pets/7 application/json {"name":"Max"}',
      "DELETE /v1/pets/7 - ",
    ]);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${CANARY}`)).toBe(true);
  });

  it("encodes path parameters and refuses dot segments", async () => {
    const source = await pets();
    await call(source, "showPetById", { petId: "a b/c?d" });
    expect(server.requests[0]?.rawUrl).toBe("/v1/pets/a%20b%2Fc%3Fd");
    const dots = await failure(call(source, "showPetById", { petId: ".." }));
    expect(dots.code).toBe("INVALID_ARGUMENTS");
    expect(server.requests).toHaveLength(1);
  });

  it("form, multipart, octet-stream and a query parameter called body", async () => {
    const source = await pets();
    server.handle = (req, res) => {
      if (req.path.endsWith("/notes")) {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        res.end("noted");
      } else if (req.path.endsWith("/photo")) {
        res.writeHead(204);
        res.end();
      } else {
        sendJson(res, 200, { ok: true });
      }
    };
    expect(await call(source, "addNote", { petId: "1", body: { text: "hi there", labels: ["a", "b"], meta: { color: "brown" } } })).toBe("noted");
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    expect(await call(source, "uploadPhoto", { petId: "1", body: { base64: bytes.toString("base64"), mimeType: "image/png" } })).toBeNull();
    await call(source, "attachFile", { petId: "1", body: { caption: "cute", file: { base64: Buffer.from("PNGDATA").toString("base64"), mimeType: "image/png", filename: "p.png" } } });
    await call(source, "searchOwnerPets", { ownerId: "o1", query_body: "q", body: { note: "n" } });
    const [note, photo, file, owner] = server.requests;
    expect(note?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(note?.body.toString()).toBe("text=hi%20there&labels=a&labels=b&meta%5Bcolor%5D=brown");
    expect(photo?.method).toBe("PUT");
    expect(photo?.headers["content-type"]).toBe("image/png");
    expect(photo?.body.equals(bytes)).toBe(true);
    expect(file?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(file?.body.toString()).toMatch(/name="caption"\r\n\r\ncute\r\n/);
    expect(file?.body.toString()).toMatch(/name="file"; filename="p.png"\r\nContent-Type: image\/png\r\n\r\nPNGDATA\r\n/);
    expect(owner?.rawUrl).toBe("/v1/owners/o1/pets?body=q");
    expect(owner?.body.toString()).toBe('{"note":"n"}');
  });

  it("returns binary bodies as base64 and text as strings", async () => {
    const source = await pets();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
    server.handle = (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(png);
    };
    expect(await call(source, "getPhoto", { petId: "1" })).toEqual({ type: "binary", mimeType: "image/png", base64: png.toString("base64") });
    expect(server.requests[0]?.headers.accept).toBe("image/png");
  });

  it("rejects unknown and missing arguments before sending anything", async () => {
    const source = await pets();
    const unknown = await failure(call(source, "listPets", { limt: 5 }));
    expect(unknown.code).toBe("INVALID_ARGUMENTS");
    expect(unknown.message).toBe('Unknown argument "limt" for listPets. Valid arguments: limit, tags, ids, filter, X-Request-Id, session.');
    const missing = await failure(call(source, "createPet", {}));
    expect(missing.message).toBe('Missing required argument "body" for createPet.');
    const tool = await failure(call(source, "listPet", {}));
    expect(tool.code).toBe("TOOL_NOT_FOUND");
    expect(tool.message).toContain("Available tools: listPets, createPet");
    expect(server.requests).toHaveLength(0);
  });
});

describe("the generic request tool", () => {
  it("sends requests under the base URL", async () => {
    const source = await pets();
    server.handle = (req, res) => sendJson(res, 200, { got: req.rawUrl });
    expect(await call(source, "request", { method: "get", path: "/pets/search?x=1", query: { y: [1, 2], z: true } })).toEqual({
      got: "/v1/pets/search?x=1&y=1&y=2&z=true",
    });
    await call(source, "request", { method: "POST", path: "/pets", body: { name: "Rex" }, headers: { "X-Trace": "t1" } });
    const post = server.requests[1];
    expect(post?.headers["content-type"]).toBe("application/json");
    expect(post?.headers["x-trace"]).toBe("t1");
    expect(post?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(post?.body.toString()).toBe('{"name":"Rex"}');
  });

  it("refuses to leave the base URL or to set credentials", async () => {
    const source = await pets();
    const attempts: Record<string, unknown>[] = [
      { method: "GET", path: "http://evil.example/x" },
      { method: "GET", path: "//evil.example/x" },
      { method: "GET", path: "pets" },
      { method: "GET", path: "/../admin" },
      { method: "GET", path: "/pets/%2e%2e/%2E%2E/admin" },
      { method: "GET", path: "/pets\\..\\admin" },
      { method: "GET", path: "/pets", headers: { Authorization: "Bearer mine" } },
      { method: "GET", path: "/pets", headers: { Host: "evil.example" } },
      { method: "TRACE", path: "/pets" },
      { method: "GET", path: "/pets", url: "http://evil.example" },
    ];
    for (const args of attempts) {
      const error = await failure(call(source, "request", args));
      expect(error.code, JSON.stringify(args)).toBe("INVALID_ARGUMENTS");
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe("failures", () => {
  it("non-2xx answers are HttpErrors with status, method, URL and a body excerpt", async () => {
    const source = await pets();
    server.handle = (_req, res) => sendJson(res, 404, { message: "Pet not found", padding: "x".repeat(2000) });
    const error = await failure(call(source, "showPetById", { petId: "42" }));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.code).toBe("HTTP_ERROR");
    expect(error.message).toBe(`HTTP 404 Not Found from GET ${server.url}/v1/pets/42: Pet not found. Check the path parameters (owner, id, …): the resource does not exist or is not visible with these credentials.`);
    expect(error.details).toMatchObject({ status: 404, statusText: "Not Found", method: "GET", url: `${server.url}/v1/pets/42`, server: "pets", tool: "showPetById" });
    expect((error.details.bodyExcerpt as string).length).toBeLessThanOrEqual(500);
    expect(error.details.bodyExcerpt).toMatch(/^\{"message":"Pet not found"/);
  });

  it("401 names the auth config key", async () => {
    const source = await pets();
    server.handle = (_req, res) => sendJson(res, 401, { message: "Bad credentials" });
    const error = await failure(call(source, "listPets"));
    expect(error.message).toContain("openapi.pets.auth");
  });

  it("retries idempotent requests on 502/503/504 with backoff, never POST", async () => {
    const source = await pets();
    let count = 0;
    server.handle = (_req, res) => (++count <= 2 ? sendJson(res, 503, { message: "busy" }) : sendJson(res, 200, { ok: count }));
    expect(await call(source, "listPets")).toEqual({ ok: 3 });
    expect(server.requests).toHaveLength(3);

    server.requests.length = 0;
    count = 0;
    const post = await failure(call(source, "createPet", { body: { name: "Rex" } }));
    expect(post.details.status).toBe(503);
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    server.handle = (_req, res) => sendJson(res, 502, { message: "bad gateway" });
    const exhausted = await failure(call(source, "deletePet", { petId: "1" }));
    expect(exhausted.details.status).toBe(502);
    expect(server.requests).toHaveLength(3); // 1 + retries (2)
  });

  it("retries dropped connections for GET", async () => {
    const source = await pets();
    let count = 0;
    server.handle = (_req, res, raw) => {
      if (++count === 1) raw.socket.destroy();
      else sendJson(res, 200, { ok: true });
    };
    expect(await call(source, "listPets")).toEqual({ ok: true });
    expect(server.requests).toHaveLength(2);
  });

  it("an unreachable API is SOURCE_UNAVAILABLE naming the baseUrl key", async () => {
    const closed = await startRecorder();
    const url = closed.url;
    await closed.close();
    const source = await pets({ baseUrl: `${url}/v1` });
    const error = await failure(call(source, "listPets"));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toMatch(/could not reach GET http:\/\/127\.0\.0\.1:\d+\/v1\/pets: connection refused \(ECONNREFUSED\)\. .*openapi\.pets\.baseUrl/);
  });

  it("429 waits for Retry-After (also for POST); too long a wait fails at once", async () => {
    const source = await pets();
    let count = 0;
    server.handle = (_req, res) => (++count === 1 ? sendJson(res, 429, { message: "slow down" }, { "retry-after": "1" }) : sendJson(res, 201, { id: 1 }));
    expect(await call(source, "createPet", { body: { name: "Rex" } })).toEqual({ id: 1 });
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.handle = (_req, res) => sendJson(res, 429, { message: "rate limit exceeded" }, { "retry-after": "3600" });
    const error = await failure(call(source, "listPets"));
    expect(error.code).toBe("HTTP_ERROR");
    expect(error.details).toMatchObject({ status: 429, retryAfterSeconds: 3600 });
    expect(error.message).toContain("The server asks to wait 3600 s.");
    expect(server.requests).toHaveLength(1);
  });

  it("times out slow answers, and stops when the caller aborts", async () => {
    const source = await pets({ timeoutMs: 200 });
    server.handle = () => {}; // never answers
    const error = await failure(call(source, "listPets"));
    expect(error.code).toBe("TOOL_ERROR");
    expect(error.details).toMatchObject({ reason: "TIMEOUT", timeoutMs: 200 });
    expect(error.message).toContain("did not answer within 200 ms");
    expect(error.message).toContain("openapi.pets.timeoutMs");

    const slow = await pets({ timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("execution ended")), 100);
    const cancelled = await failure(call(slow, "listPets", {}, controller.signal));
    expect(cancelled.message).toContain("was cancelled: execution ended");
  });

  it("an HTML page where JSON was expected is a clear error", async () => {
    const source = await pets();
    server.handle = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><html><body>Please log in</body></html>");
    };
    const error = await failure(call(source, "listPets"));
    expect(error.details).toMatchObject({ reason: "UNEXPECTED_CONTENT_TYPE", status: 200, contentType: "text/html" });
    expect(error.message).toContain("answered an HTML page (HTTP 200) where JSON was expected");
    expect(error.message).toContain("openapi.pets.baseUrl");
    // Through the generic tool, whose answers may be anything, HTML is text.
    expect(await call(source, "request", { method: "GET", path: "/" })).toContain("Please log in");
  });

  it("stops reading oversized bodies, declared or streamed", async () => {
    const source = await pets({ maxResponseBytes: 1000 });
    server.handle = (_req, res) => sendJson(res, 200, { data: "x".repeat(5000) });
    const declared = await failure(call(source, "listPets"));
    expect(declared.details).toMatchObject({ reason: "RESPONSE_TOO_LARGE", limit: 1000 });
    expect(declared.message).toMatch(/^RESPONSE_TOO_LARGE: the response of GET .* exceeds 1000 bytes/);
    expect(declared.message).toContain("openapi.pets.maxResponseBytes");

    // No Content-Length: an endless stream. Reading must stop early, not run out of memory.
    let written = 0;
    let closed = false;
    server.handle = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const timer = setInterval(() => {
        if (res.destroyed || written > 50_000_000) {
          clearInterval(timer);
          closed = res.destroyed;
          return;
        }
        written += 64 * 1024;
        res.write("x".repeat(64 * 1024));
      }, 1);
    };
    const streamed = await failure(call(source, "listPets"));
    expect(streamed.details).toMatchObject({ reason: "RESPONSE_TOO_LARGE" });
    await vi.waitFor(() => expect(closed).toBe(true), { timeout: 5000 });
    expect(written).toBeLessThan(50_000_000);
  });

  it("invalid JSON with a JSON content type is an error", async () => {
    const source = await pets();
    server.handle = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{not json");
    };
    const error = await failure(call(source, "listPets"));
    expect(error.details.reason).toBe("INVALID_JSON");
  });
});

describe("credentials stay on the host", () => {
  it("are redacted when a server echoes them back, in results and errors", async () => {
    const source = await pets();
    server.handle = (req, res) => sendJson(res, 200, { headers: req.headers, note: `your token is ${CANARY}` });
    const result = (await call(source, "listPets")) as { headers: Record<string, string>; note: string };
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(result.headers.authorization).toBe("Bearer [redacted]");
    expect(result.note).toBe("your token is [redacted]");

    server.handle = (req, res) => sendJson(res, 400, { message: `bad token ${String(req.headers.authorization)}` });
    const error = await failure(call(source, "listPets"));
    expect(error.message).toContain("bad token Bearer [redacted]");
    expect(JSON.stringify(error.details)).not.toContain(CANARY);
  });

  it("API key in the query: sent, but not in error URLs", async () => {
    const source = await pets({ auth: { type: "apiKey", in: "query", name: "api_key", value: CANARY } });
    server.handle = (_req, res) => sendJson(res, 500, { message: "boom" });
    const error = await failure(call(source, "showPetById", { petId: "1" }));
    expect(server.requests[0]?.query.get("api_key")).toBe(CANARY);
    expect(error.details.url).toBe(`${server.url}/v1/pets/1`);
  });

  it("API key in a header, basic auth, and configured headers", async () => {
    const keyed = await pets({ auth: { type: "apiKey", in: "header", name: "X-API-Key", value: CANARY }, headers: { "X-Tenant": "t-1" } });
    await call(keyed, "listPets");
    expect(server.requests[0]?.headers["x-api-key"]).toBe(CANARY);
    expect(server.requests[0]?.headers["x-tenant"]).toBe("t-1");
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    const keyHeader = await failure(call(keyed, "request", { method: "GET", path: "/pets", headers: { "x-api-key": "other" } }));
    expect(keyHeader.code).toBe("INVALID_ARGUMENTS");

    const basic = await pets({ auth: { type: "basic", username: "user", password: CANARY } });
    await call(basic, "listPets");
    expect(server.requests[1]?.headers.authorization).toBe(`Basic ${Buffer.from(`user:${CANARY}`).toString("base64")}`);
  });

  it("OAuth2 client credentials: one token for many calls, a new one after 401", async () => {
    let tokens = 0;
    let rejectNext = false;
    server.handle = (req, res) => {
      if (req.path === "/oauth/token") {
        tokens++;
        sendJson(res, 200, { access_token: `${CANARY}-access-${tokens}`, token_type: "bearer", expires_in: 3600 });
      } else if (rejectNext) {
        rejectNext = false;
        sendJson(res, 401, { message: "token expired" });
      } else {
        sendJson(res, 200, { auth: req.headers.authorization });
      }
    };
    const source = await pets({
      auth: { type: "oauth2", tokenUrl: `${server.url}/oauth/token`, clientId: "client-1", clientSecret: CANARY, scopes: ["read", "write"] },
    });
    const results = await Promise.all([call(source, "listPets"), call(source, "listPets"), call(source, "showPetById", { petId: "1" })]);
    expect(results).toEqual([{ auth: "Bearer [redacted]" }, { auth: "Bearer [redacted]" }, { auth: "Bearer [redacted]" }]);
    expect(tokens).toBe(1);
    const tokenRequest = server.requests.find((r) => r.path === "/oauth/token");
    expect(tokenRequest?.method).toBe("POST");
    expect(tokenRequest?.body.toString()).toBe("grant_type=client_credentials&scope=read+write");
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${Buffer.from(`client-1:${CANARY}`).toString("base64")}`);
    expect(server.requests.filter((r) => r.path !== "/oauth/token").every((r) => r.headers.authorization === `Bearer ${CANARY}-access-1`)).toBe(true);

    rejectNext = true;
    server.requests.length = 0;
    await call(source, "createPet", { body: { name: "Rex" } });
    expect(tokens).toBe(2);
    expect(server.requests.map((r) => `${r.method} ${r.path} ${String(r.headers.authorization).replace(CANARY, "C")}`)).toEqual([
      "POST /v1/pets Bearer C-access-1",
      `POST /oauth/token Basic ${Buffer.from(`client-1:${CANARY}`).toString("base64").replace(CANARY, "C")}`,
      "POST /v1/pets Bearer C-access-2",
    ]);

    server.handle = (_req, res) => sendJson(res, 401, { error: "invalid_client", error_description: `client secret ${CANARY} is wrong` });
    const broken = await pets({ auth: { type: "oauth2", tokenUrl: `${server.url}/oauth/token`, clientId: "client-1", clientSecret: CANARY } });
    const error = await failure(call(broken, "listPets"));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toContain("the OAuth 2.0 token endpoint");
    expect(error.message).toContain("openapi.pets.auth.clientId");
  });

  it("follows same-origin redirects with credentials and cross-origin ones without", async () => {
    const source = await pets();
    server.handle = (req, res) => {
      if (req.path === "/v1/pets") {
        res.writeHead(302, { location: "/v1/pets/moved" });
        res.end();
      } else if (req.path === "/v1/pets/1") {
        res.writeHead(307, { location: `${other.url}/elsewhere` });
        res.end();
      } else {
        sendJson(res, 200, { at: req.path });
      }
    };
    other.handle = (req, res) => sendJson(res, 200, { at: req.path, auth: req.headers.authorization ?? null });
    expect(await call(source, "listPets")).toEqual({ at: "/v1/pets/moved" });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${CANARY}`, `Bearer ${CANARY}`]);
    expect(await call(source, "showPetById", { petId: "1" })).toEqual({ at: "/elsewhere", auth: null });
  });

  it("never puts the credential in tool specs or warnings", async () => {
    const source = await pets();
    const text = JSON.stringify({ tools: await source.listTools(), warnings: source.warnings, info: source.info, base: source.apiBaseUrl });
    expect(text).not.toContain(CANARY);
  });
});
