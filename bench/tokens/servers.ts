/**
 * The real things the token benchmark runs against: MCP servers from npm (as stdio commands), an
 * in-process PGlite served over TCP for server-postgres, and a loopback stub of the one GitHub
 * endpoint the GitHub task calls.
 *
 * @module
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { ServerCommand } from "./classic.js";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const bin = (name: string): string => path.join(ROOT, "node_modules", ".bin", name);

/** Real MCP servers from npm, as stdio commands (one process each time a command is used). */
export const servers = {
  everything: (): ServerCommand => ({ command: process.execPath, args: [bin("mcp-server-everything")] }),
  filesystem: (...roots: string[]): ServerCommand => ({ command: process.execPath, args: [bin("mcp-server-filesystem"), ...roots] }),
  memory: (file: string): ServerCommand => ({ command: process.execPath, args: [bin("mcp-server-memory")], env: { MEMORY_FILE_PATH: file } }),
  postgres: (url: string): ServerCommand => ({ command: process.execPath, args: [bin("mcp-server-postgres"), url] }),
};

/** A running PGlite database reachable at `url`. */
export interface PostgresHandle {
  url: string;
  db: PGlite;
  stop(): Promise<void>;
}

/** Starts an in-memory PGlite, runs `sql` in it, and serves it on an ephemeral loopback port. */
export async function startPostgres(sql: string): Promise<PostgresHandle> {
  const db = await PGlite.create();
  await db.exec(sql);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 8 });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    db,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** A running GitHub stub. */
export interface GitHubStub {
  baseUrl: string;
  /** Requests served, as `METHOD /path?query`. */
  readonly requests: string[];
  stop(): Promise<void>;
}

/**
 * Serves `GET /repos/{owner}/{repo}/issues` for `issues` the way api.github.com does: filters
 * `state` (default open) and `labels` (comma-separated, all must match), sorts by `sort`
 * (created/updated, default created) and `direction` (default desc), pages with `per_page`
 * (default 30, max 100) and `page`, and sends 2-space-indented JSON. Everything else is a 404.
 */
export async function startGitHubStub(owner: string, repo: string, issues: readonly Record<string, unknown>[]): Promise<GitHubStub> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body, null, 2));
    };
    if (req.method !== "GET" || url.pathname !== `/repos/${owner}/${repo}/issues`) {
      send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
      return;
    }
    const state = url.searchParams.get("state") ?? "open";
    const labels = (url.searchParams.get("labels") ?? "").split(",").map((l) => l.trim()).filter(Boolean);
    const sort = url.searchParams.get("sort") === "updated" ? "updated_at" : "created_at";
    const direction = url.searchParams.get("direction") === "asc" ? 1 : -1;
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30));
    const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
    const matching = issues
      .filter((issue) => state === "all" || issue.state === state)
      .filter((issue) => labels.every((label) => (issue.labels as { name: string }[]).some((l) => l.name === label)))
      .sort((a, b) => direction * String(a[sort]).localeCompare(String(b[sort])));
    send(200, matching.slice((page - 1) * perPage, page * perPage));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
