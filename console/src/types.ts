/** Shapes of the console API's answers (see src/console/ on the server). */

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface Overview {
  user?: string;
  authRequired: boolean;
  engine: string;
  sources: { server: string; tools: number }[];
  failures: { server: string; message: string }[];
  /** `javascript` (TypeScript accepted), and `python` when the server has Pyodide. */
  languages: string[];
}

export interface ToolCallRecord {
  seq: number;
  tool: string;
  decision: string;
  kind: string;
  arguments: string;
  startedAt: number;
  durationMs?: number;
  result?: string;
  error?: ErrorInfo;
  replayed?: boolean;
}

export interface Tokens {
  output: number;
  toolResults: number;
  saved: number;
  estimated?: boolean;
}

export interface ExecutionRecord {
  id: string;
  sessionId: string;
  startedAt: number;
  running: boolean;
  code: string;
  approve?: string;
  calls: ToolCallRecord[];
  droppedCalls: number;
  durationMs?: number;
  text?: string;
  error?: ErrorInfo | null;
  tokens?: Tokens;
  toolCalls?: number;
  truncated?: boolean;
  approval?: { id: string; tool: string; reason: string };
}

export interface SessionSummary {
  id: string;
  executions: number;
  running: number;
  lastActive: number;
  tokens: Tokens;
}

export interface Approval {
  id: string;
  tool: string;
  arguments: unknown;
  reason: string;
  expiresAt: string;
}

export interface RunResult {
  text: string;
  error: ErrorInfo | null;
  approval?: Approval;
  metadata: { durationMs: number; toolCalls: number; tokens: Tokens; truncated: boolean };
}

export interface SkillReport {
  name: string;
  id: string;
  description: string;
  version: number;
  signatures: string[];
  scope: string;
  usage: { imports: number; calls: number; failures: number; executions: number; lastUsed: string | null };
}

export interface WorkspaceEntry {
  path: string;
  bytes: number;
  modified: string;
}
