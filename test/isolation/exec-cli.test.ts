/**
 * `toolcode exec` (the built CLI) with each isolation host: the two-server filtering script
 * prints exactly its line, and `--json` reports in `metadata.sandbox` the host and the kernel
 * release the runner saw.
 */
import os from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import { TWO_SERVER_LINE, notesDir, servers, tempDir, toolcode, twoServerScript, writeConfig } from "../helpers.js";
import { hostCases, hostConfig, runTimeoutMs } from "./hosts.js";

for (const c of hostCases()) {
  describe.skipIf(c.skip !== undefined)(`toolcode exec with sandbox.isolation "${c.config.isolation}"`, () => {
    let dir: string;
    let config: string;
    let data: string;

    beforeAll(() => {
      dir = tempDir();
      data = notesDir(dir);
      const { engine: _engine, ...sandbox } = hostConfig(c.config.isolation);
      config = writeConfig(dir, { mcpServers: { everything: servers.everything(), files: servers.filesystem(data) }, sandbox: { ...sandbox, timeoutMs: Math.max(30_000, runTimeoutMs(c.config.isolation)) } });
    });

    it("runs the script that calls two everything tools and one filesystem tool, filters in code, and prints exactly one line", async () => {
      const script = twoServerScript(data);
      const plain = await toolcode(["exec", "--config", config, "-"], { input: script, timeoutMs: 400_000 });
      expect(plain.stderr).toBe("");
      expect(plain.stdout).toBe(`${TWO_SERVER_LINE}\n`);
      expect(plain.code).toBe(0);
      const json = await toolcode(["exec", "--json", "--config", config, "-"], { input: script, timeoutMs: 400_000 });
      // Stderr first: when the run fails outside its result, that is where the reason is.
      expect(json.stderr).toBe("");
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { logs: string[]; metadata: { toolCalls: number; sandbox?: { isolation: string; kernel?: string } } };
      expect(parsed.logs).toEqual([TWO_SERVER_LINE]);
      expect(parsed.metadata.toolCalls).toBe(3);
      expect(parsed.metadata.sandbox?.isolation).toBe(c.config.isolation);
      const kernel = parsed.metadata.sandbox?.kernel ?? "";
      expect(kernel).toMatch(/^\d+\.\d+/);
      if (["gvisor", "microvm", "e2b"].includes(c.config.isolation)) expect(kernel).not.toBe(os.release());
    }, c.config.isolation === "microvm" ? 900_000 : 180_000);
  });
}
