/**
 * `toolcode exec` keeps its word across runs: `--session NAME` keeps the workspace (spilled output
 * included) under the state directory, `--approve ID` runs the one call a previous run of the same
 * script stopped for, `--yes` approves every such call, and every hint printed is a command that
 * works. Real CLI, real server-memory.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { servers, tempDir, toolcode, writeConfig } from "../helpers.js";

function project(policy: unknown = {}): { dir: string; config: string } {
  const dir = tempDir("toolcode-exec-session-");
  const config = writeConfig(dir, { mcpServers: { memory: servers.memory(path.join(dir, "memory.jsonl")) }, policy });
  return { dir, config };
}

describe("toolcode exec across runs", { timeout: 240_000 }, () => {
  it("--session NAME keeps the workspace for the next run with the same name, and only for it", async () => {
    const { dir, config } = project();
    const write = await toolcode(["exec", "--config", config, "--session", "s1", "-"], { cwd: dir, input: 'await workspace.write("notes.json", { n: 41 }); return "saved"' });
    expect(write.code, write.stderr).toBe(0);
    const read = await toolcode(["exec", "--config", config, "--session", "s1", "-"], { cwd: dir, input: 'return (await workspace.read("notes.json")).n + 1' });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.trim()).toBe("42");
    const other = await toolcode(["exec", "--config", config, "--session", "s2", "-"], { cwd: dir, input: "return await workspace.list()" });
    expect(JSON.parse(other.stdout)).toEqual([]);
  });

  it("a cut output names the spilled file, which the next --session run reads; without --session it says how to keep it", async () => {
    const { dir, config } = project();
    const big = "return Array.from({ length: 2000 }, (_, i) => ({ i, label: `item number ${i}` }))";
    const plain = await toolcode(["exec", "--config", config, "--max-tokens", "100", "-"], { cwd: dir, input: big });
    expect(plain.stderr).toContain("Run with --session NAME to keep the full output");
    expect(plain.stderr).not.toContain("next script");
    const cut = await toolcode(["exec", "--config", config, "--session", "big", "--max-tokens", "100", "-"], { cwd: dir, input: big });
    expect(cut.code, cut.stderr).toBe(0);
    const file = /in (spill\/\d+-result\.json) of session big/.exec(cut.stderr)?.[1];
    expect(file, cut.stderr).toBeDefined();
    expect(cut.stderr).toContain("toolcode exec --session big");
    const next = await toolcode(["exec", "--config", config, "--session", "big", "-"], { cwd: dir, input: `return (await workspace.read(${JSON.stringify(file)})).length` });
    expect(next.stdout.trim()).toBe("2000");
  });

  it("an approval a run stopped for is granted by the printed --approve command, once, and only to the same script", async () => {
    const { dir, config } = project({ approve: ["memory.create_entities"] });
    const script = 'await memory.create_entities({ entities: [{ name: "toolcode", entityType: "project", observations: ["approved"] }] });\nreturn "created"';
    const stopped = await toolcode(["exec", "--config", config, "-"], { cwd: dir, input: script });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("error APPROVAL_REQUIRED: memory.create_entities(");
    const command = /approve this call and run again: (toolcode exec .*--approve (\S+) -)/.exec(stopped.stderr);
    expect(command, stopped.stderr).not.toBeNull();
    const id = command?.[2] ?? "";
    expect(command?.[1]).toBe(`toolcode exec --config ${config} --approve ${id} -`);

    const otherScript = await toolcode(["exec", "--config", config, "--approve", id, "-"], { cwd: dir, input: `${script}\n// changed` });
    expect(otherScript.code).toBe(2);
    expect(otherScript.stderr).toContain("APPROVAL_INVALID");

    const approved = await toolcode(["exec", "--config", config, "--approve", id, "-"], { cwd: dir, input: script });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout.trim()).toBe('"created"');
    const graph = await toolcode(["exec", "--config", config, "-"], { cwd: dir, input: "return (await memory.read_graph({})).entities.map((e) => e.name)" });
    expect(JSON.parse(graph.stdout)).toEqual(["toolcode"]);

    const reused = await toolcode(["exec", "--config", config, "--approve", id, "-"], { cwd: dir, input: script });
    expect(reused.code).toBe(2);
    expect(reused.stderr).toMatch(/APPROVAL_INVALID: No pending approval/);
  });

  it("--yes approves every call of the run that needs approval", async () => {
    const { dir, config } = project({ approve: ["memory.create_entities"] });
    const script = 'for (const name of ["a", "b"]) await memory.create_entities({ entities: [{ name, entityType: "t", observations: [] }] });\nreturn (await memory.read_graph({})).entities.length';
    const result = await toolcode(["exec", "--config", config, "--yes", "-"], { cwd: dir, input: script });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("2");
  });
  it("--approve resumes the stopped run from the state store: the read before the approved call is replayed, not repeated", async () => {
    const { dir, config } = project({ approve: ["memory.create_entities"] });
    const script = 'const before = (await memory.read_graph({})).entities.length;\nawait memory.create_entities({ entities: [{ name: "resumed", entityType: "t", observations: [] }] });\nreturn before';
    const stopped = await toolcode(["exec", "--config", config, "-"], { cwd: dir, input: script });
    const id = /--approve (\S+) -/.exec(stopped.stderr)?.[1] ?? "";
    expect(id).toMatch(/^ap_/);
    // Between the two runs the graph changes: a repeated read would see it, a replayed one does not.
    const seeded = await toolcode(["exec", "--config", config, "--yes", "-"], { cwd: dir, input: 'await memory.create_entities({ entities: [{ name: "meanwhile", entityType: "t", observations: [] }] });' });
    expect(seeded.code, seeded.stderr).toBe(0);
    const approved = await toolcode(["exec", "--config", config, "--approve", id, "-"], { cwd: dir, input: script });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout.trim()).toBe("0");
    const graph = await toolcode(["exec", "--config", config, "-"], { cwd: dir, input: "return (await memory.read_graph({})).entities.map((e) => e.name).sort()" });
    expect(JSON.parse(graph.stdout)).toEqual(["meanwhile", "resumed"]);
  });
});
