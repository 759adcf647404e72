/**
 * Worker-thread entry that type-checks skills ({@link checkSkills}) off the host's event loop.
 * It renders the tool declarations itself (seconds for a big API) and keeps them, parsed, between
 * checks, so later checks send only the skills.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { type CheckEnvironment, type CheckedSkill, type SourceFileCache, checkEnvironment, checkSkills } from "./skill-compiler.js";

/** Host → worker. `environment` is sent only when the worker does not have `environmentKey` yet. */
export interface CheckRequest {
  id: number;
  environmentKey: string;
  environment?: { tools: CatalogTool[]; builtins: string };
  skills: [string, string][];
  identifiers: [string, string][];
  only?: string[];
}

/** Worker → host. `needEnvironment`: resend with the environment (the worker has another one). */
export type CheckReply =
  | { id: number; ok: true; results: CheckedSkill[] }
  | { id: number; ok: false; needEnvironment?: boolean; message: string };

const cache: SourceFileCache = new Map();
let current: { key: string; environment: CheckEnvironment } | undefined;

parentPort?.on("message", (request: CheckRequest) => {
  let reply: CheckReply;
  try {
    if (request.environment !== undefined) {
      current = { key: request.environmentKey, environment: checkEnvironment(request.environment.tools, request.environment.builtins) };
    }
    if (current?.key !== request.environmentKey) {
      reply = { id: request.id, ok: false, needEnvironment: true, message: "tool declarations missing" };
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
