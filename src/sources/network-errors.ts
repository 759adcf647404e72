/**
 * Network failures in words, shared by every HTTP-speaking source (streamable-HTTP MCP servers,
 * OpenAPI APIs): Node and undici report them as `TypeError: fetch failed` with the system error
 * code somewhere in the `cause` chain.
 *
 * @module
 */

/** A short phrase for why a connection failed (`connection refused (ECONNREFUSED)`). */
export function describeNetworkFailure(error: unknown): string {
  const code = systemErrorCode(error);
  const phrase = code !== undefined ? NETWORK_PHRASES[code] : undefined;
  if (code !== undefined) return `${phrase ?? "network error"} (${code})`;
  return (error instanceof Error ? error.message : String(error)).replace(/\.+$/, "");
}

/** Network error codes worth a human phrase. */
const NETWORK_PHRASES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed by the server",
  UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  UND_ERR_BODY_TIMEOUT: "response body stalled",
};

/** The first Node-style error `code` on an error or its causes. */
export function systemErrorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[A-Z_]+$/.test(code)) return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = systemErrorCode(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return systemErrorCode((error as { cause?: unknown }).cause, depth + 1);
}

/** True when `fetch` failed to reach the server at all (refused, DNS, reset). */
export function isNetworkError(error: unknown): boolean {
  const code = systemErrorCode(error);
  if (code !== undefined && code in NETWORK_PHRASES) return true;
  return error instanceof TypeError && error.message === "fetch failed";
}
