/**
 * Bad OpenAPI specs are loud: a dangling `$ref`, a missing file and a file that does not parse
 * are each reported with SOURCE_UNAVAILABLE naming the problem — in `search`'s text, in
 * `types()`, as the declarations of the failed server, and on stderr when `serve`, `search` or
 * `types` start — never a server that silently vanishes.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { tempDir, toolcode, writeConfig } from "../helpers.js";

const DANGLING = {
  openapi: "3.0.3",
  info: { title: "pets", version: "1" },
  servers: [{ url: "http://127.0.0.1:9" }],
  paths: {
    "/pets": { get: { operationId: "listPets", responses: { "200": { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Missing" } } } } } } },
    "/owners/{id}": { get: { operationId: "getOwner", parameters: [{ $ref: "#/components/parameters/Gone" }], responses: { "200": { description: "ok" } } } },
  },
};

describe("bad OpenAPI specs are reported, not dropped", () => {
  let dir: string;
  let tc: Toolcode;
  const config = { openapi: { dangling: { spec: "./dangling.json" }, unreadable: { spec: "./nope.json" }, broken: { spec: "./broken.json" } } };

  beforeAll(async () => {
    dir = tempDir("toolcode-bad-specs-");
    writeFileSync(path.join(dir, "dangling.json"), JSON.stringify(DANGLING));
    writeFileSync(path.join(dir, "broken.json"), '{"openapi": "3.0.3", broken');
    writeConfig(dir, config);
    tc = await createToolcode({ config, cwd: dir });
  });

  afterAll(async () => {
    await tc?.close();
  });

  it("lists the failed servers with SOURCE_UNAVAILABLE and the dangling refs as warnings", () => {
    expect(tc.failures.map((f) => [f.name, f.error.code])).toEqual([
      ["unreadable", "SOURCE_UNAVAILABLE"],
      ["broken", "SOURCE_UNAVAILABLE"],
    ]);
    const warnings = tc.warnings.join("\n");
    expect(warnings).toContain("SOURCE_UNAVAILABLE");
    expect(warnings).toContain("#/components/schemas/Missing");
    expect(warnings).toContain("getOwner"); // skipped: its parameter $ref does not resolve
    expect(warnings).toContain("openapi.dangling.spec");
  });

  it("says which servers are unavailable and why in every search", () => {
    const text = tc.search("pets").text;
    expect(text).toContain("dangling.listPets");
    expect(text).toContain('Server "unreadable" is unavailable (SOURCE_UNAVAILABLE)');
    expect(text).toContain("nope.json does not exist");
    expect(text).toContain('Server "broken" is unavailable (SOURCE_UNAVAILABLE)');
    expect(text).toContain('Server "dangling" loaded with problems');
    expect(text).not.toContain(dir); // reasons name paths relative to the config
  });

  it("answers types() for a failed server with the reason, and names every problem in all declarations", () => {
    expect(tc.types("unreadable")).toContain("SOURCE_UNAVAILABLE");
    const all = tc.types();
    expect(all).toContain('Server "broken" is unavailable');
    expect(all).toContain("#/components/schemas/Missing");
  });

  it("reports them on stderr when the CLI starts (types, search, serve)", async () => {
    const configPath = path.join(dir, "toolcode.config.json");
    for (const args of [["types", "--config", configPath], ["search", "--config", configPath, "pets"], ["serve", "--config", configPath]]) {
      const run = await toolcode(args, { cwd: dir, input: "", timeoutMs: 30_000 });
      expect(run.stderr, args[0]).toContain('SOURCE_UNAVAILABLE: OpenAPI source "unreadable"');
      expect(run.stderr, args[0]).toContain('SOURCE_UNAVAILABLE: OpenAPI source "broken"');
      expect(run.stderr, args[0]).toContain("unresolved $ref #/components/schemas/Missing");
    }
  });
});
