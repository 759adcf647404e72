/**
 * The host Worker of the peers benchmark's Cloudflare codemode side, bundled by esbuild and run
 * in local `workerd --experimental`: each POST runs `code` with `@cloudflare/codemode`'s
 * DynamicWorkerExecutor (a Dynamic Worker per run, through the Worker Loader binding), its tools
 * either served by Node over loopback (`tools: "loopback"`, the same MCP server toolcode calls)
 * or implemented inside the Worker (`tools: "inside"`). `GET /ping` answers at once: the
 * Node → workerd hop, subtracted from the figures.
 */
import { DynamicWorkerExecutor } from "@cloudflare/codemode";

const inside = {
  add: async ({ a, b }) => a + b,
  rows: async ({ n }) => Array.from({ length: n }, (_, i) => ({ id: i, group: i % 10, value: (i * 7919) % 1000 })),
};

export default {
  async fetch(request, env) {
    if (request.method === "GET") return new Response("pong");
    const { code, tools } = await request.json();
    const viaNode = (tool) => async (args) => {
      const response = await fetch(`${env.TOOL_URL}/${tool}`, { method: "POST", body: JSON.stringify(args) });
      return response.json();
    };
    const fns = tools === "inside" ? inside : { add: viaNode("add"), rows: viaNode("rows") };
    const executor = new DynamicWorkerExecutor({ loader: env.LOADER });
    const result = await executor.execute(code, [{ name: "t", fns }]);
    return Response.json(result);
  },
};
