/**
 * Graceful shutdown of `serve --http` (what a rolling update does to a replica): on SIGTERM the
 * running `execute` finishes and its client gets the result, `/readyz` answers 503 while
 * `/healthz` stays 200, a new session is refused with HTTP 503 `SERVER_DRAINING`, and the process
 * then exits 0. Probes get a status and nothing else (no token, and any Host: a kubelet sends the pod's address).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, servers, tempDir, writeConfig } from "../helpers.js";

describe("toolcode serve --http drains on SIGTERM", () => {
  let child: ChildProcess;
  let url: string;
  let stderr = "";
  let exited: Promise<number | null>;

  beforeAll(async () => {
    const dir = tempDir("toolcode-drain-");
    const config = writeConfig(dir, {
      mcpServers: { everything: servers.everything() },
      policy: { allow: ["everything.trigger_long_running_operation"] },
      server: { drainTimeoutMs: 30_000 },
    });
    child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    url = await new Promise<string>((found, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
        if (match?.[1]) found(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  const probe = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(new URL(path, url));
    return { status: response.status, body: await response.json() };
  };

  it("answers probes, finishes the running execute, refuses new sessions, then exits 0", async () => {
    expect(await probe("/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    expect(await probe("/readyz")).toEqual({ status: 200, body: { status: "ready" } });

    const client = new Client({ name: "drain", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => (running = resolve));
    const call = client.callTool(
      { name: "execute", arguments: { code: "await everything.trigger_long_running_operation({ duration: 3, steps: 3 });\nreturn 'finished';" } },
      CallToolResultSchema,
      { onprogress: () => running(), timeout: 60_000 },
    );
    await started; // a progress notification: the script is running
    child.kill("SIGTERM");
    // Draining: not ready, still alive; a new session is turned away.
    for (let i = 0; i < 200 && (await probe("/readyz")).status === 200; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await probe("/readyz")).toEqual({ status: 503, body: { status: "draining" } });
    expect((await probe("/healthz")).status).toBe(200);
    const refused = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "late", version: "1" } } }),
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^SERVER_DRAINING: /);

    const result = await call;
    expect(result.structuredContent).toMatchObject({ result: "finished", error: null });
    expect(await exited).toBe(0);
    expect(stderr).toContain("finishing running requests");
  });
});
