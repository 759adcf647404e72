/**
 * The guest-side half of the bridge for Python: Python source run once in a sandbox worker's
 * fresh Pyodide interpreter, before the one guest run that interpreter ever serves.
 *
 * It defines `_toolcode_boot(host_call, host_log, host_done, api_json)`, which installs the
 * guest's world and returns `(start, deliver)`:
 * - one module per server (`servers.<name>`, also the global `<name>`): each tool an `async`
 *   function taking keyword arguments (or one dict); an unknown tool raises `ToolError`
 *   (TOOL_NOT_FOUND) listing the valid names; hidden (denied) tools are callable but not listed;
 * - `ToolError` (`.code`, `.message`, `.details`) and `HttpError(ToolError)` (`.status`), raised
 *   by failed tool calls; `workspace` (async `read`, `write`, `list`, `remove`) and the other
 *   host built-ins over the same bridge;
 * - `skills`: a package with `save`/`list` over the bridge and, for every Python skill the host
 *   sent (`data.__skills`), `skills.<id>` / `from skills.<id> import fn` (compiled on first import,
 *   its public functions counted for usage, reported at the end of the run); a TypeScript skill
 *   raises SKILL_LANGUAGE_MISMATCH;
 * - `print` (and `sys.stdout`/`sys.stderr`) captured line by line like `console.log`;
 * - `start(code)` compiles the script with top-level `await` allowed, returns the value of a
 *   top-level `return` or of a last expression, and reports through `host_done(kind, text)`:
 *   "ok" with JSON text (or None), or "error" with a JSON description of what was raised.
 *
 * Tool calls go out as JSON text through `host_call(server, tool, args_json)`, which answers at
 * once with an envelope (refused calls) or with a call id whose envelope `deliver(id, text)`
 * brings later. Python can reach everything in its own interpreter (there are no private names
 * in Python), so nothing here is a security boundary: the boundary is the worker process and
 * the host's own checks of every call. The interpreter serves one run and is then discarded.
 *
 * @module
 */

/** Source of the Python prelude (evaluated once per interpreter, before any guest code). */
export const PYTHON_PRELUDE = String.raw`
import ast as _ast
import asyncio as _asyncio
import builtins as _builtins
import collections as _collections
import importlib as _importlib
import importlib.util as _importlib_util
import json as _json
import keyword as _keyword
import sys as _sys
import types as _types


def _toolcode_boot(host_call, host_log, host_done, api_json):
    api = _json.loads(api_json)
    globals_ = api["globals"]
    hidden = api.get("hidden") or {}
    max_depth = api.get("maxJsonDepth", 256)
    pending = {}

    # asyncio callbacks queued by this run: run in batches by run_ready(), right after a tool
    # answer arrives (deliver) or in one JavaScript task per batch otherwise, instead of one
    # JavaScript task (and FFI round trips) per callback as Pyodide's loop does. A batch runs
    # only what was queued before it started, so a script that keeps yielding still hands the
    # JavaScript event loop back between batches (the deadline timer runs there).
    loop = _asyncio.get_event_loop()
    ready = _collections.deque()
    draining = [False]
    scheduled = [False]
    schedule_batch = loop.call_soon

    def run_ready():
        scheduled[0] = False
        draining[0] = True
        try:
            for _ in range(len(ready)):
                handle = ready.popleft()
                if not handle.cancelled():
                    handle._run()
        finally:
            draining[0] = False
        if ready and not scheduled[0]:
            scheduled[0] = True
            schedule_batch(run_ready)

    def call_soon(callback, *args, context=None):
        handle = _asyncio.Handle(callback, args, loop, context=context)
        ready.append(handle)
        if not draining[0] and not scheduled[0]:
            scheduled[0] = True
            schedule_batch(run_ready)
        return handle

    loop.call_soon = call_soon
    bridged = {}

    class ToolError(Exception):
        """A tool call failed: .code is the stable error code, .details what the host added."""

        def __init__(self, message="", code="TOOL_ERROR", details=None):
            super().__init__(str(message))
            self.message = str(message)
            self.code = str(code)
            self.details = {} if details is None else details

        def __str__(self):
            return self.message

    class HttpError(ToolError):
        """An API tool answered with an HTTP error status (.status)."""

        def __init__(self, message="", details=None):
            super().__init__(message, "HTTP_ERROR", details)
            d = self.details
            self.status = d["status"] if isinstance(d, dict) and isinstance(d.get("status"), int) else 0

    def bridge_error(code, message, details):
        error = HttpError(message, details) if code == "HTTP_ERROR" else ToolError(message, code, details)
        bridged[id(error)] = (error, code, details)
        return error

    def to_plain(value):
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        if isinstance(value, (bytes, bytearray)):
            return value.decode("utf-8", "replace")
        if isinstance(value, BaseException):
            return {"name": type(value).__name__, "message": str(value)}
        iso = getattr(value, "isoformat", None)
        if callable(iso):
            return iso()
        if hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
            return {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return repr(value)

    def check_depth(value, what):
        # Iterative, so a nesting bomb costs linear time and never the interpreter's stack.
        stack = [(value, 1)]
        while stack:
            v, depth = stack.pop()
            if isinstance(v, (dict, list, tuple)):
                if depth > max_depth:
                    raise bridge_error("SANDBOX_LIMIT", what + " is nested more than " + str(max_depth) +
                                       " levels deep. Flatten the data. Operators can raise sandbox.maxJsonDepth.",
                                       {"limit": "maxJsonDepth", "max": max_depth})
                items = v.values() if isinstance(v, dict) else v
                for item in items:
                    stack.append((item, depth + 1))

    def to_json(value, what):
        check_depth(value, what)
        return _json.dumps(value, default=to_plain, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def call(server, tool, args):
        try:
            args_json = to_json(args, "The arguments of " + server + "." + tool)
        except ValueError as error:
            raise bridge_error("INVALID_ARGUMENTS", "The arguments of " + server + "." + tool +
                               " cannot be sent as JSON (" + str(error) + ").", {}) from None
        future = _asyncio.get_event_loop().create_future()
        answer = host_call(server, tool, args_json)
        if isinstance(answer, str):
            settle(future, answer)
        else:
            pending[int(answer)] = future
        return future

    def settle(future, text):
        # The envelope becomes the future's value or exception here, so an awaiting script wakes
        # once per call (no Task in between: each asyncio step costs a trip through the JS loop).
        if future.done():
            return
        try:
            envelope = _json.loads(text)
        except ValueError:
            future.set_exception(bridge_error("INTERNAL", "The host sent a malformed tool result.", {}))
            return
        if envelope.get("ok"):
            future.set_result(envelope.get("value"))
            return
        err = envelope.get("error") or {}
        future.set_exception(bridge_error(str(err.get("code", "TOOL_ERROR")), str(err.get("message", "")), err.get("details") or {}))

    def started(server, tool, payload):
        # The call leaves at once (like a JavaScript promise): a forgotten await still makes it.
        return call(server, tool, payload)

    def make_tool(server, tool):
        def tool_function(*args, **kwargs):
            if len(args) > 1 or (args and kwargs):
                raise bridge_error("INVALID_ARGUMENTS", server + "." + tool +
                                   " takes keyword arguments (or one dict): " + tool + "(name=value, ...).", {})
            return started(server, tool, args[0] if args else kwargs)
        tool_function.__name__ = tool
        tool_function.__qualname__ = server + "." + tool
        return tool_function

    def make_server(name, tools, hidden_tools):
        module = _types.ModuleType("servers." + name, "Tools of server " + name + ": " + (", ".join(tools) or "none") + ".")
        for tool in tools:
            setattr(module, tool, make_tool(name, tool))
            if _keyword.iskeyword(tool):
                # The stubs (servers/<name>/__init__.pyi) spell a keyword-named tool with a trailing "_".
                setattr(module, tool + "_", getattr(module, tool))
        hidden_set = frozenset(hidden_tools)

        def module_getattr(attr):
            if attr in hidden_set:
                return make_tool(name, attr)
            if attr.startswith("__"):
                raise AttributeError(attr)
            raise bridge_error("TOOL_NOT_FOUND", "Unknown tool " + name + "." + attr + "; " + name + " has: " +
                               (", ".join(tools) or "no tools") + ".", {"server": name, "tool": attr, "available": list(tools)})

        module.__getattr__ = module_getattr
        module.__all__ = list(tools)
        return module

    servers_package = _types.ModuleType("servers", "One module per tool server.")
    servers_package.__path__ = []
    _sys.modules["servers"] = servers_package
    guest = {"__name__": "__main__", "__builtins__": _builtins, "ToolError": ToolError, "HttpError": HttpError}
    bridges = {}
    for name, tools in globals_.items():
        if name.startswith("__"):
            bridges[name[2:]] = tools
            continue
        module = make_server(name, tools, hidden.get(name, []))
        _sys.modules["servers." + name] = module
        setattr(servers_package, name, module)
        guest[name] = module

    def bridge_function(bridge, fn):
        def function(args=None, **kwargs):
            if isinstance(args, dict) and "__value__" in args and len(args) == 1:
                payload = args["__value__"]
            else:
                payload = dict(args) if isinstance(args, dict) else {}
                payload.update(kwargs)
            return started("__" + bridge, fn, payload)
        function.__name__ = fn
        return function

    data = api.get("data") or {}
    usage = {}

    def install_skills(save_raw, list_raw, report_raw, skills_json):
        # The skills package: save/list over the bridge, and skills.<id> (also
        # "from skills.<id> import fn") for every Python skill, loaded on first use.
        try:
            known = _json.loads(skills_json or "{}").get("skills") or {}
        except ValueError:
            known = {}
        package = _types.ModuleType("skills", "Saved skills: from skills.<id> import fn, or await skills.<id>.fn(...). skills.save(name=..., description=..., code=...) saves one.")
        package.__path__ = []

        def save(skill=None, **kwargs):
            """Checks a skill in the sandbox and saves it (Python unless language="typescript"); importable from the next execute."""
            payload = dict(skill) if isinstance(skill, dict) else {}
            payload.update(kwargs)
            return save_raw(payload)

        def list_skills():
            """Every saved skill: [{'name', 'description', 'version', 'signatures', 'language', 'updated'}]."""
            return list_raw({})

        save.__name__ = "save"
        list_skills.__name__ = "list"
        package.save = save
        package.list = list_skills

        def entry(name):
            counts = usage.get(name)
            if counts is None:
                counts = usage[name] = {"imports": 0, "calls": 0, "failures": 0}
            return counts

        def wrap(name, fn):
            counts = entry(name)
            if getattr(getattr(fn, "__code__", None), "co_flags", 0) & 0x80:
                async def counted(*args, **kwargs):
                    counts["calls"] += 1
                    try:
                        return await fn(*args, **kwargs)
                    except BaseException:
                        counts["failures"] += 1
                        raise
            else:
                def counted(*args, **kwargs):
                    counts["calls"] += 1
                    try:
                        return fn(*args, **kwargs)
                    except BaseException:
                        counts["failures"] += 1
                        raise
            for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
                try:
                    setattr(counted, attr, getattr(fn, attr))
                except (AttributeError, TypeError):
                    pass
            return counted

        def not_found(ident):
            return bridge_error("SKILL_NOT_FOUND", "skills." + ident + " is not a saved skill. Saved skills: " + (", ".join(sorted(known)) or "(none)") +
                                ". Save one with skills.save(name=..., description=..., code=...); skills saved in this execution are available from the next one.",
                                {"name": ident, "available": sorted(known)})

        def load(ident, module):
            info = known.get(ident)
            if not isinstance(info, dict):
                raise not_found(ident)
            name = str(info.get("name", ident))
            if info.get("language") != "python":
                raise bridge_error("SKILL_LANGUAGE_MISMATCH", "Skill " + name + " is written in TypeScript and runs only in JavaScript scripts. "
                                   "Call it from a JavaScript execute, or save a Python version under another name (skills.save(..., code=python_source)).",
                                   {"name": name, "language": info.get("language")})
            source = info.get("source")
            if not isinstance(source, str):
                raise not_found(ident)
            entry(name)["imports"] = 1
            code = compile(source, "skills/" + name + "/index.py", "exec", dont_inherit=True)
            namespace = module.__dict__
            # What every skill module sees: the built-ins and servers, not the script's own globals.
            for key, value in base_globals.items():
                namespace.setdefault(key, value)
            namespace["__builtins__"] = _builtins
            exec(code, namespace)
            for key, value in list(namespace.items()):
                if not key.startswith("_") and callable(value) and not isinstance(value, type) and getattr(value, "__module__", None) == module.__name__:
                    namespace[key] = wrap(name, value)

        class SkillLoader:
            def __init__(self, ident):
                self.ident = ident

            def create_module(self, spec):
                return None

            def exec_module(self, module):
                load(self.ident, module)

        class SkillFinder:
            @staticmethod
            def find_spec(fullname, path=None, target=None):
                if not fullname.startswith("skills.") or fullname.count(".") != 1:
                    return None
                return _importlib_util.spec_from_loader(fullname, SkillLoader(fullname[7:]))

        def package_getattr(attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            if attr not in known:
                raise not_found(attr)
            return _importlib.import_module("skills." + attr)

        package.__getattr__ = package_getattr
        package.__all__ = ["save", "list"]
        _sys.meta_path.insert(0, SkillFinder())
        _sys.modules["skills"] = package
        guest["skills"] = package

        async def report():
            if usage:
                sent = {k: dict(v) for k, v in usage.items()}
                usage.clear()
                try:
                    await report_raw({"usage": sent})
                except BaseException:
                    pass

        reporters.append(report)

    reporters = []
    base_globals = {}
    for bridge, functions in bridges.items():
        if bridge == "state":
            continue
        if bridge == "search":
            search_raw = bridge_function(bridge, "search")

            def search(query, **options):
                """Ranked tools for a query: [{'id': 'server.tool', 'signature': ..., ...}]."""
                return search_raw(dict(options, query=str(query)))

            guest["search"] = search
            continue
        if bridge == "host":
            try:
                positional = _json.loads(data.get("__host", "{}"))
            except ValueError:
                positional = {}
            for fn in functions:
                host_raw = bridge_function(bridge, fn)
                names = positional.get(fn) or []

                def host_function(*args, _raw=host_raw, _names=names, _fn=fn, **kwargs):
                    if len(args) > len(_names):
                        raise TypeError(_fn + "() takes at most " + str(len(_names)) + " positional arguments")
                    payload = dict(zip(_names, args))
                    payload.update(kwargs)
                    return _raw({"__value__": payload})

                host_function.__name__ = fn
                guest[fn] = host_function
            continue
        if bridge == "workspace":
            raw = {fn: bridge_function(bridge, fn) for fn in functions}

            class Workspace:
                """Files kept for this session: the next execute of the same session reads what this one wrote."""

                def read(self, path):
                    return raw["read"](path=path)

                def write(self, path, data):
                    return raw["write"](path=path, data=data)

                def list(self, dir=None):
                    return raw["list"]({} if dir is None else {"dir": dir})

                def remove(self, path):
                    return raw["remove"](path=path)

            guest["workspace"] = Workspace()
        elif bridge == "skills":
            install_skills(bridge_function(bridge, "save"), bridge_function(bridge, "list"), bridge_function(bridge, "report"), data.get("__skills"))
        else:
            namespace = _types.SimpleNamespace(**{fn: bridge_function(bridge, fn) for fn in functions})
            guest.setdefault(bridge, namespace)

    class Output:
        def __init__(self, level):
            self.level = level
            self.buffer = ""
            self.open = True

        def write(self, text):
            text = str(text)
            if not self.open:
                return len(text)
            self.buffer += text
            while "\n" in self.buffer:
                line, self.buffer = self.buffer.split("\n", 1)
                if host_log(self.level, line) is False:
                    self.open = False
                    self.buffer = ""
                    break
            return len(text)

        def flush(self):
            if self.buffer and self.open:
                line, self.buffer = self.buffer, ""
                if host_log(self.level, line) is False:
                    self.open = False

        def isatty(self):
            return False

    out, err = Output("log"), Output("error")
    _sys.stdout, _sys.stderr = out, err

    class ScriptExit(Exception):
        """The script called sys.exit()."""

    class Return(BaseException):
        def __init__(self, value):
            super().__init__()
            self.value = value

    guest["__toolcode_return__"] = Return
    base_globals.update({k: v for k, v in guest.items() if not k.startswith("__")})

    class Rewrite(_ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            return node

        visit_AsyncFunctionDef = visit_FunctionDef
        visit_ClassDef = visit_FunctionDef
        visit_Lambda = visit_FunctionDef

        def visit_Return(self, node):
            value = node.value if node.value is not None else _ast.Constant(None)
            raised = _ast.Raise(exc=_ast.Call(func=_ast.Name("__toolcode_return__", _ast.Load()), args=[value], keywords=[]), cause=None)
            return _ast.copy_location(raised, node)

    def compile_guest(code):
        tree = _ast.parse(code, "guest.py", "exec", type_comments=False)
        tree = Rewrite().visit(tree)
        if tree.body and isinstance(tree.body[-1], _ast.Expr):
            last = tree.body[-1]
            tree.body[-1] = _ast.copy_location(_ast.Assign(targets=[_ast.Name("__toolcode_result__", _ast.Store())], value=last.value), last)
        _ast.fix_missing_locations(tree)
        return compile(tree, "guest.py", "exec", flags=_ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)

    def guest_line(error):
        line = None
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "guest.py":
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None and isinstance(error, SyntaxError) and error.filename == "guest.py":
            line = error.lineno
        return line

    def safe_str(value):
        try:
            return str(value)
        except BaseException:
            return "[unprintable " + type(value).__name__ + "]"

    def describe(error, phase):
        try:
            return describe_raised(error, phase)
        except BaseException:
            return _json.dumps({"phase": phase, "name": "Exception", "message": "the error could not be described"})

    def describe_raised(error, phase):
        info = {"phase": phase, "name": type(error).__name__, "message": safe_str(error)}
        entry = bridged.get(id(error))
        if entry is not None and entry[0] is error:
            info["code"] = entry[1]
            info["details"] = entry[2]
        if isinstance(error, SyntaxError):
            info["message"] = safe_str(error.msg)
            info["text"] = (error.text or "").rstrip("\n")
            if error.offset is not None:
                info["column"] = error.offset
        if isinstance(error, NameError):
            info["missing"] = getattr(error, "name", None)
        if isinstance(error, ModuleNotFoundError):
            info["module"] = error.name
        line = guest_line(error)
        if line is not None:
            info["line"] = line
        try:
            return _json.dumps(info, default=repr)
        except Exception:
            return _json.dumps({"phase": phase, "name": "Error", "message": "the error could not be described"})

    def finish(kind, text):
        out.flush()
        err.flush()
        host_done(kind, text)

    has_state = "state" in bridges
    if has_state:
        try:
            guest["state"] = _json.loads(data.get("__state", "{}"))
        except ValueError:
            guest["state"] = {}
        save_state = bridge_function("state", "save")

    async def keep_state():
        try:
            sent = {"json": _json.dumps(guest.get("state"), allow_nan=False)}
        except (TypeError, ValueError) as error:
            sent = {"error": str(error)}
        await save_state(sent)

    async def main(code_object):
        result = None
        failure = None
        try:
            value = eval(code_object, guest)
            if _asyncio.iscoroutine(value):
                await value
            result = guest.get("__toolcode_result__")
        except Return as returned:
            result = returned.value
        except BaseException as error:
            failure = error
        if not isinstance(failure, (KeyboardInterrupt, MemoryError)):
            for report in reporters:
                await report()
        if has_state and not isinstance(failure, (KeyboardInterrupt, MemoryError)):
            try:
                await keep_state()
            except BaseException as error:
                if failure is None:
                    failure = error
        if isinstance(failure, SystemExit):
            # sys.exit() ends the script with an error, never the interpreter's event loop.
            failure = ScriptExit("sys.exit(" + safe_str(failure.code) + ") ends only this script; return a value (or raise an exception) instead")
        if failure is not None:
            raise failure
        if result is None:
            return None
        return to_json(result, "The return value")

    def start(code):
        try:
            code_object = compile_guest(code)
        except (SyntaxError, ValueError) as error:
            finish("error", describe(error, "compile"))
            return
        except BaseException as error:
            finish("error", describe(error, "run"))
            return
        def done(t):
            if t.cancelled():
                finish("error", _json.dumps({"phase": "run", "name": "CancelledError", "message": "the script was cancelled"}))
                return
            error = t.exception()
            if error is None:
                finish("ok", t.result())
            else:
                finish("error", describe(error, "run"))

        # Eager: the script runs now, up to its first real wait, and a script that never waits
        # finishes without a trip through the JavaScript event loop.
        loop = _asyncio.get_event_loop()
        _asyncio.events._set_running_loop(loop)
        task = _asyncio.Task(main(code_object), loop=loop, eager_start=True)
        if task.done():
            done(task)
        else:
            task.add_done_callback(done)

    def deliver(call_id, envelope):
        future = pending.pop(int(call_id), None)
        if future is not None:
            draining[0] = True
            try:
                settle(future, str(envelope))
            finally:
                draining[0] = False
            # The awaiting script resumes now, inside this call from the host.
            run_ready()

    return start, deliver
`;

/**
 * Python run once per interpreter after Pyodide loaded and before the prelude: drops the modules
 * that hand Python a way into the worker's JavaScript realm (`js`, `pyodide_js`, `pyodide.ffi`,
 * `pyodide.code`, `pyodide.http`, the package loader) and refuses to import them again. Not a
 * boundary on its own (see the module comment): the first of several layers.
 */
export const PYTHON_LOCKDOWN = String.raw`
import sys as _sys
import importlib.abc as _abc

_BLOCKED = ("js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip", "pyodide_http", "_pyodide_pil")

class _Refuse(_abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        root = fullname.split(".", 1)[0]
        if root in _BLOCKED or fullname in ("ctypes", "_ctypes", "subprocess", "_posixsubprocess", "socket", "_socket", "select", "ssl", "_ssl"):
            raise ImportError("module '" + fullname + "' is not available in the sandbox: reach tools through the server modules (from servers.<name> import <tool>)", name=fullname)
        return None

for _name in list(_sys.modules):
    if _name.split(".", 1)[0] in ("js", "pyodide_js", "micropip") or _name in ("pyodide.ffi", "pyodide.code", "pyodide.http", "pyodide._package_loader", "pyodide.console"):
        del _sys.modules[_name]
_sys.meta_path.insert(0, _Refuse())
del _name, _Refuse, _abc
`;
