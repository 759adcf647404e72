// toolcode's runner Worker, run by workerd (`sandbox.engine: "workers"`). Not Node code.
//
// POST /run {runId, modules, apiJson, maxLogBytes} loads the guest as a Dynamic Worker (Worker
// Loader, globalOutbound: null: no network) and answers with a stream of newline-delimited JSON:
// {type:"call", callId, server, tool, args, logs} for each tool call (with the console lines
// written before it), and last {type:"done", kind:"ok"|"error", text, logs}, sent once every call
// the guest made has been reported. POST /result {runId, callId, envelope} answers a call. The guest reaches nothing but the Bridge it is handed: no bindings, no fetch, no eval.
import { RpcTarget } from "cloudflare:workers";

const runs = new Map();

class Bridge extends RpcTarget {
  #run;
  constructor(run) {
    super();
    this.#run = run;
  }
  call(server, tool, args, logs) {
    const run = this.#run;
    const callId = ++run.calls;
    run.send({ type: "call", callId, server: String(server), tool: String(tool), args: String(args), logs: Array.isArray(logs) ? logs : [] });
    if (run.calls >= run.expected) run.allCalls?.();
    return new Promise((resolve) => run.pending.set(callId, resolve));
  }
}

async function startRun(request, env) {
  const body = await request.json();
  const { readable, writable } = new TransformStream();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const run = {
    calls: 0,
    expected: Infinity,
    allCalls: undefined,
    pending: new Map(),
    send: (message) => {
      writer.write(encoder.encode(`${JSON.stringify(message)}\n`)).catch(() => {});
    },
  };
  runs.set(body.runId, run);
  (async () => {
    let worker;
    let entrypoint;
    try {
      worker = env.LOADER.load({
        compatibilityDate: "2025-06-01",
        mainModule: "guest.js",
        modules: body.modules,
        globalOutbound: null,
      });
      entrypoint = worker.getEntrypoint();
      const outcome = await entrypoint.evaluate(new Bridge(run), body.apiJson, body.maxLogBytes);
      // Calls the guest made without awaiting them may still be on their way: report them first.
      if (run.calls < outcome.calls) {
        run.expected = outcome.calls;
        await new Promise((resolve) => {
          run.allCalls = resolve;
          setTimeout(resolve, 1000);
        });
      }
      run.send({ type: "done", kind: outcome.kind, text: outcome.text, logs: outcome.logs });
    } catch (error) {
      run.send({ type: "failed", message: String((error && error.message) || error) });
    } finally {
      runs.delete(body.runId);
      for (const handle of [entrypoint, worker]) {
        try {
          handle?.[Symbol.dispose]?.();
        } catch {
          // already gone
        }
      }
      writer.close().catch(() => {});
    }
  })();
  return new Response(readable, { headers: { "content-type": "application/x-ndjson" } });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/ready") return new Response("ready");
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    if (pathname === "/run") return startRun(request, env);
    if (pathname === "/result") {
      const { runId, callId, envelope } = await request.json();
      const run = runs.get(runId);
      const resolve = run?.pending.get(callId);
      if (resolve !== undefined) {
        run.pending.delete(callId);
        resolve(envelope);
      }
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  },
};
