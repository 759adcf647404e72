/**
 * Checking a Python skill before it is saved, in the sandbox: the skill's source is hostile input,
 * so it is parsed and compiled by Python's own `ast.parse` + `compile()` inside a Pyodide sandbox
 * worker (the same locked-down worker processes as Python executions), never on the host. The
 * check script also reads the module's tree for what a type-checker would catch cheaply: calls
 * of tools that do not exist (`await fs.no_such_tool(...)`, `from servers.fs import nope`),
 * keyword arguments a tool's input schema does not have, missing required ones, and skills that
 * do not exist or are written in TypeScript. It returns the public functions' signatures (the
 * skill's API) and a stub (`async def f(x: str) -> str: ...`).
 *
 * Nothing of the skill runs during the check: the source is parsed and compiled, not executed.
 *
 * @module
 */
import type { CatalogTool } from "../catalog/catalog-tool.js";
import { ToolcodeError } from "../errors.js";
import type { Engine, SandboxLimits } from "../sandbox/engine.js";
import type { SkillDiagnostic } from "./skill-compiler.js";

/** Longest check of one Python skill (parse + compile + tree walk), in ms; the worker start is included. */
export const PYTHON_CHECK_TIMEOUT_MS = 30_000;

/** What {@link checkPythonSkill} reports. */
export interface PythonSkillCheck {
  /** Errors (syntax: `PY_SYNTAX`; unknown tool/parameter/skill: `PY_TOOL`, `PY_SKILL`), 1-based lines and columns. */
  diagnostics: SkillDiagnostic[];
  /** One line per public (not `_`-prefixed) top-level function, e.g. `async def normalize(address: str) -> str`. */
  signatures: string[];
  /** The module's stub: its functions with `...` bodies and docstrings. */
  declaration: string;
}

/** Other skills a Python skill may import: identifier → language. */
export type SkillLanguages = ReadonlyMap<string, "typescript" | "python">;

const LIMITS: SandboxLimits = { timeoutMs: PYTHON_CHECK_TIMEOUT_MS, memoryMb: 64, maxStackKb: 256, maxToolCalls: 1, maxLogBytes: 10_000, maxResultBytes: 2_000_000 };

/** Parameter names per tool, as the check script reads them: server → tool → `[names, required]` (null names: any). */
function toolTable(tools: readonly CatalogTool[]): Record<string, Record<string, [string[] | null, string[]]>> {
  const table: Record<string, Record<string, [string[] | null, string[]]>> = {};
  for (const { server, tool, spec } of tools) {
    const schema = (spec.inputSchema ?? {}) as { properties?: unknown; required?: unknown };
    const properties = typeof schema.properties === "object" && schema.properties !== null ? Object.keys(schema.properties) : [];
    const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : [];
    (table[server] ??= {})[tool] = [properties.length > 0 ? properties : null, required];
  }
  return table;
}

/**
 * Parses and compiles `source` (skill `name`) in the Python sandbox `engine` and checks its tool
 * calls against `tools` and its skill imports against `skills`.
 *
 * @throws {ToolcodeError} `SKILL_INVALID` when the sandbox could not check it (it timed out or failed).
 */
export async function checkPythonSkill(engine: Engine, name: string, source: string, tools: readonly CatalogTool[], skills: SkillLanguages): Promise<PythonSkillCheck> {
  const input = Buffer.from(JSON.stringify({ file: `skills/${name}/index.py`, source, tools: toolTable(tools), skills: Object.fromEntries(skills) }), "utf8").toString("base64");
  const code = `${CHECK_SCRIPT}\ncheck(${JSON.stringify(input)})\n`;
  const result = await engine.run(
    { code, lineOffset: 0, api: { globals: {} }, limits: LIMITS },
    { callTool: () => Promise.reject(new ToolcodeError("POLICY_DENIED", "A skill check calls no tools.")) },
  );
  if (!result.ok) {
    throw new ToolcodeError("SKILL_INVALID", `Skill "${name}" was not saved: checking it in the Python sandbox failed (${result.error.code}: ${result.error.message}). Simplify the module and save again.`, { name, cause: result.error.code });
  }
  const value = result.value as Partial<PythonSkillCheck> | null;
  if (value === null || typeof value !== "object" || !Array.isArray(value.diagnostics) || !Array.isArray(value.signatures)) {
    throw new ToolcodeError("INTERNAL", `Checking skill "${name}" returned no report.`);
  }
  return { diagnostics: value.diagnostics, signatures: value.signatures.map(String), declaration: String(value.declaration ?? "") };
}

/**
 * The check, as a Python guest script: defines `check(input_b64)`, whose value (the script's last
 * expression) is the report. Iterative over the tree (`ast.walk`), so a deeply nested module costs
 * time linear in its size; `ast.parse` itself is bounded by the interpreter's recursion limit.
 */
const CHECK_SCRIPT = String.raw`
import ast as _ast
import base64 as _base64
import json as _json
import keyword as _keyword

def _ident(name):
    out = "".join(c if (c.isalnum() or c == "_") and c.isascii() else "_" for c in name)
    if out[:1].isdigit():
        out = "_" + out
    return out + "_" if _keyword.iskeyword(out) else (out or "_")

def check(input_b64):
    data = _json.loads(_base64.b64decode(input_b64).decode("utf-8"))
    file, source, tools, skills = data["file"], data["source"], data["tools"], data["skills"]
    diagnostics = []

    def problem(code, node, message):
        diagnostics.append({"code": code, "message": message, "line": getattr(node, "lineno", 1), "column": getattr(node, "col_offset", 0) + 1})

    try:
        tree = _ast.parse(source, file, "exec")
        compile(tree, file, "exec", dont_inherit=True)
    except SyntaxError as error:
        message = str(error.msg)
        if "outside async function" in message or "outside function" in message:
            message += " (a skill is a module of functions: put the code inside an async def; no top-level await)"
        diagnostics.append({"code": "PY_SYNTAX", "message": message, "line": error.lineno or 1, "column": error.offset or 1})
        return {"diagnostics": diagnostics, "signatures": [], "declaration": ""}
    except (ValueError, RecursionError, MemoryError) as error:
        diagnostics.append({"code": "PY_SYNTAX", "message": type(error).__name__ + ": " + str(error), "line": 1, "column": 1})
        return {"diagnostics": diagnostics, "signatures": [], "declaration": ""}

    # Names the module binds itself (assignments, parameters, imports, defs) shadow server globals.
    bound = set()
    for node in _ast.walk(tree):
        if isinstance(node, _ast.Name) and isinstance(node.ctx, (_ast.Store, _ast.Del)):
            bound.add(node.id)
        elif isinstance(node, _ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
            bound.add(node.name)
    servers = {}          # local name -> server
    tool_alias = {}       # local name -> (server, tool)
    for server in tools:
        if server not in bound:
            servers[server] = server

    def tool_names(server):
        names = {}
        for tool in tools[server]:
            names[tool] = tool
            names[_ident(tool)] = tool
        return names

    def check_skill(node, ident):
        language = skills.get(ident)
        if language is None:
            problem("PY_SKILL", node, "skills." + ident + " is not a saved skill. Saved skills: " + (", ".join(sorted(skills)) or "(none)") + ".")
        elif language != "python":
            problem("PY_SKILL", node, "skills." + ident + " is a TypeScript skill; a Python skill imports only Python skills (save a Python version of it, or call it from JavaScript).")

    for node in _ast.walk(tree):
        if isinstance(node, _ast.ImportFrom) and node.level == 0 and node.module is not None:
            parts = node.module.split(".")
            if parts[0] == "servers" and len(parts) == 1:
                for alias in node.names:
                    if alias.name not in tools:
                        problem("PY_TOOL", node, "No server " + alias.name + "; servers: " + (", ".join(sorted(tools)) or "(none)") + ".")
                    else:
                        servers[alias.asname or alias.name] = alias.name
            elif parts[0] == "servers" and len(parts) == 2:
                server = parts[1]
                if server not in tools:
                    problem("PY_TOOL", node, "No server " + server + "; servers: " + (", ".join(sorted(tools)) or "(none)") + ".")
                    continue
                names = tool_names(server)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    if alias.name not in names:
                        problem("PY_TOOL", node, "Unknown tool " + server + "." + alias.name + "; " + server + " has: " + ", ".join(sorted(tools[server])) + ".")
                    else:
                        tool_alias[alias.asname or alias.name] = (server, names[alias.name])
            elif parts[0] == "skills":
                if len(parts) == 1:
                    for alias in node.names:
                        if alias.name not in ("save", "list", "*"):
                            check_skill(node, alias.name)
                else:
                    check_skill(node, parts[1])
        elif isinstance(node, _ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "servers" and len(parts) >= 2:
                    if parts[1] not in tools:
                        problem("PY_TOOL", node, "No server " + parts[1] + "; servers: " + (", ".join(sorted(tools)) or "(none)") + ".")
                    elif alias.asname:
                        servers[alias.asname] = parts[1]
                elif parts[0] == "skills" and len(parts) >= 2:
                    check_skill(node, parts[1])
        elif isinstance(node, _ast.Attribute) and isinstance(node.value, _ast.Name):
            owner = node.value.id
            if owner == "skills" and "skills" not in bound and node.attr not in ("save", "list") and not node.attr.startswith("__"):
                check_skill(node, node.attr)
            elif owner in servers and not isinstance(node.ctx, _ast.Store):
                server = servers[owner]
                if node.attr not in tool_names(server) and not node.attr.startswith("__"):
                    problem("PY_TOOL", node, "Unknown tool " + server + "." + node.attr + "; " + server + " has: " + ", ".join(sorted(tools[server])) + ".")

    for node in _ast.walk(tree):
        if not isinstance(node, _ast.Call):
            continue
        target = None
        func = node.func
        if isinstance(func, _ast.Attribute) and isinstance(func.value, _ast.Name) and func.value.id in servers:
            names = tool_names(servers[func.value.id])
            if func.attr in names:
                target = (servers[func.value.id], names[func.attr])
        elif isinstance(func, _ast.Name) and func.id in tool_alias and func.id not in bound:
            target = tool_alias[func.id]
        if target is None:
            continue
        server, tool = target
        params, required = tools[server][tool]
        if node.args or any(k.arg is None for k in node.keywords):
            continue  # one dict or **kwargs: checked by the host when called
        given = set()
        for keyword_arg in node.keywords:
            given.add(keyword_arg.arg)
            if params is not None and keyword_arg.arg not in params and keyword_arg.arg not in [_ident(p) for p in params]:
                problem("PY_TOOL", keyword_arg, server + "." + tool + " has no parameter " + keyword_arg.arg + "; its parameters: " + ", ".join(params) + ".")
        missing = [r for r in required if r not in given and _ident(r) not in given]
        if missing:
            problem("PY_TOOL", node, server + "." + tool + " needs " + ", ".join(missing) + ".")

    signatures = []
    stubs = []
    for node in tree.body:
        if not isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef)) or node.name.startswith("_"):
            continue
        head = ("async def " if isinstance(node, _ast.AsyncFunctionDef) else "def ") + node.name + "(" + _ast.unparse(node.args) + ")"
        if node.returns is not None:
            head += " -> " + _ast.unparse(node.returns)
        signatures.append(head)
        doc = _ast.get_docstring(node)
        body = ("\n    " + repr(doc) if doc else "") + "\n    ..."
        stubs.append(head + ":" + body)
    return {"diagnostics": diagnostics[:50], "signatures": signatures, "declaration": "\n\n".join(stubs) + ("\n" if stubs else "")}
`;
