/**
 * `sandbox.engine: "workers"` end to end: the built CLI runs the two-server filtering script in
 * a local workerd (a Dynamic Worker per execution) and prints exactly its line; `--json` names the
 * engine; the guest has no network and no code generation, and a tool error arrives as a ToolError.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { engineUnavailable } from "../../src/sandbox/create-engine.js";
import { TWO_SERVER_LINE, notesDir, servers, tempDir, toolcode, twoServerScript, writeConfig } from "../helpers.js";

const unavailable = engineUnavailable({ engine: "workers" });
if (unavailable !== undefined) console.warn(`[toolcode tests] skipping the Workers engine end to end: ${unavailable.message}`);

describe.skipIf(unavailable !== undefined)("toolcode exec with sandbox.engine workers (local workerd)", () => {
  let dir: string;
  let config: string;
  let data: string;

  beforeAll(() => {
    dir = tempDir("toolcode-workers-");
    data = notesDir(dir);
    config = writeConfig(dir, {
      mcpServers: { everything: servers.everything(), files: servers.filesystem(data) },
      sandbox: { engine: "workers" },
    });
  });

  it("runs a script that calls two everything tools and one filesystem tool, filters in code, and prints exactly one line", async () => {
    const script = twoServerScript(data);
    const result = await toolcode(["exec", "--config", config, "-"], { input: script });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${TWO_SERVER_LINE}\n`);
  });

  it("reports the engine, keeps the guest off the network and off eval, and turns tool failures into ToolErrors", async () => {
    const script = [
      "const seen: string[] = [typeof fetch, typeof setTimeout, typeof WebAssembly, typeof caches];",
      "try { eval('1'); } catch (e) { seen.push((e as Error).name); }",
      "try { await everything.get_sum({ a: 'x', b: 1 } as never); } catch (e) { seen.push(e instanceof ToolError ? (e as ToolError).code : 'other'); }",
      "return seen;",
    ].join("\n");
    const result = await toolcode(["exec", "--json", "--config", config, "-"], { input: script });
    const parsed = JSON.parse(result.stdout) as { result: unknown; error: unknown; metadata: { engine: string; toolCalls: number } };
    expect(parsed.error).toBeNull();
    expect(parsed.metadata).toMatchObject({ engine: "workers", toolCalls: 1 });
    expect(parsed.result).toEqual(["undefined", "undefined", "undefined", "undefined", "EvalError", "INVALID_ARGUMENTS"]);
  });
});
