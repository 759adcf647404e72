/**
 * The web console in a real browser: Debian's Chromium (installed here when missing) driven by
 * playwright-core, against the built CLI's `serve --http` with real MCP servers (server-everything,
 * server-memory) and bearer users. Signs in, runs scripts in the editor, sees the tool calls nested
 * under their execute, a live update, approves a pending call, sees the token chart, and reads every
 * other view; user B sees none of A's sessions. Screenshots go to test-artifacts/console/ (and, with
 * TOOLCODE_DOCS_SCREENSHOTS=1, to docs/console/, the ones the README shows).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, servers, tempDir, writeConfig } from "../helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKENS = { alice: "alice-token-0123456789abcdef", bob: "bob-token-0123456789abcdefgh" };
const ARTIFACTS = path.join(ROOT, "test-artifacts", "console");
const DOCS = path.join(ROOT, "docs", "console");

/** Chromium's path, installing Debian's package when it is missing; or why it cannot run here. */
function ensureChromium(): { ok: true } | { ok: false; reason: string } {
  if (existsSync(CHROMIUM)) return { ok: true };
  try {
    execFileSync("apt-get", ["update"], { stdio: "ignore", timeout: 300_000 });
    execFileSync("apt-get", ["install", "-y", "chromium"], { stdio: "ignore", timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } catch (error) {
    return { ok: false, reason: `apt-get install chromium failed (${(error as Error).message.split("\n")[0]})` };
  }
  return existsSync(CHROMIUM) ? { ok: true } : { ok: false, reason: `${CHROMIUM} is still missing after apt-get install chromium` };
}

const chromiumReady = ensureChromium();
if (!chromiumReady.ok) console.info(`console browser test skipped: ${chromiumReady.reason}`);

describe.skipIf(!chromiumReady.ok)("the web console in Chromium", () => {
  let child: ChildProcess;
  let base: string;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const dir = tempDir();
    const config = writeConfig(dir, {
      mcpServers: { everything: servers.everything(), memory: servers.memory(path.join(dir, "memory.jsonl")) },
      policy: { allow: ["memory"], approve: ["everything.get_sum"] },
      skills: { dir: "skills" },
      auth: { users: { alice: "${ALICE_TOKEN}", bob: "${BOB_TOKEN}" } },
    });
    child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", "--config", config], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ALICE_TOKEN: TOKENS.alice, BOB_TOKEN: TOKENS.bob },
    });
    base = await new Promise<string>((resolve, reject) => {
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /console at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launchPersistentContext(tempDir("toolcode-chromium-"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 860 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    child?.kill("SIGTERM");
  });

  /** A screenshot of the page as test artifact (and docs/console/ when asked). */
  const shot = async (name: string, target: Page = page): Promise<void> => {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await target.screenshot({ path: file, fullPage: false });
    if (process.env.TOOLCODE_DOCS_SCREENSHOTS === "1") {
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(file, path.join(DOCS, `${name}.png`));
    }
  };
  const signIn = async (target: Page, token: string): Promise<void> => {
    await target.goto(base);
    await target.locator("input[name=token]").fill(token);
    await target.locator("form.signin button[type=submit]").click();
    await target.getByTestId("tab-run").waitFor();
  };
  /** A locator's text now ("" when absent; textContent alone would wait for it). */
  const textOf = async (locator: ReturnType<Page["locator"]>): Promise<string> => ((await locator.count()) > 0 ? ((await locator.first().textContent()) ?? "") : "");
  const tab = async (name: string): Promise<void> => {
    await page.getByTestId(`tab-${name}`).click();
  };
  /** Replaces the editor's text and runs it; returns what the model would read. */
  const runScript = async (code: string): Promise<string> => {
    await tab("run");
    const content = page.locator(".cm-content");
    await content.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(code);
    const before = await textOf(page.getByTestId("output"));
    await page.getByTestId("run").click();
    await expect.poll(async () => (await page.getByTestId("run").isEnabled()) && (await textOf(page.getByTestId("output"))) !== "" && (await textOf(page.getByTestId("output"))) !== before, { timeout: 60_000 }).toBe(true);
    return (await page.getByTestId("output").textContent()) ?? "";
  };

  it("asks for the bearer token, then opens a session", async () => {
    await page.goto(base);
    await page.locator("input[name=token]").waitFor();
    await page.locator("input[name=token]").fill("not-a-valid-token-at-all");
    await page.locator("form.signin button[type=submit]").click();
    await page.getByText("That token was not accepted.").waitFor();
    await signIn(page, TOKENS.alice);
    await expect.poll(() => page.getByTestId("live").textContent()).toContain("live");
    expect(await page.getByText("signed in as alice").count()).toBe(1);
  });

  it("runs a script and shows what the model reads", async () => {
    const text = await runScript(`const lengths = [];
for (let i = 0; i < 12; i += 1) {
  const echoed = await everything.echo({ message: "item " + i + ": " + "lorem ipsum ".repeat(30) });
  lengths.push(String(echoed).length);
}
await memory.create_entities({ entities: [{ name: "Console", entityType: "demo", observations: ["made in the browser test"] }] });
const graph = await memory.read_graph({});
await workspace.write("reports/lengths.json", lengths);
console.log("echoed", lengths.length, "messages");
return { total: lengths.reduce((a, b) => a + b, 0), entities: graph.entities.length };`);
    expect(text).toContain("echoed 12 messages");
    expect(text).toMatch(/"entities":\s*1/);
    await shot("editor");
  });

  it("saves a skill and uses it, so the skills view has usage", async () => {
    const saved = await runScript(`await skills.save({ name: "shout", description: "Upper-cases a text.", code: "export function shout(text: string): string { return text.toUpperCase() + '!'; }" });
return "saved";`);
    expect(saved).toContain("saved");
    const used = await runScript(`import { shout } from "./skills/shout";
return shout(String(await everything.echo({ message: "hello" })));`);
    expect(used).toContain("ECHO: HELLO!");
  });

  it("shows each tool call nested under its execute, and new executions live", async () => {
    await tab("timeline");
    const executions = page.getByTestId("execution");
    await expect.poll(() => executions.count()).toBe(3);
    // Newest first: the first script is the last entry, with its 14 catalog calls in order.
    const first = executions.nth(2);
    const calls = first.getByTestId("tool-call");
    expect(await calls.count()).toBe(14);
    expect(await calls.nth(0).textContent()).toContain("everything.echo");
    expect(await calls.nth(0).textContent()).toContain("item 0: lorem ipsum");
    expect(await calls.nth(12).textContent()).toContain("memory.create_entities");
    expect(await calls.nth(13).textContent()).toContain("memory.read_graph");
    expect(await calls.nth(12).textContent()).toContain("allow");

    // An execution from outside the page (another tab, an agent) appears without a reload.
    const session = await page.getByTestId("session").inputValue();
    const response = await fetch(`${base}console/api/sessions/${session}/execute`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.alice}`, "content-type": "application/json" },
      body: JSON.stringify({ code: 'return await everything.echo({ message: "from outside" });' }),
    });
    expect(response.status).toBe(200);
    await expect.poll(() => executions.count(), { timeout: 20_000 }).toBe(4);
    await expect.poll(() => textOf(executions.nth(0).getByTestId("tool-call")), { timeout: 20_000 }).toContain("Echo: from outside");
    await expect.poll(() => page.locator(".badge", { hasText: "running" }).count()).toBe(0);
    await shot("timeline");
  });

  it("approves a pending call, and the script resumes", async () => {
    const stopped = await runScript("const sum = await everything.get_sum({ a: 2, b: 3 });\nreturn { sum };");
    expect(stopped).toContain("APPROVAL_REQUIRED");
    await tab("approvals");
    const approval = page.getByTestId("approval");
    await expect.poll(() => approval.count()).toBe(1);
    expect(await approval.textContent()).toContain("everything.get_sum");
    await shot("approvals");
    await approval.getByTestId("approve").click();
    await expect.poll(() => textOf(page.getByTestId("approval-result")), { timeout: 30_000 }).toContain("The sum of 2 and 3 is 5.");
    await expect.poll(() => approval.count()).toBe(0);
    await tab("timeline");
    await expect.poll(() => page.getByTestId("execution").count()).toBe(6);
    expect(await page.getByTestId("execution").nth(0).textContent()).toContain("resumes");
  });

  it("charts the tokens the model read against those that stayed in the sandbox", async () => {
    await tab("tokens");
    await page.locator("[data-testid=token-chart] canvas").waitFor();
    const summary = (await page.getByTestId("token-summary").textContent()) ?? "";
    expect(summary).toContain("6 executions");
    const [read, pool, saved] = [...summary.matchAll(/(\d+)/g)].slice(1, 4).map((m) => Number(m[1]));
    expect(pool).toBeGreaterThan(read!);
    expect(saved).toBeGreaterThan(0);
    await shot("tokens");
  });

  it("shows the sources, the servers/ tree with signatures, and search", async () => {
    await tab("sources");
    await page.getByRole("link", { name: "servers/everything/index.d.ts" }).click();
    await expect.poll(() => page.getByTestId("file").textContent()).toContain("get_sum");
    await shot("sources");
    await tab("search");
    await page.locator("input[name=q]").fill("add two numbers");
    await page.locator("form button[type=submit]").click();
    await expect.poll(() => textOf(page.getByTestId("search-results"))).toContain("get_sum");
    await shot("search");
  });

  it("shows the skills with their usage and the workspace files", async () => {
    await tab("skills");
    const skills = page.getByTestId("skills");
    await skills.waitFor();
    const row = (await skills.locator("tbody tr").first().textContent()) ?? "";
    expect(row).toContain("shout");
    expect(row).toContain("shout(text: string): string");
    await shot("skills");
    await tab("workspace");
    await expect.poll(() => textOf(page.getByTestId("workspace"))).toContain("reports/lengths.json");
    await shot("workspace");
  });

  it("shows user B none of user A's sessions", async () => {
    const alicesSession = await page.getByTestId("session").inputValue();
    const bob = await browser.newPage();
    await signIn(bob, TOKENS.bob);
    await bob.getByTestId("tab-timeline").click();
    await bob.getByText("No executions in this session yet").waitFor();
    // The session list arrives on its own request: wait for bob's (new) session to be listed.
    await expect.poll(() => bob.getByTestId("session").locator("option").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const options = await bob.getByTestId("session").locator("option").evaluateAll((nodes) => nodes.map((n) => (n as unknown as { value: string }).value));
    expect(options).toHaveLength(1);
    expect(options).not.toContain(alicesSession);
    expect(await bob.getByText("signed in as bob").count()).toBe(1);
    await bob.close();
  });

  it("runs Python from the editor when the server has Pyodide", async () => {
    await tab("run");
    if ((await page.getByTestId("language").count()) === 0) {
      console.info("Python run skipped: the server offers no Python (Pyodide is not installed)");
      return;
    }
    await page.getByTestId("language").selectOption("python");
    await page.locator(".cm-content").waitFor();
    const text = await runScript('echoed = await everything.echo(message="from python")\nprint(echoed)\nreturn len(echoed)');
    expect(text).toContain("Echo: from python");
    await tab("timeline");
    await expect.poll(() => textOf(page.getByTestId("execution").first().getByTestId("tool-call"))).toContain("from python");
  });
});
