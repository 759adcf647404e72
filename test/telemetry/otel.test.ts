/**
 * OpenTelemetry end to end: a real OTLP/HTTP receiver on 127.0.0.1 gets toolcode's spans —
 * `toolcode.execute` with one `toolcode.tool_call` child per tool call (source, tool, policy
 * decision, bytes, tokens), `toolcode.search` —, never an argument or result value; the caller's
 * `traceparent` (ExecuteOptions.trace, or an MCP client's `_meta`) becomes the parent; and an
 * OpenAPI call carries the tool-call span's `traceparent` to the API.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { createMcpServer } from "../../src/server/mcp-server.js";
import { ROOT, servers, tempDir } from "../helpers.js";
import { type Recorder, sendJson, startRecorder } from "../openapi/http-recorder.js";

const FIXTURES = path.join(ROOT, "test", "fixtures", "openapi");
const SECRET_ARG = "alice-secret-9f3e@example.com";
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const MCP_TRACE = "0af7651916cd43dd8448eb211c80319c";
const MCP_SPAN = "b7ad6b7169203331";

/** One exported span, flattened from OTLP/JSON. */
interface ExportedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  status: number;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status?: { code?: number };
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpBody {
  resourceSpans?: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[];
}

function value(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.doubleValue ?? "";
}

let dir: string;
let collector: Recorder;
let api: Recorder;
let toolcode: Toolcode;
const spans: ExportedSpan[] = [];
const resources: Record<string, string | number | boolean>[] = [];
const rawBodies: string[] = [];

beforeAll(async () => {
  collector = await startRecorder((req, res) => {
    rawBodies.push(req.body.toString("utf8"));
    const body = JSON.parse(req.body.toString("utf8")) as OtlpBody;
    for (const resource of body.resourceSpans ?? []) {
      resources.push(Object.fromEntries((resource.resource?.attributes ?? []).map((a) => [a.key, value(a.value)])));
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          spans.push({
            name: span.name,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? "",
            status: span.status?.code ?? 0,
            attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, value(a.value)])),
          });
        }
      }
    }
    sendJson(res, 200, {});
  });
  api = await startRecorder((req, res) => (req.path === "/v1/pets" ? sendJson(res, 200, [{ id: 1, name: "Rex", owner: SECRET_ARG }]) : sendJson(res, 404, { message: "no" })));
  dir = tempDir("toolcode-otel-");
  toolcode = await createToolcode({
    cwd: dir,
    config: {
      mcpServers: { everything: servers.everything() },
      openapi: { pets: { spec: path.join(FIXTURES, "petstore.yaml"), baseUrl: `${api.url}/v1` } },
      policy: { allow: ["everything.echo", "everything.get_sum"] },
      telemetry: { endpoint: collector.url, serviceName: "toolcode-test" },
    },
  });
}, 60_000);

afterAll(async () => {
  await toolcode?.close();
  await collector?.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("OpenTelemetry spans over OTLP/HTTP", () => {
  it("exports execute → tool-call spans with source, tool, decision, bytes and tokens, search spans, and the caller's trace as parent", async () => {
    toolcode.search("add two numbers", { limit: 3 });
    const run = await toolcode.execute(
      `const sum = await everything.get_sum({ a: 2, b: 3 });
       await everything.echo({ message: ${JSON.stringify(SECRET_ARG)} });
       const list = await pets.listPets({ limit: 1 });
       try { await everything.toggle_simulated_logging(); } catch (e) { console.log(e.code); }
       return { sum, pets: list.length };`,
      { trace: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } },
    );
    expect(run.error).toBeNull();
    expect(run.logs.join("\n")).toContain("POLICY_DENIED");

    // An MCP client's _meta.traceparent becomes the parent of the execute span.
    const server = createMcpServer(toolcode, { sessionId: "otel-mcp" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: "otel-test", version: "1" });
    await client.connect(clientSide);
    await client.callTool({ name: "execute", arguments: { code: "return await everything.get_sum({ a: 1, b: 1 });" }, _meta: { traceparent: `00-${MCP_TRACE}-${MCP_SPAN}-01` } });
    await client.close();

    await toolcode.close(); // flushes the exporter
    const executes = spans.filter((s) => s.name === "toolcode.execute");
    const direct = executes.find((s) => s.traceId === CALLER_TRACE);
    expect(direct, "the execute span joins the caller's trace").toBeDefined();
    expect(direct!.parentSpanId).toBe(CALLER_SPAN);
    expect(direct!.attributes).toMatchObject({ "toolcode.engine": "quickjs", "toolcode.tool_calls": 4 });
    expect(direct!.attributes["toolcode.tokens.tool_results"]).toBeGreaterThan(0);

    const calls = spans.filter((s) => s.name === "toolcode.tool_call" && s.parentSpanId === direct!.spanId);
    expect(calls.map((s) => s.attributes["toolcode.tool"]).sort()).toEqual(["everything.echo", "everything.get_sum", "everything.toggle_simulated_logging", "pets.listPets"]);
    for (const call of calls) expect(call.traceId).toBe(CALLER_TRACE);
    const sum = calls.find((s) => s.attributes["toolcode.tool"] === "everything.get_sum")!;
    expect(sum.attributes).toMatchObject({ "toolcode.source": "everything", "toolcode.policy.decision": "allow", "toolcode.replayed": false });
    expect(sum.attributes["toolcode.result.bytes"]).toBeGreaterThan(0);
    expect(sum.attributes["toolcode.result.tokens"]).toBeGreaterThan(0);
    expect(sum.attributes["toolcode.arguments.bytes"]).toBe(JSON.stringify({ a: 2, b: 3 }).length);
    const denied = calls.find((s) => s.attributes["toolcode.tool"] === "everything.toggle_simulated_logging")!;
    expect(denied.attributes).toMatchObject({ "toolcode.policy.decision": "deny", "toolcode.error.code": "POLICY_DENIED" });
    expect(denied.status).toBe(2); // ERROR

    // The OpenAPI request carried the pets.listPets span's context.
    const listPets = calls.find((s) => s.attributes["toolcode.tool"] === "pets.listPets")!;
    const sent = api.requests.find((r) => r.path === "/v1/pets");
    expect(sent?.headers.traceparent).toBe(`00-${CALLER_TRACE}-${listPets.spanId}-01`);

    const viaMcp = executes.find((s) => s.traceId === MCP_TRACE);
    expect(viaMcp?.parentSpanId).toBe(MCP_SPAN);
    expect(spans.some((s) => s.name === "toolcode.tool_call" && s.parentSpanId === viaMcp?.spanId)).toBe(true);

    const search = spans.find((s) => s.name === "toolcode.search");
    expect(search?.attributes).toMatchObject({ "toolcode.search.query_chars": "add two numbers".length, "toolcode.search.limit": 3 });
    expect(resources.some((r) => r["service.name"] === "toolcode-test")).toBe(true);

    // No argument or result value, and not the query text, left the host in a span.
    const exported = rawBodies.join("\n");
    expect(exported).not.toContain(SECRET_ARG);
    expect(exported).not.toContain("add two numbers");
  });
});
