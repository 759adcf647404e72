/**
 * The audit log: one JSON line per execution and per tool call, appended to a file (or written
 * to stdout). Records say who ran what (user, session, a hash of the code), what the policy
 * decided, whether and how the call was approved, how long it took and its error code; tool
 * arguments are redacted (or omitted) per `audit.arguments`, and never contain real values that
 * the PII vault hid from the model.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type WriteStream, createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { PII_KINDS } from "../config/guard-schema.js";
import type { ErrorCode } from "../errors.js";
import { nameGlob } from "./glob.js";
import { detectPii } from "./pii-detectors.js";

/** How an approval was given (or asked for). */
export interface AuditApproval {
  id: string;
  /** `callback` (library), `elicitation` (MCP client), `execute` (a later run with `approve`), `pending` (asked, stopped), `plan` (in an approved plan). */
  via: "callback" | "elicitation" | "execute" | "pending" | "plan";
  granted: boolean;
}

/** Fields both record types share. */
interface AuditBase {
  /** ISO timestamp. */
  ts: string;
  /** The authenticated user (HTTP), the OS user (CLI), or null. */
  user: string | null;
  session: string;
  /** Id of the execution the record belongs to. */
  execution: string;
  /** First 16 hex digits of the script's SHA-256. */
  codeHash: string;
  durationMs: number;
  /** Error code, or null on success. */
  error: ErrorCode | string | null;
}

/** One `execute`. */
export interface AuditExecution extends AuditBase {
  type: "execution";
  toolCalls: number;
  /** The approval id the run was started with (`approve`), if any. */
  approve: string | null;
  /** The approval the run stopped for, if any. */
  pendingApproval: string | null;
}

/** One tool call, including denied and replayed ones. */
export interface AuditCall extends AuditBase {
  type: "call";
  /** 1-based position among the run's calls. */
  seq: number;
  tool: string;
  kind: "read" | "write" | "destructive";
  decision: "allow" | "approve" | "deny";
  /** The config key that decided. */
  rule: string;
  approval: AuditApproval | null;
  /** True when the result came from the journal of an earlier run (not called again). */
  replayed: boolean;
  /** A per-user source's connection the call used (absent for shared-credential sources). */
  connection?: string;
  /** Whose credential it was: the user, or null for the config's shared fallback (never the secret). */
  credentialOwner?: string | null;
  /** Arguments as the model wrote them, redacted per `audit.arguments` (absent with `omit`). */
  arguments?: unknown;
}

/** A line of the audit log. */
export type AuditRecord = AuditExecution | AuditCall;

/** Options for {@link AuditLog.open}. */
export interface AuditLogOptions {
  /** `redacted`, `omit` or `full`. */
  arguments: "redacted" | "omit" | "full";
  /** `privacy.fields`: their values are masked too. */
  fields: readonly string[];
}

/** Short stable hash of a script. */
export function codeHash(code: string): string {
  return createHash("sha256").update(code).digest("hex").slice(0, 16);
}

const ALL_KINDS = new Set(PII_KINDS);

/**
 * Masks personal data for the log: detector matches become `[email]`, `[card]`, …; values of
 * the given field names become `[<field>]`. PII tokens (`<email_3>`) are pseudonyms and stay.
 */
export function redactForAudit(value: unknown, fields: readonly string[]): unknown {
  const globs = fields.map(nameGlob);
  const walk = (item: unknown, field: string | undefined): unknown => {
    if (typeof item === "string") {
      if (field !== undefined && !/^<[a-z][a-z0-9_]*_\d+>$/.test(item)) return `[${field}]`;
      let out = "";
      let at = 0;
      for (const match of detectPii(item, ALL_KINDS)) {
        out += `${item.slice(at, match.start)}[${match.kind}]`;
        at = match.end;
      }
      return out + item.slice(at);
    }
    if (typeof item === "number" && field !== undefined) return `[${field}]`;
    if (Array.isArray(item)) return item.map((x) => walk(x, field));
    if (item !== null && typeof item === "object") {
      return Object.fromEntries(Object.entries(item).map(([key, x]) => [key, walk(x, field ?? (globs.some((g) => g.test(key)) ? key : undefined))]));
    }
    return item;
  };
  return walk(value, undefined);
}

/** An open audit log. */
export class AuditLog {
  #stream: WriteStream | undefined;
  #closed = false;

  /** Settles once every record written so far is handed to the OS (the last write's callback). */
  #written: Promise<void> = Promise.resolve();

  private constructor(
    private readonly write: (line: string, done: () => void) => void,
    private readonly options: AuditLogOptions,
    stream?: WriteStream,
  ) {
    this.#stream = stream;
  }

  /**
   * Opens `file` for appending (creating its directory), or stdout for `-`. Relative paths
   * resolve against `baseDir` (the config file's directory).
   */
  static open(file: string, baseDir: string, options: AuditLogOptions): AuditLog {
    if (file === "-") return new AuditLog((line, done) => process.stdout.write(line, () => done()), options);
    const target = path.resolve(baseDir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    const stream = createWriteStream(target, { flags: "a", mode: 0o600 });
    stream.on("error", (error) => process.stderr.write(`toolcode: audit log ${target}: ${error.message}\n`));
    // The callback also runs when the write fails (the stream's error handler reports it).
    return new AuditLog((line, done) => stream.write(line, () => done()), options, stream);
  }

  /** Arguments as they go into a record (redacted, omitted or as written). */
  arguments(args: unknown): { arguments?: unknown } {
    switch (this.options.arguments) {
      case "omit":
        return {};
      case "full":
        return { arguments: args };
      case "redacted":
        return { arguments: redactForAudit(args, this.options.fields) };
    }
  }

  /** Appends one record. */
  record(record: AuditRecord): void {
    if (this.#closed) return;
    this.#written = new Promise<void>((resolve) => this.write(`${JSON.stringify(record)}\n`, resolve));
  }

  /**
   * Resolves once every record appended so far is written (writes are ordered, so the last one
   * settling means all have). `execute` awaits it, so when a result returns its records are in
   * the file.
   */
  flush(): Promise<void> {
    return this.#written;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(() => resolve()));
  }
}
