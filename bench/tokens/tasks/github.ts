/**
 * Search over a large API: GitHub REST (1,223 operations, `@octokit/openapi`). The classic side
 * has every operation's definition in context; code mode searches for the operation and writes
 * the call. The HTTP call is real but goes to a loopback stub of the one endpoint used (see
 * {@link startGitHubStub}), serving generated issues shaped like api.github.com's.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { loadOpenApiSource } from "../../../src/sources/openapi/openapi-source.js";
import { ClassicRun, SourceProvider } from "../classic.js";
import { CodeModeSession } from "../code-mode.js";
import { GITHUB_REPO } from "../fixtures.js";
import { openApiDefinitions } from "../openapi-definitions.js";
import { type BenchEnv, type TokenTask, expectEqual, returnedValue, withProviders, withSession } from "../task.js";

interface Issue {
  number: number;
  state: string;
  created_at: string;
  updated_at: string;
  labels: { name: string }[];
}

const SINCE = "2025-03-01T00:00:00Z";

/** The GitHub API as toolcode's OpenAPI source, calling the stub. */
export function githubSource(env: BenchEnv): ReturnType<typeof loadOpenApiSource> {
  return loadOpenApiSource("github", { spec: env.githubSpec, baseUrl: env.github.baseUrl }, { baseDir: env.root, cacheDir: false, retryDelayMs: 10 });
}

export const staleBugs: TokenTask = {
  id: "github-stale-bugs",
  title: "stale open bugs in a repo (GitHub API, 1,223 operations)",
  category: "data-heavy",
  sources: "GitHub REST (OpenAPI)",
  async run(env) {
    const { owner, repo } = GITHUB_REPO;
    const stale = (list: Issue[]): Issue[] =>
      list
        .filter((i) => i.state === "open" && i.labels.some((l) => l.name === "bug") && i.updated_at < SINCE)
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
    const all = stale(env.githubIssues as unknown as Issue[]);
    const truth = { count: all.length, oldest: all.slice(0, 3).map((i) => i.number) };
    const task = `In the GitHub repository ${owner}/${repo}: how many open issues labelled "bug" have not been updated since 2025-03-01? Give the numbers of the 3 oldest of them (by creation date).`;
    const answer = (r: typeof truth): string => `${r.count} open bug issues have not been updated since 2025-03-01; the 3 oldest are #${r.oldest.join(", #")}.`;

    const spec = JSON.parse(readFileSync(env.githubSpec, "utf8")) as Record<string, unknown>;
    const { operations } = openApiDefinitions(spec);
    const byName = new Map(operations.map((op) => [op.definition.name, op.operationId ?? op.definition.name]));
    const classicSource = await githubSource(env);
    const provider = new SourceProvider(classicSource, operations.map((op) => op.definition), (name) => byName.get(name) ?? name);
    const classic = await withProviders([Promise.resolve(provider)], async (providers) => {
      const run = new ClassicRun(providers, task);
      const list = JSON.parse(await run.call("issues_list-for-repo", { owner, repo, state: "open", labels: "bug", per_page: 100 })) as Issue[];
      if (list.length === 100) throw new Error("github-stale-bugs: the fixture needs a second page; keep it under 100 open bugs");
      const found = stale(list);
      return run.answer(answer(expectEqual({ count: found.length, oldest: found.slice(0, 3).map((i) => i.number) }, truth, "github-stale-bugs classic")));
    });

    const script = `
      const issues = await github.issues_list_for_repo({ owner: "${owner}", repo: "${repo}", state: "open", labels: "bug", per_page: 100 });
      const stale = issues
        .filter((i) => i.updated_at < "${SINCE}")
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
      return { count: stale.length, oldest: stale.slice(0, 3).map((i) => i.number) };
    `;
    const query = "list issues for a repository";
    const [code, careful] = await withSession(CodeModeSession.start({}, [await githubSource(env)]), async (session) => {
      // The signature shows owner, repo, state and labels; per_page and the issue fields come
      // from the model's knowledge of the GitHub API.
      const run = session.run(task);
      await run.search({ query }, ["github.issues_list_for_repo"]);
      const main = run.answer(answer(expectEqual(returnedValue<typeof truth>(await run.execute(script)), truth, "github-stale-bugs code")));
      // A more careful model first reads the tool's full declaration (parameters and result type).
      const other = session.run(task);
      await other.search({ query }, ["github.issues_list_for_repo"]);
      await other.search({ query: "issues_list_for_repo", detail: "full", limit: 1 }, ["github.issues_list_for_repo"]);
      const second = other.answer(answer(expectEqual(returnedValue<typeof truth>(await other.execute(script)), truth, "github-stale-bugs code (careful)")));
      return [main, second];
    });
    return {
      classic,
      code,
      variants: [{ label: 'after also reading the full declaration of `issues_list_for_repo` (`search` with `detail: "full"`, `limit: 1`)', code: careful }],
      note: "Classic definitions: all 1,223 operations converted from the spec (bench/tokens/openapi-definitions.ts). Both sides make a real HTTP call through toolcode's OpenAPI source to a loopback stub of GET /repos/{owner}/{repo}/issues serving 120 generated issues shaped like the spec's own example.",
    };
  },
};
