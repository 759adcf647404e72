/**
 * `toolcode exec` (the built CLI) with each isolation host: the two-server filtering script
 * prints exactly its line, and `--json` reports in `metadata.sandbox` the host and the kernel
 * release the runner saw.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { servers, tempDir, toolcode, writeConfig } from "../helpers.js";
import { hostCases, hostConfig, runTimeoutMs } from "./hosts.js";

for (const c of hostCases()) {
  describe.skipIf(c.skip !== undefined)(`toolcode exec with sandbox.isolation "${c.config.isolation}"`, () => {
    let dir: string;
    let config: string;
    let data: string;

    beforeAll(() => {
      dir = tempDir();
      data = path.join(dir, "data");
      mkdirSync(data, { recursive: true });
      for (const name of ["a.md", "b.md", "c.md", "notes.txt"]) writeFileSync(path.join(data, name), `# ${name}\n`);
      const { engine: _engine, ...sandbox } = hostConfig(c.config.isolation);
      config = writeConfig(dir, { mcpServers: { everything: servers.everything(), files: servers.filesystem(data) }, sandbox: { ...sandbox, timeoutMs: Math.max(30_000, runTimeoutMs(c.config.isolation)) } });
    });

    it("runs the script that calls two everything tools and one filesystem tool, filters in code, and prints exactly one line", async () => {
      const script = [
        "const weather = await everything.get_structured_content({ location: \"Chicago\" });",
        "const sum: string = await everything.get_sum({ a: weather.temperature, b: 6 });",
        `const { content: listing } = await files.list_directory({ path: ${JSON.stringify(data)} });`,
        "const notes = listing.split(\"\\n\").filter((line) => line.startsWith(\"[FILE]\") && line.endsWith(\".md\"));",
        "console.log(`${notes.length} notes; ${sum}`);",
      ].join("\n");
      const plain = await toolcode(["exec", "--config", config, "-"], { input: script, timeoutMs: 400_000 });
      expect(plain.stderr).toBe("");
      expect(plain.stdout).toBe("3 notes; The sum of 36 and 6 is 42.\n");
      expect(plain.code).toBe(0);
      const json = await toolcode(["exec", "--json", "--config", config, "-"], { input: script, timeoutMs: 400_000 });
      const parsed = JSON.parse(json.stdout) as { logs: string[]; metadata: { toolCalls: number; sandbox?: { isolation: string; kernel?: string } } };
      expect(parsed.logs).toEqual(["3 notes; The sum of 36 and 6 is 42."]);
      expect(parsed.metadata.toolCalls).toBe(3);
      expect(parsed.metadata.sandbox?.isolation).toBe(c.config.isolation);
      const kernel = parsed.metadata.sandbox?.kernel ?? "";
      expect(kernel).toMatch(/^\d+\.\d+/);
      if (c.config.isolation === "gvisor" || c.config.isolation === "microvm") expect(kernel).not.toBe(os.release());
    }, c.config.isolation === "microvm" ? 900_000 : 180_000);
  });
}
