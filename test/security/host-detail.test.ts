/**
 * No host detail in model-visible text: failing scripts, workspace errors, crashing and hostile
 * tool servers, engine limits. Everything `execute` hands back (result, logs, error, text,
 * metadata) is scanned for the host's absolute paths (working directory, temp directory, home,
 * the repository, the workspace root) and the host's process id.
 */
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Toolcode, createToolcode } from "../../src/execute/create-toolcode.js";
import { ROOT, tempDir } from "../helpers.js";

const hostile = { command: process.execPath, args: [path.join(ROOT, "test", "fixtures", "hostile-server.mjs")] };

const SCRIPTS: Record<string, string> = {
  "syntax error": "return (",
  "runtime error with a stack": "function f() { throw new Error('boom'); } f();",
  "stack returned": "return new Error('x').stack;",
  "unknown tool": "return await hostile.nope();",
  "unknown module": 'const fs = require("fs"); return fs;',
  "dynamic import": 'return await import("node:fs");',
  "workspace: missing file": 'return await workspace.read("nope.txt");',
  "workspace: path outside": 'return await workspace.write("../../etc/x", "y");',
  "workspace: file as a directory": 'await workspace.write("a", "x"); return await workspace.write("a/b", "y");',
  "workspace: read a directory": 'await workspace.write("d/f.txt", "x"); return await workspace.read("d");',
  "workspace: list a file": 'await workspace.write("g.txt", "x"); return await workspace.list("g.txt");',
  "workspace: remove missing": 'return await workspace.remove("missing/deeper.txt");',
  "workspace: quota": 'return await workspace.write("big.txt", "x".repeat(300000));',
  "workspace: caught errors logged": 'for (const p of ["a/b/c", "../x", "nope"]) { try { await workspace.read(p); } catch (e) { console.log(String(e), JSON.stringify(e), e.stack); } }',
  "server crash (stack trace on stderr)": "return await hostile.throw_();",
  "server crash, caught and logged": "try { await hostile.throw_(); } catch (e) { console.log(e.message, JSON.stringify(e)); }",
  "server exit": "return await hostile.crash();",
  "too deep result": "return await hostile.deep({ depth: 100000 });",
  "timeout": "while (true) {}",
  "memory": "const a = []; while (true) a.push('x'.repeat(1e5));",
};

describe("no host detail in model-visible text", () => {
  let tc: Toolcode;
  let dir: string;
  let workspaces: string;
  const needles: string[] = [];

  beforeAll(async () => {
    dir = tempDir("toolcode-host-detail-");
    workspaces = path.join(dir, "workspaces");
    mkdirSync(workspaces);
    tc = await createToolcode({
      config: {
        mcpServers: { hostile },
        policy: { default: "allow-all", approveDestructive: false },
        sandbox: { timeoutMs: 3000, memoryMb: 16 },
        workspace: { dir: workspaces, maxBytes: 200_000 },
      },
      cwd: dir,
    });
    needles.push(process.cwd(), os.tmpdir(), os.homedir(), ROOT, dir, workspaces);
  });

  afterAll(async () => {
    await tc.close();
  });

  for (const [name, code] of Object.entries(SCRIPTS)) {
    it(`${name}: no absolute host path or pid`, async () => {
      const run = await tc.execute(code, { sessionId: `s-${name.replace(/\W+/g, "-")}` });
      const visible = JSON.stringify({ result: run.result, logs: run.logs, error: run.error, text: run.text, spilled: run.metadata.spilled });
      if (process.env.SHOW) console.log(name, visible.slice(0, 600));
      for (const needle of needles) expect(visible, `leaks ${needle}`).not.toContain(needle);
      expect(visible).not.toMatch(new RegExp(`\\b${process.pid}\\b`));
      expect(visible).not.toMatch(/\/(?:home|root|tmp|work|usr|etc\/passwd)\//);
    });
  }
});
