/**
 * `search.embeddings`: search results re-ranked by an OpenAI-compatible embeddings endpoint,
 * played by a scripted server on 127.0.0.1 (real HTTP) in front of the real memory MCP server.
 * Off by default; cached; bounded by a deadline; lexical results with a note when it fails.
 */
import { readFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConfigInput, configSchema } from "../../src/config/schema.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { ROOT, servers, tempDir } from "../helpers.js";

/** What the scripted endpoint does: answer, fail with 500, or answer too late. */
let mode: "ok" | "fail" | "slow" = "ok";
/** Every input text the endpoint was asked to embed, in order. */
const embedded: string[] = [];
let server: Server;
let url: string;

/** The script: the two queries below and the text of `read_graph` point one way, every other text the other way. */
const vector = (text: string): number[] => (/read_graph|^knowledge graph entities$|^entities graph$/.test(text) ? [1, 0, 0] : [0, 1, 0.1]);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/embeddings") {
        res.writeHead(404).end();
        return;
      }
      const { input, model } = JSON.parse(body) as { input: string[]; model: string };
      if (mode === "fail") {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "scripted failure" } }));
        return;
      }
      embedded.push(...input);
      const answer = (): void => {
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({ object: "list", model, data: input.map((text, index) => ({ object: "embedding", index, embedding: vector(text) })), usage: { prompt_tokens: 1, total_tokens: 1 } }),
        );
      };
      if (mode === "slow") setTimeout(answer, 1500);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function open(embeddings?: Record<string, unknown>): Promise<Toolcode> {
  const dir = tempDir("toolcode-semantic-");
  const config: ConfigInput = {
    mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) },
    policy: { default: "allow-all", approveDestructive: false },
    ...(embeddings ? { search: { embeddings: embeddings as NonNullable<NonNullable<ConfigInput["search"]>["embeddings"]> } } : {}),
  };
  return createToolcode({ cwd: dir, config });
}

describe("semantic re-ranking (search.embeddings)", () => {
  it("is off by default: semanticSearch is the lexical search, no request is made", async () => {
    const toolcode = await open();
    try {
      const before = embedded.length;
      const lexical = toolcode.search("knowledge graph entities", { limit: 5 });
      const semantic = await toolcode.semanticSearch("knowledge graph entities", { limit: 5 });
      expect(semantic).toEqual(lexical);
      expect(embedded.length).toBe(before);
    } finally {
      await toolcode.close();
    }
  }, 60_000);

  it("re-ranks the lexical candidates by similarity and caches tool embeddings", async () => {
    mode = "ok";
    const toolcode = await open({ url, model: "scripted", weight: 0.9, candidates: 9, timeoutMs: 60_000 });
    try {
      const lexical = toolcode.search("knowledge graph entities", { limit: 9 }).results.map((r) => r.id);
      expect(lexical[0]).not.toBe("memory.read_graph");
      expect(lexical).toContain("memory.read_graph");
      const before = embedded.length;
      const first = await toolcode.semanticSearch("knowledge graph entities", { limit: 3 });
      expect(first.results[0]?.id).toBe("memory.read_graph");
      expect(first.results).toHaveLength(3);
      expect(first.text).toContain("read_graph");
      expect(first.text.indexOf("read_graph")).toBeLessThan(first.text.indexOf("create_entities") >>> 0);
      const sent = embedded.slice(before);
      expect(sent[0]).toBe("knowledge graph entities"); // the query, then every candidate once
      expect(sent.length).toBe(1 + lexical.length);
      // Same query again: nothing to embed. Another query: only the query itself.
      await toolcode.semanticSearch("knowledge graph entities", { limit: 3 });
      expect(embedded.length).toBe(before + sent.length);
      const other = await toolcode.semanticSearch("entities graph", { limit: 3 });
      expect(embedded.slice(before + sent.length)).toEqual(["entities graph"]);
      expect(other.results[0]?.id).toBe("memory.read_graph");
    } finally {
      await toolcode.close();
    }
  }, 60_000);

  it("falls back to the lexical ranking with a note when the endpoint fails or is too slow", async () => {
    const toolcode = await open({ url, model: "scripted", weight: 0.9, timeoutMs: 300 });
    try {
      const lexical = toolcode.search("delete relations", { limit: 4 });
      mode = "fail";
      const failed = await toolcode.semanticSearch("delete relations", { limit: 4 });
      expect(failed.results.map((r) => r.id)).toEqual(lexical.results.map((r) => r.id));
      expect(failed.text).toContain("Semantic re-ranking by scripted");
      expect(failed.text).toContain("these are the lexical results");
      mode = "slow";
      const slow = await toolcode.semanticSearch("delete relations", { limit: 4 });
      expect(slow.results.map((r) => r.id)).toEqual(lexical.results.map((r) => r.id));
      expect(slow.text).toContain("no answer within 300 ms");
    } finally {
      mode = "ok";
      await toolcode.close();
    }
  }, 60_000);

  it("rejects a config without a model, naming the key", () => {
    const parsed = configSchema.safeParse({ search: { embeddings: { url } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain("search.embeddings.model");
  });

  it("accepts the README's example config", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = /```json\n(\{ "search": [^\n]*)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = configSchema.parse(JSON.parse(block!));
    expect(config.search.embeddings).toMatchObject({ model: "text-embedding-3-small", timeoutMs: 2000, candidates: 30, weight: 0.5 });
  });
});
