import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Projects, all run by `npm test` (`vitest run`); one with `vitest run --project <name>`:
 * - `unit`: the tests beside the code (src/**);
 * - `integration`: the library against real MCP servers, OpenAPI specs and sandbox workers (test/**);
 * - `e2e`: the built CLI (`dist/cli/main.js`), the MCP Inspector and the packed tarball as separate processes: the slow end-to-end suites;
 * - `python`: Python guests (`*.python.test.ts`): every run starts a Pyodide worker, so they are slow;
 * - `isolation`: the sandbox hosts (bubblewrap, gVisor, QEMU microVMs, a remote runner in another
 *   process); its global setup apt-installs what is missing where it can, and each suite skips
 *   with a printed reason where the machine cannot run it.
 */
const PYTHON = ["src/**/*.python.test.ts", "test/**/*.python.test.ts"];
const E2E = [
  "test/integration/exec-cli.test.ts",
  "test/integration/exec-session.test.ts",
  "test/readme-blocks.test.ts",
  "test/package/**/*.test.ts",
  "test/integration/serve-inspector.test.ts",
  "test/integration/serve-http.test.ts",
  "test/integration/serve-drain.test.ts",
  "test/integration/safe-roots.test.ts",
  "test/agent/run-cli.test.ts",
  "test/skills/skills-serve.test.ts",
  "test/guard/http-users.test.ts",
  "test/console/console-browser.test.ts",
  "test/integration/exec-session.test.ts",
  "test/readme-blocks.test.ts",
  "test/package/tarball.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most suites wait on child processes (MCP servers, sandbox workers, the CLI), not on the CPU:
    // one fork more than cores (vitest's default is one fewer) keeps the cores busy.
    maxWorkers: availableParallelism() + 1,
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: "unit", include: ["src/**/*.test.ts"], exclude: PYTHON } },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts"], exclude: [...E2E, ...PYTHON, "test/isolation/**"] } },
      { extends: true, test: { name: "e2e", include: E2E, exclude: PYTHON } },
      { extends: true, test: { name: "python", include: PYTHON } },
      {
        extends: true,
        test: { name: "isolation", include: ["test/isolation/**/*.test.ts"], globalSetup: ["test/isolation/global-setup.ts"], testTimeout: 180_000, hookTimeout: 600_000 },
      },
    ],
  },
});
