/**
 * OpenTelemetry traces: spans for `search`, `execute` and each tool call an execution makes,
 * exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` or the config's `telemetry`
 * section asks for it, and no-ops otherwise (the code paths only ever talk to
 * `@opentelemetry/api`; the SDK is loaded when tracing is on).
 *
 * An application that registers its own tracer provider first keeps it: toolcode's spans go
 * there and toolcode starts no exporter of its own.
 *
 * Span attributes never carry argument or result values (PII, credentials): only names, sizes,
 * counts, policy decisions and error codes.
 *
 * @module
 */
import { type Attributes, type Context, type Span, SpanKind, SpanStatusCode, type Tracer, context, propagation, trace } from "@opentelemetry/api";

/** The `telemetry` config section, parsed. */
export interface TelemetryConfig {
  /** On/off; unset: on when `endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set. */
  enabled?: boolean | undefined;
  /** OTLP/HTTP base URL (`/v1/traces` is added), e.g. "http://127.0.0.1:4318"; else the OTEL_* environment. */
  endpoint?: string | undefined;
  /** Extra headers for the exporter (e.g. an API key for a hosted collector). */
  headers?: Record<string, string> | undefined;
  /** `service.name` of the spans. */
  serviceName: string;
}

/** The instrumentation scope name of toolcode's spans. */
export const TRACER_NAME = "toolcode";

/** The tracer toolcode's spans come from (a no-op one until a provider is registered). */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** W3C trace context as carried in headers or MCP `_meta` (`traceparent`, `tracestate`). */
export type TraceCarrier = Record<string, unknown>;

/**
 * The context a remote caller sent (`traceparent` / `tracestate` in `carriers`, first one that
 * has them), on top of the active one; the active context when none did.
 */
export function remoteContext(...carriers: (TraceCarrier | undefined)[]): Context {
  for (const carrier of carriers) {
    if (carrier === undefined || typeof carrier.traceparent !== "string") continue;
    const text: Record<string, string> = { traceparent: carrier.traceparent };
    if (typeof carrier.tracestate === "string") text.tracestate = carrier.tracestate;
    return propagation.extract(context.active(), text);
  }
  return context.active();
}

/** Adds `traceparent` (and `tracestate`) of the active span to outgoing HTTP `headers`. */
export function injectTraceHeaders(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}

/** Options of {@link inSpan}. */
export interface InSpanOptions {
  attributes?: Attributes;
  /** Parent context (default: the active one). */
  parent?: Context;
  kind?: SpanKind;
}

/**
 * Runs `fn` in a new span that ends when it settles; a thrown error marks the span failed (its
 * `code`, not its message, which may quote data). `fn` may add attributes through the span.
 */
export async function inSpan<T>(name: string, options: InSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    failSpan(span, errorCode(error));
    throw error;
  } finally {
    span.end();
  }
}

/** Marks `span` failed with a toolcode error `code`. */
export function failSpan(span: Span, code: string): void {
  span.setAttribute("toolcode.error.code", code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

function errorCode(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : "INTERNAL";
}

/** A started telemetry pipeline (see {@link startTelemetry}). */
export interface TelemetryHandle {
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes; the last holder's close stops the exporter. */
  close(): Promise<void>;
}

const NOOP: TelemetryHandle = { flush: async () => {}, close: async () => {} };

/** The provider toolcode registered (shared by every instance in the process). */
let shared: { flush(): Promise<void>; shutdown(): Promise<void>; holders: number } | undefined;

/** Whether `config` and the environment turn tracing on. */
export function telemetryWanted(config: TelemetryConfig | undefined, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (config?.enabled === false) return false;
  if (config?.enabled === true || config?.endpoint !== undefined) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts exporting spans over OTLP/HTTP when {@link telemetryWanted}; a no-op handle otherwise,
 * or when the application registered its own provider (its provider then gets the spans).
 */
export async function startTelemetry(config: TelemetryConfig | undefined, version = "0"): Promise<TelemetryHandle> {
  if (!telemetryWanted(config)) return NOOP;
  if (!shared) {
    const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
    const endpoint = config?.endpoint;
    const exporter = new OTLPTraceExporter({
      ...(endpoint !== undefined ? { url: endpoint.replace(/\/+$/, "").endsWith("/v1/traces") ? endpoint : `${endpoint.replace(/\/+$/, "")}/v1/traces` } : {}),
      ...(config?.headers ? { headers: config.headers } : {}),
    });
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ "service.name": config?.serviceName ?? "toolcode", "service.version": version }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
    });
    if (!trace.setGlobalTracerProvider(provider)) {
      // The application has its own provider: toolcode's spans go there.
      await provider.shutdown();
      return NOOP;
    }
    provider.register(); // context manager (AsyncLocalStorage) and W3C propagator
    shared = { flush: () => provider.forceFlush(), shutdown: () => provider.shutdown(), holders: 0 };
  }
  const held = shared;
  held.holders++;
  let closed = false;
  return {
    flush: () => held.flush(),
    close: async () => {
      if (closed) return;
      closed = true;
      await held.flush();
      if (--held.holders > 0) return;
      if (shared === held) shared = undefined;
      trace.disable();
      context.disable();
      propagation.disable();
      await held.shutdown();
    },
  };
}
