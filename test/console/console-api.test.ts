/**
 * The web console's API on a real `serve --http` server (in-process, real MCP servers, bearer
 * users): auth and Host/Origin checks, the timeline of console and MCP executions with nested
 * calls as the guest saw them (PII tokens, not values), approvals approved and rejected, the live
 * stream, and isolation: user B can neither see nor act on user A's sessions, executions,
 * approvals or workspace.
 */
import { request } from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionRecord, SessionSummary } from "../../src/console/execution-history.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { type RunningHttpServer, startHttpServer } from "../../src/server/http-server.js";
import { servers, tempDir } from "../helpers.js";

const TOKENS = { alice: "alice-token-0123456789abcdef", bob: "bob-token-0123456789abcdefgh" };
type User = keyof typeof TOKENS;

describe("console API (serve --http)", () => {
  let tc: Toolcode;
  let http: RunningHttpServer;
  let base: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    tc = await createToolcode({
      config: {
        mcpServers: { everything: servers.everything(), memory: servers.memory(path.join(dir, "memory.jsonl")) },
        policy: { allow: ["memory"], approve: ["everything.get_sum"] },
        privacy: { tokenize: ["email"] },
        auth: { users: TOKENS },
      },
      cwd: dir,
    });
    http = await startHttpServer(tc, { port: 0 });
    base = `http://127.0.0.1:${http.port}`;
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await http.close();
    await tc.close();
  });

  const call = async <T = Record<string, unknown>>(user: User | null, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}/console/api/${route}`, {
      ...(body !== undefined ? { method: "POST", body: JSON.stringify(body) } : {}),
      headers: { ...(user ? { authorization: `Bearer ${TOKENS[user]}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const newSession = async (user: User): Promise<string> => (await call<{ id: string }>(user, "sessions", {})).body.id;
  const timeline = async (user: User, session: string): Promise<ExecutionRecord[]> => (await call<{ executions: ExecutionRecord[] }>(user, `sessions/${session}`)).body.executions;

  it("serves the page without a token (it carries no data) and the API only with one", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain("/console/assets/app.js");
    expect(html).not.toContain("alice");
    const script = await fetch(`${base}/console/assets/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${base}/console/assets/..%2F..%2Fpackage.json`)).status).toBe(404);

    const anonymous = await call(null, "overview");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: "AUTH_REQUIRED" } });
    expect((await call(null, "overview", undefined, { authorization: "Bearer wrong-token" })).status).toBe(401);
    const overview = await call<{ user: string; authRequired: boolean; sources: { server: string }[] }>("alice", "overview");
    expect(overview.body).toMatchObject({ user: "alice", authRequired: true });
    expect(overview.body.sources.map((s) => s.server).sort()).toEqual(["everything", "memory"]);
  });

  it("applies the MCP endpoint's Host and Origin checks, and wants JSON POSTs", async () => {
    const evil = await call("alice", "sessions", {}, { origin: "http://evil.example" });
    expect(evil.status).toBe(403);
    // fetch cannot set Host: a raw request, as a rebinding page's browser would send it.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      request({ host: "127.0.0.1", port: http.port, path: "/", headers: { host: "evil.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on("error", reject).end();
    });
    expect(rebound).toBe(403);
    const badLanguage = await call<{ error: { code: string } }>("alice", `sessions/${await newSession("alice")}/execute`, { code: "1", language: "cobol" });
    expect([badLanguage.status, badLanguage.body.error.code]).toEqual([400, "USAGE"]);
    const form = await fetch(`${base}/console/api/sessions`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.alice}`, "content-type": "text/plain" }, body: "{}" });
    expect(form.status).toBe(400);
  });

  it("lists the virtual tree, reads a file and searches", async () => {
    const tree = await call<{ paths: string[] }>("alice", "tree");
    expect(tree.body.paths).toContain("servers/everything/index.d.ts");
    const file = await call<{ text: string }>("alice", `file?path=${encodeURIComponent("servers/everything/index.d.ts")}`);
    expect(file.body.text).toContain("get_sum");
    expect((await call("alice", "file?path=servers/nope.d.ts")).status).toBe(404);
    const found = await call<{ results: { id: string }[] }>("alice", "search?q=add%20two%20numbers");
    expect(found.body.results.map((r) => r.id)).toContain("everything.get_sum");
  });

  it("records each tool call under its execute, with the arguments and results the guest saw", async () => {
    const session = await newSession("alice");
    const code = `const who = await everything.echo({ message: "mail ada@example.com" });
const graph = await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["ada@example.com"] }] });
await workspace.write("notes/ada.json", { who });
try { await (everything as any).no_such_tool({}); } catch (e) { console.log("caught"); }
return "ok";`;
    const ran = await call<{ text: string; error: unknown }>("alice", `sessions/${session}/execute`, { code });
    expect(ran.status).toBe(200);
    expect(ran.body.error).toBeNull();
    const [execution] = await timeline("alice", session);
    expect(execution?.running).toBe(false);
    expect(execution?.text).toBe(ran.body.text);
    expect(execution?.calls.map((c) => [c.seq, c.tool, c.decision])).toEqual([
      [1, "everything.echo", "allow"],
      [2, "memory.create_entities", "allow"],
    ]);
    // The guest passed the email in the clear and got it back as a token: the timeline has only what the guest saw.
    const echo = execution!.calls[0]!;
    expect(echo.arguments).toContain("ada@example.com");
    expect(echo.result).not.toContain("ada@example.com");
    expect(echo.result).toMatch(/Echo: mail \S+/);
    expect(typeof echo.durationMs).toBe("number");
    expect(execution?.tokens?.output).toBeGreaterThan(0);
    const files = await call<{ files: { path: string }[] }>("alice", `sessions/${session}/workspace`);
    expect(files.body.files.map((f) => f.path)).toContain("notes/ada.json");
  });

  it("shows a pending approval, approves it (the script resumes) and rejects another", async () => {
    const session = await newSession("alice");
    const code = "const s = await everything.get_sum({ a: 2, b: 3 }); return s;";
    const stopped = await call<{ error: { code: string }; approval: { id: string } }>("alice", `sessions/${session}/execute`, { code });
    expect(stopped.body.error.code).toBe("APPROVAL_REQUIRED");
    const pending = await call<{ approvals: { id: string; tool: string; arguments: unknown }[] }>("alice", `sessions/${session}/approvals`);
    expect(pending.body.approvals).toEqual([expect.objectContaining({ id: stopped.body.approval.id, tool: "everything.get_sum", arguments: { a: 2, b: 3 } })]);
    const approved = await call<{ text: string; error: unknown }>("alice", `sessions/${session}/approvals/${stopped.body.approval.id}/approve`, {});
    expect(approved.body.error).toBeNull();
    expect(approved.body.text).toContain("5");
    expect((await call<{ approvals: unknown[] }>("alice", `sessions/${session}/approvals`)).body.approvals).toEqual([]);
    const executions = await timeline("alice", session);
    expect(executions.map((e) => e.approve ?? null)).toEqual([null, stopped.body.approval.id]);
    expect(executions[0]?.calls[0]?.error?.code).toBe("APPROVAL_REQUIRED");

    const again = await call<{ approval: { id: string } }>("alice", `sessions/${session}/execute`, { code });
    const rejected = await call("alice", `sessions/${session}/approvals/${again.body.approval.id}/reject`, {});
    expect(rejected.body).toEqual({ rejected: again.body.approval.id });
    expect((await call<{ approvals: unknown[] }>("alice", `sessions/${session}/approvals`)).body.approvals).toEqual([]);
    const reused = await call<{ error: { code: string } }>("alice", `sessions/${session}/approvals/${again.body.approval.id}/approve`, {});
    expect(reused.body.error.code).toBe("APPROVAL_INVALID");
    expect((await call("alice", `sessions/${session}/approvals/${again.body.approval.id}/reject`, {})).status).toBe(400);
  });

  it("shows MCP clients' executions in their user's sessions", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { Authorization: `Bearer ${TOKENS.alice}` } } });
    const client = new Client({ name: "alice-agent", version: "1" });
    await client.connect(transport);
    clients.push(client);
    await client.callTool({ name: "execute", arguments: { code: 'return await everything.echo({ message: "from MCP" });' } });
    const sessions = (await call<{ sessions: SessionSummary[] }>("alice", "sessions")).body.sessions;
    expect(sessions.map((s) => s.id)).toContain(transport.sessionId);
    const [execution] = await timeline("alice", transport.sessionId!);
    expect(execution?.calls.map((c) => c.tool)).toEqual(["everything.echo"]);
  });

  it("user B can neither see nor act on user A's sessions, executions, approvals or workspace", async () => {
    const session = await newSession("alice");
    const stopped = await call<{ approval: { id: string } }>("alice", `sessions/${session}/execute`, { code: "return await everything.get_sum({ a: 1, b: 1 });" });
    const approvalId = stopped.body.approval.id;
    const bobSessions = (await call<{ sessions: SessionSummary[] }>("bob", "sessions")).body.sessions;
    expect(bobSessions.map((s) => s.id)).not.toContain(session);
    for (const route of [`sessions/${session}`, `sessions/${session}/approvals`, `sessions/${session}/workspace`]) {
      const answer = await call("bob", route);
      expect([route, answer.status, answer.body]).toEqual([route, 404, { error: expect.objectContaining({ code: "SESSION_NOT_FOUND" }) }]);
    }
    for (const route of [`sessions/${session}/execute`, `sessions/${session}/approvals/${approvalId}/approve`, `sessions/${session}/approvals/${approvalId}/reject`]) {
      const answer = await call("bob", route, { code: "return 1" });
      expect([route, answer.status]).toEqual([route, 404]);
    }
    // A's approval id in B's own session is unknown there.
    const mine = await newSession("bob");
    const stolen = await call<{ error: { code: string } }>("bob", `sessions/${mine}/approvals/${approvalId}/approve`, {});
    expect(stolen.body.error.code).toBe("APPROVAL_INVALID");
    expect((await call("bob", `sessions/${mine}/approvals/${approvalId}/reject`, {})).status).toBe(400);
    // A's approval is untouched.
    const pending = await call<{ approvals: { id: string }[] }>("alice", `sessions/${session}/approvals`);
    expect(pending.body.approvals.map((a) => a.id)).toEqual([approvalId]);
    expect(await timeline("alice", session)).toHaveLength(1);
  });

  it("streams changes of the user's own sessions only", async () => {
    const listen = async (user: User): Promise<{ events: string[]; stop: () => void }> => {
      const abort = new AbortController();
      const response = await fetch(`${base}/console/api/events`, { headers: { authorization: `Bearer ${TOKENS[user]}` }, signal: abort.signal });
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const events: string[] = [];
      void (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of response.body!) events.push(...decoder.decode(chunk as Uint8Array).split("\n").filter((l) => l.startsWith("data: ")));
        } catch {
          // aborted
        }
      })();
      return { events, stop: () => abort.abort() };
    };
    const alice = await listen("alice");
    const bob = await listen("bob");
    const session = await newSession("alice");
    await call("alice", `sessions/${session}/execute`, { code: 'return await everything.echo({ message: "live" });' });
    await expect.poll(() => alice.events.filter((e) => e.includes(session) && e.includes('"execution"')).length).toBe(2);
    expect(bob.events.filter((e) => e.includes(session))).toEqual([]);
    alice.stop();
    bob.stop();
  });
});
