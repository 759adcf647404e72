/**
 * `toolcode audit`: reads the audit log (`audit.file` of the config, or `--file`) and prints
 * one line per execution and tool call, or the records as JSON.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { Command, type Option } from "commander";
import { CONFIG_FILE_NAME, parseConfig } from "../config/load-config.js";
import { ToolcodeError } from "../errors.js";
import { formatAuditRecord, readAuditLog } from "../guard/audit-read.js";
import type { ApprovalHandler } from "../guard/guard.js";

/** Options of `toolcode audit`. */
interface AuditOptions {
  config?: string;
  file?: string;
  json?: boolean;
  user?: string;
  session?: string;
  tool?: string;
}

/**
 * The audit log file: `--file`, else the config's `audit.file` (relative to the config file).
 * Only the `audit` section is read, so the other sections' secrets (`${ENV}`) need not be set.
 */
export function auditFile(options: { config?: string; file?: string }): string {
  if (options.file !== undefined) return path.resolve(options.file);
  const configPath = path.resolve(options.config ?? CONFIG_FILE_NAME);
  if (!existsSync(configPath)) {
    throw new ToolcodeError("USAGE", `No audit log: pass --file F${options.config === undefined ? `, or run where ${CONFIG_FILE_NAME} sets audit.file` : ` (${configPath} does not exist)`}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (error) {
    throw new ToolcodeError("CONFIG_INVALID", `Cannot read ${configPath}: ${(error as Error).message}`, { path: configPath });
  }
  const section = raw !== null && typeof raw === "object" ? (raw as { audit?: unknown }).audit : undefined;
  const file = parseConfig({ audit: section ?? {} }, { source: configPath }).audit.file;
  if (file === undefined || file === "-") {
    throw new ToolcodeError(
      "USAGE",
      file === "-" ? 'audit.file is "-" (stdout), so there is no file to read: pass --file F.' : `No audit log: ${configPath} does not set audit.file; pass --file F, or set audit.file to start logging.`,
    );
  }
  return path.resolve(path.dirname(configPath), file);
}

/** Builds the `audit` command. */
export function auditCommand(configOption: () => Option): Command {
  return new Command("audit")
    .description("print the audit log: one line per execution and per tool call (who, session, code hash, tool, decision, approval, duration, error)")
    .addOption(configOption())
    .option("-f, --file <file>", "audit log to read (default: audit.file of the config)")
    .option("--json", "print the matching records as a JSON array")
    .option("-u, --user <user>", "only records of this user")
    .option("--session <id>", "only records of this session")
    .option("-t, --tool <pattern>", 'only calls of tools matching this <source>.<tool> glob (e.g. "memory.delete*"), and their executions')
    .action((options: AuditOptions) => {
      const { records, skipped } = readAuditLog(auditFile(options), {
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(options.session !== undefined ? { session: options.session } : {}),
        ...(options.tool !== undefined ? { tool: options.tool } : {}),
      });
      if (skipped > 0) process.stderr.write(`warning: skipped ${skipped} line${skipped === 1 ? "" : "s"} that are not audit records\n`);
      const text = options.json ? JSON.stringify(records) : records.map(formatAuditRecord).join("\n");
      if (text !== "") process.stdout.write(`${text}\n`);
    });
}

/** The OS user running the CLI (the audit log's "who" for local runs), if it can be read. */
export function localUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}

/** Asks on the terminal before a call that needs approval; undefined when there is no terminal. */
export function terminalApprover(): ApprovalHandler | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (request) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const question =
        request.kind === "plan"
          ? `Approve this script's write calls (asked once; others still ask)?\n${(request.arguments as { tool: string; arguments: unknown }[]).map((c) => `  ${c.tool}(${JSON.stringify(c.arguments)})`).join("\n")}\n[y/N] `
          : `Approve ${request.tool}(${JSON.stringify(request.arguments)})? (${request.reason}) [y/N] `;
      const answer = await prompt.question(question, { signal: request.signal });
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      prompt.close();
    }
  };
}
