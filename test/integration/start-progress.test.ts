/**
 * What starting waits for is said through `onProgress` (the CLI prints it on stderr when a start
 * takes more than a second): the MCP servers and OpenAPI specs, by name, disabled ones left out.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createToolcode } from "../../src/execute/create-toolcode.js";
import { servers, tempDir } from "../helpers.js";

describe("start progress", () => {
  it("names the servers and specs being started", async () => {
    const dir = tempDir();
    const messages: string[] = [];
    const spec = path.join(dir, "api.json");
    writeFileSync(spec, JSON.stringify({ openapi: "3.0.3", info: { title: "t", version: "1" }, servers: [{ url: "http://127.0.0.1:9" }], paths: { "/ping": { get: { operationId: "ping", responses: { "200": { description: "ok" } } } } } }));
    const toolcode = await createToolcode({
      config: { mcpServers: { memory: servers.memory(path.join(dir, "m.jsonl")), off: { command: "nope", disabled: true } }, openapi: { api: { spec } } },
      onProgress: (message) => messages.push(message),
    });
    try {
      expect(messages).toEqual(["starting MCP servers: memory; loading OpenAPI specs: api"]);
      expect(toolcode.catalog.serverIds().sort()).toEqual(["api", "memory"]);
    } finally {
      await toolcode.close();
    }
  });
});
