/**
 * The sales database (server-postgres on PGlite, 300 customers, 6,000 orders): revenue by region
 * for a month (aggregated in SQL), and an export of a month's orders to a CSV file (postgres →
 * filesystem).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ClassicRun, McpProvider } from "../classic.js";
import { CodeModeSession } from "../code-mode.js";
import { makeSales } from "../fixtures.js";
import { servers } from "../servers.js";
import { type TokenTask, expectEqual, returnedValue, withProviders, withSession } from "../task.js";

/** What a model asks first in an unknown database. */
const SCHEMA_SQL = "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position";

const REVENUE_SQL = [
  "SELECT c.region, SUM(o.amount) AS revenue FROM orders o JOIN customers c ON c.id = o.customer_id",
  "WHERE o.status = 'completed' AND o.ordered_at >= '2025-03-01' AND o.ordered_at < '2025-04-01'",
  "GROUP BY c.region ORDER BY revenue DESC",
].join(" ");

const EXPORT_SQL = [
  "SELECT o.id AS order_id, c.name AS customer, to_char(o.ordered_at, 'YYYY-MM-DD') AS date, o.amount",
  "FROM orders o JOIN customers c ON c.id = o.customer_id",
  "WHERE c.region = 'EMEA' AND o.status = 'completed' AND o.ordered_at >= '2025-03-01' AND o.ordered_at < '2025-04-01'",
  "ORDER BY o.id",
].join(" ");

/** Completed March 2025 orders joined with their customer. */
function marchCompleted(): { id: number; customer: string; region: string; date: string; cents: number }[] {
  const { customers, orders } = makeSales();
  const byId = new Map(customers.map((c) => [c.id, c]));
  return orders
    .filter((o) => o.status === "completed" && o.orderedAt.startsWith("2025-03-"))
    .map((o) => {
      const customer = byId.get(o.customerId);
      if (!customer) throw new Error(`order ${o.id} has no customer`);
      return { id: o.id, customer: customer.name, region: customer.region, date: o.orderedAt, cents: o.amountCents };
    });
}

const toCents = (amount: string): number => Math.round(Number(amount) * 100);
const fromCents = (cents: number): string => (cents / 100).toFixed(2);
const postgresProvider = (url: string): Promise<McpProvider> => McpProvider.connect("postgres", servers.postgres(url));

export const revenueByRegion: TokenTask = {
  id: "sql-revenue",
  title: "revenue by region for a month (6,000 orders)",
  category: "targeted",
  sources: "postgres",
  async run(env) {
    const totals = new Map<string, number>();
    for (const o of marchCompleted()) totals.set(o.region, (totals.get(o.region) ?? 0) + o.cents);
    const truth = [...totals].sort((a, b) => b[1] - a[1]).map(([region, cents]) => [region, fromCents(cents)]);
    const task = "In the sales database: what was the total revenue of completed orders per customer region in March 2025? Highest first.";
    const answer = (rows: string[][]): string => `March 2025 revenue (completed orders): ${rows.map(([region, amount]) => `${region} ${amount}`).join(", ")}.`;

    // Classic: a careful model discovers the schema, then lets the database aggregate.
    const classic = await withProviders([postgresProvider(env.postgres.url)], async (providers) => {
      const run = new ClassicRun(providers, task);
      await run.call("query", { sql: SCHEMA_SQL });
      const rows = JSON.parse(await run.call("query", { sql: REVENUE_SQL })) as { region: string; revenue: string }[];
      return run.answer(answer(expectEqual(rows.map((r) => [r.region, fromCents(toCents(r.revenue))]), truth, "sql-revenue classic")));
    });
    const code = await withSession(CodeModeSession.start({ postgres: servers.postgres(env.postgres.url) }), async (session) => {
      const run = session.run(task);
      if (session.offers("postgres__query")) {
        // Hybrid: the query tool is offered directly; the database aggregates, as in classic.
        await run.direct("postgres__query", { sql: SCHEMA_SQL });
        const rows = JSON.parse(await run.direct("postgres__query", { sql: REVENUE_SQL })) as { region: string; revenue: string }[];
        return run.answer(answer(expectEqual(rows.map((r) => [r.region, fromCents(toCents(r.revenue))]), truth, "sql-revenue hybrid")));
      }
      await run.search({ query: "run sql query" }, ["postgres.query"]);
      await run.execute(`
        const columns = await postgres.query({ sql: ${JSON.stringify(SCHEMA_SQL)} });
        console.log(columns.map((c) => \`\${c.table_name}.\${c.column_name} \${c.data_type}\`).join("\\n"));
      `);
      const output = await run.execute(`
        const rows = await postgres.query({ sql: ${JSON.stringify(REVENUE_SQL)} });
        return rows.map((r) => [r.region, Number(r.revenue).toFixed(2)]);
      `);
      return run.answer(answer(expectEqual(returnedValue<string[][]>(output), truth, "sql-revenue code")));
    });
    return { classic, code };
  },
};

export const exportCsv: TokenTask = {
  id: "sql-to-csv",
  title: "export a month's EMEA orders to CSV (postgres → filesystem)",
  category: "data-heavy",
  sources: "postgres + filesystem",
  async run(env) {
    const rows = marchCompleted().filter((o) => o.region === "EMEA");
    const truthCsv = `order_id,customer,date,amount\n${rows.map((o) => `${o.id},${o.customer},${o.date},${fromCents(o.cents)}`).join("\n")}\n`;
    const truth = { rows: rows.length, total: fromCents(rows.reduce((sum, o) => sum + o.cents, 0)) };
    const answer = (r: typeof truth, file: string): string => `Wrote ${r.rows} rows to ${file}; total amount ${r.total}.`;
    const taskFor = (dir: string): string =>
      `Export every completed March 2025 order of customers in region EMEA from the sales database to ${dir}/emea-2025-03.csv ` +
      "with the header order_id,customer,date,amount (one row per order, ordered by order id, amount with 2 decimals), then tell me how many rows you wrote and their total amount.";
    const checkFile = (file: string, who: string): void => {
      expectEqual(readFileSync(file, "utf8"), truthCsv, `sql-to-csv ${who}: file content`);
    };

    const classicDir = env.dir("csv-classic");
    const classic = await withProviders([postgresProvider(env.postgres.url), McpProvider.connect("filesystem", servers.filesystem(classicDir))], async (providers) => {
      const run = new ClassicRun(providers, taskFor(classicDir));
      await run.call("query", { sql: SCHEMA_SQL });
      const result = JSON.parse(await run.call("query", { sql: EXPORT_SQL })) as { order_id: number; customer: string; date: string; amount: string }[];
      const file = path.join(classicDir, "emea-2025-03.csv");
      const csv = `order_id,customer,date,amount\n${result.map((r) => `${r.order_id},${r.customer},${r.date},${r.amount}`).join("\n")}\n`;
      await run.call("write_file", { path: file, content: csv });
      checkFile(file, "classic");
      const total = fromCents(result.reduce((sum, r) => sum + toCents(r.amount), 0));
      return run.answer(answer(expectEqual({ rows: result.length, total }, truth, "sql-to-csv classic"), file));
    });

    const codeDir = env.dir("csv-code");
    const session = CodeModeSession.start({ postgres: servers.postgres(env.postgres.url), filesystem: servers.filesystem(codeDir) });
    const code = await withSession(session, async (s) => {
      const run = s.run(taskFor(codeDir));
      await run.search({ query: "run sql query write file" }, ["postgres.query", "filesystem.write_file"]);
      await run.execute(`
        const columns = await postgres.query({ sql: ${JSON.stringify(SCHEMA_SQL)} });
        console.log(columns.map((c) => \`\${c.table_name}.\${c.column_name} \${c.data_type}\`).join("\\n"));
      `);
      const file = path.join(codeDir, "emea-2025-03.csv");
      const output = await run.execute(`
        const rows = await postgres.query({ sql: ${JSON.stringify(EXPORT_SQL)} });
        const lines = rows.map((r) => [r.order_id, r.customer, r.date, Number(r.amount).toFixed(2)].join(","));
        await filesystem.write_file({ path: ${JSON.stringify(file)}, content: ["order_id,customer,date,amount", ...lines].join("\\n") + "\\n" });
        const cents = rows.reduce((sum, r) => sum + Math.round(Number(r.amount) * 100), 0);
        return { rows: rows.length, total: (cents / 100).toFixed(2) };
      `);
      checkFile(file, "code");
      return run.answer(answer(expectEqual(returnedValue<typeof truth>(output), truth, "sql-to-csv code"), file));
    });
    return { classic, code };
  },
};
