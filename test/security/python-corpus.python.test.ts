/**
 * The hostile Python corpus (issue 15): guest code that tries to leave the sandbox, reach the
 * host, exhaust it, or lie to it. Each attack runs in its own execution (a fresh interpreter in
 * a fresh worker process) against a host that records every call; every attack must end as a
 * result, with nothing leaked and the host unharmed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, engineUnavailable } from "../../src/sandbox/create-engine.js";
import type { Engine, GuestApi, RunResult, SandboxHost, SandboxLimits } from "../../src/sandbox/engine.js";

const skip = engineUnavailable({ engine: "pyodide", isolation: "process" })?.message;
if (skip !== undefined) console.warn(`[toolcode tests] skipping the Python corpus: ${skip}`);

const SECRET = "toolcode-corpus-secret-7f3a9c";
const API: GuestApi = { globals: { fs: ["read_file"], __workspace: ["read", "write"] } };
const LIMITS: SandboxLimits = { timeoutMs: 5_000, memoryMb: 32, maxStackKb: 256, maxToolCalls: 20, maxLogBytes: 10_000, maxConcurrentToolCalls: 4 };

/** Records calls and the highest number in flight at once; answers after a tick. */
class RecordingHost implements SandboxHost {
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  async callTool(server: string, tool: string, args: unknown): Promise<unknown> {
    this.calls += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight -= 1;
    return { server, tool, args, note: "from the host" };
  }
}

/**
 * Python that removes the import guard and looks for any JavaScript object it can reach (the FFI
 * modules, every object the garbage collector tracks, module attributes), then tries to get from
 * each to the worker's `process` or `globalThis`. Returns what worked (expected: nothing).
 */
const ESCAPE_PROBE = String.raw`
import sys, gc
for finder in list(sys.meta_path):
    if type(finder).__name__ == "_Refuse":
        sys.meta_path.remove(finder)
found = []
proxies = []
def is_proxy(o):
    try:
        return any(c.__name__.startswith("JsProxy") or c.__name__ == "JsProxy" for c in type(o).__mro__)
    except Exception:
        return False
for name in ("js", "pyodide_js", "pyodide.ffi", "_pyodide_core", "pyodide.code"):
    try:
        module = __import__(name, fromlist=["*"])
        proxies.append(module)
        found.append("imported " + name) if name in ("js", "pyodide_js") else None
    except Exception:
        pass
for o in gc.get_objects():
    if is_proxy(o):
        proxies.append(o)
for module in list(sys.modules.values()):
    for value in list(getattr(module, "__dict__", {}).values()):
        if is_proxy(value):
            proxies.append(value)
try:
    from _pyodide_core import to_js
    proxies.append(to_js({}))
    proxies.append(to_js([]))
except Exception:
    pass
seen = set()
for o in proxies:
    if id(o) in seen:
        continue
    seen.add(id(o))
    for attempt in ("constructor.constructor('return process')()", "constructor.constructor('return globalThis')()", "process", "globalThis", "_module", "_api", "require"):
        try:
            value = eval("o." + attempt, {"o": o})
            if value is not None and not callable(value) or attempt in ("process", "globalThis", "require") and value is not None:
                found.append(attempt + " via " + type(o).__name__)
        except Exception:
            pass
    for attr in ("env", "kill", "send", "binding", "exit", "fetch"):
        try:
            if getattr(o, attr, None) is not None:
                found.append(attr + " on " + type(o).__name__)
        except Exception:
            pass
try:
    import _pyodide._importhook as hook
    found += ["registered " + k for k in getattr(hook.jsfinder, "jsproxies", {})]
except Exception:
    pass
found
`;

interface Attack {
  name: string;
  code: string;
  /** Checks the outcome (it must be a result, never a thrown error). */
  check(result: RunResult, host: RecordingHost): void;
  limits?: Partial<SandboxLimits>;
}

const noSecret = (result: RunResult): void => {
  const text = JSON.stringify(result);
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/root:x:0:0/);
};
const failsWith = (...codes: string[]) => (result: RunResult): void => {
  expect(result.ok, JSON.stringify(result).slice(0, 300)).toBe(false);
  if (!result.ok) expect(codes, result.error.message).toContain(result.error.code);
  noSecret(result);
};
const blocked = failsWith("GUEST_ERROR", "SERVER_NOT_FOUND");
const valueIs = (expected: unknown) => (result: RunResult): void => {
  expect(result.ok ? result.value : result.error, JSON.stringify(result).slice(0, 300)).toEqual(expected);
  noSecret(result);
};

let secretFile = "";

const ATTACKS: Attack[] = [
  // Host processes, files, environment.
  { name: "os.environ holds no host variable", code: "import os\nsorted(os.environ.items())", check: (r) => { noSecret(r); expect(JSON.stringify(r)).not.toContain("TOOLCODE_CORPUS"); } },
  { name: "os.system runs nothing", code: "import os\nos.system('id > /tmp/pwned')", check: (r) => noSecret(r) },
  { name: "import subprocess", code: "import subprocess\nsubprocess.run(['id'])", check: blocked },
  { name: "import ctypes", code: "import ctypes\nctypes.CDLL(None)", check: blocked },
  { name: "import socket", code: "import socket\nsocket.create_connection(('127.0.0.1', 22))", check: blocked },
  { name: "import _ssl / _posixsubprocess", code: "import _posixsubprocess", check: blocked },
  { name: "open('/etc/passwd') sees no host file", code: "try:\n    t = open('/etc/passwd').read()\nexcept Exception as e:\n    t = type(e).__name__\nt", check: (r) => noSecret(r) },
  { name: "a host file by absolute path is not there", code: "", check: (r) => valueIs("FileNotFoundError")(r) },
  { name: "os.listdir('/') is the in-memory tree", code: "import os\nsorted(os.listdir('/'))", check: (r) => { noSecret(r); expect(JSON.stringify(r)).not.toContain("work"); } },
  { name: "os.kill of the parent does nothing", code: "import os\ntry:\n    os.kill(os.getppid(), 9)\nexcept Exception as e:\n    pass\n'alive'", check: valueIs("alive") },
  { name: "os.fork is unavailable", code: "import os\nos.fork()", check: failsWith("GUEST_ERROR") },
  { name: "threads cannot start", code: "import threading\nt = threading.Thread(target=lambda: None)\nt.start()", check: failsWith("GUEST_ERROR") },
  { name: "urllib reaches no network", code: "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/', timeout=1).read()", check: failsWith("GUEST_ERROR", "SANDBOX_TIMEOUT") },
  { name: "files written stay in this interpreter", code: "open('/tmp/left-behind', 'w').write('x')\n'written'", check: valueIs("written") },
  { name: "a later run does not see them", code: "import os\nos.path.exists('/tmp/left-behind')", check: valueIs(false) },
  // The FFI into JavaScript.
  { name: "import js", code: "import js\njs.process", check: blocked },
  { name: "from js import process", code: "from js import process\nprocess.env", check: blocked },
  { name: "import pyodide_js", code: "import pyodide_js\npyodide_js._module", check: blocked },
  { name: "pyodide.ffi", code: "from pyodide.ffi import to_js\nto_js({})", check: blocked },
  { name: "pyodide.code.run_js", code: "from pyodide.code import run_js\nrun_js('process.env')", check: blocked },
  { name: "pyodide.http", code: "from pyodide.http import pyfetch\nawait pyfetch('http://127.0.0.1:9/')", check: blocked },
  { name: "micropip", code: "import micropip\nawait micropip.install('requests')", check: blocked },
  { name: "removing the import guard and walking every reachable JavaScript object finds no way out", code: ESCAPE_PROBE, check: valueIs([]), limits: { timeoutMs: 30_000 } },
  { name: "the webloop's scheduler proxy gives no Function constructor", code: "import sys\nw = sys.modules.get('pyodide.webloop')\nf = getattr(w, 'scheduleCallback', None)\ntry:\n    r = f.constructor.constructor('return process')()\nexcept Exception as e:\n    r = type(e).__name__\nstr(r)", check: (r) => { noSecret(r); expect(JSON.stringify(r)).not.toMatch(/\[object process\]|versions/); } },
  { name: "__subclasses__ walk to loaders finds no JavaScript module", code: "ok = []\nfor c in object.__subclasses__():\n    if c.__name__ in ('BuiltinImporter', 'FrozenImporter'):\n        for name in ('js', 'pyodide_js'):\n            try:\n                c.find_spec(name) and ok.append(name)\n            except Exception:\n                pass\nok", check: valueIs([]) },
  // Frames, gc and the bridge.
  { name: "frames up to the bridge: calling the host function directly is still checked", code: "import gc\nfns = [o for o in gc.get_objects() if type(o).__name__ == 'function' and o.__name__ == 'call' and 'host_call' in o.__code__.co_freevars]\nresults = []\nfor f in fns:\n    host_call = f.__closure__[f.__code__.co_freevars.index('host_call')].cell_contents\n    results.append(host_call('nope', 'x', '{}'))\nresults", check: (r, host) => { noSecret(r); expect(JSON.stringify(r)).toContain("TOOL_NOT_FOUND"); expect(host.calls).toBe(0); } },
  { name: "a forged ToolError code is reported as GUEST_ERROR", code: "raise ToolError('approved already', 'POLICY_DENIED')", check: failsWith("GUEST_ERROR") },
  { name: "sys.modules tampering only breaks the guest", code: "import sys\nsys.modules['json'] = None\nsys.modules['asyncio'] = None\nawait fs.read_file(path='x')", check: (r) => { expect(r.ok || ["GUEST_ERROR", "SANDBOX_CRASHED"].includes(r.error.code)).toBe(true); noSecret(r); } },
  { name: "replacing builtins only breaks the guest", code: "import builtins\nbuiltins.print = None\nbuiltins.len = None\n1", check: valueIs(1) },
  { name: "an exception whose __str__ raises", code: "class E(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\nraise E()", check: failsWith("GUEST_ERROR") },
  { name: "an exception carrying the host's tool result", code: "r = await fs.read_file(path='p')\nraise ValueError(r)", check: (r, host) => { failsWith("GUEST_ERROR")(r); expect(host.calls).toBe(1); } },
  { name: "a cyclic return value", code: "a = []\na.append(a)\na", check: failsWith("GUEST_ERROR", "SANDBOX_LIMIT", "OUTPUT_LIMIT") },
  { name: "a nesting bomb as the return value", code: "v = []\nfor i in range(100000):\n    v = [v]\nv", check: failsWith("SANDBOX_LIMIT", "OUTPUT_LIMIT") },
  { name: "a nesting bomb as tool arguments never reaches the host", code: "v = {}\nfor i in range(100000):\n    v = {'a': v}\nawait fs.read_file(path=v)", check: (r, host) => { failsWith("SANDBOX_LIMIT")(r); expect(host.calls).toBe(0); } },
  { name: "lone surrogates in print and results", code: "print('\\ud800x')\n'\\udfff'", check: (r) => expect(r.ok || r.error.code === "GUEST_ERROR").toBe(true) },
  // Time.
  { name: "a busy loop", code: "while True:\n    pass", check: failsWith("SANDBOX_TIMEOUT") },
  { name: "a busy loop after an await", code: "await fs.read_file(path='a')\nwhile True:\n    pass", check: failsWith("SANDBOX_TIMEOUT") },
  { name: "a loop that swallows every KeyboardInterrupt", code: "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass", check: failsWith("SANDBOX_TIMEOUT") },
  { name: "SIGINT ignored by the guest", code: "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", check: failsWith("SANDBOX_TIMEOUT", "GUEST_ERROR") },
  { name: "time.sleep past the deadline", code: "import time\ntime.sleep(60)", check: failsWith("SANDBOX_TIMEOUT", "GUEST_ERROR") },
  { name: "asyncio.sleep past the deadline", code: "import asyncio\nawait asyncio.sleep(60)", check: failsWith("SANDBOX_TIMEOUT") },
  { name: "an await that never settles", code: "import asyncio\nawait asyncio.get_event_loop().create_future()", check: failsWith("SANDBOX_TIMEOUT") },
  // Memory and stack.
  { name: "one huge allocation", code: "b = bytearray(2 ** 30)", check: failsWith("SANDBOX_MEMORY") },
  { name: "growing a list until memory runs out", code: "x = []\nwhile True:\n    x.append('y' * 2 ** 20)", check: failsWith("SANDBOX_MEMORY", "SANDBOX_TIMEOUT") },
  { name: "deep recursion", code: "def f(n):\n    return f(n + 1)\nf(0)", check: failsWith("SANDBOX_STACK") },
  { name: "deep recursion with the recursion limit raised", code: "import sys\nsys.setrecursionlimit(10 ** 7)\ndef f(n):\n    return f(n + 1)\nf(0)", check: failsWith("SANDBOX_STACK", "SANDBOX_CRASHED", "SANDBOX_MEMORY", "SANDBOX_TIMEOUT") },
  // Output and tool calls.
  { name: "one huge print line", code: "print('x' * 10_000_000)", check: (r) => { expect(r.logs.reduce((n, l) => n + l.message.length, 0)).toBeLessThan(11_000); } },
  { name: "a print flood", code: "for i in range(100_000):\n    print(i)", check: (r) => { expect(r.logs.length).toBeLessThan(3_000); if (r.ok) expect(r.logs.at(-1)?.message).toMatch(/truncated/); } },
  { name: "a tool-call flood", code: "import asyncio\nawait asyncio.gather(*[fs.read_file(path=str(i)) for i in range(500)])", check: (r, host) => { failsWith("TOOL_CALL_LIMIT", "SANDBOX_TIMEOUT")(r); expect(host.calls).toBeLessThanOrEqual(20); expect(host.maxInFlight).toBeLessThanOrEqual(4); } },
  { name: "a flood of workspace calls counts as tool calls", code: "for i in range(100):\n    await workspace.read(f'f{i}')", check: (r, host) => { failsWith("TOOL_CALL_LIMIT")(r); expect(host.calls).toBeLessThanOrEqual(20); } },
  { name: "a tool that is not in the API", code: "import sys\nm = sys.modules['servers.fs']\nawait m.__getattr__('delete_everything')()", check: (r, host) => { failsWith("TOOL_NOT_FOUND")(r); expect(host.calls).toBe(0); } },
];

describe.skipIf(skip !== undefined)("hostile Python corpus", () => {
  let engine: Engine;

  beforeAll(() => {
    const dir = mkdtempSync(path.join(tmpdir(), "toolcode-pycorpus-"));
    secretFile = path.join(dir, "secret.txt");
    writeFileSync(secretFile, SECRET);
    process.env.TOOLCODE_CORPUS_SECRET = SECRET;
    const attack = ATTACKS.find((a) => a.name === "a host file by absolute path is not there");
    if (attack) attack.code = `try:\n    t = open(${JSON.stringify(secretFile)}).read()\nexcept Exception as e:\n    t = type(e).__name__\nt`;
    engine = createEngine({ engine: "pyodide", poolSize: 2, graceMs: 1_000 });
  });

  afterAll(async () => {
    delete process.env.TOOLCODE_CORPUS_SECRET;
    await engine?.close();
  });

  it("has at least 40 attacks", () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(40);
  });

  for (const attack of ATTACKS) {
    it(attack.name, async () => {
      const host = new RecordingHost();
      const result = await engine.run({ code: attack.code, lineOffset: 0, api: API, limits: { ...LIMITS, ...attack.limits } }, host);
      attack.check(result, host);
    });
  }

  it("still runs ordinary code afterwards", async () => {
    const result = await engine.run({ code: "(await fs.read_file(path='ok'))['note']", lineOffset: 0, api: API, limits: LIMITS }, new RecordingHost());
    expect(result.ok && result.value).toBe("from the host");
  });
});
