import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { CONFIG_FILE_NAME, loadConfig, parseConfig } from "./load-config.js";

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "toolcode-config-"));
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("accepts the Claude Desktop mcpServers shape and applies defaults", () => {
    const config = parseConfig({
      mcpServers: {
        fs: { command: "npx", args: ["@modelcontextprotocol/server-filesystem", "."] },
        remote: { url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer x" } },
      },
    });
    expect(config.mcpServers.fs).toEqual({ command: "npx", args: ["@modelcontextprotocol/server-filesystem", "."] });
    expect(config.mcpServers.remote).toMatchObject({ url: "http://127.0.0.1:9/mcp" });
    expect(config.sandbox).toMatchObject({ engine: "quickjs", timeoutMs: 30000, memoryMb: 64, maxToolCalls: 1000 });
    expect(config.output.maxTokens).toBe(2000);
  });

  it("replaces ${VAR} and ${VAR:-default} from the environment", () => {
    const config = parseConfig(
      { mcpServers: { r: { url: "http://127.0.0.1:${PORT:-8080}/mcp", headers: { Authorization: "Bearer ${TOKEN}" } } } },
      { env: { TOKEN: "s3cret" } },
    );
    expect(config.mcpServers.r).toMatchObject({ url: "http://127.0.0.1:8080/mcp", headers: { Authorization: "Bearer s3cret" } });
  });

  it("names the key path and the variable when ${VAR} is unset", () => {
    const error = configError(() => parseConfig({ mcpServers: { r: { url: "http://x/${NOPE_VAR}" } } }, { env: {} }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("mcpServers.r.url");
    expect(error.message).toContain("NOPE_VAR");
  });

  it("names the key path of a wrong type", () => {
    const error = configError(() => parseConfig({ mcpServers: { fs: { command: "npx", args: "not-an-array" } } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("mcpServers.fs.args");
    expect(error.message).toMatch(/array/);
  });

  it("rejects unknown keys, naming them", () => {
    const error = configError(() => parseConfig({ mcpServer: {} }));
    expect(error.message).toContain("mcpServer");
    expect(error.message).toContain("unknown key");
    const nested = configError(() => parseConfig({ sandbox: { timeout: 5 } }));
    expect(nested.message).toContain("sandbox.timeout");
  });

  it("says what an MCP server entry must look like", () => {
    const error = configError(() => parseConfig({ mcpServers: { bad: { cmd: "x" } } }));
    expect(error.message).toContain("mcpServers.bad");
    expect(error.message).toContain('"command"');
  });

  it("rejects out-of-range limits", () => {
    const error = configError(() => parseConfig({ sandbox: { timeoutMs: -1 } }));
    expect(error.message).toContain("sandbox.timeoutMs");
  });
});

describe("loadConfig", () => {
  it("uses ./toolcode.config.json when present", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, CONFIG_FILE_NAME), JSON.stringify({ mcpServers: { a: { command: "x" } } }));
    const loaded = loadConfig({ cwd: dir });
    expect(loaded.path).toBe(path.join(dir, CONFIG_FILE_NAME));
    expect(Object.keys(loaded.config.mcpServers)).toEqual(["a"]);
  });

  it("falls back to the embedded default: filesystem at the cwd and memory", () => {
    const dir = tempDir();
    const loaded = loadConfig({ cwd: dir });
    expect(loaded.path).toBeNull();
    expect(Object.keys(loaded.config.mcpServers)).toEqual(["filesystem", "memory"]);
    const fs = loaded.config.mcpServers.filesystem;
    expect(fs && "args" in fs ? fs.args.at(-1) : undefined).toBe(dir);
  });

  it("reports malformed JSON with line and column", () => {
    const dir = tempDir();
    const file = path.join(dir, "bad.json");
    writeFileSync(file, '{\n  "mcpServers": {\n    "a": { "command": "x", }\n  }\n}\n');
    const error = configError(() => loadConfig({ cwd: dir, path: "bad.json" }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("not valid JSON");
    expect(error.details).toMatchObject({ line: 3 });
  });

  it("reports a missing --config file as CONFIG_NOT_FOUND", () => {
    const error = configError(() => loadConfig({ cwd: tempDir(), path: "nope.json" }));
    expect(error.code).toBe("CONFIG_NOT_FOUND");
    expect(error.message).toContain("--config");
  });
});
