/**
 * The guest-side half of the bridge: JavaScript evaluated in every fresh QuickJS context before
 * the user's code.
 *
 * It evaluates to a function `(hostCall, hostLog, apiJson, hostCompile) => { load, serialize, describe }`
 * where `apiJson` is `{ globals, modules: [specifier, …], maxJsonDepth }` and `hostCompile(specifier)` returns
 * the guest module's body compiled as `function (require, exports, module)`. The host functions
 * stay in its closure (never on `globalThis`). It defines:
 * - one global per server: a Proxy whose tools are functions `(args) => Promise<result>`; an
 *   unknown tool throws a `ToolError` (TOOL_NOT_FOUND) listing the valid names; `then`,
 *   `toJSON` and symbols read as `undefined` so `await fs` and `JSON.stringify(fs)` are harmless;
 * - `ToolError` (with `.code`, `.message`, `.details`); failed tool calls reject with one;
 *   `HttpError extends ToolError` (with `.status`) for `HTTP_ERROR` failures of API tools;
 * - `console.log/info/warn/error/debug` (objects formatted as JSON-like text, cycles safe);
 * - `load(specifier)`, the module loader the user's code receives as `require`: `./servers/<name>`
 *   (and `./servers/<name>/<tool>`) plus the guest modules of `api.modules`, each evaluated
 *   lazily on its first `require` and cached (CommonJS semantics, cycles see partial exports);
 * - `serialize(value)`, JSON text of the return value (undefined omitted, BigInt → string,
 *   cycles → "[Circular]", functions dropped), or `undefined`;
 * - `describe(error)`, JSON text describing a thrown value for the host.
 *
 * Errors created by the bridge are recorded in a private WeakMap with the host's code; the guest
 * cannot forge one, so only real tool failures keep a code other than GUEST_ERROR.
 *
 * Arguments and results cross the boundary as JSON text only: the guest never holds host handles.
 * The prelude captures the intrinsics it uses, so guest code that overwrites `JSON` or
 * `Array.prototype` only breaks itself.
 *
 * @module
 */

/** Source of the prelude (plain ES2020; no backticks, evaluated as a script). */
export const BRIDGE_PRELUDE = String.raw`(function (hostCall, hostLog, apiJson, hostCompile) {
  "use strict";
  var G = globalThis;
  var stringify = JSON.stringify;
  var parse = JSON.parse;
  var keysOf = Object.keys;
  var defineProperty = Object.defineProperty;
  var freeze = Object.freeze;
  var create = Object.create;
  var isArray = Array.isArray;
  var arrayFrom = Array.from;
  var hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
  var ErrorCtor = Error;
  var ReferenceErrorCtor = ReferenceError;
  var ProxyCtor = Proxy;
  var WeakMapCtor = WeakMap;
  var MapCtor = Map;
  var SetCtor = Set;
  var PromiseCtor = Promise;
  var promiseThen = Function.prototype.call.bind(Promise.prototype.then);
  var weakMapGet = Function.prototype.call.bind(WeakMap.prototype.get);
  var weakMapSet = Function.prototype.call.bind(WeakMap.prototype.set);
  var weakMapHas = Function.prototype.call.bind(WeakMap.prototype.has);
  var mapEntries = Function.prototype.call.bind(Map.prototype.entries);
  var setValues = Function.prototype.call.bind(Set.prototype.values);
  var errorToString = Function.prototype.call.bind(Error.prototype.toString);
  var StringCtor = String;

  var api = parse(apiJson);
  var serverNames = keysOf(api.globals);
  var moduleNames = api.modules === undefined ? [] : api.modules;
  var bridged = new WeakMapCtor();
  var serverOfProxy = new WeakMapCtor();

  function isServer(v) { return weakMapHas(serverOfProxy, v); }
  function serverName(v) { return weakMapGet(serverOfProxy, v); }
  function listOr(names, none) { return names.length > 0 ? names.join(", ") : none; }

  class ToolError extends ErrorCtor {
    constructor(message, code, details) {
      super(message === undefined ? "" : StringCtor(message));
      this.code = code === undefined ? "TOOL_ERROR" : StringCtor(code);
      this.details = details === undefined ? {} : details;
    }
  }
  defineProperty(ToolError.prototype, "name", { value: "ToolError", writable: true, configurable: true });

  class HttpError extends ToolError {
    constructor(message, details) {
      super(message, "HTTP_ERROR", details);
      var d = this.details;
      this.status = d !== null && typeof d === "object" && typeof d.status === "number" ? d.status : 0;
    }
  }
  defineProperty(HttpError.prototype, "name", { value: "HttpError", writable: true, configurable: true });

  function bridgeError(code, message, details, site) {
    var error = code === "HTTP_ERROR" ? new HttpError(message, details) : new ToolError(message, code, details);
    if (site !== undefined && typeof site.stack === "string") {
      try { error.stack = error.name + ": " + error.message + "\n" + site.stack; } catch (ignored) { /* keep own stack */ }
    }
    weakMapSet(bridged, error, { code: StringCtor(code), details: details === undefined ? {} : details });
    return error;
  }

  function safeString(value) {
    try { return StringCtor(value); } catch (ignored) { return "[unprintable]"; }
  }

  function errorSummary(error) {
    var out = { name: safeString(error.name), message: safeString(error.message) };
    var info = weakMapGet(bridged, error);
    if (info !== undefined) out.code = info.code;
    return out;
  }

  // JSON with undefined omitted, BigInt as string, cycles as "[Circular]", functions dropped,
  // Map as an object, Set as an array, Error as { name, message }.
  // Nesting beyond this throws (a nesting bomb would otherwise cost quadratic time here).
  var maxDepth = typeof api.maxJsonDepth === "number" ? api.maxJsonDepth : 256;

  function tooDeep(code, what) {
    return bridgeError(code, what + " is nested more than " + maxDepth + " levels deep. Flatten the data. " +
      "Operators can raise sandbox.maxJsonDepth.", { limit: "maxJsonDepth", max: maxDepth });
  }

  function toJson(value, indent, code, what) {
    var ancestors = [];
    var depth = 0;
    function replacer(key, v) {
      if (typeof v === "bigint") return StringCtor(v);
      if (typeof v !== "object" || v === null) return v;
      while (depth > 0 && ancestors[depth - 1] !== this) depth--;
      for (var i = 0; i < depth; i++) if (ancestors[i] === v) return "[Circular]";
      if (isServer(v)) return "[server " + serverName(v) + "]";
      if (v instanceof ErrorCtor) v = errorSummary(v);
      else if (v instanceof MapCtor) {
        var obj = {};
        for (var entry of mapEntries(v)) obj[safeString(entry[0])] = entry[1];
        v = obj;
      } else if (v instanceof SetCtor) v = arrayFrom(setValues(v));
      if (depth >= maxDepth) throw tooDeep(code === undefined ? "SANDBOX_LIMIT" : code, what === undefined ? "The value" : what);
      ancestors[depth++] = v;
      return v;
    }
    return stringify(value, replacer, indent);
  }

  function format(value) {
    switch (typeof value) {
      case "string": return value;
      case "undefined": return "undefined";
      case "function": return "[Function: " + (safeString(value.name) || "anonymous") + "]";
      case "bigint": return StringCtor(value) + "n";
      case "symbol": return safeString(value.toString());
      case "number": case "boolean": return StringCtor(value);
    }
    if (value === null) return "null";
    if (isServer(value)) {
      var name = serverName(value);
      return "[server " + name + ": " + listOr(api.globals[name], "no tools") + "]";
    }
    if (value instanceof ErrorCtor) {
      var info = weakMapGet(bridged, value);
      var head = safeString(value.name) + (info !== undefined ? " [" + info.code + "]" : "") + ": " + safeString(value.message);
      return head;
    }
    try {
      var text = toJson(value);
      return text === undefined ? safeString(value) : text;
    } catch (error) {
      return "[object: " + safeString(error && error.message) + "]";
    }
  }

  var logsOpen = true;
  function makeLogger(level) {
    return function () {
      if (!logsOpen) return;
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts.push(format(arguments[i]));
      if (hostLog(level, parts.join(" ")) === false) logsOpen = false;
    };
  }
  var consoleObject = {
    log: makeLogger("log"),
    info: makeLogger("info"),
    warn: makeLogger("warn"),
    error: makeLogger("error"),
    debug: makeLogger("debug"),
    trace: makeLogger("debug"),
    dir: makeLogger("log"),
  };

  function makeTool(server, tool) {
    var holder = {};
    holder[tool] = function (args) {
      var site = new ErrorCtor("");
      var argsJson;
      try {
        argsJson = toJson(args === undefined ? {} : args, undefined, "SANDBOX_LIMIT", "The arguments of " + server + "." + tool);
      } catch (error) {
        return PromiseCtor.reject(error);
      }
      if (argsJson === undefined) argsJson = "{}";
      return promiseThen(hostCall(server, tool, argsJson), function (envelopeJson) {
        var envelope = parse(envelopeJson);
        if (envelope.ok) return envelope.value;
        var e = envelope.error;
        throw bridgeError(e.code, e.message, e.details, site);
      });
    };
    return holder[tool];
  }

  function notAToolError(server, key) {
    var tools = api.globals[server];
    return bridgeError(
      "TOOL_NOT_FOUND",
      server + "." + key + " is not a tool. Tools on " + server + ": " + listOr(tools, "(none)") + ".",
      { server: server, tool: key, available: tools.slice() },
    );
  }

  var servers = create(null);
  function makeServer(server) {
    var tools = api.globals[server];
    var fns = create(null);
    for (var i = 0; i < tools.length; i++) fns[tools[i]] = makeTool(server, tools[i]);
    // Callable but unlisted (GuestApi.hidden): the host answers their calls.
    var hiddenTools = api.hidden !== undefined && hasOwn(api.hidden, server) ? api.hidden[server] : [];
    var unlisted = create(null);
    for (var h = 0; h < hiddenTools.length; h++) unlisted[hiddenTools[h]] = makeTool(server, hiddenTools[h]);
    var proxy;
    function describeServer() { return "[server " + server + "]"; }
    proxy = new ProxyCtor(create(null), {
      get: function (target, key) {
        if (typeof key === "symbol") return undefined;
        if (fns[key] !== undefined) return fns[key];
        if (unlisted[key] !== undefined) return unlisted[key];
        if (key === "then" || key === "toJSON" || key === "constructor" || key === "inspect") return undefined;
        if (key === "__esModule") return true;
        if (key === "default") return proxy;
        if (key === "toString" || key === "valueOf") return describeServer;
        throw notAToolError(server, key);
      },
      has: function (target, key) { return typeof key === "string" && fns[key] !== undefined; },
      ownKeys: function () { return tools.slice(); },
      getOwnPropertyDescriptor: function (target, key) {
        if (typeof key !== "string" || fns[key] === undefined) return undefined;
        return { value: fns[key], writable: false, enumerable: true, configurable: true };
      },
      set: function () { return false; },
      defineProperty: function () { return false; },
      deleteProperty: function () { return false; },
      setPrototypeOf: function () { return false; },
    });
    weakMapSet(serverOfProxy, proxy, server);
    return proxy;
  }
  for (var s = 0; s < serverNames.length; s++) servers[serverNames[s]] = makeServer(serverNames[s]);

  function publicNames(names) {
    return names.filter(function (name) { return name.slice(0, 2) !== "__"; });
  }

  function modulePaths() {
    return publicNames(serverNames).map(function (name) { return "./servers/" + name; }).concat(moduleNames);
  }

  // "./skills/a.ts", "skills/a", "./skills/a/index" → "./skills/a"; ".." segments resolved.
  function normalizePath(spec) {
    var out = [];
    var segments = spec.replace(/\.(?:d\.ts|ts|js|mjs|cjs)$/, "").split("/");
    for (var i = 0; i < segments.length; i++) {
      var part = segments[i];
      if (part === "" || part === ".") continue;
      if (part === "..") { if (out.length > 0) out.pop(); continue; }
      out.push(part);
    }
    if (out.length > 1 && out[out.length - 1] === "index") out.pop();
    return "./" + out.join("/");
  }

  var moduleKeys = create(null);
  for (var m = 0; m < moduleNames.length; m++) moduleKeys[normalizePath(moduleNames[m])] = moduleNames[m];
  var moduleCache = create(null);

  function loadServer(spec, path) {
    var parts = path.slice("./servers/".length).split("/");
    if (parts.length < 1 || parts.length > 2 || parts[0] === "") return undefined;
    var server = parts[0];
    if (servers[server] === undefined) {
      throw bridgeError(
        "SERVER_NOT_FOUND",
        "Cannot find module '" + spec + "': there is no server '" + server + "'. Available servers: " +
          listOr(publicNames(serverNames), "(none)") + ".",
        { server: server, available: publicNames(serverNames) },
      );
    }
    var tool = parts[1];
    if (tool === undefined) return servers[server];
    var fn = servers[server][tool];
    var moduleObject = {};
    moduleObject[tool] = fn;
    defineProperty(moduleObject, "default", { value: fn });
    defineProperty(moduleObject, "__esModule", { value: true });
    return freeze(moduleObject);
  }

  // Guest modules (skills, …): CommonJS bodies compiled by the engine on first require, then cached.
  function loadModule(key) {
    var cached = moduleCache[key];
    if (cached !== undefined) return cached.exports;
    var name = moduleKeys[key];
    var factory = hostCompile(name);
    var record = { exports: {} };
    moduleCache[key] = record;
    var base = key.slice(0, key.lastIndexOf("/") + 1);
    function requireFrom(spec) { return resolve(StringCtor(spec), base); }
    try {
      factory(requireFrom, record.exports, record);
    } catch (error) {
      delete moduleCache[key];
      throw error;
    }
    return record.exports;
  }

  function resolve(spec, base) {
    var candidates = [normalizePath(spec)];
    if (base !== "./" && /^\.\.?\//.test(spec)) candidates.push(normalizePath(base + spec));
    for (var i = 0; i < candidates.length; i++) {
      var path = candidates[i];
      if (moduleKeys[path] !== undefined) return loadModule(path);
      if (path.slice(0, 10) === "./servers/") {
        var server = loadServer(spec, path);
        if (server !== undefined) return server;
      }
    }
    throw new ErrorCtor(
      "Cannot find module '" + spec + "'. Modules you can import: " + listOr(modulePaths(), "(none)") +
        " (each ./servers/<server> exports the server's tools, e.g. import { tool } from \"./servers/<server>\").",
    );
  }

  function load(specifier) {
    return resolve(StringCtor(specifier), "./");
  }

  function describe(thrown) {
    try {
      if (thrown instanceof ErrorCtor) {
        var info = weakMapGet(bridged, thrown);
        var stack = "";
        try { stack = StringCtor(thrown.stack); } catch (ignored) { /* no stack */ }
        return stringify({
          isError: true,
          name: safeString(thrown.name),
          message: safeString(thrown.message),
          stack: stack,
          code: info === undefined ? undefined : info.code,
          details: info === undefined ? undefined : info.details,
          referenceError: thrown instanceof ReferenceErrorCtor,
        });
      }
      var shown = typeof thrown === "string" ? stringify(thrown) : format(thrown);
      return stringify({ isError: false, name: "", message: "Uncaught " + shown, stack: "" });
    } catch (error) {
      return stringify({ isError: false, name: "", message: "(an exception that could not be described)", stack: "" });
    }
  }

  function serialize(value) {
    return toJson(value, undefined, "OUTPUT_LIMIT", "The return value");
  }

  function defineGlobal(name, value) {
    defineProperty(G, name, { value: value, writable: true, enumerable: false, configurable: true });
  }
  for (var n = 0; n < serverNames.length; n++) {
    if (!(serverNames[n] in G)) defineGlobal(serverNames[n], servers[serverNames[n]]);
  }
  // Shared memory, atomics and WebAssembly have no use in tool scripts and widen the attack
  // surface (timing side channels, a second compiler, memory outside the guest heap's accounting).
  var removed = ["SharedArrayBuffer", "Atomics", "WebAssembly"];
  for (var r = 0; r < removed.length; r++) delete G[removed[r]];
  defineGlobal("ToolError", ToolError);
  defineGlobal("HttpError", HttpError);
  defineGlobal("console", consoleObject);

  return { load: load, serialize: serialize, describe: describe };
})`;
