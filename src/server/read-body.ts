/**
 * Reads a JSON request body with two bounds, so no client can make the server hold memory or a
 * connection without limit: a size cap (`server.maxBodyBytes`, checked against
 * `Content-Length` before reading and against the bytes as they arrive) and a deadline for the
 * whole body (`server.bodyTimeoutMs`, against slow "slowloris" senders).
 *
 * @module
 */
import type { IncomingMessage } from "node:http";

/** The outcome of {@link readJsonBody}: the parsed value, or the HTTP status and message to answer. */
export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 408 | 413; message: string };

/** Limits of {@link readJsonBody}. */
export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
}

/**
 * Reads and parses the body. On 408 and 413 the request stream is left paused and unread: the
 * caller answers and closes the connection (`Connection: close`) instead of draining it.
 */
export function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return Promise.resolve(tooLarge(limits.maxBytes));
  }
  return new Promise<BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onError);
      if (!result.ok) req.pause();
      resolve(result);
    };
    // Fired in the timers phase; the check phase after the next poll lets body bytes that already
    // arrived (an event loop busy past the deadline) still win over the timeout.
    const timer = setTimeout(() => setImmediate(() => finish({
        ok: false,
        status: 408,
        message: `LIMIT_EXCEEDED: the request body did not arrive within ${limits.timeoutMs} ms (server.bodyTimeoutMs). Send the whole body at once.`,
      })), limits.timeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) {
        finish(tooLarge(limits.maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      try {
        finish({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown });
      } catch {
        finish({ ok: false, status: 400, message: "Parse error: the body is not valid JSON." });
      }
    };
    const onError = (): void => finish({ ok: false, status: 400, message: "The request body was cut off." });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onError);
  });
}

function tooLarge(maxBytes: number): BodyResult {
  return {
    ok: false,
    status: 413,
    message: `LIMIT_EXCEEDED: the request body is over ${maxBytes.toLocaleString("en-US")} bytes (server.maxBodyBytes). Send a shorter script: keep data in the workspace or fetch it with tools instead of inlining it.`,
  };
}
