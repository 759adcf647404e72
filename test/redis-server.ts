/**
 * A real `redis-server` (Debian package, installed when missing) on 127.0.0.1 at a free port,
 * for the Redis state store's tests; or the reason it cannot run here, for a printed skip.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureDebianPackages } from "./debian-packages.js";

/** A running server: its URL and how to stop it. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server (no persistence, loopback only); `{ reason }` when it cannot run here. */
export async function startRedis(): Promise<RedisServer | { reason: string }> {
  const installed = ensureDebianPackages([["/usr/bin/redis-server", "redis-server"]]);
  if (!installed.ok) return { reason: installed.reason };
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-redis-"));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn("/usr/bin/redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"], { stdio: ["ignore", "pipe", "pipe"] });
    const ready = await new Promise<boolean>((resolve) => {
      let out = "";
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      };
    }
    child.kill("SIGKILL");
  }
  return { reason: "redis-server did not start on 127.0.0.1 (3 attempts)" };
}
