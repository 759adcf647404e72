/**
 * README, --help and the code must agree: every CLI command and flag, and every config key of
 * the schema, appears in README.md.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../src/cli/program.js";
import { configSchema } from "../src/config/schema.js";
import { ROOT } from "./helpers.js";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("README agrees with the code", () => {
  it("starts with the two commands: run the gateway, run the tests", () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(firstBlock).toContain("npm install && npm start");
    expect(firstBlock).toContain("npm install && npm test");
    expect(readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).toContain("npm install && npm test");
  });

  it("documents every CLI command and every flag in the CLI table", () => {
    const table = readme.slice(readme.indexOf("## CLI"), readme.indexOf("\n## ", readme.indexOf("## CLI") + 1));
    const walk = (command: ReturnType<typeof buildProgram>, prefix: string): void => {
      for (const sub of command.commands) {
        const name = `${prefix} ${sub.name()}`.trim();
        expect(table, `README CLI table lacks "toolcode ${name}"`).toContain(`toolcode ${name}`);
        for (const option of sub.options) {
          if (option.long === "--help") continue;
          expect(table, `README CLI table lacks ${option.long} of "toolcode ${name}"`).toContain(option.long ?? "");
        }
        walk(sub, name);
      }
    };
    walk(buildProgram(), "");
  });

  it("documents every top-level config section and its keys", () => {
    const config = readme.slice(readme.indexOf("## Config reference"));
    for (const [section, schema] of Object.entries(configSchema.shape)) {
      if (section === "$schema") continue;
      expect(config, `README config reference lacks "${section}"`).toContain(section);
      const inner = (schema as { def?: { innerType?: { shape?: Record<string, unknown> } } }).def?.innerType?.shape;
      for (const key of Object.keys(inner ?? {})) {
        expect(config, `README config reference lacks ${section}.${key}`).toMatch(new RegExp(`\\b${key}\\b`));
      }
    }
  });
});
