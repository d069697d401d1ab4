/**
 * otelAttributes and recordError against the real OpenTelemetry SDK (a BasicTracerProvider with an
 * in-memory exporter), on errors mapped by fromGrpcStatus from real grpc-js failures, errors of
 * another copy of the package, foreign values and hostile ones.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { type Attributes, type Span, SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ErrorAttributes,
  otelAttributes,
  recordError,
  type SpanLike,
} from "../../src/edge/observability.js";
import {
  fromGrpcStatus,
  GrpcCode,
  Reason,
  SandboxNotFoundError,
  SandboxTerminatedError,
  SandboxUnavailableError,
  STATUS_DETAILS_KEY,
} from "../../src/index.js";
import { encodeStatusBlob, errorInfo, requestInfo, retryInfo } from "../support/encoder.js";
import { boom, throwingProxy } from "../support/hostile.js";
import { failingUnary, type RunningServer, startSandboxServer } from "../support/sandbox-service.js";

// Types: a real span is a SpanLike, and the attributes are the API's Attributes.
const spanIsSpanLike: (span: Span) => SpanLike = (span) => span;
const attributesAreAttributes: (attributes: ErrorAttributes) => Attributes = (attributes) => attributes;
void spanIsSpanLike;
void attributesAreAttributes;

function trailer(blob: Uint8Array): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(blob));
  return metadata;
}

let server: RunningServer;
let client: grpc.Client;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer("sandbox-sdk-errors-test");

beforeAll(async () => {
  server = await startSandboxServer({
    GetSandbox(
      call: grpc.ServerUnaryCall<{ sandboxId: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) {
      const id = call.request.sandboxId;
      const message = `sandbox ${id} not found`;
      const blob = encodeStatusBlob(grpc.status.NOT_FOUND, message, [
        errorInfo(Reason.SANDBOX_NOT_FOUND, "cwsandbox.com", { sandboxId: id, region: "eu-1" }),
        requestInfo("req-42"),
      ]);
      callback({ code: grpc.status.NOT_FOUND, details: message, metadata: trailer(blob) });
    },
    StartSandbox(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const blob = encodeStatusBlob(grpc.status.UNAVAILABLE, "backend busy", [
        errorInfo(Reason.BACKEND_UNAVAILABLE, "cwsandbox.com"),
        retryInfo(1, 250_000_000),
      ]);
      callback({ code: grpc.status.UNAVAILABLE, details: "backend busy", metadata: trailer(blob) });
    },
  });
  client = server.client();
});

afterEach(() => {
  exporter.reset();
});

afterAll(async () => {
  await server?.close();
  await provider.shutdown();
});

/** A real failure: the server's status, as grpc-js hands it to the client, mapped. */
async function mapped(method: "GetSandbox" | "StartSandbox", request: object) {
  const serviceError = await failingUnary(client, method, request);
  return { serviceError, error: fromGrpcStatus(serviceError, { operation: method }) };
}

/** Records `error` on a fresh span of the real SDK, ends it and returns what was exported. */
function exported(error: unknown, options?: { includeMetadata?: boolean }): ReadableSpan {
  const span = tracer.startSpan("sandbox.call");
  recordError(span, error, options);
  span.end();
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

function metadataKeys(attributes: object): string[] {
  return Object.keys(attributes).filter((key) => key.startsWith("sandbox.error.metadata."));
}

describe("recordError on a real span", () => {
  it("marks a NOT_FOUND failure from grpc-js as ERROR, records the exception and sets its attributes", async () => {
    const { error } = await mapped("GetSandbox", { sandboxId: "sb-1" });
    expect(error).toBeInstanceOf(SandboxNotFoundError);
    const span = exported(error);

    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message });
    expect(span.events.map((event) => event.name)).toEqual(["exception"]);
    expect(span.events[0]?.attributes).toMatchObject({
      "exception.type": "SandboxNotFoundError",
      "exception.message": error.message,
    });
    expect(span.attributes).toEqual({
      "error.type": "NOT_FOUND",
      "rpc.response.status_code": "NOT_FOUND",
      "rpc.grpc.status_code": grpc.status.NOT_FOUND,
      "sandbox.error.class": "SandboxNotFoundError",
      "sandbox.error.reason": Reason.SANDBOX_NOT_FOUND,
      "sandbox.error.domain": "cwsandbox.com",
      "sandbox.error.retryable": false,
      "sandbox.operation": "GetSandbox",
      "sandbox.request_id": "req-42",
    });
  });

  it("adds ErrorInfo metadata only when includeMetadata is set", async () => {
    const { error } = await mapped("GetSandbox", { sandboxId: "sb-2" });
    expect(metadataKeys(exported(error).attributes)).toEqual([]);
    exporter.reset();
    expect(metadataKeys(exported(error, { includeMetadata: false }).attributes)).toEqual([]);
    exporter.reset();
    const attributes = exported(error, { includeMetadata: true }).attributes;
    expect(attributes).toMatchObject({
      "sandbox.error.metadata.sandboxId": "sb-2",
      "sandbox.error.metadata.region": "eu-1",
    });
    expect(metadataKeys(attributes)).toHaveLength(2);
  });

  it("gives a retryable UNAVAILABLE its retry delay in milliseconds", async () => {
    const { error } = await mapped("StartSandbox", { image: "busy" });
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(exported(error).attributes).toMatchObject({
      "error.type": "UNAVAILABLE",
      "rpc.grpc.status_code": GrpcCode.UNAVAILABLE,
      "sandbox.error.retryable": true,
      "sandbox.error.reason": Reason.BACKEND_UNAVAILABLE,
      // RetryInfo said 1 s 250 000 000 ns.
      "sandbox.error.retry_delay_ms": 1_250,
    });
  });

  it("names an error raised on the client, without a gRPC code, by its class", () => {
    const error = new SandboxTerminatedError("sandbox sb-3 was terminated");
    const span = exported(error);
    expect(span.attributes).toEqual({
      "error.type": "SandboxTerminatedError",
      "sandbox.error.class": "SandboxTerminatedError",
      "sandbox.error.retryable": false,
    });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "sandbox sb-3 was terminated" });
  });

  it("gives an unmapped grpc-js ServiceError only its name as error.type", async () => {
    const { serviceError } = await mapped("GetSandbox", { sandboxId: "sb-4" });
    const span = exported(serviceError);
    expect(span.attributes).toEqual({ "error.type": serviceError.name });
    expect(span.status.message).toBe(serviceError.message);
    // The SDK names the exception by its `code` when there is one.
    expect(span.events[0]?.attributes?.["exception.type"]).toBe(String(grpc.status.NOT_FOUND));
  });

  it.each<[string, string, unknown, string | undefined]>([
    ["a TypeError", "TypeError", new TypeError("bad input"), "bad input"],
    ["a thrown string", "_OTHER", "boom", "boom"],
    ["a number", "_OTHER", 42, undefined],
    ["undefined", "_OTHER", undefined, undefined],
    ["an object with an empty name", "_OTHER", { name: "", message: "m" }, "m"],
    ["an object with a non-string name", "_OTHER", { name: 7 }, undefined],
  ])("records %s with error.type %s and nothing else", (_label, type, error, message) => {
    const span = exported(error);
    expect(span.attributes).toEqual({ "error.type": type });
    expect(span.status).toEqual(
      message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message },
    );
    // Every value leaves an exception event, primitives as text.
    expect(span.events.map((event) => event.name)).toEqual(["exception"]);
  });

  it("never throws when every span method throws, and still tries the others", () => {
    const called: string[] = [];
    const span: SpanLike = {
      setAttributes: () => {
        called.push("setAttributes");
        boom();
      },
      setStatus: () => {
        called.push("setStatus");
        boom();
      },
      recordException: () => {
        called.push("recordException");
        boom();
      },
    };
    expect(recordError(span, new SandboxTerminatedError("x"))).toBeUndefined();
    expect(called).toEqual(["setAttributes", "setStatus", "recordException", "recordException"]);
    expect(() => recordError(throwingProxy<SpanLike>(), "boom")).not.toThrow();
    expect(() => recordError(null as unknown as SpanLike, "boom")).not.toThrow();
  });

  it("records a hostile error on a real span: status ERROR, and the exception by its error.type", () => {
    const span = exported(throwingProxy());
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span.attributes).toEqual({ "error.type": "_OTHER" });
    expect(span.events[0]?.attributes?.["exception.message"]).toBe("_OTHER");
  });
});

describe("otelAttributes", () => {
  it("returns a frozen record", async () => {
    const { error } = await mapped("GetSandbox", { sandboxId: "sb-5" });
    const attributes = otelAttributes(error, { includeMetadata: true });
    expect(Object.isFrozen(attributes)).toBe(true);
    expect(Object.isFrozen(otelAttributes("boom"))).toBe(true);
  });

  it("recognises an error made by another copy of the package", async () => {
    // A second copy of the classes, bundled apart, as a second installed version would be.
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("../../src/presets/cwsandbox/errors.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "neutral",
      write: false,
      logLevel: "silent",
    });
    const code = (bundle.outputFiles[0] as { text: string }).text;
    const copy: typeof import("../../src/presets/cwsandbox/errors.js") = await import(
      `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`
    );
    const foreign = new copy.SandboxUnavailableError("busy", {
      grpcCode: 14,
      retryDelay: 500,
      requestId: "r",
    });
    // Not this copy's class: only the brand can recognise it.
    expect(Object.getPrototypeOf(foreign)).not.toBe(SandboxUnavailableError.prototype);
    expect(otelAttributes(foreign)).toEqual({
      "error.type": "UNAVAILABLE",
      "rpc.response.status_code": "UNAVAILABLE",
      "rpc.grpc.status_code": 14,
      "sandbox.error.class": "SandboxUnavailableError",
      "sandbox.error.retryable": true,
      "sandbox.error.retry_delay_ms": 500,
      "sandbox.request_id": "r",
    });
  });

  it("leaves out a field whose getter throws and keeps the rest", () => {
    const error = new SandboxNotFoundError("gone", { grpcCode: 5, reason: "R", requestId: "q" });
    Object.defineProperty(error, "reason", { get: boom });
    Object.defineProperty(error, "metadata", { get: boom });
    expect(otelAttributes(error, { includeMetadata: true })).toEqual({
      "error.type": "NOT_FOUND",
      "rpc.response.status_code": "NOT_FOUND",
      "rpc.grpc.status_code": 5,
      "sandbox.error.class": "SandboxNotFoundError",
      "sandbox.error.retryable": false,
      "sandbox.request_id": "q",
    });
  });

  it("skips a metadata entry that cannot be read, and survives metadata whose keys cannot be listed", () => {
    const error = new SandboxNotFoundError("gone", { metadata: { a: "1" } });
    const metadata = Object.defineProperty({ b: "2" }, "c", { get: boom, enumerable: true });
    Object.defineProperty(error, "metadata", { value: metadata });
    expect(metadataKeys(otelAttributes(error, { includeMetadata: true }))).toEqual([
      "sandbox.error.metadata.b",
    ]);
    Object.defineProperty(error, "metadata", { value: throwingProxy() });
    expect(otelAttributes(error, { includeMetadata: true })["error.type"]).toBe("SandboxNotFoundError");
  });

  it("treats a gRPC code outside the 17 as absent", () => {
    const error = new SandboxNotFoundError("gone", { grpcCode: 42 });
    const attributes = otelAttributes(error);
    expect(attributes["error.type"]).toBe("SandboxNotFoundError");
    expect(attributes).not.toHaveProperty("rpc.grpc.status_code");
    expect(attributes).not.toHaveProperty("rpc.response.status_code");
  });

  it("never throws on hostile values or options", () => {
    expect(otelAttributes(throwingProxy())).toEqual({ "error.type": "_OTHER" });
    expect(otelAttributes(Object.create(null))).toEqual({ "error.type": "_OTHER" });
    const { proxy, revoke } = Proxy.revocable(new TypeError("x"), {});
    revoke();
    expect(otelAttributes(proxy)).toEqual({ "error.type": "_OTHER" });
    const error = new SandboxTerminatedError("x");
    expect(otelAttributes(error, throwingProxy())).toEqual(otelAttributes(error));
  });
});
