import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolcodeError } from "../errors.js";
import { inSpan, remoteContext, startTelemetry, telemetryWanted } from "./telemetry.js";

describe("telemetryWanted", () => {
  it("is on with an endpoint or the OTLP environment, off when disabled or unset", () => {
    expect(telemetryWanted(undefined, {})).toBe(false);
    expect(telemetryWanted(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toBe(true);
    expect(telemetryWanted(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" })).toBe(true);
    expect(telemetryWanted({ serviceName: "t", endpoint: "http://127.0.0.1:4318" }, {})).toBe(true);
    expect(telemetryWanted({ serviceName: "t", enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toBe(false);
  });

  it("starts nothing when off", async () => {
    const handle = await startTelemetry({ serviceName: "t", enabled: false });
    await handle.close();
    expect(trace.getTracer("x").startSpan("s").isRecording()).toBe(false);
  });
});

describe("with the application's own tracer provider", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => provider.register());
  afterAll(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  it("keeps it (toolcode starts no exporter) and records nested spans, failures by code", async () => {
    const handle = await startTelemetry({ serviceName: "t", endpoint: "http://127.0.0.1:9" });
    await inSpan("outer", { attributes: { a: 1 } }, async () => {
      await inSpan("inner", {}, async (span) => span.setAttribute("b", true));
      await expect(inSpan("failing", {}, async () => Promise.reject(new ToolcodeError("TOOL_ERROR", "secret detail")))).rejects.toThrow("secret detail");
    });
    await handle.close();
    const spans = exporter.getFinishedSpans();
    const outer = spans.find((s) => s.name === "outer")!;
    const inner = spans.find((s) => s.name === "inner")!;
    const failing = spans.find((s) => s.name === "failing")!;
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(failing.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(failing.status).toEqual({ code: SpanStatusCode.ERROR, message: "TOOL_ERROR" });
    expect(failing.attributes["toolcode.error.code"]).toBe("TOOL_ERROR");
    expect(JSON.stringify(failing.attributes)).not.toContain("secret detail");
    expect(outer.attributes.a).toBe(1);
  });

  it("parents spans on a caller's traceparent, ignoring carriers without one", async () => {
    const parent = remoteContext(undefined, { other: 1 }, { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
    await inSpan("child", { parent }, async () => {});
    const child = exporter.getFinishedSpans().find((s) => s.name === "child")!;
    expect(child.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(child.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
  });
});
