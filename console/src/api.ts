/** The console API client: JSON calls with the bearer token, and the live event stream. */

const TOKEN_KEY = "toolcode.token";

/** The bearer token of this tab (sessionStorage: gone when the tab closes). */
export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Remembers (or, with null, forgets) the bearer token for this tab. */
export function setToken(value: string | null): void {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
}

/** An API error: HTTP status and the server's `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function headers(json: boolean): Record<string, string> {
  const bearer = token();
  return { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(json ? { "content-type": "application/json" } : {}) };
}

/** GET (no body) or POST (JSON body) an API route, e.g. `sessions`. */
export async function api<T>(route: string, body?: unknown): Promise<T> {
  const init: RequestInit = body === undefined ? { headers: headers(false) } : { method: "POST", headers: headers(true), body: JSON.stringify(body) };
  const response = await fetch(`/console/api/${route}`, init);
  const value = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!response.ok) throw new ApiError(response.status, value.error?.code ?? "HTTP_ERROR", value.error?.message ?? `HTTP ${response.status}`);
  return value as T;
}

/** Something changed in one of the user's sessions. */
export interface LiveEvent {
  type: "execution" | "call" | "session";
  sessionId: string;
  executionId?: string;
}

/**
 * Follows the live stream (server-sent events read with fetch, which can send the token) until
 * `signal` aborts; reconnects after a drop.
 */
export async function follow(onEvent: (event: LiveEvent) => void, onState: (live: boolean) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch("/console/api/events", { headers: headers(false), signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split("\n")) if (line.startsWith("data: ")) onEvent(JSON.parse(line.slice(6)) as LiveEvent);
        }
      }
    } catch {
      // Dropped or refused: try again shortly.
    }
    onState(false);
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
