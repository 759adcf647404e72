/**
 * toolcode: let AI agents write code against their tools.
 *
 * The curated public API. Everything else is internal and may change without notice.
 *
 * @module
 */
export {
  createToolcode,
  type ExecuteOptions,
  type SearchOptions,
  type SearchResponse,
  type SourceFailure,
  type Toolcode,
  type ToolcodeOptions,
} from "./execute/create-toolcode.js";
export type { ExecuteMetadata, ExecuteResult, GuestErrorInfo, TokenAccounting } from "./execute/execute-result.js";
export { CONFIG_FILE_NAME, type LoadConfigOptions, type LoadedConfig, loadConfig, parseConfig } from "./config/load-config.js";
export type { Config, ConfigInput, McpServerConfig, SkillsConfig } from "./config/schema.js";
export { ConfigError, type ErrorCode, type ErrorInfo, SourceError, ToolError, ToolcodeError } from "./errors.js";
export { HttpError } from "./sources/openapi/http-error.js";
export type { TraceCarrier } from "./telemetry/telemetry.js";
export type { ApprovalHandler, ApprovalRequest } from "./guard/guard.js";
export type { Credential, CredentialKey, CredentialStore, OAuthState } from "./credentials/credential-store.js";
export { withValues } from "./credentials/credential-store.js";
export { EncryptedFileCredentialStore, type EncryptedFileStoreOptions } from "./credentials/encrypted-file-store.js";
export { EnvCredentialStore, credentialEnvName } from "./credentials/env-store.js";
export { MemoryCredentialStore } from "./credentials/memory-store.js";
export type { ApprovalInfo } from "./guard/approvals.js";
export { type AuditFilter, filterAudit, formatAuditRecord, readAuditLog } from "./guard/audit-read.js";
export type { AuditApproval, AuditCall, AuditExecution, AuditRecord } from "./guard/audit-log.js";
export type { PolicyDecision, ToolKind } from "./guard/policy.js";
export type { CallOptions, JsonSchema, ToolAnnotations, ToolSource, ToolSpec } from "./sources/tool-source.js";
export { type McpServerOptions, createMcpServer } from "./server/mcp-server.js";
export {
  type ExecuteInput,
  type ExecuteOutput,
  type SearchInput,
  executeDescription,
  executeInputSchema,
  searchDescription,
  searchInputSchema,
} from "./server/tool-descriptions.js";
export type { HiddenTool, HiddenTools } from "./guard/hidden-tools.js";
export { type HttpServerOptions, type RunningHttpServer, startHttpServer } from "./server/http-server.js";
export { type Agent, type AgentOptions, type AgentRun, type AgentRunOptions, type ModelObject, createAgent } from "./agent/create-agent.js";
export type { ActionMode, AgentEvent, AgentMode, AgentResult, AgentStatus, AgentStep, AgentToolCall, TokenUsage } from "./agent/agent-events.js";
export { AgentError, type AgentErrorCode } from "./agent/agent-error.js";
export { type ModelProvider, type ModelSpec, type ResolveModelOptions, type ResolvedModel, parseModelSpec, resolveModel } from "./agent/resolve-model.js";
export { type ModeChoice, type ModeInput, chooseMode } from "./agent/choose-mode.js";
export { type ParseOptions, type ParseProblem, type ParsedAction, type Recovery, type ReplyFormat, parseAction } from "./agent/parse-action.js";
export {
  type SaveSkillInput,
  type SavedSkill,
  type SkillInfo,
  SkillLibrary,
  type SkillLibraryOptions,
  type SkillReport,
} from "./skills/skill-library.js";
export type { SkillUsage } from "./skills/usage-tracker.js";
export type {
  Engine as experimental_Engine,
  RunRequest as experimental_RunRequest,
  RunResult as experimental_RunResult,
  SandboxHost as experimental_SandboxHost,
} from "./sandbox/engine.js";
export type { SandboxInfo } from "./sandbox/engine.js";
