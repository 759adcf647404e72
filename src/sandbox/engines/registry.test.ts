import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { ENGINES, engineSpec } from "./registry.js";

describe("engine registry", () => {
  it("every engine has its folder's files, and its runner module exports createRunner", async () => {
    for (const spec of ENGINES) {
      for (const file of ["engine", "runner", "limits"]) {
        expect(existsSync(fileURLToPath(new URL(`./${spec.name}/${file}.ts`, import.meta.url))), `${spec.name}/${file}.ts`).toBe(true);
      }
      expect(spec.runner).toBe(`engines/${spec.name}/runner`);
      const runner = (await import(/* @vite-ignore */ new URL(`./${spec.name}/runner.ts`, import.meta.url).href)) as { createRunner?: unknown };
      expect(typeof runner.createRunner, spec.name).toBe("function");
    }
  });

  it("sandbox.engine accepts exactly the registered engines", () => {
    for (const spec of ENGINES) expect(configSchema.parse({ sandbox: { engine: spec.name } }).sandbox.engine).toBe(spec.name);
    expect(() => configSchema.parse({ sandbox: { engine: "nope" } })).toThrow();
    expect(engineSpec(undefined).name).toBe("quickjs");
    expect(() => engineSpec("nope")).toThrow(/unknown sandbox engine "nope"; known: quickjs, isolate, workers, pyodide/);
  });
});
