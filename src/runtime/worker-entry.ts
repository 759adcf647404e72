/**
 * Locating a worker-thread entry module both from built output (`dist/…/x.js`) and from source
 * (`src/…/x.ts`, under vitest or tsx), where the worker needs the tsx loader.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** How to start a worker: a file URL, or (from source) a bootstrap evaluated as a script. */
export interface WorkerEntry {
  /** Pass as the first argument of `new Worker`. */
  filename: URL | string;
  /** Pass as the `eval` option of `new Worker`. */
  eval: boolean;
}

/**
 * Resolves `./<name>.js` next to the calling module (pass `import.meta.url`); from source, falls
 * back to `./<name>.ts` loaded through tsx's ESM loader registered inside the worker.
 */
export function workerEntry(callerUrl: string, name: string): WorkerEntry {
  const js = new URL(`./${name}.js`, callerUrl);
  if (existsSync(fileURLToPath(js))) return { filename: js, eval: false };
  const ts = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); })`;
  return { filename: bootstrap, eval: true };
}
