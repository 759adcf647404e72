/**
 * Tasks where code mode should not win: one small call (server-everything's echo and get-sum, a
 * count in postgres). Code mode pays for a `search` turn and an `execute` turn where classic
 * needs one call.
 *
 * @module
 */
import { ClassicRun, McpProvider } from "../classic.js";
import { CodeModeSession } from "../code-mode.js";
import { servers } from "../servers.js";
import { type TokenTask, expectEqual, returnedValue, withProviders, withSession } from "../task.js";

const EVERYTHING_NOTE =
  "server-everything sends ~300 tokens of `instructions`, which MCP clients put in the system prompt: the classic side pays them on every turn; toolcode does not forward servers' instructions, so code mode does not.";

export const echoTask: TokenTask = {
  id: "small-echo",
  title: "echo one message (everything)",
  category: "small",
  sources: "everything",
  async run() {
    const message = "hello from toolcode";
    const truth = `Echo: ${message}`;
    const task = `Use the echo tool to echo "${message}" and tell me exactly what it returned.`;
    const answer = (text: string): string => `It returned: ${text}`;

    const classic = await withProviders([McpProvider.connect("everything", servers.everything())], async (providers) => {
      const run = new ClassicRun(providers, task);
      return run.answer(answer(expectEqual(await run.call("echo", { message }), truth, "small-echo classic")));
    });
    const code = await withSession(CodeModeSession.start({ everything: servers.everything() }), async (session) => {
      const run = session.run(task);
      await run.search({ query: "echo" }, ["everything.echo"]);
      const output = await run.execute(`return await everything.echo({ message: "${message}" });`);
      return run.answer(answer(expectEqual(returnedValue<string>(output), truth, "small-echo code")));
    });
    return { classic, code, note: EVERYTHING_NOTE };
  },
};

export const sumTask: TokenTask = {
  id: "small-sum",
  title: "add two numbers with get-sum (everything)",
  category: "small",
  sources: "everything",
  async run() {
    const [a, b] = [1234, 5678];
    const truth = a + b;
    const task = `Use the get-sum tool to add ${a} and ${b}.`;
    const answer = (sum: number): string => `${a} + ${b} = ${sum}.`;
    const parse = (text: string): number => Number(/is (-?\d+)/.exec(text)?.[1]);

    const classic = await withProviders([McpProvider.connect("everything", servers.everything())], async (providers) => {
      const run = new ClassicRun(providers, task);
      return run.answer(answer(expectEqual(parse(await run.call("get-sum", { a, b })), truth, "small-sum classic")));
    });
    const code = await withSession(CodeModeSession.start({ everything: servers.everything() }), async (session) => {
      const run = session.run(task);
      await run.search({ query: "sum two numbers" }, ["everything.get_sum"]);
      const output = await run.execute(`return await everything.get_sum({ a: ${a}, b: ${b} });`);
      return run.answer(answer(expectEqual(parse(returnedValue<string>(output)), truth, "small-sum code")));
    });
    return { classic, code, note: EVERYTHING_NOTE };
  },
};

export const countTask: TokenTask = {
  id: "small-sql-count",
  title: "count rows of one table (postgres)",
  category: "small",
  sources: "postgres",
  async run(env) {
    const truth = 6000;
    const task = "How many rows does the orders table of the sales database have?";
    const answer = (n: number): string => `The orders table has ${n} rows.`;
    const sql = "SELECT count(*) AS n FROM orders";

    const classic = await withProviders([McpProvider.connect("postgres", servers.postgres(env.postgres.url))], async (providers) => {
      const run = new ClassicRun(providers, task);
      const rows = JSON.parse(await run.call("query", { sql })) as { n: string }[];
      return run.answer(answer(expectEqual(Number(rows[0]?.n), truth, "small-sql-count classic")));
    });
    const code = await withSession(CodeModeSession.start({ postgres: servers.postgres(env.postgres.url) }), async (session) => {
      const run = session.run(task);
      if (session.offers("postgres__query")) {
        const rows = JSON.parse(await run.direct("postgres__query", { sql })) as { n: string }[];
        return run.answer(answer(expectEqual(Number(rows[0]?.n), truth, "small-sql-count hybrid")));
      }
      await run.search({ query: "sql query" }, ["postgres.query"]);
      const output = await run.execute(`
        const [row] = await postgres.query({ sql: "${sql}" });
        return Number(row.n);
      `);
      return run.answer(answer(expectEqual(returnedValue<number>(output), truth, "small-sql-count code")));
    });
    return { classic, code };
  },
};
