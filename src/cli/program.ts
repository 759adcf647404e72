/**
 * The `toolcode` command: a thin commander layer over the library.
 *
 * Exit codes: 0 success; 1 the guest script failed (exec) or nothing matched; 2 bad usage or
 * configuration (the message names the flag or config key to change).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Command, CommanderError, Option } from "commander";
import { type Toolcode, type ToolcodeOptions, createToolcode } from "../execute/create-toolcode.js";
import { approvalFor, execSessionsDir, keepApproval } from "./exec-state.js";
import { formatExecuteOutput } from "../execute/format-output.js";
import { ToolcodeError, toErrorInfo } from "../errors.js";
import { forwardClientRoots } from "../server/client-roots.js";
import { startHttpServer } from "../server/http-server.js";
import { RootsChannel } from "../sources/roots.js";
import { EXPOSES_NOTICE, isProjectDir } from "../config/default-config.js";
import { CONFIG_FILE_NAME } from "../config/load-config.js";
import { startMessage } from "./start-message.js";
import { auditCommand, localUser, terminalApprover } from "./audit-command.js";
import { addRunCommand } from "./run-command.js";
import { TOOLCODE_VERSION, createMcpServer } from "../server/mcp-server.js";
import { runnerCommand } from "./runner-command.js";
import { sandboxCommand } from "./sandbox-command.js";
import { skillsCommand } from "./skills-command.js";
import { connectCommands } from "./connect-command.js";

/** The default port of `toolcode serve --http`. */
export const DEFAULT_HTTP_PORT = 3333;

interface ConfigOption {
  config?: string;
  /** `--root DIR`, repeatable. */
  root?: string[];
}

/** Stands for the directory to expose in the client snippet when serve was started outside a project. */
const PROJECT_PLACEHOLDER = "/path/to/project";

/** After this long without being ready, starting says what it waits for on stderr. */
const SLOW_START_MS = 1000;

/**
 * Creates the instance for a command: `--config`, `--root` (a {@link RootsChannel} when given, or
 * `roots` from the caller), failures and warnings on stderr, notices too unless `quiet`, and a
 * progress line on stderr when starting takes more than a second.
 */
async function open(options: ConfigOption, extra: { roots?: RootsChannel; notices?: "all" | "none" | "problems"; progress?: boolean; configure?: ToolcodeOptions["configure"] } = {}): Promise<Toolcode> {
  const roots = extra.roots ?? (options.root !== undefined && options.root.length > 0 ? new RootsChannel(options.root) : undefined);
  const started = performance.now();
  let slow = false;
  // Progress for people: always for serve (its stderr is the client's log), on a terminal otherwise.
  const progress = extra.progress ?? process.stderr.isTTY === true;
  let waitingFor = "loading the config";
  const timer = setTimeout(() => {
    if (!progress) return;
    slow = true;
    process.stderr.write(`toolcode: ${waitingFor}…\n`);
  }, SLOW_START_MS);
  timer.unref();
  let toolcode: Toolcode;
  try {
    toolcode = await createToolcode({
      ...(options.config !== undefined ? { configPath: options.config } : {}),
      ...(roots ? { roots } : {}),
      ...(extra.configure ? { configure: extra.configure } : {}),
      onProgress: (message) => {
        waitingFor = message;
        if (slow) process.stderr.write(`toolcode: ${message}…\n`);
      },
    });
  } finally {
    clearTimeout(timer);
  }
  if (slow) process.stderr.write(`toolcode: ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${toolcode.catalog.serverIds().join(", ") || "no servers"})\n`);
  for (const failure of toolcode.failures) {
    process.stderr.write(`warning: ${failure.error.code}: ${failure.error.message}\n`);
  }
  for (const warning of toolcode.warnings) process.stderr.write(`warning: ${warning}\n`);
  const shown = extra.notices ?? "problems";
  for (const notice of toolcode.notices) {
    // What a working default exposes is said by `serve`; other commands say only what is wrong.
    if (shown === "all" || (shown === "problems" && !notice.startsWith(EXPOSES_NOTICE))) process.stderr.write(`toolcode: ${notice}\n`);
  }
  return toolcode;
}

async function withToolcode<T>(options: ConfigOption, fn: (toolcode: Toolcode) => Promise<T>, extra: Parameters<typeof open>[1] = {}): Promise<T> {
  const toolcode = await open(options, extra);
  try {
    return await fn(toolcode);
  } finally {
    await toolcode.close();
  }
}

function readScript(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new ToolcodeError("USAGE", `Cannot read script ${file === "-" ? "from stdin" : file}: ${(error as Error).message}. Pass a .ts file or - for stdin.`);
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Builds the CLI program (exported for tests and `--help` checks). */
export function buildProgram(): Command {
  const program = new Command("toolcode")
    .description("Let AI agents write code against their tools: MCP servers as typed TypeScript, run in a WebAssembly sandbox.")
    .version(TOOLCODE_VERSION)
    .showHelpAfterError()
    .exitOverride();
  const configOption = (): Option => new Option("-c, --config <file>", "config file (default ./toolcode.config.json, else the embedded default)");
  const rootOption = (): Option =>
    new Option("-r, --root <dir>", "a directory the tools may use (repeatable): roots the embedded default's filesystem server and is declared as an MCP root to every server").argParser(
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    );

  program
    .command("serve")
    .description("MCP server exposing `search` and `execute`: stdio by default, streamable HTTP on 127.0.0.1 with --http")
    .addOption(configOption())
    .addOption(rootOption())
    .option("--http", "serve streamable HTTP on 127.0.0.1 instead of stdio")
    .option("-p, --port <n>", `port for --http (default ${DEFAULT_HTTP_PORT}; 0 picks a free one)`, parsePort)
    .option("--host <address>", "address for --http (default 127.0.0.1); any other than loopback requires auth.users bearer tokens")
    .option("--no-console", "with --http, do not serve the web console at / (config: server.console)")
    .action(async (options: ConfigOption & { http?: boolean; port?: number; host?: string; console?: boolean }) => {
      // Over stdio (one client), the client's MCP roots are passed on unless --root was given.
      const explicitRoots = options.root !== undefined && options.root.length > 0;
      const roots = new RootsChannel(options.root ?? []);
      const toolcode = await open(options, { roots, notices: "none", progress: true });
      // The snippet names the directories exposed now: a client starts serve from its own cwd (often /).
      // Nothing exposed yet (the embedded default outside a project): the snippet shows where --root goes.
      const embedded = options.config === undefined && !existsSync(CONFIG_FILE_NAME);
      const snippetRoots = explicitRoots ? options.root : embedded ? [isProjectDir(process.cwd()) ? process.cwd() : PROJECT_PLACEHOLDER] : undefined;
      const shape = { ...(options.config !== undefined ? { config: options.config } : existsSync(CONFIG_FILE_NAME) ? { config: CONFIG_FILE_NAME } : {}), ...(snippetRoots ? { roots: snippetRoots } : {}) };
      if (!options.http && toolcode.config.audit.file === "-") {
        await toolcode.close();
        throw new ToolcodeError("CONFIG_INVALID", 'audit.file is "-" (stdout), which `serve` over stdio uses for MCP messages: set audit.file to a file path.', { path: "audit.file" });
      }
      const shutdown = async (): Promise<void> => {
        await toolcode.close();
        process.exit(0);
      };
      if (options.http) {
        const http = await startHttpServer(toolcode, { port: options.port ?? DEFAULT_HTTP_PORT, ...(options.host !== undefined ? { host: options.host } : {}), ...(options.console === false ? { console: false } : {}) }).catch(async (error: unknown) => {
          await toolcode.close();
          throw error;
        });
        process.stderr.write(startMessage(toolcode, { ...shape, url: http.url, ...(http.consoleUrl !== undefined ? { consoleUrl: http.consoleUrl } : {}) }));
        // Running requests finish (up to server.drainTimeoutMs); new ones are refused with SERVER_DRAINING.
        const stop = (): void => {
          process.stderr.write("toolcode: stopping: finishing running requests, refusing new ones (server.drainTimeoutMs)\n");
          void http
            .drain(toolcode.config.server.drainTimeoutMs)
            .then(({ inFlight }) => {
              if (inFlight > 0) process.stderr.write(`toolcode: ${inFlight} request(s) still running after server.drainTimeoutMs; stopping anyway\n`);
              return http.close();
            })
            .then(shutdown);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        return;
      }
      const user = localUser();
      const server = createMcpServer(toolcode, user !== undefined ? { user } : {});
      if (!explicitRoots) {
        forwardClientRoots(
          server,
          roots,
          (list) => process.stderr.write(`toolcode: MCP roots from the client passed on to the servers: ${roots.directories().join(", ") || list.map((root) => root.uri).join(", ")}\n`),
          (error) => process.stderr.write(`warning: could not read the client's MCP roots: ${error instanceof Error ? error.message : String(error)}\n`),
        );
      }
      process.stderr.write(startMessage(toolcode, shape));
      const transport = new StdioServerTransport();
      transport.onclose = () => void shutdown();
      process.stdin.once("end", () => void shutdown());
      process.once("SIGINT", () => void shutdown());
      process.once("SIGTERM", () => void shutdown());
      await server.connect(transport);
    });

  program
    .command("exec")
    .description("run a TypeScript (or Python: --lang python, or a .py file) script against the configured tools; prints its console output, then its return value as JSON")
    .addOption(configOption())
    .addOption(rootOption())
    .option("--json", "print one JSON object { result, logs, error, metadata }")
    .addOption(new Option("--lang <language>", "language of the script (default: python for .py files, else javascript; Python needs `npm install pyodide@314.0.8`)").choices(["javascript", "python"]))
    .option("--timeout <ms>", "lower time limit for this run", parsePositiveInt)
    .option("--max-tokens <n>", "token budget of the output (default: output.maxTokens)", parsePositiveInt)
    .option("--session <name>", "keep the workspace across runs under this name (in .toolcode/exec-sessions/): later runs read what earlier ones wrote, spilled output included")
    .option("--approve <id>", "resume the run of this same script that stopped for approval (APPROVAL_REQUIRED): its earlier calls are replayed from the journal, the approved call runs once; other calls still need approval")
    .option("-y, --yes", "approve every call of this run that needs approval (policy.approve, destructive tools)")
    .argument("<file>", "script file, or - for stdin")
    .action(async (file: string, options: ConfigOption & { json?: boolean; lang?: "javascript" | "python"; timeout?: number; maxTokens?: number; session?: string; approve?: string; yes?: boolean }) => {
      const code = readScript(file);
      const language = options.lang ?? (file.toLowerCase().endsWith(".py") ? "python" : "javascript");
      const user = localUser();
      const session = options.session;
      if (session !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(session)) throw new ToolcodeError("USAGE", `--session ${session}: use 1–128 letters, digits, "_", "-" or ".".`);
      let baseDir = process.cwd();
      const configure: ToolcodeOptions["configure"] = (config, context) => {
        baseDir = context.baseDir;
        return session !== undefined ? { ...config, workspace: { ...config.workspace, dir: execSessionsDir(context.baseDir) } } : config;
      };
      const interactive = file === "-" ? undefined : terminalApprover();
      const result = await withToolcode(
        options,
        async (toolcode) => {
          const approver = options.yes ? () => true : options.approve !== undefined ? approvalFor(baseDir, options.approve, code, interactive) : interactive;
          const run = (extra: { approve?: string; onApproval?: typeof approver }) =>
            toolcode.execute(code, {
              ...(user !== undefined ? { user } : {}),
              language,
              ...(session !== undefined ? { sessionId: session } : {}),
              ...(extra.onApproval ? { onApproval: extra.onApproval } : {}),
              ...(extra.approve !== undefined ? { approve: extra.approve } : {}),
              ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
              ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
            });
          if (options.approve !== undefined && !options.yes) {
            // The state store keeps the run that stopped: resume it (earlier calls answered from its journal, not repeated).
            const resumed = await run({ approve: options.approve, ...(interactive ? { onApproval: interactive } : {}) });
            if (resumed.error?.code !== "APPROVAL_INVALID" || resumed.error.details?.reason !== "unknown") return resumed;
            // Not in the store (another state.dir, or kept in memory only): re-run the script, approving that one call.
          }
          return run(approver ? { onApproval: approver } : {});
        },
        { configure },
      );
      if (result.approval) keepApproval(baseDir, result.approval, code);
      const again = (flag: string): string => `toolcode exec ${[...(options.config !== undefined ? [`--config ${options.config}`] : []), ...(session !== undefined ? [`--session ${session}`] : []), flag].join(" ")} ${file === "-" ? "- (with the same script on stdin)" : file}`;
      if (options.json) {
        print(JSON.stringify({ result: result.result ?? null, logs: result.logs, error: result.error, ...(result.approval ? { approval: result.approval } : {}), metadata: result.metadata }));
      } else {
        if (result.logs.length > 0) print(result.logs.join("\n"));
        if (result.result !== undefined) print(JSON.stringify(result.result, null, 2));
        if (result.approval) {
          const { approval } = result;
          process.stderr.write(
            `error APPROVAL_REQUIRED: ${approval.tool}(${JSON.stringify(approval.arguments)}) needs approval (${approval.reason}); nothing after it ran.\n` +
              `  approve this call and run again: ${again(`--approve ${approval.id}`)}\n  or approve every such call of the run: ${again("--yes")}\n`,
          );
        } else if (result.error) {
          process.stderr.write(`${formatExecuteOutput({ logs: [], result: undefined, error: result.error })}\n`);
        }
        if (result.metadata.truncated) {
          const { spilled } = result.metadata;
          const files = [spilled.result, spilled.logs].filter((name): name is string => name !== undefined);
          const where =
            files.length === 0
              ? ""
              : session !== undefined
                ? ` The full output is in ${files.join(" and ")} of session ${session}: read it with \`await workspace.read("${files[0]}")\` in your next \`toolcode exec --session ${session}\` script.`
                : " Run with --session NAME to keep the full output in a workspace that the next run with the same --session can read.";
          process.stderr.write(`[output truncated to fit ${options.maxTokens ?? "output.maxTokens"} tokens.${where} Or narrow it: filter, aggregate or slice in code and print only what you need.]\n`);
        }
      }
      process.exitCode = result.error ? 1 : 0;
    });

  program.addCommand(auditCommand(configOption));

  program
    .command("search")
    .description("ranked search over all tools, with their TypeScript signatures")
    .addOption(configOption())
    .addOption(rootOption())
    .option("--json", "print the ranked results as JSON")
    .addOption(new Option("-d, --detail <level>", "names | signatures | full").choices(["names", "signatures", "full"]).default("signatures"))
    .option("-n, --limit <n>", "max results", parsePositiveInt, 10)
    .option("-s, --server <server>", "only tools of this server")
    .argument("[query...]", "words describing the task")
    .action(async (words: string[], options: ConfigOption & { json?: boolean; detail: "names" | "signatures" | "full"; limit: number; server?: string }) => {
      await withToolcode(options, async (toolcode) => {
        const response = await toolcode.semanticSearch(words.join(" "), {
          detail: options.detail,
          limit: options.limit,
          ...(options.server !== undefined ? { server: options.server } : {}),
        });
        print(options.json ? JSON.stringify(response.results) : response.text);
        process.exitCode = response.results.length > 0 ? 0 : 1;
      });
    });

  program
    .command("types")
    .description("print the TypeScript declarations the model reads (all servers, one server, or one file of the virtual tree)")
    .addOption(configOption())
    .addOption(rootOption())
    .option("--list", "list the virtual tree (servers/<server>/index.d.ts and one file per tool)")
    .argument("[server]", "a server name, or a tree path such as servers/<server>/<tool>.d.ts")
    .action(async (server: string | undefined, options: ConfigOption & { list?: boolean }) => {
      await withToolcode(options, async (toolcode) => {
        if (options.list) {
          print(toolcode.virtualPaths().join("\n"));
          return;
        }
        if (server?.includes("/")) {
          const text = toolcode.virtualFile(server.replace(/^\.\//, ""));
          if (text === undefined) throw new ToolcodeError("USAGE", `No file ${server} in the virtual tree. Run \`toolcode types --list\` to see the paths.`);
          print(text);
          return;
        }
        print(toolcode.types(server));
      });
    });

  addRunCommand(program, configOption, open);

  program.addCommand(skillsCommand(configOption));
  for (const command of connectCommands(configOption)) program.addCommand(command);

  program.addCommand(runnerCommand());

  program.addCommand(sandboxCommand());

  return program;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ToolcodeError("USAGE", `Expected a positive integer, got "${value}".`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ToolcodeError("USAGE", `Expected a port 0-65535, got "${value}".`);
  return n;
}

/** Runs the CLI with `argv`; reports errors as `error CODE: message` on stderr. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the message (or the help text).
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const info = toErrorInfo(error);
    process.stderr.write(`error ${info.code}: ${info.message}\n`);
    process.exitCode = info.code === "INTERNAL" || info.code.startsWith("SANDBOX") ? 1 : 2;
  }
}
