// Bundles the web console (Preact + CodeMirror 6 + uPlot) into dist/console/web/: one script,
// one stylesheet and the page, all served by `toolcode serve --http` (no CDN, works offline).
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "dist", "console", "web");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: path.join(here, "src", "main.tsx") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync(path.join(here, "index.html"), path.join(out, "index.html"));
