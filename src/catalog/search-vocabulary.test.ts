import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Analyzer, tokenize } from "./search-analyzer.js";
import { Thesaurus } from "./search-thesaurus.js";
import { type AnalyzedQuery, VERB_CLASS_NAMES, Vocabulary, baseForms } from "./search-vocabulary.js";

const analyzer = new Analyzer(true);
const ALL = { aliases: true, verbs: true, leadingVerb: true, thesaurus: false, splitPhrasal: true, toolVerbHints: true, readPlural: true, verbless: true };
const WEIGHTS = { alias: 1, verb: 0.75, thesaurus: 0.3, thesaurusSenses: 2 };
const vocabulary = new Vocabulary(analyzer, ALL, WEIGHTS);
const analyze = (query: string, indexed: (term: string) => boolean = () => true): AnalyzedQuery => vocabulary.analyze(query, 32, indexed);
const classes = (mask: number): string[] => VERB_CLASS_NAMES.filter((_, bit) => (mask & (1 << bit)) !== 0);
const terms = (query: string, original?: boolean): string[] =>
  analyze(query)
    .terms.filter((t) => original === undefined || t.original === original)
    .map((t) => t.term);

describe("Analyzer", () => {
  it("splits identifiers into words and keeps the compound", () => {
    expect(tokenize("create_directory listForRepo dryRun")).toEqual(["create_directory", "create", "directory", "listForRepo", "list", "For", "Repo", "dryRun", "dry", "Run"]);
    expect(tokenize("issues/list-for-repo")).toEqual(["issues", "list-for-repo", "list", "for", "repo"]);
  });

  it("stems so that word forms meet, and folds abbreviations", () => {
    expect(analyzer.term("starred")).toBe(analyzer.term("star"));
    expect(analyzer.term("contributors")).toBe(analyzer.term("contributor"));
    expect(analyzer.term("running")).toBe(analyzer.term("run"));
    expect(analyzer.term("repositories")).toBe("repo");
    expect(analyzer.term("the")).toBeNull();
    expect(analyzer.term("exist")).toBeNull();
    expect(new Analyzer(false).term("contributors")).toBe("contributor"); // the plurals-only ablation
  });
});

describe("Vocabulary: verb classes", () => {
  it("reads the leading word as the intent and expands it into tool verbs", () => {
    const query = analyze("make a folder");
    expect(classes(query.verbMask)).toEqual(["create"]);
    expect(terms("make a folder", false)).toEqual(expect.arrayContaining(["creat", "directori"]));
    expect(classes(analyze("kick someone out").verbMask)).toEqual(["delete"]);
    expect(classes(analyze("stop a running job").verbMask)).toEqual(["cancel"]);
    expect(classes(analyze("rename a channel").verbMask)).toEqual(["update"]);
  });

  it("does not read a later verb-like word as the intent", () => {
    // "sets" and "file" are objects here, not "set" (update) and "file a bug" (create).
    expect(classes(analyze("show the stateful sets").verbMask)).not.toContain("update");
    expect(classes(analyze("which files did a pull request change").verbMask)).not.toContain("create");
    // With the leading-verb rule off (the ablation), every verb-like word counts.
    const loose = new Vocabulary(analyzer, { ...ALL, leadingVerb: false }, WEIGHTS).analyze("show the stateful sets", 32, () => true);
    expect(classes(loose.verbMask)).toContain("update");
  });

  it("asks to list for a plural object and to read for a singular one", () => {
    const plural = analyze("show the stateful sets in a namespace");
    expect(classes(plural.verbMask)).toEqual(["list"]);
    expect(classes(plural.weakVerbMask)).toEqual(["read"]);
    const singular = analyze("show a secret");
    expect(classes(singular.verbMask)).toEqual(["read"]);
    expect(classes(singular.weakVerbMask)).toEqual(["list"]);
    expect(classes(analyze("which machines are in the cluster").verbMask)).toEqual(["list"]);
    expect(classes(analyze("did my batch job succeed").verbMask)).toEqual(["read"]);
  });

  it("reads a leading phrasal verb as one intent and does not search its words", () => {
    const query = analyze("get rid of a label");
    expect(classes(query.verbMask)).toEqual(["delete"]);
    expect(terms("get rid of a label", true)).toEqual(["label"]);
    expect(classes(analyze("turn off a workflow").verbMask)).toEqual(["disable"]);
    expect(classes(analyze("set up a new project").verbMask)).toEqual(["create"]);
    // Not at the head: "set" of "set up" later in a query is no intent.
    expect(classes(analyze("list what I set up").verbMask)).toEqual(["list"]);
  });
});

describe("Vocabulary: a tool's own verbs", () => {
  it("takes the first verb of the label, both of an alternative, and list over the rest", () => {
    expect(classes(vocabulary.toolVerb("Create a pull request"))).toEqual(["create"]);
    expect(classes(vocabulary.toolVerb("Create or update file contents"))).toEqual(["create", "update"]);
    expect(classes(vocabulary.toolVerb("list or watch objects of kind Pod"))).toEqual(["list"]);
    expect(classes(vocabulary.toolVerb("Returns a list of your customers"))).toEqual(["list"]);
    expect(classes(vocabulary.toolVerb("Create a review and update it later"))).toEqual(["create"]);
    expect(vocabulary.toolVerb("Echoes back the input")).toBe(0);
  });
});

describe("Vocabulary: un-verbs", () => {
  it('reads "unX" as deleting X unless the catalog has the un-word', () => {
    const save = analyzer.term("save")!;
    const unknown = analyze("unsave a message", (term) => term !== analyzer.term("unsave"));
    expect(classes(unknown.verbMask)).toEqual(["delete"]);
    expect(unknown.terms.some((t) => t.term === save && !t.original)).toBe(true);
    const known = analyze("unfollow a user", () => true);
    expect(known.verbMask).toBe(0);
    expect(known.terms.some((t) => t.term === analyzer.term("follow"))).toBe(false);
  });
});

describe("Vocabulary: aliases and joined words", () => {
  it("adds the terms of equivalent phrases", () => {
    expect(terms("a folder", false)).toContain("directori");
    expect(terms("open a PR", false)).toEqual(expect.arrayContaining(["pull", "request"]));
    // One-way: "merge request" means a pull request, but "pull request" does not add "merge".
    expect(terms("pull request", false)).not.toContain("merg");
    expect(terms("merge request", false)).toContain("pull");
  });

  it("shares a query word's weight among the words of an alias phrase (aliasPhrase)", () => {
    const shared = new Vocabulary(analyzer, ALL, { ...WEIGHTS, aliasPhrase: 0.5 });
    // "me" stands for "authenticated user" (two words) and for "myself" (one).
    const query = shared.analyze("who am I logged in as", 32, () => true);
    const weightOf = (word: string): number | undefined => query.terms.find((t) => t.term === analyzer.term(word) && !t.original)?.weight;
    expect(weightOf("authenticated")).toBeCloseTo(WEIGHTS.alias / Math.SQRT2, 6);
    const folder = shared.analyze("a folder", 32, () => true).terms.find((t) => t.term === analyzer.term("directory"));
    expect(folder?.weight).toBe(WEIGHTS.alias); // one word: the full weight
    // Exponent 0 (the first revision): every word of the phrase at the full weight.
    expect(vocabulary.analyze("who am I logged in as", 32, () => true).terms.find((t) => t.term === analyzer.term("authenticated"))?.weight).toBe(WEIGHTS.alias);
  });

  it("joins two words the catalog writes as one, half for each", () => {
    const indexed = (term: string): boolean => term === "usergroup";
    const joined = analyze("list user groups", indexed).terms.filter((t) => t.term === "usergroup");
    expect(joined.map((t) => t.weight)).toEqual([0.5, 0.5]);
    expect(new Set(joined.map((t) => t.word)).size).toBe(2);
    expect(analyze("list user groups", () => false).terms.some((t) => t.term === "usergroup")).toBe(false);
  });
});

describe("Thesaurus (WordNet)", () => {
  const thesaurus = new Thesaurus();
  afterAll(() => thesaurus.close());

  it("gives the other words of a lemma's most common senses", () => {
    expect(thesaurus.available).toBe(true);
    expect(thesaurus.synonyms("tear_down", "verb", 1)).toContain("dismantle");
    expect(thesaurus.synonyms("picture", "noun", 1)).toContain("image");
    expect(thesaurus.synonyms("picture", "noun", 1)).not.toContain("picture");
    // More senses, more (and looser) words.
    expect(thesaurus.synonyms("erase", "verb", 2).length).toBeGreaterThan(thesaurus.synonyms("erase", "verb", 1).length);
    expect(thesaurus.synonyms("zzqx", "noun", 2)).toEqual([]);
  });

  it("is empty, not failing, without the WordNet files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "toolcode-thesaurus-"));
    try {
      const empty = new Thesaurus(dir);
      expect(empty.synonyms("picture", "noun", 2)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds base forms by WordNet's detachment rules", () => {
    expect(baseForms("shipped", "verb")).toContain("ship");
    expect(baseForms("boxes", "noun")).toContain("box");
    expect(baseForms("entities", "noun")).toContain("entity");
  });

  it("adds only synonyms the catalog uses, at their weight", () => {
    const withThesaurus = new Vocabulary(analyzer, { ...ALL, aliases: false, thesaurus: true }, WEIGHTS, thesaurus);
    const image = analyzer.term("image")!;
    const query = withThesaurus.analyze("look at a picture", 32, (term) => term === image || term === analyzer.term("picture"));
    expect(query.terms.find((t) => t.term === image)?.weight).toBe(WEIGHTS.thesaurus);
    const none = withThesaurus.analyze("look at a picture", 32, (term) => term === analyzer.term("picture"));
    expect(none.terms.some((t) => t.term === image)).toBe(false);
  });
});

describe("Vocabulary: verbs around their object, stopping, plural reads (issue 14, second revision)", () => {
  it("reads a two-word phrasal verb that encloses its object as one intent", () => {
    expect(classes(analyze("take a person out of a group").verbMask)).toEqual(["delete"]);
    expect(terms("take a person out of a group", true)).not.toContain(analyzer.term("take"));
    expect(classes(analyze("turn notifications back on").verbMask)).toEqual([]); // "back" is the first particle: not "turn on"
    expect(classes(analyze("turn the alerts off").verbMask)).toEqual(["disable"]);
    // Too far apart, or off: not a phrasal verb.
    expect(classes(analyze("take the five biggest files out").verbMask)).toEqual([]);
    const off = new Vocabulary(analyzer, { ...ALL, splitPhrasal: false }, WEIGHTS);
    expect(classes(off.analyze("take a person out of a group", 32, () => true).verbMask)).toEqual([]);
  });

  it('reads "stop" before a gerund as ending that act, with the catalog\'s un-word when it has one', () => {
    const unfollow = analyzer.term("unfollow")!;
    const known = analyze("stop following someone", (term) => term === unfollow || term === analyzer.term("follow"));
    expect(classes(known.verbMask)).toEqual(["delete"]);
    expect(known.terms.find((t) => t.term === unfollow)?.weight).toBe(1);
    const unknown = analyze("stop watching a repository", (term) => term !== analyzer.term("unwatch"));
    expect(classes(unknown.verbMask)).toEqual(["delete"]);
    expect(unknown.terms.some((t) => t.term === analyzer.term("unwatch"))).toBe(false);
    // "stop" with an object still cancels.
    expect(classes(analyze("stop a running job").verbMask)).toEqual(["cancel"]);
  });

  it("lists when a read verb has a plural object, but not for download or check", () => {
    const plural = analyze("read the comments under an issue");
    expect(classes(plural.verbMask)).toEqual(["list"]);
    expect(classes(plural.weakVerbMask)).toEqual(["read"]);
    expect(classes(analyze("read the comment").verbMask)).toEqual(["read"]);
    expect(classes(analyze("download the logs of a run").verbMask)).toEqual(["read"]);
    const off = new Vocabulary(analyzer, { ...ALL, readPlural: false }, WEIGHTS);
    expect(classes(off.analyze("read the comments", 32, () => true).verbMask)).toEqual(["read"]);
  });

  it("weighs the leading verb's own word by verbWord, other words at 1", () => {
    const light = new Vocabulary(analyzer, ALL, { ...WEIGHTS, verbWord: 0.5 });
    const query = light.analyze("file a bug", 32, () => true);
    expect(query.terms.find((t) => t.term === analyzer.term("file") && t.original)?.weight).toBe(0.5);
    expect(query.terms.find((t) => t.term === analyzer.term("bug") && t.original)?.weight).toBe(1);
  });

  it('takes "Get all …" as a list tool and a verb from MCP annotations', () => {
    expect(classes(vocabulary.toolVerb("Get all projects"))).toEqual(["list"]);
    expect(classes(vocabulary.toolVerb("Returns a paginated list of users"))).toEqual(["list"]);
    expect(classes(vocabulary.toolVerb("Get a project"))).toEqual(["read"]);
    // A read verb with a plural object lists too; a singular or an "of …" object does not.
    expect(classes(vocabulary.toolVerb("Get priorities"))).toEqual(["read", "list"]);
    expect(classes(vocabulary.toolVerb("Get issue link types"))).toEqual(["read", "list"]);
    expect(classes(vocabulary.toolVerb("Get issue link type"))).toEqual(["read"]);
    expect(classes(vocabulary.toolVerb("Get the status of a job"))).toEqual(["read"]);
    expect(classes(vocabulary.hintedVerb({ readOnlyHint: true }))).toEqual(["read"]);
    expect(classes(vocabulary.hintedVerb({ readOnlyHint: false, destructiveHint: true }))).toEqual(["delete"]);
    expect(vocabulary.hintedVerb(undefined)).toBe(0);
    const off = new Vocabulary(analyzer, { ...ALL, toolVerbHints: false }, WEIGHTS);
    expect(classes(off.toolVerb("Get all projects"))).toEqual(["read"]);
  });

  it("maps the API-domain words the tuning half's misses used", () => {
    expect(terms("show the folder hierarchy", false)).toContain(analyzer.term("tree"));
    expect(terms("which automations run", false)).toContain(analyzer.term("workflow"));
    expect(terms("what kinds of links", false)).toContain(analyzer.term("type"));
    expect(terms("remove a relationship", false)).toContain(analyzer.term("relation"));
    expect(terms("list the permission sets", false)).toContain(analyzer.term("role"));
    expect(analyzer.term("reference")).toBe("ref");
    expect(classes(analyze("grant a user access").verbMask)).toEqual(["create"]);
    expect(classes(analyze("scale a deployment").verbMask)).toEqual(["update"]);
    expect(classes(analyze("detach a card").verbMask)).toEqual(["delete"]);
  });
});
