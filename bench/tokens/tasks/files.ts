/**
 * File triage over the generated directory (server-filesystem): the 5 largest files, files that
 * contain a marker, and ERROR lines across log files.
 *
 * @module
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { McpProvider, ClassicRun } from "../classic.js";
import { CodeModeSession } from "../code-mode.js";
import { MARKER } from "../fixtures.js";
import { servers } from "../servers.js";
import { type BenchEnv, type TokenTask, expectEqual, returnedValue, withProviders, withSession } from "../task.js";

/** Names of `[FILE]` lines of list_directory / list_directory_with_sizes text, in order. */
function fileNames(listing: string): string[] {
  return listing
    .split("\n")
    .filter((line) => line.startsWith("[FILE] "))
    .map((line) => line.slice("[FILE] ".length).replace(/\s{2,}.*$/, "").trim());
}

/** read_multiple_files text (`<path>:\n<content>\n` joined by `\n---\n`) as path → content. */
function parseMultipleFiles(text: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const section of text.split("\n---\n")) {
    const colon = section.indexOf(":\n");
    files.set(section.slice(0, colon), section.slice(colon + 2));
  }
  return files;
}

function diskFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => statSync(path.join(dir, name)).isFile());
}

const fsSession = (env: BenchEnv): Promise<CodeModeSession> => CodeModeSession.start({ filesystem: servers.filesystem(env.filesDir) });
const fsProvider = (env: BenchEnv): Promise<McpProvider> => McpProvider.connect("filesystem", servers.filesystem(env.filesDir));

const PROBE_NOTE =
  "code mode spends one `execute` printing 3 lines of `list_directory` to learn its text format: the `[FILE]`/`[DIR]` prefixes are documented after the first sentence, which is all a default `search` shows, and the declared result is just `{ content: string }`.";

/** The first three lines of list_directory: how a model learns the listing format before parsing it. */
const listingProbe = (dir: string): string => `
  const { content } = await filesystem.list_directory({ path: ${JSON.stringify(dir)} });
  console.log(content.split("\\n").slice(0, 3).join("\\n"));
`;

export const largestFiles: TokenTask = {
  id: "fs-largest",
  title: "5 largest of 240 files",
  category: "targeted",
  sources: "filesystem",
  async run(env) {
    const dir = env.filesDir;
    const truth = diskFiles(dir)
      .map((name) => ({ name, size: statSync(path.join(dir, name)).size }))
      .sort((a, b) => b.size - a.size)
      .slice(0, 5)
      .map((f) => f.name);
    const task = `Which are the 5 largest files in ${dir}? List their names, largest first.`;
    const answer = (names: string[]): string => `The 5 largest files are: ${names.join(", ")}.`;

    const classic = await withProviders([fsProvider(env)], async (providers) => {
      const run = new ClassicRun(providers, task);
      const listing = await run.call("list_directory_with_sizes", { path: dir, sortBy: "size" });
      return run.answer(answer(expectEqual(fileNames(listing).slice(0, 5), truth, "fs-largest classic")));
    });
    const code = await withSession(fsSession(env), async (session) => {
      const run = session.run(task);
      await run.search({ query: "list directory files with sizes" }, ["filesystem.list_directory_with_sizes"]);
      const output = await run.execute(`
        const { content } = await filesystem.list_directory_with_sizes({ path: ${JSON.stringify(dir)}, sortBy: "size" });
        console.log(content.split("\\n").slice(0, 5).join("\\n"));
      `);
      return run.answer(answer(expectEqual(fileNames(output), truth, "fs-largest code")));
    });
    return { classic, code };
  },
};

export const markerFiles: TokenTask = {
  id: "fs-marker",
  title: `files containing a marker (240 files)`,
  category: "data-heavy",
  sources: "filesystem",
  async run(env) {
    const dir = env.filesDir;
    const truth = diskFiles(dir)
      .filter((name) => readFileSync(path.join(dir, name), "utf8").includes(MARKER))
      .sort();
    const task = `Which files in ${dir} contain the text "${MARKER}"? List their names alphabetically.`;
    const answer = (names: string[]): string => `${names.length} files contain ${MARKER}: ${names.join(", ")}.`;

    const classic = await withProviders([fsProvider(env)], async (providers) => {
      const run = new ClassicRun(providers, task);
      const names = fileNames(await run.call("list_directory", { path: dir }));
      const contents = parseMultipleFiles(await run.call("read_multiple_files", { paths: names.map((name) => path.join(dir, name)) }));
      const hits = [...contents].filter(([, text]) => text.includes(MARKER)).map(([file]) => path.basename(file)).sort();
      return run.answer(answer(expectEqual(hits, truth, "fs-marker classic")));
    });
    const code = await withSession(fsSession(env), async (session) => {
      const run = session.run(task);
      await run.search({ query: "list directory read file contents" }, ["filesystem.list_directory", "filesystem.read_text_file"]);
      await run.execute(listingProbe(dir));
      const output = await run.execute(`
        const dir = ${JSON.stringify(dir)};
        const { content } = await filesystem.list_directory({ path: dir });
        const names = content.split("\\n").filter((l) => l.startsWith("[FILE] ")).map((l) => l.slice(7));
        const hits: string[] = [];
        for (const name of names) {
          const file = await filesystem.read_text_file({ path: \`\${dir}/\${name}\` });
          if (file.content.includes(${JSON.stringify(MARKER)})) hits.push(name);
        }
        return hits.sort();
      `);
      return run.answer(answer(expectEqual(returnedValue<string[]>(output), truth, "fs-marker code")));
    });
    return { classic, code, note: PROBE_NOTE };
  },
};

export const logErrors: TokenTask = {
  id: "fs-log-errors",
  title: "ERROR lines across the .log files",
  category: "data-heavy",
  sources: "filesystem",
  async run(env) {
    const dir = env.filesDir;
    const count = (text: string): number => text.split("\n").filter((line) => / ERROR /.test(line)).length;
    const perFile = diskFiles(dir)
      .filter((name) => name.endsWith(".log"))
      .map((name) => ({ name, errors: count(readFileSync(path.join(dir, name), "utf8")) }));
    const worst = [...perFile].sort((a, b) => b.errors - a.errors || a.name.localeCompare(b.name))[0];
    const truth = { total: perFile.reduce((sum, f) => sum + f.errors, 0), worst: worst?.name ?? "", worstErrors: worst?.errors ?? 0 };
    const task = `Across all .log files in ${dir}: how many lines have level ERROR in total, and which file has the most ERROR lines (ties: alphabetically first)?`;
    const answer = (r: typeof truth): string => `${r.total} ERROR lines in total; ${r.worst} has the most (${r.worstErrors}).`;

    const classic = await withProviders([fsProvider(env)], async (providers) => {
      const run = new ClassicRun(providers, task);
      const logs = fileNames(await run.call("list_directory", { path: dir })).filter((name) => name.endsWith(".log"));
      const contents = parseMultipleFiles(await run.call("read_multiple_files", { paths: logs.map((name) => path.join(dir, name)) }));
      const counted = [...contents].map(([file, text]) => ({ name: path.basename(file), errors: count(text) }));
      const top = counted.sort((a, b) => b.errors - a.errors || a.name.localeCompare(b.name))[0];
      const result = { total: counted.reduce((sum, f) => sum + f.errors, 0), worst: top?.name ?? "", worstErrors: top?.errors ?? 0 };
      return run.answer(answer(expectEqual(result, truth, "fs-log-errors classic")));
    });
    const code = await withSession(fsSession(env), async (session) => {
      const run = session.run(task);
      await run.search({ query: "list directory read file contents" }, ["filesystem.list_directory", "filesystem.read_text_file"]);
      await run.execute(listingProbe(dir));
      const output = await run.execute(`
        const dir = ${JSON.stringify(dir)};
        const { content } = await filesystem.list_directory({ path: dir });
        const logs = content.split("\\n").filter((l) => l.startsWith("[FILE] ") && l.endsWith(".log")).map((l) => l.slice(7));
        let total = 0;
        let worst = "";
        let worstErrors = -1;
        for (const name of logs.sort()) {
          const file = await filesystem.read_text_file({ path: \`\${dir}/\${name}\` });
          const errors = file.content.split("\\n").filter((line) => / ERROR /.test(line)).length;
          total += errors;
          if (errors > worstErrors) { worst = name; worstErrors = errors; }
        }
        return { total, worst, worstErrors };
      `);
      return run.answer(answer(expectEqual(returnedValue<typeof truth>(output), truth, "fs-log-errors code")));
    });
    return { classic, code, note: PROBE_NOTE };
  },
};
