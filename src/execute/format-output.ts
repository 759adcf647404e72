/**
 * Turning an execution's result into the text the model reads.
 *
 * @module
 */
import type { ExecuteResult } from "./execute-result.js";

/**
 * Renders logs, then the return value as JSON, then the error (code, message, line) — the only
 * things that reach the model. Sections that are empty are left out.
 */
export function formatExecuteOutput(result: ExecuteResult): string {
  const parts: string[] = [];
  if (result.logs.length > 0) parts.push(result.logs.join("\n"));
  if (result.result !== undefined) {
    const json = JSON.stringify(result.result, null, 2);
    parts.push(parts.length > 0 ? `Returned:\n${json}` : json);
  }
  if (result.error) {
    const where = result.error.line !== undefined ? ` (line ${result.error.line}${result.error.column !== undefined ? `:${result.error.column}` : ""})` : "";
    const message = result.error.message.includes(`line ${result.error.line ?? -1}`) ? result.error.message : `${result.error.message}${where}`;
    parts.push(`Error ${result.error.code}: ${message}`);
  }
  if (parts.length === 0) parts.push("(no output: the script printed nothing and returned undefined; console.log or return what you need)");
  return parts.join("\n");
}
