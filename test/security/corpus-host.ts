/**
 * The host the hostile-code corpus runs against: a `t` server whose tools answer honestly,
 * fail, or hand back poisoned values (getters, thenables, proxies, cycles, host errors), and
 * record every call with its arguments, its `AbortSignal` and the concurrency seen.
 */
import { ToolcodeError, ToolError } from "../../src/errors.js";
import type { GuestApi, SandboxHost } from "../../src/sandbox/engine.js";

/** Tools of the corpus server `t` (and a second server `u` for cross-server probes). */
export const CORPUS_API: GuestApi = {
  globals: {
    t: [
      "echo", "fail", "http", "proto", "thenable", "getter", "proxy", "bigint", "cyclic", "error_value",
      "function_value", "deep", "big", "bad_details", "throw_string", "slow", "count", "class_instance",
    ],
    u: ["ping"],
  },
};

/** One recorded call. */
export interface CorpusCall {
  server: string;
  tool: string;
  args: unknown;
  signal: AbortSignal;
}

/** A fresh host per case. */
export class CorpusHost implements SandboxHost {
  readonly calls: CorpusCall[] = [];
  inFlight = 0;
  maxInFlight = 0;

  callTool(server: string, tool: string, args: unknown, signal: AbortSignal): Promise<unknown> {
    this.calls.push({ server, tool, args, signal });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = <T>(value: T): T => {
      this.inFlight -= 1;
      return value;
    };
    return this.answer(tool, args, signal).then(
      (value) => done(value),
      (error: unknown) => {
        done(undefined);
        throw error;
      },
    );
  }

  private async answer(tool: string, args: unknown, signal: AbortSignal): Promise<unknown> {
    const input = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
    switch (tool) {
      case "echo":
      case "ping":
        return args;
      case "count":
        await new Promise((resolve) => setTimeout(resolve, 1));
        return this.inFlight;
      case "fail":
        throw new ToolError("the tool failed", { reason: "test" });
      case "http":
        throw new ToolcodeError("HTTP_ERROR", "GET https://api.example.com/x → 500 Internal Server Error", {
          status: 500, statusText: "Internal Server Error", method: "GET", url: "https://api.example.com/x", bodyExcerpt: "oops",
        });
      case "proto":
        return JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted2":"yes"}},"ok":1}') as unknown;
      case "thenable":
        return { a: 1, then(resolve: (value: unknown) => void) { resolve("hijacked"); } };
      case "getter":
        return { get boom(): never { throw new Error("getter exploded at /work/main/src/secret.ts:1:1"); } };
      case "proxy":
        return new Proxy({}, { ownKeys() { throw new Error("proxy trap at /work/main/src/secret.ts"); } });
      case "bigint":
        return { n: 10n };
      case "cyclic": {
        const o: Record<string, unknown> = { a: 1 };
        o.self = o;
        return o;
      }
      case "error_value":
        return new Error("host error value at /work/main/src/secret.ts:10:5");
      case "function_value":
        return { fn: () => globalThis, symbol: Symbol("s"), missing: undefined, list: [() => 1, undefined] };
      case "class_instance":
        return new (class Secret { token = "public-field"; method(): unknown { return process.env; } })();
      case "deep": {
        const depth = typeof input.depth === "number" ? input.depth : 10;
        let value: unknown = "leaf";
        for (let i = 0; i < depth; i++) value = [value];
        return value;
      }
      case "big":
        return "x".repeat(typeof input.bytes === "number" ? input.bytes : 1000);
      case "bad_details":
        throw new ToolcodeError("TOOL_ERROR", "bad details", {
          fn: () => process, nested: { get secret(): string { return "leaked"; } }, ok: "kept",
        });
      case "throw_string":
        throw "a thrown string";
      case "slow":
        return new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
        });
      default:
        throw new ToolError(`unknown tool ${tool}`, {}, "TOOL_NOT_FOUND");
    }
  }
}
