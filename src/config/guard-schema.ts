/**
 * Config sections of the guard: `policy` (least privilege and approvals), `privacy` (PII
 * tokenization), `audit` (the JSON-lines log) and `auth` (bearer tokens of `serve --http`).
 *
 * Tool patterns are `<source>.<tool>` globs over the sanitized identifiers the guest uses
 * (`files.write_file`, `github.issues_*`, `*.delete*`); a pattern without a `.` names a source.
 *
 * @module
 */
import { z } from "zod";

/** A `<source>.<tool>` glob over sanitized identifiers. */
export const toolPatternSchema = z
  .string()
  .regex(/^[A-Za-z0-9_$*?]+(\.[A-Za-z0-9_$*?]+)?$/, 'a "<source>.<tool>" pattern over the sanitized names, with * and ?, e.g. "files.write_file", "github.issues_*" or "*.delete*"');

/**
 * Least privilege. Tools are read (`readOnlyHint`, HTTP GET/HEAD/OPTIONS), destructive
 * (`destructiveHint`, HTTP DELETE) or write (everything else, unclassified tools included).
 * First match wins: `deny` → `approve` → `allow` → `default`.
 */
export const policySchema = z.strictObject({
  /**
   * Tools no pattern names: `read-only` (read tools only), `allow-all` (every tool), `deny-all`
   * (nothing). Default `read-only`.
   */
  default: z.enum(["read-only", "allow-all", "deny-all"]).default("read-only"),
  /** Tools callable without approval (destructive ones still ask unless `approveDestructive` is false). */
  allow: z.array(toolPatternSchema).default([]),
  /** Tools callable only after an approval, every call. */
  approve: z.array(toolPatternSchema).default([]),
  /** Tools never callable: hidden from search, declarations and the guest; calls fail with POLICY_DENIED. */
  deny: z.array(toolPatternSchema).default([]),
  /** Whether every allowed destructive call needs an approval (default true). */
  approveDestructive: z.boolean().default(true),
  /** How long a pending approval stays valid, in seconds (default 900). */
  approvalTtlSeconds: z.number().int().positive().max(7 * 24 * 3600).default(900),
  /**
   * Whether `search` and `types` name the tools the policy hides (default true: a model that
   * cannot find a tool concludes it does not exist). False: only counts are given.
   */
  revealHidden: z.boolean().default(true),
});

/** What the PII detectors find. */
export const PII_KINDS = ["email", "phone", "card", "iban", "national-id", "ip"] as const;
/** One detector kind. */
export type PiiKind = (typeof PII_KINDS)[number];

/**
 * PII tokenization: personal data in tool results is replaced by stable per-session tokens
 * (`<email_3>`) before it enters the sandbox; tokens in arguments become real values again in
 * the host, for the tools `detokenizeFor` names. Off unless `tokenize` or `fields` is set.
 */
export const privacySchema = z.strictObject({
  /** Detectors to run over every string of every tool result. */
  tokenize: z.array(z.enum(PII_KINDS)).default([]),
  /** Object keys whose values are personal (case-insensitive globs, e.g. "name", "*_address"). */
  fields: z.array(z.string().min(1)).default([]),
  /** Tools that receive real values for the tokens in their arguments (default every allowed tool). */
  detokenizeFor: z.array(toolPatternSchema).default(["*"]),
});

/** The audit log: one JSON line per execution and per tool call. Off unless `file` is set. */
export const auditSchema = z.strictObject({
  /** File to append to (relative to the config file), or "-" for stdout. */
  file: z.string().min(1).optional(),
  /** How tool arguments are logged: `redacted` (default: PII masked), `omit`, or `full` (as the model wrote them). */
  arguments: z.enum(["redacted", "omit", "full"]).default("redacted"),
});

/** Bearer-token users of `toolcode serve --http`, and extra Host/Origin values to accept. */
export const authSchema = z
  .strictObject({
    /** user name → bearer token (use `${ENV}`; at least 16 characters). Required to bind a non-loopback address. */
    users: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "a user name: 1-64 letters, digits, _ . @ -"),
        z.string().min(16, 'a bearer token of at least 16 characters, e.g. "${ALICE_TOKEN}"'),
      )
      .default({}),
    /** Host header values accepted besides 127.0.0.1:<port> and localhost:<port> (e.g. "toolcode.internal:3333"). */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Origin header values accepted besides http://127.0.0.1:<port> and http://localhost:<port>. */
    allowedOrigins: z.array(z.string().min(1)).default([]),
  })
  .superRefine((auth, ctx) => {
    const seen = new Map<string, string>();
    for (const [user, token] of Object.entries(auth.users)) {
      const other = seen.get(token);
      if (other !== undefined) ctx.addIssue({ code: "custom", path: ["users", user], message: `same token as user "${other}"; every user needs a distinct token` });
      seen.set(token, user);
    }
  });
