/**
 * `toolcode skills list | show | remove`: the skill library (TypeScript and Python skills) from the shell. Reads the config's
 * `skills` section only; no tool server is started.
 *
 * @module
 */
import { Command, type Option } from "commander";
import { loadConfig } from "../config/load-config.js";
import { ToolcodeError, isToolcodeError } from "../errors.js";
import { type SkillReport, SkillLibrary } from "../skills/skill-library.js";
import type { SkillUsage } from "../skills/usage-tracker.js";
import { firstSentence } from "../typegen/search-render.js";

const DAY_MS = 86_400_000;

/** Opens the skill library of a config (`--config F`, else `./toolcode.config.json`, else the default). */
function openLibrary(options: { config?: string }): SkillLibrary {
  const loaded = loadConfig(options.config !== undefined ? { path: options.config } : {});
  const library = SkillLibrary.fromConfig(loaded.config.skills, loaded.baseDir);
  for (const warning of library.warnings) process.stderr.write(`warning: ${warning}\n`);
  return library;
}

/**
 * Skills not used for `days` days: never loaded by an execution and created before the cutoff,
 * or last used before it.
 */
export function unusedFor(reports: readonly SkillReport[], days: number, now = Date.now()): SkillReport[] {
  const cutoff = now - days * DAY_MS;
  return reports.filter((r) => Date.parse(r.usage.lastUsed ?? r.created) < cutoff);
}

/** The `skills list` table. */
export function formatSkillTable(reports: readonly SkillReport[]): string {
  const rows = [
    ["NAME", "LANGUAGE", "VERSION", "IMPORTS", "CALLS", "FAILURES", "HELPED", "LAST USED", "DESCRIPTION"],
    ...reports.map((r) => [
      r.scope === "shared" ? `${r.name} (shared)` : r.name,
      r.language,
      String(r.version),
      String(r.usage.imports),
      String(r.usage.calls),
      String(r.usage.failures),
      String(r.usage.executions),
      r.usage.lastUsed === null ? "never" : r.usage.lastUsed.slice(0, 16).replace("T", " "),
      truncate(firstSentence(r.description), 60),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd()).join("\n");
}

function formatUsage(usage: SkillUsage): string {
  return `imports ${usage.imports} · calls ${usage.calls} · failures ${usage.failures} · executions helped ${usage.executions} · last used ${usage.lastUsed ?? "never"}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** A missing skill is a failed lookup (exit 1), not bad usage (exit 2). */
function reportMissing(error: unknown): void {
  if (isToolcodeError(error) && error.code === "SKILL_NOT_FOUND") {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  throw error;
}

/** Builds the `skills` command. */
export function skillsCommand(configOption: () => Option): Command {
  const command = new Command("skills").description("the skill library: reusable functions saved by `skills.save` in scripts");

  command
    .command("list")
    .description("saved skills with their usage (imports, calls, failures, executions helped, last used)")
    .addOption(configOption())
    .option("--unused <days>", "only skills not used for this many days (never-used ones count from their creation)", parseDays)
    .option("--json", "print a JSON array (info, signatures, usage)")
    .action(async (options: { config?: string; unused?: number; json?: boolean }) => {
      const library = openLibrary(options);
      let reports = await library.report();
      if (options.unused !== undefined) reports = unusedFor(reports, options.unused);
      if (options.json) {
        print(JSON.stringify(reports));
        return;
      }
      if (reports.length === 0) {
        print(options.unused !== undefined ? `No skills unused for ${options.unused} days.` : `No skills saved in ${library.dir}.`);
        return;
      }
      print(formatSkillTable(reports));
    });

  command
    .command("show")
    .description("a skill's SKILL.md, usage and source")
    .addOption(configOption())
    .option("--json", "print one JSON object (info, usage, versions, source)")
    .argument("<name>", "skill name")
    .action(async (name: string, options: { config?: string; json?: boolean }) => {
      const library = openLibrary(options);
      const info = library.get(name);
      if (!info) {
        const names = library.list().map((s) => s.name);
        return reportMissing(new ToolcodeError("SKILL_NOT_FOUND", `No skill "${name}". Skills: ${names.join(", ") || "(none saved)"}.`, { name, available: names }));
      }
      const [usage, versions, markdown] = await Promise.all([library.usage(), library.versions(info.name), library.markdown(info.name)]);
      const source = library.source(info.name) ?? "";
      const skillUsage = usage[info.name];
      if (options.json) {
        print(JSON.stringify({ ...info, usage: skillUsage, versions, source }));
        return;
      }
      print(
        [
          (markdown ?? "").trimEnd(),
          "",
          `## Usage`,
          "",
          skillUsage ? formatUsage(skillUsage) : "",
          versions.length > 0 ? `Earlier versions kept: ${versions.join(", ")} (${info.dir}/versions/)` : "No earlier versions.",
          "",
          `## Source (${info.dir}/${info.language === "python" ? "index.py" : "index.ts"})`,
          "",
          info.language === "python" ? "```python" : "```ts",
          source.trimEnd(),
          "```",
        ].join("\n"),
      );
    });

  command
    .command("remove")
    .description("delete a skill with its earlier versions and usage")
    .addOption(configOption())
    .argument("<name>", "skill name")
    .action(async (name: string, options: { config?: string }) => {
      const library = openLibrary(options);
      try {
        const removed = await library.remove(name);
        print(`Removed skill ${removed.name} (version ${removed.version}) from ${removed.dir}.`);
      } catch (error) {
        reportMissing(error);
      }
    });

  return command;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ToolcodeError("USAGE", `--unused expects a number of days ≥ 0, got "${value}".`);
  return n;
}
