/**
 * Deterministic data for the token benchmark (a seeded PRNG, so every run measures the same
 * bytes): a directory of generated files, a knowledge graph, a team roster, a sales database and
 * GitHub issues. The truth each task is checked against is computed from these values (or from
 * the files on disk), never from a tool result.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pad = (n: number, width = 3): string => String(n).padStart(width, "0");

const WORDS = (
  "alpha beta gamma delta cache queue worker request response latency retry token session index shard replica " +
  "backup deploy rollout config schema migration table column invoice customer order payment refund ledger report " +
  "metric alert threshold window buffer stream batch job cron lease lock mutex handler router middleware plugin"
).split(" ");
const FIRST = "Ada Alan Anna Ben Carla Chen Dana Elif Emma Farid Grace Hana Ivan Jonas Julia Kai Lena Luca Maya Mila Nora Omar Petra Ravi Sara Tomas Uma Vera Yara Zoe".split(" ");
const LAST = "Abe Berg Costa Diaz Eriksen Fischer Garcia Hansen Ito Jensen Kowalski Larsen Meyer Novak Okafor Petrov Quinn Rossi Silva Tanaka Umar Varga Weber Xu Yilmaz Zhou".split(" ");

function sentence(random: () => number, words: number): string {
  const list = Array.from({ length: words }, () => pick(random, WORDS));
  return `${list.join(" ")}.`;
}

// ---------------------------------------------------------------- files

/** The marker string some generated files contain. */
export const MARKER = "SECURITY-REVIEW-NEEDED";
/** Number of files written by {@link writeFileTree}. */
export const FILE_COUNT = 240;

const KINDS = [
  { prefix: "notes", ext: "md" },
  { prefix: "module", ext: "ts" },
  { prefix: "config", ext: "json" },
  { prefix: "service", ext: "log" },
  { prefix: "export", ext: "csv" },
  { prefix: "readme", ext: "txt" },
] as const;

function fileBody(random: () => number, ext: string, target: number): string {
  let text = "";
  let line = 0;
  while (text.length < target) {
    line++;
    switch (ext) {
      case "log": {
        const level = random() < 0.06 ? "ERROR" : random() < 0.15 ? "WARN" : "INFO";
        text += `2025-05-${pad(int(random, 1, 28), 2)}T${pad(int(random, 0, 23), 2)}:${pad(int(random, 0, 59), 2)}:00Z ${level} ${sentence(random, 5)}\n`;
        break;
      }
      case "csv":
        text += line === 1 ? "id,name,amount\n" : `${line},${pick(random, WORDS)},${int(random, 1, 999)}.${pad(int(random, 0, 99), 2)}\n`;
        break;
      case "json":
        text += line === 1 ? "{\n" : `  "${pick(random, WORDS)}_${line}": "${sentence(random, 3)}",\n`;
        break;
      case "ts":
        text += `export const ${pick(random, WORDS)}${line} = "${sentence(random, 4)}";\n`;
        break;
      default:
        text += `${sentence(random, 10)}\n`;
    }
  }
  if (ext === "json") text += '  "end": true\n}\n';
  return text;
}

/**
 * Writes {@link FILE_COUNT} files of 150 B – 3 KB (six kinds: md, ts, json, log, csv, txt) into
 * `dir`, every size distinct; 6 of them contain {@link MARKER}; log lines are INFO/WARN/ERROR.
 */
export function writeFileTree(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const random = rng(240);
  const sizes = new Set<number>();
  const markerAt = new Set<number>();
  while (markerAt.size < 6) markerAt.add(int(random, 0, FILE_COUNT - 1));
  for (let i = 0; i < FILE_COUNT; i++) {
    const kind = pick(random, KINDS);
    let body = fileBody(random, kind.ext, int(random, 150, 3000));
    if (markerAt.has(i)) {
      const lines = body.split("\n");
      lines.splice(Math.floor(lines.length / 2), 0, kind.ext === "log" ? `2025-05-14T09:00:00Z WARN ${MARKER}: token rotation skipped` : `// ${MARKER}: check input validation`);
      body = lines.join("\n");
    }
    while (sizes.has(Buffer.byteLength(body))) body += " ";
    sizes.add(Buffer.byteLength(body));
    writeFileSync(path.join(dir, `${kind.prefix}-${pad(i)}.${kind.ext}`), body);
  }
}

// ---------------------------------------------------------------- knowledge graph

/** An entity of server-memory's knowledge graph. */
export interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}

/** A relation of server-memory's knowledge graph. */
export interface Relation {
  from: string;
  to: string;
  relationType: string;
}

/** The seeded graph: cities, companies, projects, people and their relations. */
export interface Graph {
  entities: Entity[];
  relations: Relation[];
}

const CITIES: [string, string][] = [
  ["Berlin", "Germany"], ["Paris", "France"], ["Lisbon", "Portugal"], ["Madrid", "Spain"], ["Rome", "Italy"], ["Vienna", "Austria"],
  ["Prague", "Czechia"], ["Warsaw", "Poland"], ["Amsterdam", "Netherlands"], ["Dublin", "Ireland"], ["Oslo", "Norway"], ["Helsinki", "Finland"],
];
const COMPANY_A = "Acme Blue Bright Clear Delta Echo Nova Orbit Pixel Quantum".split(" ");
const COMPANY_B = "Analytics Labs Systems Works".split(" ");
const PROJECTS = "Atlas Borealis Cobalt Dune Ember Fjord Granite Helix Iris Juniper Kestrel Lumen Meridian Nimbus Onyx Pulsar Quartz Rune Sierra Tundra".split(" ");
const ROLES = ["Engineer", "Senior Engineer", "Staff Engineer", "Designer", "Product Manager", "Data Scientist", "SRE", "Engineering Manager"];
const INDUSTRIES = ["fintech", "logistics", "health", "retail", "energy", "media"];

/** 12 cities, 40 companies, 20 projects, 230 people (302 entities) and ~1,000 relations. */
export function makeGraph(): Graph {
  const random = rng(300);
  const entities: Entity[] = [];
  const relations: Relation[] = [];
  for (const [city, country] of CITIES) entities.push({ name: city, entityType: "city", observations: [`Country: ${country}`] });
  const companies: string[] = [];
  for (const a of COMPANY_A) for (const b of COMPANY_B) companies.push(`${a} ${b}`);
  const companyCity = new Map<string, string>();
  for (const company of companies) {
    const city = pick(random, CITIES)[0];
    companyCity.set(company, city);
    entities.push({ name: company, entityType: "company", observations: [`Industry: ${pick(random, INDUSTRIES)}`, `Founded ${int(random, 1995, 2020)}`] });
    relations.push({ from: company, to: city, relationType: "located_in" });
  }
  for (const project of PROJECTS) {
    entities.push({ name: project, entityType: "project", observations: [`Language: ${pick(random, ["TypeScript", "Go", "Rust", "Python"])}`, `Started ${int(random, 2015, 2024)}`] });
  }
  const people: string[] = [];
  const used = new Set<string>();
  while (people.length < 230) {
    const name = `${pick(random, FIRST)} ${pick(random, LAST)}`;
    if (used.has(name)) continue;
    used.add(name);
    people.push(name);
  }
  for (const person of people) {
    const company = pick(random, companies);
    entities.push({ name: person, entityType: "person", observations: [`Role: ${pick(random, ROLES)}`, `Lives in ${pick(random, CITIES)[0]}`, `Joined ${int(random, 2010, 2025)}`] });
    relations.push({ from: person, to: company, relationType: "works_at" });
    const projects = new Set<string>([pick(random, PROJECTS)]);
    if (random() < 0.5) projects.add(pick(random, PROJECTS));
    if (companyCity.get(company) === "Berlin" && random() < 0.35) projects.add("Atlas");
    for (const project of projects) relations.push({ from: person, to: project, relationType: "contributes_to" });
  }
  for (const person of people) {
    const known = new Set<string>();
    while (known.size < 2) {
      const other = pick(random, people);
      if (other !== person) known.add(other);
    }
    for (const other of known) relations.push({ from: person, to: other, relationType: "knows" });
  }
  return { entities, relations };
}

// ---------------------------------------------------------------- team roster

/** One row of team.json. */
export interface TeamMember {
  id: number;
  name: string;
  title: string;
  team: string;
  managerId: number | null;
}

/** 150 people in a reporting tree (id 1 is the CEO). */
export function makeTeam(): TeamMember[] {
  const random = rng(150);
  const teams = ["Platform", "Payments", "Search", "Mobile", "Data", "Security"];
  const members: TeamMember[] = [];
  const used = new Set<string>();
  for (let id = 1; members.length < 150; ) {
    const name = `${pick(random, FIRST)} ${pick(random, LAST)}`;
    if (used.has(name)) continue;
    used.add(name);
    const managerId = id === 1 ? null : id <= 7 ? 1 : id <= 25 ? int(random, 2, 7) : int(random, 8, 25);
    const title = id === 1 ? "CEO" : id <= 7 ? "VP Engineering" : id <= 25 ? "Engineering Manager" : pick(random, ROLES.slice(0, 7));
    members.push({ id, name, title, team: id === 1 ? "Executive" : pick(random, teams), managerId });
    id++;
  }
  return members;
}

// ---------------------------------------------------------------- sales database

/** A customer row. */
export interface Customer {
  id: number;
  name: string;
  email: string;
  region: string;
}

/** An order row; `amountCents` is stored as `numeric(10,2)`. */
export interface Order {
  id: number;
  customerId: number;
  orderedAt: string;
  amountCents: number;
  status: "completed" | "refunded" | "pending";
}

/** 300 customers in 4 regions and 6,000 orders from January to June 2025. */
export function makeSales(): { customers: Customer[]; orders: Order[] } {
  const random = rng(6000);
  const regions = ["EMEA", "NA", "APAC", "LATAM"];
  const customers: Customer[] = [];
  for (let id = 1; id <= 300; id++) {
    const name = `${pick(random, FIRST)} ${pick(random, LAST)}`;
    customers.push({ id, name, email: `${name.toLowerCase().replace(" ", ".")}${id}@example.com`, region: pick(random, regions) });
  }
  const orders: Order[] = [];
  for (let id = 1; id <= 6000; id++) {
    const month = int(random, 1, 6);
    const day = int(random, 1, month === 2 ? 28 : month === 4 || month === 6 ? 30 : 31);
    const roll = random();
    orders.push({
      id,
      customerId: int(random, 1, 300),
      orderedAt: `2025-${pad(month, 2)}-${pad(day, 2)}`,
      amountCents: int(random, 500, 90000),
      status: roll < 0.8 ? "completed" : roll < 0.9 ? "refunded" : "pending",
    });
  }
  return { customers, orders };
}

/** SQL that creates and fills the sales tables. */
export function salesSql(sales: { customers: Customer[]; orders: Order[] }): string {
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  const customers = sales.customers.map((c) => `(${c.id}, ${q(c.name)}, ${q(c.email)}, ${q(c.region)})`).join(",\n");
  const orders = sales.orders.map((o) => `(${o.id}, ${o.customerId}, ${q(o.orderedAt)}, ${(o.amountCents / 100).toFixed(2)}, ${q(o.status)})`).join(",\n");
  return [
    "CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, region text NOT NULL);",
    "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers(id), ordered_at date NOT NULL, amount numeric(10,2) NOT NULL, status text NOT NULL);",
    `INSERT INTO customers VALUES\n${customers};`,
    `INSERT INTO orders VALUES\n${orders};`,
  ].join("\n");
}

/** Cents as `12,345.67`. */
export function money(cents: number): string {
  return (cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

// ---------------------------------------------------------------- GitHub issues

/** Repository the GitHub fixtures belong to. */
export const GITHUB_REPO = { owner: "octo-org", repo: "widgets" };

/**
 * 120 issues of {@link GITHUB_REPO} shaped exactly like api.github.com's (the spec's own
 * `issue-items` example is the template; number, title, body, state, labels, dates, author,
 * assignee, milestone and comment count vary).
 */
export function makeIssues(template: Record<string, unknown>): Record<string, unknown>[] {
  const random = rng(1223);
  const { owner, repo } = GITHUB_REPO;
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  const labelDefs: Record<string, { id: number; color: string; description: string; default: boolean }> = {
    bug: { id: 208045946, color: "d73a4a", description: "Something isn't working", default: true },
    enhancement: { id: 208045947, color: "a2eeef", description: "New feature or request", default: true },
    documentation: { id: 208045948, color: "0075ca", description: "Improvements or additions to documentation", default: true },
    "good first issue": { id: 208045949, color: "7057ff", description: "Good for newcomers", default: true },
    "priority:high": { id: 208045950, color: "b60205", description: "Needs attention this sprint", default: false },
  };
  const templateUser = template.user as Record<string, unknown>;
  const user = (login: string, id: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(templateUser)) out[key] = typeof value === "string" ? value.replace(/octocat/g, login) : value;
    return { ...out, login, id, node_id: Buffer.from(`04:User${id}`).toString("base64") };
  };
  const logins = ["mona", "hubot", "octocat", "defunkt", "pjhyett", "mojombo", "tpope", "jlord"];
  const issues: Record<string, unknown>[] = [];
  for (let i = 0; i < 120; i++) {
    const number = 1000 + i;
    const created = new Date(Date.UTC(2024, 6, 1) + int(random, 0, 300) * 86_400_000 + int(random, 0, 86_399) * 1000);
    const updated = new Date(created.getTime() + int(random, 0, 200) * 86_400_000);
    const state = random() < 0.7 ? "open" : "closed";
    const labels = new Set<string>();
    if (random() < 0.45) labels.add("bug");
    if (random() < 0.3) labels.add("enhancement");
    if (random() < 0.15) labels.add("documentation");
    if (random() < 0.1) labels.add("good first issue");
    if (random() < 0.15) labels.add("priority:high");
    const author = pick(random, logins);
    const assignee = random() < 0.5 ? user(pick(random, logins), 100 + int(random, 0, 7)) : null;
    const url = `${api}/issues/${number}`;
    issues.push({
      ...template,
      id: 2_000_000_000 + number,
      node_id: Buffer.from(`I_kwDO${number}`).toString("base64"),
      url,
      repository_url: api,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `https://github.com/${owner}/${repo}/issues/${number}`,
      timeline_url: `${url}/timeline`,
      number,
      state,
      state_reason: state === "closed" ? "completed" : null,
      title: `${pick(random, ["Crash", "Slow", "Wrong", "Missing", "Flaky"])} ${pick(random, WORDS)} ${pick(random, ["in", "when", "after"])} ${pick(random, WORDS)} ${pick(random, WORDS)}`,
      body: `${sentence(random, 20)}\n\nSteps to reproduce:\n1. ${sentence(random, 6)}\n2. ${sentence(random, 6)}`,
      user: user(author, 10 + logins.indexOf(author)),
      labels: [...labels].map((name) => {
        const def = labelDefs[name] as { id: number; color: string; description: string; default: boolean };
        return { id: def.id, node_id: Buffer.from(`LA_${def.id}`).toString("base64"), url: `${api}/labels/${encodeURIComponent(name)}`, name, description: def.description, color: def.color, default: def.default };
      }),
      assignee,
      assignees: assignee ? [assignee] : [],
      milestone: random() < 0.2 ? template.milestone : null,
      comments: int(random, 0, 25),
      created_at: created.toISOString().replace(/\.\d{3}Z$/, "Z"),
      updated_at: updated.toISOString().replace(/\.\d{3}Z$/, "Z"),
      closed_at: state === "closed" ? updated.toISOString().replace(/\.\d{3}Z$/, "Z") : null,
      closed_by: state === "closed" ? user(pick(random, logins), 200) : null,
      pull_request: undefined,
      reactions: { url: `${url}/reactions`, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
      performed_via_github_app: null,
    });
  }
  return issues.map((issue) => JSON.parse(JSON.stringify(issue)) as Record<string, unknown>);
}
