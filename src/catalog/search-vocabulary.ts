/**
 * The vocabulary bridge between how a model phrases a need and how APIs name their tools:
 * a curated table of API-domain aliases ("folder" = "directory", "PR" = "pull request", "me" →
 * "authenticated user") and CRUD verb classes ("make", "new", "add" → create; "kill", "forget" →
 * delete), applied to the query (tool texts are indexed as they are).
 *
 * Each query word keeps its own term (weight 1); an alias adds the other phrase's terms with
 * {@link VocabularyWeights.alias} under the same query word, so a tool that says "directory"
 * answers "folder" as if the query had said it, a little below a tool that says "folder". A verb
 * adds its class's usual tool-side verbs with {@link VocabularyWeights.verb}, and marks the
 * query's intent: the ranking prefers tools whose own verb (first verb of the title or
 * description, else of the name) is in that class, so "schedule a job every night" finds the
 * create operation of CronJobs rather than the delete-collection one.
 *
 * No general-English thesaurus is used: the one offline package that fits in size (`synonyms`,
 * WordNet-derived, 2 MB, unmaintained since 2017) maps "make" to "urinate", "ticket" to "fine"
 * and has no entry for "folder", "directory", "upvote" or "user"; the table here is small and
 * aimed at API vocabulary.
 *
 * @module
 */
import { type Analyzer, STOP_WORDS, tokenize } from "./search-analyzer.js";
import { type PartOfSpeech, Thesaurus } from "./search-thesaurus.js";

/**
 * Alias rules: `a = b = c` makes the phrases equivalent both ways; `a > b, c` expands `a` into
 * `b` and `c` only (the left side is a user's word the tools rarely use). Phrases are matched on whole,
 * consecutive query words (plurals folded).
 */
const ALIAS_RULES = [
  // code hosting
  "repo = repository",
  "pr = pull request",
  "merge request > pull request",
  "ticket = issue = bug",
  "project > repo",
  "upvote = vote",
  "thumbs up = plus1 > reaction",
  "bookmark > star",
  "favorite = favourite = star",
  "contributor = contributed",
  "ci = workflow > actions",
  "automation > workflow",
  "build output > artifact",
  "dev environment > codespace",
  "vulnerable dependency > dependabot alert",
  "starred > stargazer",
  "pipeline > workflow",
  "job > workflow",
  "build > workflow",
  "callback = webhook = hook",
  "api calls left = rate limit = quota",
  "api calls > rate limit",
  "newest = latest",
  "test > ping",
  "collaborator > push access",
  "branch > ref",
  "tag > ref",
  "copy > fork",
  "notified = notify > webhook, notification",
  "look for = look up > search",
  "kick off > trigger, dispatch",
  "by hand = manually",
  // people and identity
  "me = myself = current user = authenticated user",
  "my > authenticated",
  "i > authenticated",
  "who am i > authenticated user, current user",
  "people = person = user = member",
  "colleague = teammate = coworker > user",
  "password = secret = credential",
  "email = e-mail = mail",
  "online = presence",
  "away > presence",
  "picture = photo = image",
  // files
  "folder = directory = dir",
  "mkdir > create directory",
  "ls > list directory",
  "cat > read file",
  "rm > delete",
  "mv > move",
  "cp > copy",
  "rename > move",
  "compress = gzip = zip",
  "size = big = large = space",
  "hierarchy = tree",
  "relationship = relation",
  "kind = type",
  "txt = text",
  "slow > long running",
  // chat
  "channel = conversation",
  "workspace > team",
  "modal = view",
  "new name > rename",
  "scope > permission",
  "dm = direct message = im",
  "thread = replies",
  "emoji = reaction",
  "remind = reminder",
  "snooze = pause notification = do not disturb = dnd",
  "save for later > star",
  "topic = purpose",
  "link > permalink",
  "tomorrow = later > schedule",
  "everyone > user",
  "token > auth",
  // payments
  "refund = money back",
  "charge = payment",
  "bill = invoice",
  "discount = coupon = promotion code = promo code",
  "chargeback = dispute",
  "contest > dispute",
  "purchase > transaction",
  "hosted payment page > checkout session",
  "fraud = fraudulent > radar",
  "seller = connected account",
  "bank > payout",
  "balance = available money",
  "money > balance",
  "offer = quote",
  "document = file",
  "happened = recent > event, activity",
  "price = cost",
  "subscription = plan",
  // trackers
  "hours = worklog = time spent",
  "logged work = work entry > worklog",
  "for good = permanently",
  "email = mail > notification, notify",
  "duplicate > link",
  "done = resolved > transition",
  "screenshot > attachment",
  "release = version",
  // clusters
  "cron = cronjob = schedule = scheduled = nightly = every night = recurring = periodic",
  "machine > node, runner",
  "every = all",
  "whole cluster = cluster wide = across the cluster > all namespaces",
  "config map = configmap",
  "key value > configmap",
  "expose > service",
  "disk = storage = volume > persistent volume claim",
  "quota = resource quota = limit range",
  "cap > quota, limit",
  "shell = command > exec",
  "port forward = portforward",
  "autoscale = autoscaler = horizontal pod autoscaler",
  "permission = role binding = rbac",
  "permission set = set of permissions > role",
  "allowed > access review",
  "custom resource type = custom resource definition = crd",
  "evict = eviction",
  "unschedulable = cordon",
  "rollout = rolling out = roll out > deployment status",
  "log = logs",
  "run = execute = exec",
  "environment variable = env",
  "knowledge = memory = remember > graph",
  "fact = observation",
];

/**
 * CRUD verb classes. `query` are words a model uses for the intent; `tool` are the (stemmed)
 * verbs tools use for it: a query verb expands into those, and a tool whose own first verb is one
 * of them is of that class.
 */
const VERB_CLASSES = {
  create: {
    query: "create make new add post insert register submit open start store save record file generate build put write upload send issue schedule comment reply react vote trigger launch dispatch remind define give grant attach bill charge request initiate subscribe",
    tool: "create add post insert register submit upload new generate invite attach initiate",
  },
  read: {
    query: "get read show fetch retrieve view see display look describe inspect check info grab download",
    tool: "get read retrieve fetch show view describe return check download",
  },
  list: { query: "list show all enumerate browse every", tool: "list" },
  update: {
    query: "update change edit rename modify set patch replace alter adjust toggle mark pause resume suspend unsuspend restart reopen correct fix amend rotate scale resize",
    tool: "update patch replace edit set modify change rename",
  },
  delete: { query: "delete remove forget drop kick erase destroy purge discard kill wipe clear revoke detach withdraw dismiss", tool: "delete remove destroy revoke purge detach dismiss" },
  cancel: { query: "cancel stop abort halt terminate void call off abandon", tool: "cancel stop abort terminate void" },
  search: { query: "search find lookup query", tool: "search find query" },
  watch: { query: "watch stream monitor subscribe follow", tool: "watch" },
  enable: { query: "enable activate unpause unblock", tool: "enable activate" },
  disable: { query: "disable deactivate", tool: "disable deactivate" },
} as const;

/**
 * English phrasal verbs that name an API action, by verb class. At the head of a query they are
 * its intent ("get rid of a label" deletes, "set up a project" creates, "turn off a workflow"
 * disables) and their words are not searched for themselves ("get" would read, "up" would match
 * "update").
 */
const PHRASAL_VERBS: Record<string, (keyof typeof VERB_CLASSES)[]> = {
  "set up": ["create"],
  "spin up": ["create"],
  "put together": ["create"],
  "sign up": ["create"],
  "write down": ["create"],
  "get rid of": ["delete"],
  "take down": ["delete"],
  "tear down": ["delete"],
  "clean up": ["delete"],
  "wipe out": ["delete"],
  "throw away": ["delete"],
  "throw out": ["delete"],
  "do away with": ["delete"],
  "take off": ["delete"],
  "take out": ["delete"],
  "call off": ["cancel"],
  "shut down": ["cancel"],
  "back out": ["cancel"],
  "fill in": ["update"],
  "fill out": ["update"],
  "switch to": ["update"],
  "look at": ["read"],
  "look into": ["read"],
  "check on": ["read"],
  "find out": ["read"],
  "pull up": ["read"],
  "bring up": ["read"],
  "look up": ["search", "read"],
  "look for": ["search"],
  "search for": ["search"],
  "hunt for": ["search"],
  "turn on": ["enable"],
  "switch on": ["enable"],
  "opt in": ["enable"],
  "turn off": ["disable"],
  "switch off": ["disable"],
  "shut off": ["disable"],
  "opt out": ["disable"],
  "keep track of": ["watch"],
  "keep an eye on": ["watch"],
};

/** Particles of English phrasal verbs: the second word of a two-word one ({@link PHRASAL_VERBS}). */
const PARTICLES = new Set(["up", "down", "off", "on", "out", "away", "in", "back", "over"]);

/** How a tool's text says it lists: "Get all projects", "Returns a list of …", "Retrieves every …". */
const LISTING = /^\s*(?:get|gets|retrieve|retrieves|fetch|fetches|return|returns|find|finds)\s+(?:all|every|a\s+(?:paginated\s+)?list)\b/i;

/** Read verbs that, with a plural object, list ({@link VocabularyFeatures.readPlural}); not "download" or "check", whose objects are contents. */
const READ_PLURAL = new Set(["get", "read", "see", "view", "fetch", "retrieve", "grab", "display"]);

/** Nouns that, in a query without a verb, ask to read one object ("details of a storage class"). */
const READ_NOUNS = new Set(["detail", "details", "profile", "info", "information", "metadata", "settings", "status"]);

/** Words that end a tool label's object ("Get issues *for* a repository"). */
const OBJECT_END = new Set(["for", "of", "in", "on", "by", "from", "to", "with", "that", "which", "and", "or"]);

/** Whether the object after a label's leading verb ends in a plural noun ("Get priorities", "Get issue link types"; not "Get a status"). */
function pluralObject(label: string): boolean {
  const words = label.trim().split(/[^\p{L}\p{N}'-]+/u).slice(1, 5);
  let last = "";
  for (const word of words) {
    const lower = word.toLowerCase();
    if (OBJECT_END.has(lower)) break;
    if (lower === "a" || lower === "an" || lower === "the" || lower === "one") return false;
    last = lower;
  }
  return last.length > 3 && fold(last) !== last;
}

/** Leading verbs that, before a gerund, end what it names ("stop following"). */
const STOPPING = new Set(["stop", "quit", "cease"]);

/** Most words a two-word phrasal verb may enclose ("take [a person] out"). */
const MAX_PHRASAL_GAP = 3;

/** First words that make a query a question: it asks to read or list. */
const QUESTION_WORDS = new Set(["which", "what", "who", "whom", "whose", "where", "when", "is", "am", "are", "was", "were", "has", "have", "does", "do", "did", "how"]);

/** Names of the verb classes, in bit order. */
export const VERB_CLASS_NAMES = Object.keys(VERB_CLASSES) as (keyof typeof VERB_CLASSES)[];

/** How much expansions count against the words the query used. */
export interface VocabularyWeights {
  /** An alias term, relative to the query word it stands for. */
  alias: number;
  /** A class verb added for a query verb. */
  verb: number;
  /** A WordNet synonym of a query word ({@link Thesaurus}). */
  thesaurus: number;
  /** How many of a word's most common WordNet senses give synonyms. */
  thesaurusSenses: number;
  /** The leading verb's own word (1: as any query word; less: mostly its intent). */
  verbWord?: number;
  /** An alias phrase of n words adds each at `alias / n^aliasPhrase` (0: each at the full alias weight). */
  aliasPhrase?: number;
}

/** Which parts of the vocabulary are on (the search benchmark turns each off for ablations). */
export interface VocabularyFeatures {
  aliases: boolean;
  verbs: boolean;
  /** Only the query's leading word is its intent verb; a plural object makes read-or-list a list. */
  leadingVerb: boolean;
  /** WordNet synonyms of the query's words (those the catalog uses). */
  thesaurus: boolean;
  /**
   * Phrasal verbs around their object ("take a person out of a group" deletes), and "stop" +
   * a gerund undoing an ongoing act ("stop following someone" → `unfollow`, else delete).
   */
  splitPhrasal: boolean;
  /** "Get all …" and "Returns a list of …" make a tool a list one ({@link Vocabulary.toolVerb}). */
  toolVerbHints: boolean;
  /** A read verb with a plural object lists, as "show" does. */
  readPlural: boolean;
  /** A query without a verb reads when it names particulars ("details of …"), else lists a plural object (weakly). */
  verbless: boolean;
}

/**
 * Base forms a word may have, by WordNet's detachment rules ("shipped" → "ship", "ships" →
 * "ship", "boxes" → "box"), the word itself first.
 */
export function baseForms(word: string, pos: PartOfSpeech): string[] {
  const forms = [word];
  const rules: [string, string][] =
    pos === "verb"
      ? [["ies", "y"], ["es", "e"], ["es", ""], ["ed", "e"], ["ed", ""], ["ing", "e"], ["ing", ""], ["s", ""]]
      : pos === "noun"
        ? [["ses", "s"], ["xes", "x"], ["zes", "z"], ["ches", "ch"], ["shes", "sh"], ["men", "man"], ["ies", "y"], ["s", ""]]
        : [["er", ""], ["est", ""], ["er", "e"], ["est", "e"]];
  for (const [suffix, ending] of rules) {
    if (word.length > suffix.length + 1 && word.endsWith(suffix)) forms.push(word.slice(0, -suffix.length) + ending);
  }
  // A doubled consonant before -ed/-ing ("shipped", "stopping").
  const doubled = /^(.*([b-df-hj-np-tv-z]))\2(?:ed|ing)$/.exec(word);
  if (pos === "verb" && doubled !== null) forms.push(doubled[1]!);
  return [...new Set(forms)];
}

/** One term to look up: its analyzed form, the query word it counts for, and its weight. */
export interface QueryTerm {
  term: string;
  /** Index of the query word (terms of one word share it: the "matched words" count). */
  word: number;
  weight: number;
  /** False for expansions: only exact terms are looked up (no prefix or fuzzy matching). */
  original: boolean;
}

/** An analyzed query: terms to look up and the verb classes it asks for (bit mask). */
export interface AnalyzedQuery {
  terms: QueryTerm[];
  /** Number of query words (bits) the terms use. */
  words: number;
  /** Verb classes the query asks for: a tool of one of them gets the full verb bonus. */
  verbMask: number;
  /** Verb classes the query may mean, less likely: half the bonus ("show the pods" asks to list, perhaps to read). */
  weakVerbMask: number;
}

interface AliasRule {
  /** Surface words of the phrase, plurals folded. */
  from: string[];
  /** Analyzed terms to add. */
  to: string[][];
}

const fold = (word: string): string => (word.length > 4 && word.endsWith("ies") ? `${word.slice(0, -3)}y` : word.length > 3 && word.endsWith("s") && !/(ss|us|is)$/.test(word) ? word.slice(0, -1) : word);
const surface = (phrase: string): string[] => phrase.toLowerCase().split(/\s+/).filter(Boolean).map(fold);

/** The vocabulary, compiled for one analyzer (its terms are analyzed the way the index is). */
export class Vocabulary {
  /** Rules by the first word of their phrase. */
  readonly #aliases = new Map<string, AliasRule[]>();
  /** Query word → verb class bits. */
  readonly #queryVerbs = new Map<string, number>();
  /** Phrasal verb → verb class bits. */
  readonly #phrasal = new Map<string, number>();
  /** Analyzed tool-side verb → class bit (a tool's class). */
  readonly #toolVerbs = new Map<string, number>();
  /** Class bit → analyzed tool-side verbs (what a query verb expands into). */
  readonly #classTerms: string[][] = [];
  /** Bits of the read and list classes. */
  readonly #readBitIndex = VERB_CLASS_NAMES.indexOf("read");
  readonly #read = 1 << this.#readBitIndex;
  readonly #deleteBit = 1 << VERB_CLASS_NAMES.indexOf("delete");
  readonly #readOrList = this.#read | (1 << VERB_CLASS_NAMES.indexOf("list"));

  constructor(
    private readonly analyzer: Analyzer,
    private readonly features: VocabularyFeatures,
    private readonly weights: VocabularyWeights,
    private readonly thesaurus: Thesaurus = Thesaurus.shared(),
  ) {
    const analyze = (phrase: string): string[] => analyzer.terms(phrase);
    for (const rule of ALIAS_RULES) {
      const oneWay = rule.includes(" > ");
      const sides = rule.split(oneWay ? " > " : " = ").map((s) => s.trim());
      const add = (from: string, to: readonly string[]): void => {
        const words = surface(from);
        const targets = to.map(analyze).filter((t) => t.length > 0);
        if (words.length === 0 || targets.length === 0) return;
        const list = this.#aliases.get(words[0]!) ?? [];
        list.push({ from: words, to: targets });
        this.#aliases.set(words[0]!, list);
      };
      if (oneWay) {
        // `a = b > c`: a and b are equivalent, both expand into c
        const [left, right] = rule.split(" > ") as [string, string];
        const equals = left.split(" = ").map((s) => s.trim());
        const targets = right.split(",").map((t) => t.trim());
        for (const phrase of equals) add(phrase, [...equals.filter((p) => p !== phrase), ...targets]);
      } else {
        for (const phrase of sides) add(phrase, sides.filter((p) => p !== phrase));
      }
    }
    VERB_CLASS_NAMES.forEach((name, bit) => {
      const { query, tool } = VERB_CLASSES[name];
      for (const word of query.split(" ")) this.#queryVerbs.set(word, (this.#queryVerbs.get(word) ?? 0) | (1 << bit));
      const terms: string[] = [];
      for (const word of tool.split(" ")) {
        const term = analyzer.term(word);
        if (term === null) continue;
        terms.push(term);
        if (!this.#toolVerbs.has(term)) this.#toolVerbs.set(term, bit);
      }
      this.#classTerms[bit] = terms;
    });
    for (const [phrase, classes] of Object.entries(PHRASAL_VERBS)) {
      this.#phrasal.set(phrase, classes.reduce((mask, name) => mask | (1 << VERB_CLASS_NAMES.indexOf(name)), 0));
    }
  }

  /** Verb classes a query rarely means unless it says so ({@link SearchFeatures.verbPrior}): delete and watch. */
  readonly unaskedMask = (1 << VERB_CLASS_NAMES.indexOf("delete")) | (1 << VERB_CLASS_NAMES.indexOf("watch"));

  /** The verb class a tool's MCP annotations imply when its texts name none: read-only reads, destructive deletes. */
  hintedVerb(annotations: { readOnlyHint?: boolean; destructiveHint?: boolean } | undefined): number {
    if (annotations?.readOnlyHint === true) return this.#read;
    if (annotations?.destructiveHint === true) return this.#deleteBit;
    return 0;
  }

  /**
   * The verb classes of a tool (a bit mask, 0: none) from its label text (title, else
   * description, else name): the first of the first few words that is a tool-side verb, and the
   * others of "Create or update …"; "list" alone in "Returns a list of …" and "list or watch".
   */
  toolVerb(text: string): number {
    const clean = text.replace(/<[^>]*>/g, " ").replace(/^\s*deprecated\.?\s*/i, "");
    const list = this.#toolVerbs.get("list");
    if (list !== undefined && this.features.toolVerbHints && LISTING.test(clean)) return 1 << list;
    const alternatives = /^(?:\S+\s+){0,4}or\s/i.test(clean.trim());
    let mask = 0;
    let seen = 0;
    for (const term of this.analyzer.terms(clean)) {
      const bit = this.#toolVerbs.get(term);
      if (bit !== undefined) {
        if (bit === list) return 1 << bit;
        if (mask === 0 || alternatives) mask |= 1 << bit;
      }
      if (++seen >= 4) break;
    }
    // "Get priorities", "Get issue link types": a read verb whose object is plural lists too.
    if (list !== undefined && this.features.toolVerbHints && mask === 1 << this.#readBitIndex && pluralObject(clean)) mask |= 1 << list;
    return mask;
  }


  /**
   * The phrasal verb that heads `chunks` (after stop words), longest first: the chunks it takes
   * (its first is its head) and its verb classes. A two-word one may enclose a short object
   * ("take a person out of a group", "turn notifications off"): up to
   * {@link MAX_PHRASAL_GAP} words between the verb and its particle.
   */
  #leadingPhrasal(chunks: readonly string[]): { start: number; chunks: Set<number>; classes: number } | undefined {
    let start = 0;
    while (start < chunks.length && this.analyzer.term(chunks[start]!.toLowerCase()) === null) start++;
    for (let length = Math.min(4, chunks.length - start); length >= 2; length--) {
      const phrase = chunks
        .slice(start, start + length)
        .map((c) => c.toLowerCase())
        .join(" ");
      const classes = this.#phrasal.get(phrase);
      if (classes !== undefined) return { start, chunks: new Set(Array.from({ length }, (_, k) => start + k)), classes };
    }
    if (this.features.splitPhrasal) {
      const head = chunks[start]?.toLowerCase();
      for (let at = start + 2; head !== undefined && at < chunks.length && at <= start + 1 + MAX_PHRASAL_GAP; at++) {
        const particle = chunks[at]!.toLowerCase();
        if (!PARTICLES.has(particle)) continue;
        const classes = this.#phrasal.get(`${head} ${particle}`);
        if (classes !== undefined) return { start, chunks: new Set([start, at]), classes };
        break; // the first particle after the verb is its own, or none is
      }
    }
    return undefined;
  }

  /**
   * Analyzes a query: its own terms, alias and verb expansions, and its verb classes. `indexed`
   * tells whether a term is in the index: a compound the index knows (`dryRun`, `read_file`)
   * stands for itself; one it does not know (`readFile`) is read as its words.
   */
  analyze(query: string, maxWords: number, indexed: (term: string) => boolean): AnalyzedQuery {
    const terms: QueryTerm[] = [];
    const seen = new Set<string>();
    let bits = 0;
    let verbMask = 0;
    // Only the leading word is read as the intent verb (imperatives start with it: "set a label",
    // "file a bug"); later verb-like words are objects ("stateful sets", "a file", "a post").
    let plural = false;
    // The leading word was "stop" before a gerund: the gerund's un-word is looked for.
    let undoing = false;
    // The leading verb, when the query has one.
    let intentWord = "";
    const push = (term: string, word: number, weight: number, original: boolean): void => {
      const key = `${term}\u0000${word}`;
      if (seen.has(key)) return;
      seen.add(key);
      terms.push({ term, word, weight, original });
    };
    // Surface words (parts of compounds, lower-cased, plurals folded) for phrases, and the bit each counts for.
    const words: string[] = [];
    const wordBit: number[] = [];
    const chunks = query
      .replace(/\+1\b/g, " plus1 ")
      .split(/[^\p{L}\p{N}_-]+/u)
      .filter((chunk) => chunk !== "");
    // A question ("which files did …", "what is …") has no leading verb.
    let leading = !QUESTION_WORDS.has(chunks[0]?.toLowerCase() ?? "");
    // A phrasal verb at the head of the query ("get rid of …"): its chunks and classes.
    const phrasal = this.features.verbs && this.features.leadingVerb ? this.#leadingPhrasal(chunks) : undefined;
    let chunkIndex = -1;
    for (const chunk of chunks) {
      chunkIndex++;
      if (phrasal !== undefined && phrasal.chunks.has(chunkIndex)) {
        words.push(fold(chunk.toLowerCase()));
        if (chunkIndex === phrasal.start && bits < maxWords) {
          const bit = bits++;
          wordBit.push(bit);
          leading = false;
          verbMask |= phrasal.classes;
          for (let c = 0; c < this.#classTerms.length; c++) {
            if ((phrasal.classes & (1 << c)) === 0) continue;
            for (const verb of this.#classTerms[c]!) push(verb, bit, this.weights.verb, false);
          }
        } else wordBit.push(-1);
        continue;
      }
      const tokens = tokenize(chunk);
      const compound = tokens.length > 1 ? this.analyzer.term(tokens[0]!.toLowerCase()) : null;
      // A compound the index knows stands for itself: its parts are for phrases only.
      const known = compound !== null && indexed(compound);
      let bit = -1;
      for (let t = 0; t < tokens.length; t++) {
        const raw = tokens[t]!.toLowerCase();
        const word = fold(raw);
        const surfaceWord = tokens.length === 1 || t > 0; // not the compound itself
        const term = this.analyzer.term(word);
        if (term !== null && bit < 0 && bits < maxWords) bit = bits++;
        if (surfaceWord) {
          words.push(word);
          wordBit.push(bit);
        }
        if (term === null || bit < 0 || (known && t > 0)) continue;
        const isVerb = leading && this.features.verbs && this.#queryVerbs.has(word);
        if (isVerb) intentWord = word;
        push(term, bit, isVerb ? (this.weights.verbWord ?? 1) : 1, true);
        if (undoing) {
          // "stop following": the catalog's un-word of the gerund (`unfollow`), when it has one.
          undoing = false;
          for (const form of baseForms(word, "verb").slice(1)) {
            const un = this.analyzer.term(`un${form}`);
            if (un !== null && indexed(un)) {
              push(un, bit, 1, false);
              break;
            }
          }
        }
        const intent = leading;
        leading = false;
        // A plural object (the leading word too when it is no verb: "which machines …").
        if (word !== raw && (!intent || !this.#queryVerbs.has(word))) plural = true;
        if (this.features.verbs && (intent || !this.features.leadingVerb)) {
          let classes = this.#queryVerbs.get(word) ?? 0;
          // "unsave", "unstar", "unwatch" undo what the rest names: that word, and delete — unless
          // the catalog has the un-word itself (`unfollow`, `unarchive`), which then stands alone.
          if (classes === 0 && this.features.leadingVerb && /^un[a-z]{3,}$/.test(word) && !indexed(term)) {
            const undone = this.analyzer.term(word.slice(2));
            if (undone !== null) push(undone, bit, this.weights.alias, false);
            classes = this.#deleteBit;
          }
          // "stop following", "stop watching": ends an ongoing act, i.e. deletes the follow or watch.
          if (this.features.splitPhrasal && STOPPING.has(word) && /^[a-z]{3,}ing$/i.test(chunks[chunkIndex + 1] ?? "")) {
            classes = this.#deleteBit;
            undoing = true;
          }
          verbMask |= classes;
          for (let c = 0; c < this.#classTerms.length; c++) {
            if ((classes & (1 << c)) === 0) continue;
            for (const verb of this.#classTerms[c]!) push(verb, bit, this.weights.verb, false);
          }
        }
      }
    }
    if (this.features.leadingVerb) {
      // Two words the catalog writes as one ("user groups" → `usergroups`, "cron job" → `cronjob`,
      // "work log" → `worklog`): the joined term counts half for each word.
      for (let i = 0; i + 1 < words.length; i++) {
        const [a, b] = [wordBit[i]!, wordBit[i + 1]!];
        if (a < 0 || b < 0 || a === b) continue;
        const joined = this.analyzer.term(`${words[i]}${words[i + 1]}`);
        if (joined === null || !indexed(joined) || terms.some((t) => t.term === joined && t.original)) continue;
        push(joined, a, 0.5, false);
        push(joined, b, 0.5, false);
      }
    }
    if (this.features.aliases) {
      // An expansion never repeats a term the query has: "pull request" → "pr", not "request" again.
      const own = new Set(terms.filter((t) => t.original).map((t) => t.term));
      for (let i = 0; i < words.length; i++) {
        for (const rule of this.#aliases.get(words[i]!) ?? []) {
          if (!rule.from.every((w, k) => words[i + k] === w)) continue;
          // The phrase counts for the first of its words that has a bit; a phrase of stop words
          // only ("who am i", "me") gets a bit of its own.
          let bit = -1;
          for (let k = 0; k < rule.from.length && bit < 0; k++) bit = wordBit[i + k] ?? -1;
          if (bit < 0) {
            if (bits >= maxWords) continue;
            bit = bits++;
          }
          // A phrase's words share the weight of the query word it stands for (n words: each 1/n^aliasPhrase).
          for (const target of rule.to) for (const term of target) if (!own.has(term)) push(term, bit, this.weights.alias / target.length ** (this.weights.aliasPhrase ?? 0), false);
        }
      }
    }
    if (this.features.thesaurus && this.weights.thesaurus > 0) {
      // WordNet synonyms of each word and each two-word phrase ("take back", "tear down") that the
      // catalog uses; the leading word is read as a verb first.
      const own = new Set(terms.map((t) => t.term));
      const senses = this.weights.thesaurusSenses;
      for (let i = 0; i < words.length; i++) {
        const bit = wordBit[i] ?? -1;
        if (bit < 0 || words[i]!.length < 3 || STOP_WORDS.has(words[i]!)) continue;
        const kinds: PartOfSpeech[] = bit === 0 ? ["verb", "noun", "adj"] : ["noun", "adj", "verb"];
        const lookup = (phrase: string): string[] => {
          for (const pos of kinds) {
            for (const form of baseForms(phrase, pos)) {
              const synonyms = this.thesaurus.synonyms(form, pos, senses);
              if (synonyms.length > 0) return synonyms;
            }
          }
          return [];
        };
        // A two-word phrase WordNet knows ("tear down") stands for both of its words.
        let synonyms = i + 1 < words.length ? lookup(`${words[i]} ${words[i + 1]}`) : [];
        if (synonyms.length > 0) i++;
        else synonyms = lookup(words[i]!);
        for (const synonym of synonyms) {
          if (synonym.includes(" ")) continue;
          const term = this.analyzer.term(synonym);
          if (term === null || own.has(term) || !indexed(term)) continue;
          push(term, bit, this.weights.thesaurus, false);
        }
      }
    }
    // A question ("which files…", "is my pod running", "what is the newest release") asks to read or list.
    if (this.features.verbs && QUESTION_WORDS.has(words[0] ?? "")) verbMask |= this.#readOrList;
    // Asked to read or list: a plural object ("show the stateful sets", "which machines") lists,
    // a singular one ("show a secret", "did my job succeed") reads.
    let weakVerbMask = 0;
    // No verb at all ("batch jobs in every namespace", "details of one namespace"): a noun that
    // names an object's particulars reads; else a plural object lists, weakly.
    if (this.features.verbs && this.features.verbless && verbMask === 0 && intentWord === "" && phrasal === undefined) {
      if (words.some((w) => READ_NOUNS.has(w))) verbMask |= this.#read;
      else if (plural) weakVerbMask |= this.#readOrList & ~this.#read;
    }
    // "read the comments", "get the users": as "show" would, a plural object lists.
    if (this.features.verbs && this.features.leadingVerb && this.features.readPlural && plural && READ_PLURAL.has(intentWord)) verbMask |= this.#readOrList;
    if (this.features.verbs && this.features.leadingVerb && (verbMask & this.#readOrList) === this.#readOrList) {
      const weak = plural ? this.#read : this.#readOrList & ~this.#read;
      verbMask &= ~weak;
      weakVerbMask = weak;
    }
    return { terms, words: bits, verbMask, weakVerbMask };
  }
}
