import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ToolSpec } from "../sources/tool-source.js";
import type { CatalogTool } from "./catalog-tool.js";
import { sanitizeUnique } from "./names.js";
import { SearchIndex } from "./search-index.js";

function fixtureTools(file: string, server: string): CatalogTool[] {
  const { tools } = JSON.parse(readFileSync(new URL(`../../test/fixtures/${file}.tools.json`, import.meta.url), "utf8")) as { tools: ToolSpec[] };
  const ids = sanitizeUnique(tools.map((t) => t.name));
  return tools.map((spec, i) => ({ server, tool: ids[i]!, id: `${server}.${ids[i]!}`, sourceName: server, spec }));
}

const tool = (server: string, name: string, description = "", inputSchema: ToolSpec["inputSchema"] = { type: "object" }): CatalogTool => ({
  server,
  tool: name,
  id: `${server}.${name}`,
  sourceName: server,
  spec: { name, description, inputSchema },
});

const FS = fixtureTools("filesystem", "fs");
const MEMORY = fixtureTools("memory", "memory");
const EVERYTHING = fixtureTools("everything", "everything");
const ALL = [...EVERYTHING, ...FS, ...MEMORY];
const ids = (index: SearchIndex, query: string, options?: Parameters<SearchIndex["search"]>[1]): string[] =>
  index.search(query, options).map((r) => r.tool.id);

describe("SearchIndex ranking on real servers", () => {
  const index = new SearchIndex(ALL);

  it('ranks the read-file tools first for "read file"', () => {
    const top = ids(index, "read file");
    expect(["fs.read_file", "fs.read_text_file"]).toContain(top[0]);
    expect(top.slice(0, 4).sort()).toEqual(["fs.read_file", "fs.read_media_file", "fs.read_multiple_files", "fs.read_text_file"]);
  });

  it('finds memory.create_entities for "knowledge graph entities"', () => {
    const top = ids(index, "knowledge graph entities");
    expect(top.slice(0, 2)).toContain("memory.create_entities");
    expect(top.slice(0, 3)).toContain("memory.delete_entities");
    expect(top.slice(0, 6).every((id) => id.startsWith("memory."))).toBe(true);
  });

  it("tolerates typos and partial words", () => {
    expect(["fs.read_file", "fs.read_text_file"]).toContain(ids(index, "reed fil")[0]);
    expect(ids(index, "direktory list")[0]).toMatch(/^fs\.list_/);
    expect(ids(index, "obser")[0]).toMatch(/^memory\.(add|delete)_observations$/);
  });

  it("matches camelCase and original names", () => {
    expect(ids(index, "readFile")[0]).toBe("fs.read_file");
    expect(ids(index, "get-sum")[0]).toBe("everything.get_sum");
    expect(ids(index, "fs.read_text_file")[0]).toBe("fs.read_text_file");
  });

  it("uses descriptions, titles and parameters", () => {
    expect(ids(index, "sum of two numbers")[0]).toBe("everything.get_sum");
    expect(ids(index, "environment variables")[0]).toBe("everything.get_env");
    expect(ids(index, "compress")[0]).toBe("everything.gzip_file_as_resource");
    expect(ids(index, "dryRun")[0]).toBe("fs.edit_file");
    expect(ids(index, "weather temperature city")[0]).toBe("everything.get_structured_content");
    expect(ids(index, "humidity")).toEqual(["everything.get_structured_content"]); // a result field
  });

  it("filters by server and respects the limit", () => {
    const onlyMemory = ids(index, "read", { server: "memory" });
    expect(onlyMemory.length).toBeGreaterThan(0);
    expect(onlyMemory.every((id) => id.startsWith("memory."))).toBe(true);
    expect(onlyMemory[0]).toBe("memory.read_graph");
    expect(ids(index, "file", { limit: 2 })).toHaveLength(2);
    expect(ids(index, "file", { limit: 0 })).toEqual([]);
    expect(ids(index, "read", { server: "nope" })).toEqual([]);
  });

  it("returns scores best first and nothing for unrelated words", () => {
    const results = index.search("delete");
    expect(results.length).toBe(3);
    for (let i = 1; i < results.length; i++) expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
    expect(index.search("zzzqqq")).toEqual([]);
  });

  it("lists tools in id order, score 0, for an empty query", () => {
    const listed = index.search("", { limit: 100 });
    expect(listed).toHaveLength(ALL.length);
    expect(listed.map((r) => r.tool.id)).toEqual(ALL.map((t) => t.id).sort());
    expect(listed.every((r) => r.score === 0)).toBe(true);
    expect(ids(index, "   ", { server: "memory", limit: 3 })).toEqual(["memory.add_observations", "memory.create_entities", "memory.create_relations"]);
    expect(ids(index, "the of")).toHaveLength(10); // stop words only → listing
  });

  it("is deterministic regardless of insertion order", () => {
    const reversed = new SearchIndex([...ALL].reverse());
    for (const q of ["read file", "entities", "", "toggle"]) expect(ids(reversed, q)).toEqual(ids(index, q));
  });
});

describe("SearchIndex on API-style names", () => {
  const api = (name: string, title: string, description = ""): CatalogTool => ({
    server: "gh",
    tool: name.replace(/[/-]/g, "_"),
    id: `gh.${name.replace(/[/-]/g, "_")}`,
    sourceName: "gh",
    spec: { name, title, description, inputSchema: { type: "object" } },
  });
  const index = new SearchIndex([
    api("pulls/create", "Create a pull request"),
    api("pull-request-stacks/create", "Create a pull request stack"),
    api("pull-request-stacks/add", "Add pull requests to a pull request stack"),
    api("repos/delete", "Delete a repository"),
    api("repos/delete-invitation", "Delete a repository invitation"),
    api("orgs/list-members", "List organization members"),
    api("actions/create-workflow-dispatch", "Create a workflow dispatch event", "Manually trigger a workflow run."),
    api("actions/list-workflow-runs", "List workflow runs"),
  ]);

  it("ranks the tool whose title the query covers first", () => {
    expect(ids(index, "delete a repository")[0]).toBe("gh.repos_delete");
    expect(ids(index, "list workflow runs")[0]).toBe("gh.actions_list_workflow_runs");
    // `pulls_create` lacks "request" in its name, yet its title matches the query word for word.
    expect(ids(index, "create a pull request").slice(0, 2)).toContain("gh.pulls_create");
  });

  it("folds common abbreviations both ways", () => {
    expect(ids(index, "repositories")[0]).toMatch(/^gh\.repos_delete/);
    expect(ids(index, "org members")[0]).toBe("gh.orgs_list_members");
    expect(ids(index, "members of an organization")[0]).toBe("gh.orgs_list_members");
  });

  it("uses words found only in the description", () => {
    expect(ids(index, "trigger a workflow")[0]).toBe("gh.actions_create_workflow_dispatch");
    // "trigger" alone also asks to create (its verb class widens it to every creating tool); the
    // word itself is only in that description.
    const wordsOnly = new SearchIndex([...index.search("", { limit: 100 }).map((r) => r.tool)], { features: { verbs: false } });
    expect(ids(wordsOnly, "trigger")).toEqual(["gh.actions_create_workflow_dispatch"]);
  });

  it("looks up a term fuzzily only when nothing matches it exactly or by prefix", () => {
    expect(ids(index, "workflw")[0]).toMatch(/^gh\.actions_/);
    // "member" matches exactly, so the near-miss "members"→"number"-style fuzzy noise stays out.
    expect(ids(index, "member")).toEqual(["gh.orgs_list_members"]);
  });
});

describe("SearchIndex ranking parts of the second revision (issue 14)", () => {
  const k8s = (name: string, description: string): CatalogTool => ({ server: "k", tool: name, id: `k.${name}`, sourceName: "k", spec: { name, description, inputSchema: { type: "object" } } });
  const family = [
    k8s("createBatchV1NamespacedCronJob", "create a CronJob"),
    k8s("deleteBatchV1CollectionNamespacedCronJob", "delete collection of CronJob"),
    k8s("deleteBatchV1NamespacedCronJob", "delete a CronJob"),
    k8s("listBatchV1NamespacedCronJob", "list or watch objects of kind CronJob"),
    k8s("readBatchV1NamespacedCronJob", "read the specified CronJob"),
    k8s("watchBatchV1NamespacedCronJobList", "watch individual changes to a list of CronJob"),
  ];

  it("ranks delete and watch siblings lower when the query asks for neither (verbPrior)", () => {
    const score = (index: SearchIndex, query: string, id: string): number => index.search(query, { limit: 10 }).find((r) => r.tool.id === id)?.score ?? 0;
    const prior = new SearchIndex(family, { params: { unaskedVerbFactor: 0.5 } });
    const none = new SearchIndex(family, { params: { unaskedVerbFactor: 0.5 }, features: { verbPrior: false } });
    // "cron jobs every night" names no verb: the delete tools lose half, the others nothing.
    const q = "cron jobs every night";
    expect(score(prior, q, "k.deleteBatchV1NamespacedCronJob")).toBeCloseTo(score(none, q, "k.deleteBatchV1NamespacedCronJob") * 0.5, 6);
    expect(score(prior, q, "k.createBatchV1NamespacedCronJob")).toBeCloseTo(score(none, q, "k.createBatchV1NamespacedCronJob"), 6);
    // Asked to delete, the delete tools keep their score.
    expect(score(prior, "delete a cron job", "k.deleteBatchV1NamespacedCronJob")).toBeCloseTo(score(none, "delete a cron job", "k.deleteBatchV1NamespacedCronJob"), 6);
    expect(ids(new SearchIndex(family), "schedule a job every night")[0]).toBe("k.createBatchV1NamespacedCronJob");
  });

  it("saturates a word repeated across fields once with BM25F", () => {
    const t = (name: string, title: string, description: string): CatalogTool => ({ server: "s", tool: name, id: `s.${name}`, sourceName: "s", spec: { name, title, description, inputSchema: { type: "object" } } });
    const tools = [t("invoice_get", "Get an invoice", "Returns the invoice, an invoice object."), t("quote_get", "Get a quote", "Returns the quote; an invoice is made from it."), t("other", "Other", "Nothing.")];
    const perField = new SearchIndex(tools);
    const bm25f = new SearchIndex(tools, { features: { bm25f: true } });
    const ratio = (index: SearchIndex): number => {
      const [first, second] = index.search("invoice", { limit: 2 });
      expect(first?.tool.id).toBe("s.invoice_get");
      return first!.score / second!.score;
    };
    // The same order, but the tool saying "invoice" in three fields is ahead by less.
    expect(ratio(bm25f)).toBeLessThan(ratio(perField));
  });

  it("takes the verb of a tool whose texts name none from its annotations (toolVerbHints)", () => {
    const t = (name: string, annotations: ToolSpec["annotations"]): CatalogTool => ({ server: "m", tool: name, id: `m.${name}`, sourceName: "m", spec: { name, description: "The widget store.", inputSchema: { type: "object" }, annotations } });
    // Names of the same length ("a" would be a stop word): only the annotations tell them apart.
    const tools = [t("widgets_p", { destructiveHint: true }), t("widgets_q", { readOnlyHint: true })];
    expect(ids(new SearchIndex(tools), "remove the widgets")[0]).toBe("m.widgets_p");
    expect(ids(new SearchIndex(tools), "look at the widgets")[0]).toBe("m.widgets_q");
    // Without the hints both score the same: ties go by id.
    expect(ids(new SearchIndex(tools, { features: { toolVerbHints: false } }), "look at the widgets")[0]).toBe("m.widgets_p");
  });

  it("re-ranks candidates whose label has consecutive query words side by side (phraseWeight)", () => {
    const t = (name: string, title: string): CatalogTool => ({ server: "g", tool: name, id: `g.${name}`, sourceName: "g", spec: { name, title, inputSchema: { type: "object" } } });
    // Same words, one of them as the phrase "review request": only the phrase bonus tells them apart.
    const tools = [t("a_request_review", "Request a review"), t("b_review_request", "Dismiss a review request")];
    const score = (index: SearchIndex, id: string): number => index.search("review request", { limit: 5 }).find((r) => r.tool.id === id)?.score ?? 0;
    const plain = new SearchIndex(tools, { params: { phraseWeight: 0 } });
    const phrased = new SearchIndex(tools, { params: { phraseWeight: 1 } });
    expect(score(phrased, "g.b_review_request")).toBeCloseTo(score(plain, "g.b_review_request") * 2, 6);
    expect(score(phrased, "g.a_request_review")).toBeCloseTo(score(plain, "g.a_request_review"), 6);
    expect(new SearchIndex(tools, { params: { phraseWeight: 1 }, features: { phrases: false } }).search("review request")[0]?.score).toBeCloseTo(plain.search("review request")[0]!.score, 6);
  });

  it("labels a tool whose title lists identifiers once per identifier (a skill's functions)", () => {
    const skill = (name: string, title: string, description: string): CatalogTool => ({ server: "skills", tool: name, id: `skills.${name}`, sourceName: "skills", spec: { name, title, description, inputSchema: { type: "object" } } });
    const tools = [
      skill("sum_all", "sumAll checkPositive", "Sums a list of numbers with the get_sum tool, one addition at a time."),
      skill("sum_and_keep", "sumAndKeep", "Sums numbers and keeps the sum in the workspace."),
    ];
    // "sumAll" alone is half covered by "sum", as "sumAndKeep" is: the second function does not dilute it.
    expect(ids(new SearchIndex(tools), "sum a list of numbers")[0]).toBe("skills.sum_all");
    // The same tool titled by one identifier or by two scores alike (the title field's length aside),
    // not half as much, as one four-word label a quarter covered would make it.
    const one = skill("one_fn", "sumAll", "Adds numbers.");
    const two = skill("two_fn", "sumAll checkPositive", "Adds numbers.");
    const [a, b] = ["skills.one_fn", "skills.two_fn"].map((id) => new SearchIndex([one, two]).search("sum", { limit: 2 }).find((r) => r.tool.id === id)!.score);
    expect(b! / a!).toBeGreaterThan(0.6); // 0.72 here; 0.45 with one label of four words
  });

  it("weighs each field by its boost parameter", () => {
    const tools = [tool("s", "alpha", "", { type: "object", properties: { widget: { type: "string" } } }), tool("s", "beta", "the widget tool")];
    expect(ids(new SearchIndex(tools, { params: { paramsBoost: 4, descriptionBoost: 1 } }), "widget")[0]).toBe("s.alpha");
    expect(ids(new SearchIndex(tools, { params: { paramsBoost: 0.25, descriptionBoost: 4 } }), "widget")[0]).toBe("s.beta");
  });
});

describe("SearchIndex updates", () => {
  it("adds, replaces and removes one server's tools", () => {
    const index = new SearchIndex(FS);
    expect(index.size).toBe(14);
    expect(ids(index, "knowledge graph")).toEqual([]);

    index.add(MEMORY);
    expect(index.size).toBe(23);
    expect(ids(index, "knowledge graph")[0]).toMatch(/^memory\./);

    expect(index.remove("memory")).toBe(9);
    expect(index.size).toBe(14);
    expect(ids(index, "knowledge graph")).toEqual([]);

    // A reconnect with a changed tool list.
    index.replace("fs", [tool("fs", "read_file", "Reads a file, version 2"), tool("fs", "checksum", "SHA-256 of a file")]);
    expect(index.size).toBe(2);
    expect(ids(index, "checksum")).toEqual(["fs.checksum"]);
    expect(ids(index, "directory")).toEqual([]);
    expect(index.search("version")[0]?.tool.spec.description).toBe("Reads a file, version 2");
  });

  it("re-adding a tool with the same id replaces it", () => {
    const index = new SearchIndex([tool("s", "a", "alpha")]);
    index.add([tool("s", "a", "beta")]);
    expect(index.size).toBe(1);
    expect(ids(index, "alpha")).toEqual([]);
    expect(ids(index, "beta")).toEqual(["s.a"]);
  });

  it("indexes nested parameter names and descriptions", () => {
    const index = new SearchIndex([
      tool("s", "create", "Creates things", {
        type: "object",
        properties: { items: { type: "array", items: { type: "object", properties: { colour: { type: "string", description: "Paint shade" } } } } },
      }),
      tool("s", "other", "Something else"),
    ]);
    expect(ids(index, "colour")).toEqual(["s.create"]);
    expect(ids(index, "paint shade")).toEqual(["s.create"]);
  });
});

describe("SearchIndex limits (search.*)", () => {
  const index = new SearchIndex(ALL);

  it("refuses a query over maxQueryChars with SEARCH_LIMIT naming the key", () => {
    let caught: unknown;
    try {
      index.search("x".repeat(1001));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "SEARCH_LIMIT", details: { length: 1001, limit: 1000, key: "search.maxQueryChars" } });
    expect((caught as Error).message).toContain("search.maxQueryChars");
    expect(index.search("x".repeat(1000))).toEqual([]);
  });

  it("cuts long terms to maxTermChars: they still match by prefix", () => {
    const small = new SearchIndex(ALL, { limits: { maxTermChars: 8 } });
    expect(ids(small, "read_text_file_and_a_lot_more_after_it").slice(0, 1)).toEqual(ids(small, "read_tex").slice(0, 1));
  });

  it("matches only terms up to maxFuzzyTermChars fuzzily", () => {
    const strict = new SearchIndex(ALL, { limits: { maxFuzzyTermChars: 0 } });
    expect(ids(strict, "memorx")).toEqual([]);
    expect(ids(new SearchIndex(ALL), "memorx").length).toBeGreaterThan(0);
  });

  it("considers at most maxQueryTerms distinct terms", () => {
    const two = new SearchIndex(ALL, { limits: { maxQueryTerms: 1 } });
    expect(ids(two, "zzzz memory")).toEqual([]);
    expect(ids(two, "memory zzzz").length).toBeGreaterThan(0);
  });
});
