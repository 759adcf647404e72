/**
 * The guest's view of an OpenAPI source, end to end through `createToolcode` and the sandbox: an
 * operation called from guest code reaches a real HTTP server on 127.0.0.1 with the host's
 * credential and returns parsed JSON; a 404 arrives in the guest as an `HttpError` (`code`
 * `HTTP_ERROR`, `.status`); and the credential (a canary value) appears in nothing the model can
 * see: results, logs, errors, search text, declarations, the virtual tree.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ExecuteResult } from "../../src/execute/execute-result.js";
import { ROOT, tempDir } from "./test-paths.js";
import { sendJson, startRecorder, type Recorder } from "./http-recorder.js";

const FIXTURES = path.join(ROOT, "test", "fixtures", "openapi");
const CANARY = "canary-guest-5d1e07";
const PETS = [
  { id: 1, name: "Rex", tag: "dog" },
  { id: 2, name: "Tom", tag: "cat" },
];

let dir: string;
let server: Recorder;
let toolcode: Toolcode;
/** Every text the model could see; checked for the canary at the end. */
const visible: string[] = [];

function see(result: ExecuteResult): ExecuteResult {
  visible.push(result.text, JSON.stringify(result.result ?? null), JSON.stringify(result.logs), JSON.stringify(result.error));
  return result;
}

beforeAll(async () => {
  server = await startRecorder((req, res) => {
    if (req.method === "GET" && req.path === "/v1/pets") return sendJson(res, 200, PETS);
    // An API that echoes the request, credentials included, in its error body.
    return sendJson(res, 404, { message: "Pet not found", request: { path: req.path, authorization: req.headers.authorization } });
  });
  dir = tempDir("toolcode-guest-openapi-");
  toolcode = await createToolcode({
    cwd: dir,
    config: {
      mcpServers: {},
      openapi: { pets: { spec: path.join(FIXTURES, "petstore.yaml"), baseUrl: `${server.url}/v1`, auth: { type: "bearer", token: CANARY } } },
    },
  });
}, 60_000);

afterAll(async () => {
  await toolcode?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("guest code calling an OpenAPI operation", () => {
  it("gets parsed JSON, and the request carried the host's credential", async () => {
    const result = see(await toolcode.execute('const list = await pets.listPets({ limit: 2 });\nconsole.log(`${list.length} pets`);\nreturn list.map((p) => p.name);'));
    expect(result.error).toBeNull();
    expect(result.result).toEqual(["Rex", "Tom"]);
    expect(result.logs).toEqual(["2 pets"]);
    const request = server.requests.at(-1)!;
    expect(request.method).toBe("GET");
    expect(request.path).toBe("/v1/pets");
    expect(request.query.get("limit")).toBe("2");
    expect(request.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it("sees a 404 as an HttpError with code HTTP_ERROR and status 404", async () => {
    const result = see(
      await toolcode.execute(
        [
          "try {",
          '  await pets.showPetById({ petId: "404" });',
          '  return "no error";',
          "} catch (e) {",
          "  console.log(e.message);",
          "  console.log(JSON.stringify(e.details));",
          "  return { httpError: e instanceof HttpError, toolError: e instanceof ToolError, name: e.name, code: e.code, status: e.status, detailsStatus: e.details.status };",
          "}",
        ].join("\n"),
      ),
    );
    expect(result.error).toBeNull();
    expect(result.result).toEqual({ httpError: true, toolError: true, name: "HttpError", code: "HTTP_ERROR", status: 404, detailsStatus: 404 });
    expect(result.logs[0]).toMatch(/404/);
    expect(result.logs[0]).toMatch(/Pet not found/);
    // The server echoed the credential in its error body; the guest sees it redacted.
    expect(result.logs[1]).toContain("Bearer [redacted]");
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it("fails the run with HTTP_ERROR when the guest does not catch it", async () => {
    const result = see(await toolcode.execute('await pets.showPetById({ petId: "missing" });'));
    expect(result.error?.code).toBe("HTTP_ERROR");
    expect(result.error?.message).toMatch(/404/);
  });

  it("is held to the policy: the default read-only policy denies the generic request tool and writes", async () => {
    const before = server.requests.length;
    const request = see(await toolcode.execute('return await pets.request({ method: "GET", path: "/pets" });'));
    expect(request.error?.code).toBe("POLICY_DENIED");
    const write = see(await toolcode.execute('return await pets.createPet({ name: "Rex" });'));
    expect(write.error?.code).toBe("POLICY_DENIED");
    expect(server.requests.length).toBe(before);
  });

  it("calls the generic request tool, when allowed, with the same credential and only below the base URL", async () => {
    const allowed = await createToolcode({
      cwd: dir,
      config: {
        mcpServers: {},
        openapi: { pets: { spec: path.join(FIXTURES, "petstore.yaml"), baseUrl: `${server.url}/v1`, auth: { type: "bearer", token: CANARY } } },
        policy: { allow: ["pets.request"], approveDestructive: false },
      },
    });
    try {
      const result = see(await allowed.execute('return await pets.request({ method: "GET", path: "/pets" });'));
      expect(result.result).toEqual(PETS);
      expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${CANARY}`);
      const before = server.requests.length;
      const outside = see(await allowed.execute('return await pets.request({ method: "GET", path: "http://127.0.0.1:9/steal" });'));
      expect(outside.error?.code).toBe("INVALID_ARGUMENTS");
      expect(server.requests.length).toBe(before);
      visible.push(allowed.search("http request", { detail: "full" }).text);
    } finally {
      await allowed.close();
    }
  });

  it("never shows the credential in search, declarations or the virtual tree", () => {
    for (const detail of ["names", "signatures", "full"] as const) visible.push(toolcode.search("pets", { detail, limit: 50 }).text);
    visible.push(toolcode.types(), toolcode.types("pets"));
    for (const file of toolcode.virtualPaths()) visible.push(toolcode.virtualFile(file) ?? "");
    visible.push(JSON.stringify(toolcode.failures), JSON.stringify(toolcode.warnings));
    expect(visible.join("\n")).toContain("showPetById");
  });
});

afterAll(() => {
  expect(visible.length).toBeGreaterThan(20);
  const all = visible.join("\n");
  expect(all).not.toContain(CANARY);
  expect(all).not.toContain(Buffer.from(CANARY).toString("base64"));
});
