import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, type ToolcodeError } from "../errors.js";
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

  it("suggests the key an unknown key is a misspelling of, at any depth", () => {
    expect(configError(() => parseConfig({ mcpServer: {} })).message).toMatch(/mcpServer: unknown key; did you mean "mcpServers"\?/);
    expect(configError(() => parseConfig({ mcpServers: {}, sandbox: { timeOutMs: 5 } })).message).toMatch(/sandbox.timeOutMs: unknown key; did you mean "timeoutMs"\?/);
    expect(configError(() => parseConfig({ mcpServers: { a: { command: "x", arg: [] } } })).message).toMatch(/mcpServers.a.arg: unknown key; did you mean "args"\?/);
    // A misspelt section next to servers is still an error, not a client file's foreign key.
    expect(configError(() => parseConfig({ mcpServers: {}, polcy: {} })).message).toMatch(/polcy: unknown key; did you mean "policy"\?/);
    // Far from any key: the known keys are listed.
    expect(configError(() => parseConfig({ output: { zzz: 1 } })).message).toMatch(/output.zzz: unknown key; remove it or check its spelling \(known keys: maxTokens, /);
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

  it("falls back to the embedded default: filesystem at a project cwd and memory, state in <cwd>/.toolcode", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "package.json"), "{}");
    const loaded = loadConfig({ cwd: dir });
    expect(loaded.path).toBeNull();
    expect(Object.keys(loaded.config.mcpServers)).toEqual(["filesystem", "memory"]);
    const fs = loaded.config.mcpServers.filesystem;
    expect(fs && "args" in fs ? fs.args.at(-1) : undefined).toBe(dir);
    expect(loaded.config.skills.dir).toBe(path.join(dir, ".toolcode", "skills"));
    expect(existsSync(path.join(dir, ".toolcode"))).toBe(true);
    expect(loaded.notices.join("\n")).toContain(`filesystem exposes ${dir}`);
  });

  it("exposes no directory from a cwd that is not a project, / or the home directory; state goes to ~/.toolcode", () => {
    const home = tempDir();
    const previous = process.env.HOME;
    process.env.HOME = home;
    try {
      for (const cwd of [tempDir(), "/", home]) {
        const loaded = loadConfig({ cwd });
        const fs = loaded.config.mcpServers.filesystem;
        expect(fs && "args" in fs ? fs.args : []).toHaveLength(1); // the server's bin, no directory
        expect(loaded.notices.join("\n")).toMatch(/exposes no directory: .*--root DIR/);
        expect(loaded.config.skills.dir).toBe(path.join(home, ".toolcode", "skills"));
      }
      writeFileSync(path.join(home, ".git"), ""); // a dotfiles repo does not make home a project
      const fs = loadConfig({ cwd: home }).config.mcpServers.filesystem;
      expect(fs && "args" in fs ? fs.args : []).toHaveLength(1);
    } finally {
      process.env.HOME = previous;
    }
  });

  it("roots the default's filesystem server at --root directories, which must exist", () => {
    const a = tempDir();
    const b = tempDir();
    const fs = loadConfig({ cwd: tempDir(), roots: [a, b] }).config.mcpServers.filesystem;
    expect(fs && "args" in fs ? fs.args.slice(1) : []).toEqual([a, b]);
    expect(() => loadConfig({ cwd: a, roots: ["missing-dir"] })).toThrow(/--root missing-dir: .* is not a directory/);
  });

  it("reports a state directory it cannot create as STATE_DIR_UNAVAILABLE, saying what to do", () => {
    const dir = tempDir();
    const file = path.join(dir, "a-file");
    writeFileSync(file, "");
    const previous = process.env.HOME;
    process.env.HOME = file;
    try {
      const error = (() => {
        try {
          loadConfig({ cwd: "/" });
        } catch (thrown) {
          return thrown as ToolcodeError;
        }
        throw new Error("expected an error");
      })();
      expect(error.code).toBe("STATE_DIR_UNAVAILABLE");
      expect(error.message).toContain(path.join(file, ".toolcode"));
      expect(error.message).toMatch(/ENOTDIR/);
      expect(error.message).toMatch(/--config/);
    } finally {
      process.env.HOME = previous;
    }
  });

  it("reads JSONC: comments and trailing commas", () => {
    const dir = tempDir();
    const file = path.join(dir, "c.jsonc");
    writeFileSync(file, '// a comment\n{\n  /* block */ "mcpServers": { "a": { "command": "x", }, },\n  "output": { "maxTokens": 500, }, // trailing\n}\n');
    const loaded = loadConfig({ cwd: dir, path: file });
    expect(loaded.config.mcpServers.a).toMatchObject({ command: "x" });
    expect(loaded.config.output.maxTokens).toBe(500);
  });

  it("loads a real Claude Desktop file with comments: other keys ignored with a notice", () => {
    const dir = tempDir();
    const file = path.join(dir, "claude_desktop_config.json");
    writeFileSync(
      file,
      `{
  "globalShortcut": "Alt+Space", // Claude Desktop's own settings
  "preferences": { "menuBarEnabled": true },
  "mcpServers": {
    /* pasted from a README */
    "filesystem": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"], },
  },
}`,
    );
    const loaded = loadConfig({ cwd: dir, path: file });
    expect(Object.keys(loaded.config.mcpServers)).toEqual(["filesystem"]);
    expect(loaded.notices.join("\n")).toMatch(/ignored "globalShortcut", "preferences"/);
  });

  it("loads a VS Code .vscode/mcp.json: servers (stdio, http, sse) read as mcpServers, inputs ignored", () => {
    const dir = tempDir();
    const file = path.join(dir, "mcp.json");
    writeFileSync(
      file,
      `{
  // VS Code
  "inputs": [{ "type": "promptString", "id": "token", "password": true }],
  "servers": {
    "fs": { "type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."] },
    "remote": { "type": "http", "url": "http://127.0.0.1:9/mcp" },
    "legacy": { "type": "sse", "url": "http://127.0.0.1:9/sse", "headers": { "X-Key": "k" } },
  },
}`,
    );
    const loaded = loadConfig({ cwd: dir, path: file });
    expect(Object.keys(loaded.config.mcpServers)).toEqual(["fs", "remote", "legacy"]);
    expect(loaded.config.mcpServers.legacy).toEqual({ type: "sse", url: "http://127.0.0.1:9/sse", headers: { "X-Key": "k" } });
    expect(loaded.notices.join("\n")).toContain('ignored "inputs"');
  });


  it("reports malformed JSON with line and column", () => {
    const dir = tempDir();
    const file = path.join(dir, "bad.json");
    writeFileSync(file, '{\n  "mcpServers": {\n    "a": { "command": "x" "args": [] }\n  }\n}\n');
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
