/**
 * PII tokenization on a seeded dataset flowing from one real server to another: people records
 * are read from a file (server-filesystem) and written to the knowledge graph (server-memory).
 * The receiving server gets every real value intact; nothing the model sees (result, logs, text,
 * errors, workspace files, the audit log) contains any of them.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import type { ExecuteResult } from "../../src/execute/execute-result.js";
import { servers, tempDir } from "../helpers.js";
import { storedGraph } from "./helpers.js";

/** The seeded dataset: every field but id and plan is personal. */
const PEOPLE = [
  { id: 1, name: "Ada Lovelace", email: "ada.lovelace@example.org", phone: "+44 20 7946 0958", card: "4111 1111 1111 1111", iban: "GB82 WEST 1234 5698 7654 32", ssn: "123-45-6789", ip: "192.168.10.21", address: "12 St James's Square, London", plan: "pro" },
  { id: 2, name: "Charles Babbage", email: "c.babbage@example.com", phone: "(202) 555-0143", card: "5500-0000-0000-0004", iban: "DE89370400440532013000", ssn: "219-09-9999", ip: "2001:db8::8a2e:370:7334", address: "1 Dorset Street, Marylebone", plan: "free" },
  { id: 3, name: "Grace Hopper", email: "grace@navy.example.mil", phone: "+1 703 555 0199", card: "3782 822463 10005", iban: "FR1420041010050500013M02606", ssn: "078-05-1120", ip: "10.0.0.7", address: "Arlington, Virginia", plan: "pro" },
  { id: 4, name: "Alan Turing", email: "alan.turing@bletchley.example.uk", phone: "+44 1908 640404", card: "6011 1111 1111 1117", iban: "NL91ABNA0417164300", ssn: "AB 12 34 56 C", ip: "172.16.254.1", address: "Hollymeade, Wilmslow", plan: "team" },
  { id: 5, name: "Katherine Johnson", email: "kjohnson@nasa.example.gov", phone: "757.555.0121", card: "4012 8888 8888 1881", iban: "ES9121000418450200051332", ssn: "536-22-1187", ip: "fe80::1ff:fe23:4567:890a", address: "Hampton, Virginia", plan: "free" },
];
const RAW = PEOPLE.flatMap(({ id: _id, plan: _plan, ...personal }) => Object.values(personal));

/** Everything of an execution that reaches the model. */
const modelVisible = (run: ExecuteResult): string => [run.text, JSON.stringify(run.result ?? null), run.logs.join("\n"), JSON.stringify(run.error), JSON.stringify(run.approval ?? null)].join("\n");
const leaks = (text: string): string[] => RAW.filter((value) => text.includes(value));

/** Text of every file under a directory. */
function readTree(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");
}

const PRIVACY = { tokenize: ["email", "phone", "card", "iban", "national-id", "ip"], fields: ["name", "address"] } as const;

describe("PII tokenization: file → memory graph", () => {
  let tc: Toolcode;
  let dir: string;
  let peopleFile: string;
  let memoryFile: string;
  let auditFile: string;
  let workspaces: string;

  beforeAll(async () => {
    dir = tempDir();
    peopleFile = path.join(dir, "people.json");
    writeFileSync(peopleFile, JSON.stringify(PEOPLE, null, 2));
    memoryFile = path.join(dir, "memory.jsonl");
    auditFile = path.join(dir, "audit.jsonl");
    workspaces = path.join(dir, "workspaces");
    tc = await createToolcode({
      config: {
        mcpServers: { files: servers.filesystem(dir), memory: servers.memory(memoryFile) },
        policy: { allow: ["memory.create_*"] },
        privacy: { ...PRIVACY, tokenize: [...PRIVACY.tokenize], fields: [...PRIVACY.fields] },
        audit: { file: auditFile, arguments: "full" },
        workspace: { dir: workspaces },
        output: { maxTokens: 400 },
      },
      cwd: dir,
    });
    expect(tc.failures).toEqual([]);
  });

  afterAll(async () => {
    await tc.close();
  });

  it("moves every record into the graph: the server gets real values, the model sees only tokens", async () => {
    const run = await tc.execute(
      `const { content } = await files.read_text_file({ path: ${JSON.stringify(peopleFile)} });
       const people = JSON.parse(content);
       await memory.create_entities({ entities: people.map((p) => ({ name: p.name, entityType: "customer",
         observations: ["email " + p.email, "phone " + p.phone, "card " + p.card, "iban " + p.iban, "id " + p.ssn, "ip " + p.ip, "lives at " + p.address, "plan " + p.plan] })) });
       await memory.create_relations({ relations: [{ from: people[0].name, to: people[1].name, relationType: "refers" }] });
       console.log(people.map((p) => p.name + " <" + p.email + "> " + p.plan).join("\\n"));
       const graph = await memory.read_graph();
       await workspace.write("people.json", people);
       return { people, graph };`,
      { sessionId: "seeded" },
    );
    expect(run.error).toBeNull();
    expect(leaks(modelVisible(run))).toEqual([]);
    expect(run.logs[0]?.split("\n")[0]).toBe("<name_1> <<email_1>> pro");

    // The receiving server got every personal value intact.
    const stored = storedGraph(memoryFile);
    expect(stored.entities.map((e) => e.name)).toEqual(PEOPLE.map((p) => p.name));
    for (const person of PEOPLE) {
      const entity = stored.entities.find((e) => e.name === person.name);
      expect(entity?.observations).toEqual([
        `email ${person.email}`, `phone ${person.phone}`, `card ${person.card}`, `iban ${person.iban}`, `id ${person.ssn}`, `ip ${person.ip}`, `lives at ${person.address}`, `plan ${person.plan}`,
      ]);
    }
    expect(stored.relations).toEqual([{ type: "relation", from: "Ada Lovelace", to: "Charles Babbage", relationType: "refers" }]);

    // Nothing the model can reach later holds a raw value either: workspace files (including the spilled result) and the audit log.
    expect(run.metadata.spilled.result).toBeDefined();
    expect(leaks(readTree(workspaces))).toEqual([]);
    expect(leaks(readFileSync(auditFile, "utf8"))).toEqual([]);
  });

  it("keeps tokens stable within the session, so results of different tools join on them", async () => {
    const run = await tc.execute(
      `const graph = await memory.search_nodes({ query: "customer" });
       const { content } = await files.read_text_file({ path: ${JSON.stringify(peopleFile)} });
       const people = JSON.parse(content);
       return people.map((p) => [p.name, p.email, graph.entities.some((e) => e.name === p.name && e.observations.includes("email " + p.email))]);`,
      { sessionId: "seeded" },
    );
    expect(run.error).toBeNull();
    expect(leaks(modelVisible(run))).toEqual([]);
    expect(run.result).toEqual(PEOPLE.map((_, i) => [`<name_${i + 1}>`, `<email_${i + 1}>`, true]));
  });

  it("tokenizes tool errors that echo real values", async () => {
    const run = await tc.execute(
      `const { content } = await files.read_text_file({ path: ${JSON.stringify(peopleFile)} });
       const [ada] = JSON.parse(content);
       return await files.read_text_file({ path: ${JSON.stringify(dir + "/")} + ada.email + "/notes.txt" });`,
      { sessionId: "seeded" },
    );
    expect(run.error?.code).toBe("TOOL_ERROR");
    expect(run.error?.message).toContain("<email_1>/notes.txt");
    expect(leaks(modelVisible(run))).toEqual([]);
  });

  it("a session's tokens mean nothing in another session, and a session's vault goes with it", async () => {
    const run = await tc.execute(`await memory.create_entities({ entities: [{ name: "<name_1>", entityType: "probe", observations: ["<email_1>"] }] }); return "ok";`, { sessionId: "other" });
    expect(run.error).toBeNull();
    expect(storedGraph(memoryFile).entities.find((e) => e.entityType === "probe")).toMatchObject({ name: "<name_1>", observations: ["<email_1>"] });
    await tc.endSession("seeded");
    const after = await tc.execute(`await memory.create_entities({ entities: [{ name: "probe 2", entityType: "probe", observations: ["<name_1> <email_1>"] }] }); return "ok";`, { sessionId: "seeded" });
    expect(after.error).toBeNull();
    expect(storedGraph(memoryFile).entities.find((e) => e.name === "probe 2")?.observations).toEqual(["<name_1> <email_1>"]);
  });

  it("detokenizes only for the tools privacy.detokenizeFor names", async () => {
    const file = path.join(dir, "memory-tokens.jsonl");
    const limited = await createToolcode({
      config: {
        mcpServers: { files: servers.filesystem(dir), memory: servers.memory(file) },
        policy: { allow: ["memory.create_*"] },
        privacy: { tokenize: [...PRIVACY.tokenize], fields: [...PRIVACY.fields], detokenizeFor: ["files.*"] },
      },
    });
    try {
      const run = await limited.execute(
        `const { content } = await files.read_text_file({ path: ${JSON.stringify(peopleFile)} });
         const people = JSON.parse(content);
         await memory.create_entities({ entities: people.map((p) => ({ name: p.name, entityType: "customer", observations: [p.email] })) });`,
      );
      expect(run.error).toBeNull();
      const stored = storedGraph(file);
      expect(stored.entities.map((e) => e.name)).toEqual(PEOPLE.map((_, i) => `<name_${i + 1}>`));
      expect(leaks(readFileSync(file, "utf8"))).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});
