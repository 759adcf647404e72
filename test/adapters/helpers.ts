/**
 * Shared setup of the adapter tests: a project directory with a few files, served by the real
 * embedded default servers (server-filesystem rooted at it + server-memory), with
 * `memory.create_entities` allowed after an approval so the approval flow can be driven too.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defaultConfigInput } from "../../src/config/default-config.js";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { tempDir } from "../helpers.js";

/** A started toolcode over the embedded default servers, and its project directory. */
export interface AdapterFixture {
  toolcode: Toolcode;
  dir: string;
  /** server-memory's JSONL file (what the real server stored). */
  memoryFile: string;
}

/** Files of the project: three markdown files, one other. */
export const PROJECT_FILES = ["README.md", "CHANGELOG.md", "guide.md", "index.ts"];

/** Starts the fixture; `close()` the toolcode after. */
export async function startAdapterFixture(): Promise<AdapterFixture> {
  const dir = tempDir("toolcode-adapter-");
  writeFileSync(path.join(dir, "package.json"), '{ "name": "demo" }\n');
  for (const file of PROJECT_FILES) writeFileSync(path.join(dir, file), `# ${file}\n`);
  mkdirSync(path.join(dir, ".toolcode"), { recursive: true });
  const toolcode = await createToolcode({ cwd: dir, config: { ...defaultConfigInput(dir), policy: { approve: ["memory.create_entities"] } } });
  if (toolcode.failures.length > 0) throw new Error(`servers failed: ${toolcode.failures.map((f) => f.error.message).join("; ")}`);
  return { toolcode, dir, memoryFile: path.join(dir, ".toolcode", "memory.jsonl") };
}

/** A script that counts the project's markdown files in the sandbox and prints one line. */
export function countMarkdownScript(dir: string): string {
  return [
    `const listing = await filesystem.list_directory({ path: ${JSON.stringify(dir)} });`,
    `const text = typeof listing === "string" ? listing : String(listing.content ?? JSON.stringify(listing));`,
    `const md = text.split("\\n").filter((line) => line.startsWith("[FILE]") && line.endsWith(".md"));`,
    "console.log(`${md.length} markdown files`);",
  ].join("\n");
}

/** A script that adds one entity to the knowledge graph (needs an approval under the fixture's policy). */
export const CREATE_ENTITY_SCRIPT = 'await memory.create_entities({ entities: [{ name: "toolcode", entityType: "project", observations: ["adapters work"] }] });\nconsole.log("created");';

/** The approval id in an APPROVAL_REQUIRED text (also inside JSON-escaped prompt text). */
export function approvalIdIn(text: string): string | undefined {
  return /approve: \\?"(ap_[A-Za-z0-9_-]+)/.exec(text)?.[1];
}
