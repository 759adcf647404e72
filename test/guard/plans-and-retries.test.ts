/**
 * Effects plans and safe retries against real parts: server-memory over stdio, and an OpenAPI
 * API on a loopback node:http server that counts requests and records `Idempotency-Key`s.
 *
 * - a script that deletes three entities asks once, with a plan naming the three calls, then runs;
 * - a run interrupted after two of four writes reports those two, and its retry (`retryOf`)
 *   replays them instead of repeating them; over HTTP the re-sent write keeps its key.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ApprovalRequest } from "../../src/guard/guard.js";
import type { ExecutionReport } from "../../src/guard/idempotency.js";
import { servers, tempDir } from "../helpers.js";
import { auditRecords, storedGraph } from "./helpers.js";

const report = (details: Record<string, unknown> | undefined): ExecutionReport | undefined => details?.execution as ExecutionReport | undefined;

describe("effects plans and retries with server-memory", () => {
  let tc: Toolcode;
  let dir: string;
  let memoryFile: string;
  let auditFile: string;

  beforeAll(async () => {
    dir = tempDir();
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    tc = await createToolcode({
      config: { mcpServers: { memory: servers.memory(memoryFile) }, policy: { allow: ["memory"] }, audit: { file: auditFile }, sandbox: { timeoutMs: 20_000 } },
      cwd: dir,
    });
    expect(tc.failures).toEqual([]);
  });

  afterAll(async () => {
    await tc.close();
  });

  const names = (): string[] => storedGraph(memoryFile).entities.map((e) => e.name).sort();
  const seed = async (sessionId: string, entities: string[]): Promise<void> => {
    const run = await tc.execute(`await memory.create_entities({ entities: ${JSON.stringify(entities.map((name) => ({ name, entityType: "file", observations: [] })))} });`, { sessionId });
    expect(run.error).toBeNull();
  };

  it("asks once for a plan naming the three deletes, before anything runs; approving it runs them all", async () => {
    const sessionId = "plan";
    await seed(sessionId, ["a.txt", "b.txt", "c.txt", "keep.txt"]);
    const code = `
      const before = (await memory.read_graph()).entities.length;
      await memory.delete_entities({ entityNames: ["a.txt"] });
      await memory.delete_entities({ entityNames: ["b.txt"] });
      await memory.delete_entities({ entityNames: ["c.txt"] });
      return before;`;
    const first = await tc.execute(code, { sessionId });
    expect(first.error?.code).toBe("APPROVAL_REQUIRED");
    expect(report(first.error?.details)).toEqual({ code: "EXECUTION_NOT_STARTED", retry: "safe", writes: [] });
    expect(first.approval).toMatchObject({ kind: "plan", tool: "memory.delete_entities" });
    expect(first.approval?.arguments).toEqual(["a.txt", "b.txt", "c.txt"].map((n) => ({ tool: "memory.delete_entities", arguments: { entityNames: [n] } })));
    expect(first.error?.message).toContain('memory.delete_entities({"entityNames":["b.txt"]})');
    expect(names()).toEqual(["a.txt", "b.txt", "c.txt", "keep.txt"]);
    // Nothing ran, not even the read: the plan is asked before the script starts.
    expect(auditRecords(auditFile).filter((r) => r.type === "call" && r.session === sessionId && r.execution === first.metadata.executionId)).toEqual([]);

    const second = await tc.execute(code, { sessionId, approve: first.approval?.id as string });
    expect(second.error).toBeNull();
    expect(second.result).toBe(4);
    expect(names()).toEqual(["keep.txt"]);
    const calls = auditRecords(auditFile).filter((r) => r.type === "call" && r.execution === second.metadata.executionId);
    expect(calls.map((r) => (r.type === "call" ? [r.tool, r.approval?.via ?? null] : []))).toEqual([
      ["memory.read_graph", null],
      ["memory.delete_entities", "plan"],
      ["memory.delete_entities", "plan"],
      ["memory.delete_entities", "plan"],
    ]);
    // Single-use: the plan's id does not run the script a second time.
    const again = await tc.execute(code, { sessionId, approve: first.approval?.id as string });
    expect(again.error?.code).toBe("APPROVAL_INVALID");
  });

  it("a plan approves only its own script; a call it does not cover still stops", async () => {
    const sessionId = "plan-scope";
    await seed(sessionId, ["x", "y", "z"]);
    const code = `await memory.delete_entities({ entityNames: ["x"] }); await memory.delete_entities({ entityNames: ["y"] });`;
    const first = await tc.execute(code, { sessionId });
    expect(first.approval?.kind).toBe("plan");
    const changed = await tc.execute(`${code} await memory.delete_entities({ entityNames: ["z"] });`, { sessionId, approve: first.approval?.id as string });
    expect(changed.error?.code).toBe("REPLAY_DIVERGED");
    expect(names()).toEqual(expect.arrayContaining(["x", "y", "z"]));
    // Calls the scan cannot see (a computed tool name) are not in any plan: each asks on its own.
    const dynamic = await tc.execute(`const t = "delete_entities"; await memory[t]({ entityNames: ["x"] }); await memory[t]({ entityNames: ["y"] });`, { sessionId });
    expect(dynamic.error?.code).toBe("APPROVAL_REQUIRED");
    expect(dynamic.approval?.kind).toBeUndefined();
    expect(dynamic.approval?.arguments).toEqual({ entityNames: ["x"] });
    expect(dynamic.approval?.note).toContain("computed member memory[…]");
  });

  it("a call the plan does not cover (made inside a skill) still stops, and its approval resumes the run", async () => {
    const sessionId = "plan-skill";
    await seed(sessionId, ["s1", "s2", "s3"]);
    const saved = await tc.execute(
      `await skills.save({ name: "drop", description: "Deletes one entity.", code: ${JSON.stringify('export async function drop(name: string): Promise<void> { await memory.delete_entities({ entityNames: [name] }); }')} });`,
      { sessionId },
    );
    expect(saved.error).toBeNull();
    const code = `await memory.delete_entities({ entityNames: ["s1"] }); await memory.delete_entities({ entityNames: ["s2"] }); await skills.drop.drop("s3");`;
    const first = await tc.execute(code, { sessionId });
    expect(first.approval).toMatchObject({ kind: "plan", note: expect.stringContaining("skills") });
    const second = await tc.execute(code, { sessionId, approve: first.approval?.id as string });
    expect(second.error?.code).toBe("APPROVAL_REQUIRED");
    expect(second.approval).toMatchObject({ tool: "memory.delete_entities", arguments: { entityNames: ["s3"] } });
    expect(second.approval?.kind).toBeUndefined();
    expect(names()).toEqual(expect.arrayContaining(["s3"]));
    expect(names()).not.toContain("s1");
    const third = await tc.execute(code, { sessionId, approve: second.approval?.id as string });
    expect(third.error).toBeNull();
    expect(names()).not.toContain("s3");
  });

  it("asks an interactive approver once for the whole plan", async () => {
    const asked: ApprovalRequest[] = [];
    const file = path.join(dir, "callback.jsonl");
    const interactive = await createToolcode({
      config: { mcpServers: { memory: servers.memory(file) }, policy: { allow: ["memory"] } },
      onApproval: (request) => {
        asked.push(request);
        return true;
      },
    });
    try {
      await interactive.execute(`await memory.create_entities({ entities: [{ name: "p", entityType: "t", observations: [] }, { name: "q", entityType: "t", observations: [] }] });`);
      const run = await interactive.execute(`for (const n of ["p", "q"]) await memory.delete_entities({ entityNames: [n] });`);
      expect(run.error).toBeNull();
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ kind: "plan", arguments: [{ tool: "memory.delete_entities", arguments: "dynamic", repeats: true }] });
      expect(storedGraph(file).entities).toEqual([]);
    } finally {
      await interactive.close();
    }
  });

  it("reports the two writes of an interrupted run; its retry replays them and makes only the other two", async () => {
    const sessionId = "retry";
    // The first run stops after two of four writes (state survives a failed run, so the retry goes on).
    const code = `
      const add = (name) => memory.add_observations({ observations: [{ entityName: "log", contents: [name] }] });
      await memory.create_entities({ entities: [{ name: "log", entityType: "list", observations: [] }] });
      await add("one");
      if (!state.interrupted) { state.interrupted = true; throw new Error("connection lost"); }
      await add("two");
      await add("three");
      return "done";`;
    const first = await tc.execute(code, { sessionId });
    expect(first.error?.code).toBe("GUEST_ERROR");
    const execution = report(first.error?.details);
    expect(execution).toMatchObject({ code: "INTERRUPTED_AFTER_WRITES", retry: "replay" });
    expect(execution?.writes.map((w) => [w.seq, w.tool, w.key])).toEqual([
      [1, "memory.create_entities", `toolcode-${first.metadata.executionId}-1`],
      [2, "memory.add_observations", `toolcode-${first.metadata.executionId}-2`],
    ]);
    expect(execution?.writes[1]?.arguments).toEqual({ observations: [{ entityName: "log", contents: ["one"] }] });
    expect(first.error?.message).toContain(`retryOf: "${first.metadata.executionId}"`);

    const retry = await tc.execute(code, { sessionId, retryOf: first.metadata.executionId });
    expect(retry.error).toBeNull();
    expect(retry.result).toBe("done");
    // Each write happened once: the entity was not created twice (that would fail) and "one" is there once.
    expect(storedGraph(memoryFile).entities.find((e) => e.name === "log")?.observations).toEqual(["one", "two", "three"]);
    const calls = auditRecords(auditFile).filter((r) => r.type === "call" && r.execution === retry.metadata.executionId);
    expect(calls.map((r) => (r.type === "call" ? r.replayed : null))).toEqual([true, true, false, false]);

    // A record is used once, and other sessions cannot use it.
    const twice = await tc.execute(code, { sessionId, retryOf: first.metadata.executionId });
    expect(twice.error?.code).toBe("RETRY_INVALID");
    expect(report(twice.error?.details)?.code).toBe("EXECUTION_NOT_STARTED");
  });

  it("says a run that failed before any write is safe to retry, and refuses a retry whose writes differ", async () => {
    const sessionId = "before-writes";
    const failed = await tc.execute(`await memory.read_graph(); throw new Error("nope");`, { sessionId });
    expect(report(failed.error?.details)).toEqual({ code: "FAILED_BEFORE_WRITES", retry: "safe", writes: [] });
    const typo = await tc.execute(`await memory.read_graph(`, { sessionId });
    expect(report(typo.error?.details)?.code).toBe("EXECUTION_NOT_STARTED");

    const first = await tc.execute(`await memory.create_entities({ entities: [{ name: "d1", entityType: "t", observations: [] }] }); throw new Error("stop");`, { sessionId });
    expect(report(first.error?.details)?.code).toBe("INTERRUPTED_AFTER_WRITES");
    const other = await tc.execute(`await memory.create_entities({ entities: [{ name: "d2", entityType: "t", observations: [] }] });`, { sessionId, retryOf: first.metadata.executionId });
    expect(other.error?.code).toBe("REPLAY_DIVERGED");
    expect(names()).not.toContain("d2");
  });
});

/** A loopback JSON API: POST /notes creates a note (the 3rd distinct key fails once with 503, unapplied); replays a seen key's response. */
function notesApi(): { start: () => Promise<string>; stop: () => Promise<void>; requests: { method: string; key: string | undefined }[]; notes: string[] } {
  const requests: { method: string; key: string | undefined }[] = [];
  const notes: string[] = [];
  const byKey = new Map<string, string>();
  let failed = false;
  let server: Server | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const key = req.headers["idempotency-key"] as string | undefined;
      requests.push({ method: req.method ?? "", key });
      res.setHeader("content-type", "application/json");
      if (req.method === "GET") return void res.end(JSON.stringify(notes));
      if (key !== undefined && byKey.has(key)) return void res.end(byKey.get(key));
      if (byKey.size === 2 && !failed) {
        failed = true;
        res.statusCode = 503;
        return void res.end(JSON.stringify({ error: "busy" }));
      }
      notes.push((JSON.parse(body) as { text: string }).text);
      const response = JSON.stringify({ id: notes.length });
      if (key !== undefined) byKey.set(key, response);
      res.statusCode = 201;
      res.end(response);
    });
  };
  return {
    requests,
    notes,
    start: () =>
      new Promise((resolve) => {
        server = createServer(handle);
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server?.address() as AddressInfo).port}`));
      }),
    stop: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

describe("safe retries against a loopback HTTP API", () => {
  const api = notesApi();
  let tc: Toolcode;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    base = await api.start();
    dir = tempDir();
    const spec = {
      openapi: "3.0.3",
      info: { title: "Notes", version: "1" },
      paths: {
        "/notes": {
          get: { operationId: "list_notes", responses: { "200": { description: "notes" } } },
          post: {
            operationId: "create_note",
            requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } } } },
            responses: { "201": { description: "created" } },
          },
        },
      },
    };
    writeFileSync(path.join(dir, "notes.json"), JSON.stringify(spec));
    tc = await createToolcode({ config: { openapi: { notes: { spec: "./notes.json", baseUrl: base } }, policy: { allow: ["notes"] } }, cwd: dir });
    expect(tc.failures).toEqual([]);
  });

  afterAll(async () => {
    await tc.close();
    await api.stop();
  });

  it("sends Idempotency-Key on writes; a retry after two of four writes sends only the rest, the unsure one with its old key", async () => {
    const code = `
      await notes.list_notes();
      for (const text of ["n1", "n2", "n3", "n4"]) await notes.create_note({ body: { text } });
      return (await notes.list_notes()).length;`;
    const first = await tc.execute(code, { sessionId: "http" });
    expect(first.error?.code).toBe("HTTP_ERROR");
    const execution = report(first.error?.details);
    const id = first.metadata.executionId;
    expect(execution).toMatchObject({ code: "INTERRUPTED_AFTER_WRITES", retry: "replay" });
    expect(execution?.writes.map((w) => [w.seq, w.arguments, w.key])).toEqual([
      [2, { body: { text: "n1" } }, `toolcode-${id}-1`],
      [3, { body: { text: "n2" } }, `toolcode-${id}-2`],
    ]);
    // A 503 may or may not have been applied: reported as uncertain.
    expect(execution?.uncertain?.map((w) => w.key)).toEqual([`toolcode-${id}-3`]);
    expect(api.requests.filter((r) => r.method === "POST").map((r) => r.key)).toEqual([`toolcode-${id}-1`, `toolcode-${id}-2`, `toolcode-${id}-3`]);
    expect(api.requests.filter((r) => r.method === "GET").every((r) => r.key === undefined)).toBe(true);

    const retry = await tc.execute(code, { sessionId: "http", retryOf: id });
    expect(retry.error).toBeNull();
    expect(retry.result).toBe(4);
    expect(api.notes).toEqual(["n1", "n2", "n3", "n4"]);
    // The retry sent no request for n1, n2; n3 again under its first key, n4 under a key of the same chain.
    expect(api.requests.filter((r) => r.method === "POST").map((r) => r.key)).toEqual([`toolcode-${id}-1`, `toolcode-${id}-2`, `toolcode-${id}-3`, `toolcode-${id}-3`, `toolcode-${id}-4`]);
  });

  it("sends no Idempotency-Key with openapi.<name>.idempotencyKeys: false", async () => {
    const plain = await createToolcode({ config: { openapi: { notes: { spec: "./notes.json", baseUrl: base, idempotencyKeys: false } }, policy: { allow: ["notes"] } }, cwd: dir });
    try {
      const before = api.requests.length;
      const run = await plain.execute(`await notes.create_note({ body: { text: "plain" } });`);
      expect(run.error).toBeNull();
      expect(api.requests.slice(before)).toEqual([{ method: "POST", key: undefined }]);
    } finally {
      await plain.close();
    }
  });
});
