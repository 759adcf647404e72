/**
 * The console's static files (the bundle `npm run build` writes to dist/console/web/): the page
 * at `/` and its assets under `/console/assets/`. They carry no data, so they are served before
 * authentication (the app asks for the bearer token, then calls the API with it); only files of
 * the bundle are served, by exact name.
 *
 * @module
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where the assets are served. */
export const CONSOLE_ASSETS = "/console/assets/";

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".map": "application/json" };

/** The page's policy: only its own scripts and the API; styles inline too (the editor and the chart set them). */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The built bundle: dist/console/web/ beside the compiled module, or the repository's dist/ when run from source. */
function webDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, "web"), path.join(here, "..", "..", "dist", "console", "web")].find((dir) => existsSync(path.join(dir, "index.html")));
}

/** The bundle's files, read once. */
export class ConsoleAssets {
  readonly #files = new Map<string, { type: string; body: Buffer }>();

  constructor(dir = webDir()) {
    if (dir === undefined) return;
    for (const name of readdirSync(dir)) {
      const type = TYPES[path.extname(name)];
      if (type) this.#files.set(name, { type, body: readFileSync(path.join(dir, name)) });
    }
  }

  /** True for the paths this serves: `/`, `/console`, `/console/` and the assets. */
  matches(pathname: string): boolean {
    return pathname === "/" || pathname === "/console" || pathname === "/console/" || pathname.startsWith(CONSOLE_ASSETS);
  }

  /** Answers a GET for one of {@link matches}'s paths. */
  serve(method: string, pathname: string, res: ServerResponse): void {
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("Method not allowed.");
      return;
    }
    const name = pathname.startsWith(CONSOLE_ASSETS) ? pathname.slice(CONSOLE_ASSETS.length) : "index.html";
    const file = this.#files.get(name);
    if (!file) {
      const missing = this.#files.size === 0 ? "The console is not built: run `npm run build` (it bundles console/ into dist/console/web/)." : `No console asset ${name.slice(0, 100)}.`;
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(missing);
      return;
    }
    res.writeHead(200, {
      "content-type": file.type,
      "content-length": file.body.length,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      ...(name === "index.html" ? { "content-security-policy": CSP, "x-frame-options": "DENY" } : {}),
    });
    res.end(method === "HEAD" ? undefined : file.body);
  }
}
