/**
 * Starts a real nginx (Debian package, installed when missing) as a round-robin load balancer
 * in front of loopback upstreams: run as the test user, `daemon off`, its config, pid, logs and
 * temp files in a temp dir, listening on 127.0.0.1 only. The access log names the upstream of
 * each request (`$upstream_addr`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureDebianPackages } from "./debian-packages.js";
import { freePort } from "./redis-server.js";

const NGINX = "/usr/sbin/nginx";

/** A running nginx. */
export interface Nginx {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** One line per request: `<method> <uri> <status> <upstream addresses>`. */
  accessLog(): string[];
  stop(): Promise<void>;
}

/**
 * Starts nginx balancing over `upstreams` (`127.0.0.1:<port>` each) on `port` (default a free
 * one; pass one to name it in the upstreams' config first); `{ reason }` when it cannot run here.
 */
export async function startNginx(upstreams: readonly string[], fixedPort?: number): Promise<Nginx | { reason: string }> {
  const installed = ensureDebianPackages([[NGINX, "nginx"]]);
  if (!installed.ok) return { reason: installed.reason };
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolcode-nginx-"));
  const user = os.userInfo();
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = fixedPort ?? (await freePort());
    const config = `
# As root nginx would hand its workers to "nobody": keep them the test user.
${user.uid === 0 ? `user ${user.username};` : ""}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  log_format balanced '$request_method $request_uri $status $upstream_addr';
  access_log ${dir}/access.log balanced;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream toolcode {
${upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=60s;`).join("\n")}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://toolcode;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 120s;
      proxy_connect_timeout 2s;
      # A refused connection (a dead replica) goes to the next one; a request already sent does not.
      proxy_next_upstream error timeout;
    }
  }
}
`;
    const file = path.join(dir, "nginx.conf");
    writeFileSync(file, config);
    const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", file, "-e", path.join(dir, "error.log")], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = await waitListening(port, child, 10_000);
    if (ready) {
      return {
        origin: `http://127.0.0.1:${port}`,
        accessLog: () => {
          try {
            return readFileSync(path.join(dir, "access.log"), "utf8").split("\n").filter(Boolean);
          } catch {
            return [];
          }
        },
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => {
              rmSync(dir, { recursive: true, force: true });
              resolve();
            });
            child.kill("SIGQUIT");
          }),
      };
    }
    child.kill("SIGKILL");
    lastError = stderr || readSafe(path.join(dir, "error.log"));
  }
  return { reason: `nginx did not start: ${lastError.slice(0, 500)}` };
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** True once 127.0.0.1:port accepts connections (false if the child exits or time runs out). */
async function waitListening(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
