/**
 * A scripted OpenAI-compatible chat-completions server on 127.0.0.1: it replays scripted replies
 * over real HTTP, so runs exercise the real provider (@ai-sdk/openai-compatible), the real
 * request/response encoding and real MCP servers. The only fake is the model.
 *
 * A reply is text (`content`), tool calls, or an HTTP error. A script is a list of replies (one
 * per request) or a function of the request, which lets one script answer in whichever mode the
 * agent chose (tools present → tool calls; `response_format` → JSON; else a fenced block).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One message of a chat-completions request. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null | { type: string; text?: string }[];
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** A chat-completions request as received. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: { type: "function"; function: { name: string; description?: string; parameters: unknown } }[];
  response_format?: { type: string; json_schema?: unknown };
  max_tokens?: number;
  stream?: boolean;
}

/** What the scripted model answers. */
export interface ScriptedReply {
  content?: string;
  toolCalls?: { name: string; arguments: unknown }[];
  /** Default `tool_calls` with tool calls, else `stop`. */
  finishReason?: "stop" | "length" | "tool_calls";
  /** Answer with this HTTP status and an OpenAI-style error instead. */
  status?: number;
}

/** A script: replies in order, or a function of the request and its index. */
export type Script = ScriptedReply[] | ((request: ChatRequest, index: number) => ScriptedReply);

/** A running scripted server. */
export interface ScriptedServer {
  /** Base URL to pass as `--base-url` (ends in `/v1`). */
  baseUrl: string;
  /** Every request received, in order. */
  requests: ChatRequest[];
  close(): Promise<void>;
}

/** The text of a message's content. */
export function textOf(message: ChatMessage | undefined): string {
  if (message === undefined || message.content === null) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => part.text ?? "").join("");
}

/** The last user or tool message of a request: what the model was just told. */
export function lastObservation(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((m) => m.role === "user" || m.role === "tool");
  return textOf(last);
}

/** Which action format a request asks for. */
export function requestMode(request: ChatRequest): "tools" | "structured" | "code" {
  if (request.tools && request.tools.length > 0) return "tools";
  if (request.response_format && request.response_format.type !== "text") return "structured";
  return "code";
}

/** Starts the server on 127.0.0.1 (a free port). */
export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: ChatRequest[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      return send(res, 404, { error: { message: `No route ${req.method} ${req.url}`, type: "invalid_request_error" } });
    }
    let request: ChatRequest;
    try {
      request = JSON.parse(body) as ChatRequest;
    } catch {
      return send(res, 400, { error: { message: "body is not JSON", type: "invalid_request_error" } });
    }
    requests.push(request);
    const index = next++;
    const reply = typeof script === "function" ? script(request, index) : script[index];
    if (reply === undefined) return send(res, 500, { error: { message: `script exhausted after ${index} replies`, type: "server_error" } });
    if (reply.status !== undefined) return send(res, reply.status, { error: { message: reply.content ?? "scripted error", type: "invalid_request_error" } });
    const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
      id: `call_${index}_${i}`,
      type: "function" as const,
      function: { name: call.name, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) },
    }));
    const content = reply.content ?? (toolCalls.length > 0 ? null : "");
    const promptTokens = Math.ceil(JSON.stringify(request.messages).length / 4) + (request.tools ? Math.ceil(JSON.stringify(request.tools).length / 4) : 0);
    const completionTokens = Math.max(1, Math.ceil(((content ?? "") + JSON.stringify(toolCalls)).length / 4));
    send(res, 200, {
      id: `chatcmpl-${index}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          finish_reason: reply.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
        },
      ],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (data += chunk));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
