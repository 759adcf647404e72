/**
 * Worker-thread entry that type-checks skills ({@link checkSkills}) off the host's event loop.
 * It renders the tool declarations itself (seconds for a big API) and keeps them, parsed, between
 * checks, so later checks send only the skills.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { type ScriptCheck, type ScriptProgramCache, checkScript } from "./script-compiler.js";
import { type CheckEnvironment, type CheckedSkill, type SourceFileCache, checkEnvironment, checkSkills } from "./skill-compiler.js";

/** Host → worker. `environment` is sent only when the worker does not have `environmentKey` yet. */
export interface CheckRequest {
  id: number;
  kind?: "skills";
  environmentKey: string;
  environment?: { tools: CatalogTool[]; builtins: string };
  skills: [string, string][];
  identifiers: [string, string][];
  only?: string[];
}

/**
 * Host → worker: load `environment` (when given) and, with `code`, type-check that `execute`
 * script against it ({@link checkScript}), cancelled past `deadline` (`Date.now()` ms).
 */
export interface ScriptRequest {
  id: number;
  kind: "script";
  environmentKey: string;
  environment?: { tools: CatalogTool[]; builtins: string };
  code?: string;
  deadline?: number;
}

/** Worker → host. `needEnvironment`: resend with the environment (the worker has another one). */
export type CheckReply =
  | { id: number; ok: true; results: CheckedSkill[] }
  | { id: number; ok: true; script: ScriptCheck }
  | { id: number; ok: false; needEnvironment?: boolean; message: string };

const cache: SourceFileCache = new Map();
const scriptCache: ScriptProgramCache = { files: cache };
let current: { key: string; environment: CheckEnvironment } | undefined;

parentPort?.on("message", (request: CheckRequest | ScriptRequest) => {
  let reply: CheckReply;
  try {
    if (request.environment !== undefined) {
      current = { key: request.environmentKey, environment: checkEnvironment(request.environment.tools, request.environment.builtins) };
    }
    if (current?.key !== request.environmentKey) {
      reply = { id: request.id, ok: false, needEnvironment: true, message: "tool declarations missing" };
    } else if (request.kind === "script") {
      // Without code: a warm-up (parse and bind the declarations once, with an empty script).
      const script = checkScript({ ...current.environment, code: request.code ?? "", cache: scriptCache, ...(request.deadline !== undefined ? { deadline: request.deadline } : {}) });
      reply = { id: request.id, ok: true, script };
    } else {
      const results = checkSkills({
        ...current.environment,
        skills: new Map(request.skills),
        identifiers: new Map(request.identifiers),
        cache,
        ...(request.only ? { only: request.only } : {}),
      });
      reply = { id: request.id, ok: true, results: [...results.values()] };
    }
  } catch (error) {
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
