/**
 * Calls through an OpenAPI source against a real mock server: `@stoplight/prism-cli` serving the
 * OpenAPI 3.1 fixture on 127.0.0.1 (a free port chosen by prism, read from its log). Prism checks
 * each request against the spec (method, path, parameter types, body schema, bearer auth) and
 * answers with the spec's examples, so a passing call means the request matched the spec.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolcodeError } from "../../src/errors.js";
import { loadOpenApiSource, type OpenApiSource } from "../../src/sources/openapi/openapi-source.js";
import { ROOT } from "./test-paths.js";

const SPEC = path.join(ROOT, "test", "fixtures", "openapi", "todo-3.1.json");
const PRISM = path.join(ROOT, "node_modules", "@stoplight", "prism-cli", "dist", "index.js");
const TOKEN = "canary-7f3a9c";

/** Starts `prism mock` on 127.0.0.1 with a free port; resolves with its URL once it listens. */
function startPrism(spec: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PRISM, "mock", "-h", "127.0.0.1", "-p", "0", spec], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`prism did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer): void => {
      // eslint-disable-next-line no-control-regex
      output += chunk.toString().replace(/\u001b\[[0-9;]*m/g, "");
      const match = /Prism is listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`prism exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Stops the prism process we started (by its handle), SIGKILL after 5 s. */
async function stopPrism(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function failure(promise: Promise<unknown>): Promise<ToolcodeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ToolcodeError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("calls against prism mock (OpenAPI 3.1 fixture)", () => {
  let prism: { child: ChildProcess; url: string };
  let todo: OpenApiSource;

  beforeAll(async () => {
    prism = await startPrism(SPEC);
    todo = await loadOpenApiSource("todo", { spec: SPEC, baseUrl: prism.url, auth: { type: "bearer", token: TOKEN } }, { baseDir: ROOT, cacheDir: false });
  });
  afterAll(async () => {
    if (prism !== undefined) {
      await stopPrism(prism.child);
      expect(prism.child.exitCode !== null || prism.child.signalCode !== null).toBe(true);
    }
  });

  it("GET with query parameters returns the spec's example", async () => {
    expect(await todo.callTool("listTodos", { done: false, tag: ["work", "home"] })).toEqual([{ id: 1, title: "Write tests", done: false, tags: ["work"] }]);
    expect(await todo.callTool("getTodo", { id: 1 })).toEqual({ id: 1, title: "Write tests", done: false, tags: ["work"] });
  });

  it("POST with a valid JSON body is accepted; DELETE answers no content", async () => {
    expect(await todo.callTool("createTodo", { body: { title: "Ship it", tags: [] } })).toEqual({ id: 2, title: "Ship it", done: false, tags: [] });
    expect(await todo.callTool("deleteTodo", { id: 1 })).toBeNull();
  });

  it("requests that violate the spec come back as HTTP_ERROR 422", async () => {
    const body = await failure(todo.callTool("createTodo", { body: { title: "" } }));
    expect(body.code).toBe("HTTP_ERROR");
    expect(body.details).toMatchObject({ status: 422, method: "POST", url: `${prism.url}/todos` });
    expect(body.message).toMatch(/^HTTP 422 .* from POST/);
    const param = await failure(todo.callTool("getTodo", { id: "not-a-number" }));
    expect(param.details.status).toBe(422);
  });

  it("without the bearer token prism answers 401, reported with the auth config key", async () => {
    const anonymous = await loadOpenApiSource("todo", { spec: SPEC, baseUrl: prism.url }, { baseDir: ROOT, cacheDir: false });
    const error = await failure(anonymous.callTool("listTodos", {}));
    expect(error.code).toBe("HTTP_ERROR");
    expect(error.details.status).toBe(401);
    expect(error.message).toContain("openapi.todo.auth");
    expect(error.message).not.toContain(TOKEN);
  });

  it("the generic request tool reaches prism under the base URL", async () => {
    expect(await todo.callTool("request", { method: "GET", path: "/todos/1" })).toEqual({ id: 1, title: "Write tests", done: false, tags: ["work"] });
  });
});
