import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { build } from "esbuild";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type FetchMappingContext,
  fromGrpcStatus,
  fromResponse,
  GrpcCode,
  type MappingContext,
  Reason,
  SandboxError,
  SandboxSdkError,
  SandboxUnavailableError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "../../src/index.js";
import { decodeGrpcWebText, percentDecode, readResponseFailure } from "../../src/roads/response.js";
import {
  encodeStatus,
  type StatusInit,
  toResponse,
  toServiceError,
  toStatusJson,
} from "../../src/testing/index.js";
import { fieldsOf } from "../support/fields.js";
import { throwingProxy } from "../support/hostile.js";
import { producibleClasses, roadCases } from "../support/roads/failures.js";
import { serviceError } from "../support/transport.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { type HttpServer, type ScriptedResponse, startHttpServer } from "../support/transports/http.js";

let server: HttpServer;

beforeAll(async () => {
  server = await startHttpServer({ status: 500 });
});
afterAll(async () => {
  await server?.close();
});

/** Has the loopback server send `scripted`, and fetches it for real. */
async function served(scripted: ScriptedResponse): Promise<Response> {
  server.respond = scripted;
  return fetch(`${server.url}/demo.sandbox.v1.SandboxService/GetSandbox`, { method: "POST" });
}

/** Sends what a `Response` holds (status line, headers, body) through the loopback server. */
async function throughServer(response: Response): Promise<Response> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const body = new Uint8Array(await response.arrayBuffer());
  return served({ status: response.status, statusText: response.statusText || undefined, headers, body });
}

/** A gRPC-web / Connect frame: the flag byte, the 4-byte big-endian length, the payload. */
function frame(flag: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const framed = new Uint8Array(5 + bytes.length);
  framed[0] = flag;
  new DataView(framed.buffer).setUint32(1, bytes.length);
  framed.set(bytes, 5);
  return framed;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unpadded = (bytes: Uint8Array) => base64(bytes).replace(/=+$/, "");

const DRAINING: StatusInit = {
  code: GrpcCode.UNAVAILABLE,
  message: "runner draining",
  details: [
    {
      type: "ErrorInfo",
      reason: Reason.RUNNER_SHARD_RETIRING,
      domain: "cwsandbox.com",
      metadata: { shard: "s-1" },
    },
    { type: "RetryInfo", retryDelay: 750 },
  ],
};

// ---------------------------------------------------------------------------------------------
// Round trips: every class, every protocol
// ---------------------------------------------------------------------------------------------

/** Every class fromGrpcStatus can produce, each in the scope and context that produces it. */
const PRODUCED = roadCases().map((road) => {
  const { code, message, details } = road.failure;
  const blob = encodeStatus({ code, message, details });
  const error = fromGrpcStatus(serviceError(code, message ?? "", blob), road.context);
  return { name: road.name, error, context: road.context, expectedClass: road.expectedClass };
});

const PROTOCOLS = [
  ["aip193", { protocol: "aip193" }],
  ["connect", { protocol: "connect" }],
  ["grpc-web, trailers-only", { protocol: "grpc-web" }],
  ["grpc-web, trailer frame", { protocol: "grpc-web", trailers: "body" }],
  ["grpc-web-text, trailer frame", { protocol: "grpc-web", trailers: "body", encoding: "text" }],
] as const;

/**
 * Details as a protocol carries them back: an Unknown detail that came as bytes comes back from an
 * AIP-193 body as the JSON it was written as (proto3 JSON has no bytes form for it), value empty.
 */
function asCarried(protocol: string, details: readonly StatusDetail[]): StatusDetail[] {
  return details.map((detail) =>
    protocol === "aip193" && detail.type === "Unknown" && detail.json === undefined
      ? {
          type: "Unknown",
          typeUrl: detail.typeUrl,
          value: new Uint8Array(0),
          json: { "@type": detail.typeUrl, value: base64(detail.value) },
        }
      : detail,
  );
}

describe("fromResponse(toResponse(error, { protocol }), context) maps as fromGrpcStatus(toServiceError(error), context)", () => {
  it("has an error of every class the catalogue can produce", () => {
    for (const { error, expectedClass, name } of PRODUCED) expect(error.name, name).toBe(expectedClass);
    expect(new Set(PRODUCED.map((p) => p.expectedClass))).toEqual(producibleClasses());
  });

  const cases = PROTOCOLS.flatMap(([label, options]) =>
    PRODUCED.map((p) => [label, p.name, options, p] as const),
  );

  it.each(cases)("%s: %s", async (_label, _name, options, { error, context }) => {
    const expected = fieldsOf(fromGrpcStatus(toServiceError(error), context));
    const expectation = { ...expected, details: asCarried(options.protocol, expected.details) };
    const response = toResponse(error, options);
    const direct = await fromResponse(response, context);
    expect(fieldsOf(direct)).toEqual(expectation);
    expect(direct.cause).toBe(response);
    // The same bytes through a real HTTP/1.1 server and fetch.
    const fetched = await throughServer(toResponse(error, options));
    expect(fieldsOf(await fromResponse(fetched, context))).toEqual(expectation);
  });
});

// ---------------------------------------------------------------------------------------------
// AIP-193 and Connect bodies, and the hints beside them
// ---------------------------------------------------------------------------------------------

describe("JSON error bodies over a real server", () => {
  const aip193 = (
    extra: Record<string, string> = {},
    status: StatusInit = { code: 14, message: "later" },
  ) => {
    const body = toStatusJson(status, { form: "aip193" });
    return served({
      status: body.error.code,
      headers: { "content-type": "application/json; charset=utf-8", ...extra },
      body: JSON.stringify(body),
    });
  };

  it("maps an AIP-193 body: the code from its status, {details} from its message", async () => {
    const error = await fromResponse(await aip193({}, DRAINING), { operation: "exec" });
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(error).toMatchObject({
      message: "Service unavailable: runner draining",
      grpcCode: GrpcCode.UNAVAILABLE,
      reason: Reason.RUNNER_SHARD_RETIRING,
      metadata: { shard: "s-1" },
      retryDelay: 750,
    });
  });

  it("takes retryDelay from Retry-After in seconds when the status has no RetryInfo", async () => {
    expect((await fromResponse(await aip193({ "retry-after": "120" }))).retryDelay).toBe(120_000);
  });

  it("takes retryDelay from a Retry-After HTTP-date: the time to it from Date.now()", async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const response = await aip193({ "retry-after": new Date(now + 30_000).toUTCString() });
    const clock = vi.spyOn(Date, "now").mockReturnValue(now);
    try {
      expect((await fromResponse(response)).retryDelay).toBe(30_000);
    } finally {
      clock.mockRestore();
    }
  });

  it("reads a Retry-After HTTP-date in the past as 0, and one in no known format as no hint", async () => {
    expect(
      (await fromResponse(await aip193({ "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" }))).retryDelay,
    ).toBe(0);
    expect((await fromResponse(await aip193({ "retry-after": "soon" }))).retryDelay).toBeUndefined();
    expect((await fromResponse(await aip193({ "retry-after": "-5" }))).retryDelay).toBeUndefined();
  });

  it("prefers grpc-retry-pushback-ms, then retry-after-ms, then Retry-After; a valid RetryInfo wins over all", async () => {
    const hints = { "retry-after": "9", "retry-after-ms": "1200", "grpc-retry-pushback-ms": "250" };
    expect((await fromResponse(await aip193(hints))).retryDelay).toBe(250);
    expect(
      (await fromResponse(await aip193({ "retry-after": "9", "retry-after-ms": "1200" }))).retryDelay,
    ).toBe(1200);
    expect((await fromResponse(await aip193(hints, DRAINING))).retryDelay).toBe(750);
  });

  it("maps a Connect unary error body, its details as bytes", async () => {
    const response = await served({
      status: 503,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(toStatusJson(DRAINING, { form: "connect" })),
    });
    const error = await fromResponse(response, { operation: "exec" });
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(error).toMatchObject({
      reason: Reason.RUNNER_SHARD_RETIRING,
      retryDelay: 750,
      message: "Service unavailable: runner draining",
    });
  });

  it("takes a Connect unary response's hints from its trailer- headers too, before its headers", async () => {
    const body = JSON.stringify(toStatusJson({ code: 14, message: "later" }, { form: "connect" }));
    const send = (headers: Record<string, string>) =>
      served({ status: 503, headers: { "content-type": "application/json", ...headers }, body });
    expect((await fromResponse(await send({ "trailer-grpc-retry-pushback-ms": "250" }))).retryDelay).toBe(
      250,
    );
    const both = await send({ "trailer-retry-after-ms": "400", "retry-after-ms": "900" });
    expect((await fromResponse(both)).retryDelay).toBe(400);
  });

  it("maps a Connect stream's end-stream message after its messages, hints from its metadata", async () => {
    const endStream = {
      error: { code: "unavailable", message: "draining" },
      metadata: { "grpc-retry-pushback-ms": ["300"] },
    };
    const response = await served({
      status: 200,
      headers: { "content-type": "application/connect+json" },
      body: [frame(0, '{"sandboxId":"sb-1"}'), frame(0x02, JSON.stringify(endStream))],
    });
    const error = await fromResponse(response, { operation: "watch" });
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(error).toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
      message: "Service unavailable: draining",
      retryDelay: 300,
    });
  });

  it("reads a Connect stream that ended without an error as a response that reported success", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/connect+json" },
      body: [frame(0, "{}"), frame(0x02, "{}")],
    });
    const error = await fromResponse(response);
    expect(error.grpcCode).toBe(GrpcCode.UNKNOWN);
    expect(error.message).toMatch(/reported success/);
  });

  it("falls back to the HTTP status for malformed JSON and for JSON of no error shape", async () => {
    for (const body of ['{"error": {"code": 503, "mess', '{"ok": false}', "[]", '{"error": "busy"}']) {
      const response = await served({
        status: 503,
        statusText: "Service Unavailable",
        headers: { "content-type": "application/json" },
        body,
      });
      const error = await fromResponse(response, { operation: "exec" });
      expect(error).toBeInstanceOf(SandboxUnavailableError);
      expect(error.message).toBe("Service unavailable: HTTP 503 Service Unavailable");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// gRPC-web
// ---------------------------------------------------------------------------------------------

describe("gRPC-web responses over a real server", () => {
  const blob = encodeStatus(DRAINING);
  const trailerBlock = (code: number, message: string) =>
    `grpc-status:${code}\r\ngrpc-message:${message}\r\n${STATUS_DETAILS_KEY}:${unpadded(blob)}\r\n`;

  it("reads a trailers-only response: the status in the headers", async () => {
    const response = await served({
      status: 200,
      headers: {
        "content-type": "application/grpc-web+proto",
        "grpc-status": "14",
        "grpc-message": "runner%20draining",
        [STATUS_DETAILS_KEY]: base64(blob),
      },
    });
    const error = await fromResponse(response, { operation: "exec" });
    expect(error).toMatchObject({
      grpcCode: 14,
      message: "Service unavailable: runner draining",
      retryDelay: 750,
    });
    expect(error.reason).toBe(Reason.RUNNER_SHARD_RETIRING);
  });

  it("reads the trailer frame after the message frames", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto" },
      body: [
        frame(0, new Uint8Array([10, 2, 104, 105])),
        frame(0, new Uint8Array(0)),
        frame(0x80, trailerBlock(14, "runner draining")),
      ],
    });
    const error = await fromResponse(response, { operation: "exec" });
    expect(error).toMatchObject({
      grpcCode: 14,
      message: "Service unavailable: runner draining",
      retryDelay: 750,
    });
  });

  it("reads a -text body of several base64 chunks, each padded on its own", async () => {
    const chunks = [frame(0, new Uint8Array([10, 1, 104])), frame(0x80, trailerBlock(14, "draining"))].map(
      base64,
    );
    expect(chunks[0]).toMatch(/=$/);
    const response = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web-text+proto" },
      body: chunks,
    });
    expect(await fromResponse(response)).toMatchObject({
      grpcCode: 14,
      retryDelay: 750,
      reason: Reason.RUNNER_SHARD_RETIRING,
    });
  });

  it("takes the headers' status over a trailer frame without one", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web", "grpc-status": "5", "grpc-message": "gone" },
      body: frame(0x80, ""),
    });
    expect(await fromResponse(response, { sandboxId: "sb-1" })).toMatchObject({
      name: "SandboxNotFoundError",
      grpcCode: 5,
    });
  });

  it("stops at a frame whose length runs past the end and uses what came before it", async () => {
    const lying = new Uint8Array([0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    const headersOnly = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto", "grpc-status": "14", "grpc-message": "x" },
      body: lying,
    });
    expect((await fromResponse(headersOnly)).grpcCode).toBe(14);
    // A trailer frame hidden behind the lying length is never reached: no status, HTTP 200.
    const hidden = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto" },
      body: [lying, frame(0x80, trailerBlock(14, "x"))],
    });
    expect((await fromResponse(hidden)).message).toMatch(/reported success/);
  });

  it("percent-decodes grpc-message and keeps an invalid percent-encoding as sent", async () => {
    for (const [sent, read] of [
      ["caf%C3%A9 100%25 %E2%9C%93", "café 100% ✓"],
      ["50%zz off %", "50%zz off %"],
      ["%E2%9C", "\uFFFD"],
    ]) {
      const response = await served({
        status: 200,
        headers: {
          "content-type": "application/grpc-web",
          "grpc-status": "13",
          "grpc-message": sent as string,
        },
      });
      expect((await fromResponse(response, { scope: "general" })).message).toBe(`operation failed: ${read}`);
    }
  });

  it("reads a grpc-status that is no code as UNKNOWN, and OK or none as the HTTP status says", async () => {
    const bogus = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web", "grpc-status": "99" },
    });
    expect((await fromResponse(bogus)).grpcCode).toBe(GrpcCode.UNKNOWN);
    const ok = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web", "grpc-status": "0" },
    });
    expect((await fromResponse(ok)).message).toMatch(/reported success/);
    const broken = await served({
      status: 503,
      statusText: "Service Unavailable",
      headers: { "content-type": "application/grpc-web" },
    });
    expect(await fromResponse(broken)).toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
      message: "Service unavailable: HTTP 503 Service Unavailable",
    });
  });

  it("reads repeated grpc-status-details-bin headers, which fetch joins with a comma", async () => {
    const plain = encodeStatus({ code: 14, message: "plain" });
    const response = await served({
      status: 200,
      headers: {
        "content-type": "application/grpc-web",
        "grpc-status": "14",
        [STATUS_DETAILS_KEY]: [base64(plain), base64(blob)],
      },
    });
    expect((await fromResponse(response)).retryDelay).toBe(750);
  });
});

// ---------------------------------------------------------------------------------------------
// Anything else, and success
// ---------------------------------------------------------------------------------------------

describe("responses that carry no status", () => {
  it("maps a proxy's HTML page by its HTTP status, as gRPC does", async () => {
    const cases: [number, string, GrpcCode][] = [
      [400, "Bad Request", GrpcCode.INTERNAL],
      [401, "Unauthorized", GrpcCode.UNAUTHENTICATED],
      [403, "Forbidden", GrpcCode.PERMISSION_DENIED],
      [404, "Not Found", GrpcCode.UNIMPLEMENTED],
      [429, "Too Many Requests", GrpcCode.UNAVAILABLE],
      [502, "Bad Gateway", GrpcCode.UNAVAILABLE],
      [503, "Service Unavailable", GrpcCode.UNAVAILABLE],
      [504, "Gateway Timeout", GrpcCode.UNAVAILABLE],
      [500, "Internal Server Error", GrpcCode.UNKNOWN],
    ];
    for (const [status, statusText, code] of cases) {
      const response = await served({
        status,
        statusText,
        headers: { "content-type": "text/html" },
        body: `<html><h1>${status}</h1></html>`,
      });
      const error = await fromResponse(response, { scope: "general" });
      expect(error.grpcCode, String(status)).toBe(code);
      expect(error.message).toContain(`HTTP ${status} ${statusText}`);
    }
  });

  it("maps an empty body the same way, and says just HTTP <status> without a status text", async () => {
    const empty = await served({ status: 404, statusText: "Not Found" });
    expect(await fromResponse(empty, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.UNIMPLEMENTED,
      message: "operation failed: HTTP 404 Not Found",
    });
    const bare = await fromResponse(new Response(null, { status: 502 }), { scope: "general" });
    expect(bare.message).toBe("Service unavailable: HTTP 502");
  });

  it("says a response that reported success carries no error, code UNKNOWN, and leaves its body alone", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"sandboxId":"sb-1"}',
    });
    const error = await fromResponse(response, { scope: "general" });
    expect(error.grpcCode).toBe(GrpcCode.UNKNOWN);
    expect(error.message).toBe(
      "operation failed: the response reported success (HTTP 200 OK), so it carries no error to read",
    );
    expect(response.bodyUsed).toBe(false);
    expect(error.cause).toBe(response);
  });
});

// ---------------------------------------------------------------------------------------------
// Bounded: limits, stalls, broken bodies
// ---------------------------------------------------------------------------------------------

describe("reading the body is bounded", () => {
  const jsonBody = JSON.stringify(toStatusJson(DRAINING, { form: "aip193" }));

  it("reads at most maxBodyBytes: a body past the limit is cut, and a cut JSON body is no JSON", async () => {
    const send = () =>
      served({
        status: 503,
        statusText: "Service Unavailable",
        headers: { "content-type": "application/json" },
        body: jsonBody,
      });
    expect((await fromResponse(await send(), { maxBodyBytes: jsonBody.length })).retryDelay).toBe(750);
    const cut = await fromResponse(await send(), { maxBodyBytes: jsonBody.length - 1 });
    expect(cut).toMatchObject({ grpcCode: GrpcCode.UNAVAILABLE, retryDelay: undefined, reason: undefined });
    expect(cut.message).toBe("Service unavailable: HTTP 503 Service Unavailable");
  });

  it("returns once the limit is reached from a body that never ends", async () => {
    const response = await served({
      status: 503,
      headers: { "content-type": "application/json" },
      body: ["{", " ".repeat(4096)],
      end: "never",
    });
    const error = await fromResponse(response, { maxBodyBytes: 1024 });
    expect(error.grpcCode).toBe(GrpcCode.UNAVAILABLE);
  });

  it("stops reading a body that stalls below the limit when the context's signal aborts", async () => {
    const response = await served({
      status: 200,
      headers: {
        "content-type": "application/grpc-web+proto",
        "grpc-status": "14",
        "grpc-message": "stalled",
      },
      body: [frame(0, new Uint8Array([1]))],
      end: "never",
    });
    const controller = new AbortController();
    const mapping = fromResponse(response, { signal: controller.signal, operation: "watch" });
    controller.abort();
    expect(await mapping).toMatchObject({ grpcCode: 14, message: "Service unavailable: stalled" });
  });

  it("keeps what was read before the abort", async () => {
    let pulls = 0;
    let secondPull!: () => void;
    const waiting = new Promise<void>((resolve) => {
      secondPull = resolve;
    });
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(frame(0x80, "grpc-status:14\r\ngrpc-message:stalled%20after%20this\r\n"));
        },
        pull() {
          // Asked for more once the trailer frame was taken: from here on, the body stalls.
          if (++pulls >= 1) secondPull();
          return new Promise<void>(() => {});
        },
      },
      { highWaterMark: 0 },
    );
    const controller = new AbortController();
    const response = new Response(stream, {
      status: 200,
      headers: { "content-type": "application/grpc-web" },
    });
    const mapping = fromResponse(response, { signal: controller.signal, operation: "watch" });
    await waiting;
    controller.abort();
    expect(await mapping).toMatchObject({ grpcCode: 14, message: "Service unavailable: stalled after this" });
  });

  it("reads nothing once the signal has aborted", async () => {
    const response = await served({
      status: 503,
      headers: { "content-type": "application/json" },
      body: jsonBody,
      end: "never",
    });
    expect(await fromResponse(response, { signal: AbortSignal.abort() })).toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
      retryDelay: undefined,
      reason: undefined,
    });
  });

  it("treats a body that fails mid-read (the server destroys the socket) as what was read", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto" },
      body: [frame(0, new Uint8Array([1, 2])), frame(0x80, "grpc-status:14\r\ngrpc-message:cut%20off\r\n")],
      end: "destroy",
    });
    const error = await fromResponse(response, { operation: "exec" });
    expect(error).toMatchObject({ grpcCode: 14, message: "Service unavailable: cut off" });
    const json = await served({
      status: 503,
      headers: { "content-type": "application/json" },
      body: jsonBody.slice(0, 20),
      end: "destroy",
    });
    expect((await fromResponse(json)).grpcCode).toBe(GrpcCode.UNAVAILABLE);
  });

  it("reads 1 MiB of a 50 MB body and cancels the rest: the server sees the connection closed early", async () => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    let finished = false;
    let closed!: Promise<void>;
    const big = http.createServer((_request, response) => {
      closed = new Promise((resolve) => response.on("close", resolve));
      response.writeHead(503, { "content-type": "application/json" });
      // Written as the client takes it (backpressure), so the server never holds the 50 MB either.
      const pump = () => {
        while (written < total && !response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
        if (!response.destroyed) {
          finished = true;
          response.end();
        }
      };
      pump();
    });
    await new Promise<void>((resolve) => big.listen(0, "127.0.0.1", resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(big.address() as AddressInfo).port}/`);
      const error = await fromResponse(response);
      expect(error.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      await closed;
      expect(finished).toBe(false);
      expect(written).toBeLessThan(total);
    } finally {
      big.closeAllConnections();
      await new Promise((resolve) => big.close(resolve));
    }
  });

  it("pulls no more than the limit from a 50 MB stream, and cancels it", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let pulled = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled += chunk.length;
          controller.enqueue(chunk);
          if (pulled >= 50 * 1024 * 1024) controller.close();
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const error = await fromResponse(
      new Response(stream, { status: 502, headers: { "content-type": "application/json" } }),
    );
    expect(error.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    expect(pulled).toBeLessThanOrEqual(1024 * 1024 + chunk.length);
    expect(cancelled).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Never rejects; the stack; the pieces
// ---------------------------------------------------------------------------------------------

describe("fromResponse never rejects", () => {
  it("maps what is not a Response at all", async () => {
    for (const value of [undefined, null, {}, "HTTP 500", throwingProxy()]) {
      const error = await fromResponse(value as unknown as Response);
      expect(error).toBeInstanceOf(SandboxError);
      expect(error.cause).toBe(value);
    }
  });

  it("maps a body that errors at once, and one that yields chunks that are not bytes", async () => {
    const failing = new ReadableStream({
      start(controller) {
        controller.error(new Error("reset"));
      },
    });
    expect((await fromResponse(new Response(failing, { status: 503 }))).grpcCode).toBe(GrpcCode.UNAVAILABLE);
    const strings = new ReadableStream({
      start(controller) {
        controller.enqueue("not bytes");
        controller.close();
      },
    });
    const response = new Response(null, { status: 503 });
    Object.defineProperty(response, "body", { value: strings });
    expect((await fromResponse(response)).grpcCode).toBe(GrpcCode.UNAVAILABLE);
  });

  it("maps a response whose body was already read by its headers alone", async () => {
    const response = toResponse(DRAINING, { protocol: "grpc-web" });
    await response.arrayBuffer();
    expect(await fromResponse(response)).toMatchObject({ grpcCode: 14, retryDelay: 750 });
    const json = toResponse(DRAINING, { protocol: "aip193" });
    await json.text();
    expect(await fromResponse(json)).toMatchObject({ grpcCode: GrpcCode.UNAVAILABLE, reason: undefined });
  });

  it("resolves for any status, content type, headers and body (property)", async () => {
    const contentTypes = [
      "application/json",
      "application/grpc-web",
      "application/grpc-web-text",
      "application/connect+json",
      "text/html",
      "",
    ];
    await fc.assert(
      fc.asyncProperty(
        // Not 204, 205 or 304: a Response of those statuses can have no body at all.
        fc.integer({ min: 200, max: 599 }).filter((status) => ![204, 205, 304].includes(status)),
        fc.constantFrom(...contentTypes),
        fc.record(
          {
            "grpc-status": fc.string(),
            "grpc-message": fc.string(),
            [STATUS_DETAILS_KEY]: fc.base64String(),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.json().map((text) => new TextEncoder().encode(text)),
        ),
        async (status, type, grpc, body) => {
          const headers = new Headers({ "content-type": type });
          for (const [key, value] of Object.entries(grpc)) {
            try {
              headers.set(key, value);
            } catch {
              // Not a valid header value: fetch would never hand it over.
            }
          }
          const error = await fromResponse(new Response(body, { status, headers }), { maxBodyBytes: 48 });
          expect(error).toBeInstanceOf(SandboxSdkError);
          expect(error.grpcCode).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the error's stack", () => {
  it("starts at the caller's await, as fromGrpcStatus's starts at its caller", async () => {
    async function callerOfFromResponse(): Promise<SandboxSdkError> {
      return await fromResponse(toResponse(DRAINING, { protocol: "grpc-web" }));
    }
    const error = await callerOfFromResponse();
    const frames = (error.stack as string).split("\n");
    expect(frames[0]).toBe(`SandboxUnavailableError: ${error.message}`);
    expect(frames[1]).toMatch(/callerOfFromResponse/);
    expect(error.stack).not.toMatch(/src[\\/]response\.ts/);
  });
});

describe("the pieces", () => {
  it("decodes -text bodies cut short by the limit to their whole quantums", () => {
    const text = new TextEncoder().encode(
      `${base64(new Uint8Array([1, 2, 3]))}${base64(new Uint8Array([4, 5, 6, 7, 8, 9]))}`.slice(0, 9),
    );
    expect(decodeGrpcWebText(text)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(decodeGrpcWebText(new TextEncoder().encode("AQ==Ag==Aw"))).toEqual(new Uint8Array([1, 2, 3]));
    expect(decodeGrpcWebText(new TextEncoder().encode("!!!!"))).toEqual(new Uint8Array(0));
  });

  it("percent-decodes bytes of UTF-8 and passes plain text through", () => {
    expect(percentDecode("plain text")).toBe("plain text");
    expect(percentDecode("%41%62%c3%a9")).toBe("Abé");
    expect(percentDecode("100%")).toBe("100%");
    expect(percentDecode("%4")).toBe("%4");
  });
});

// ---------------------------------------------------------------------------------------------
// JSON bodies that name no valid code, REST bodies, and what every Failure carries
// ---------------------------------------------------------------------------------------------

/** Has the loopback server answer `status` with a JSON `body`, and fetches it. */
function servedJson(status: number, body: unknown, statusText?: string): Promise<Response> {
  return served({
    status,
    statusText,
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("a JSON body whose code is missing, invalid or OK, on a response that failed", () => {
  it("takes the code from the HTTP status, as gRPC maps it, and keeps the body's message (connect-es's fallback)", async () => {
    const cases: [number, unknown, GrpcCode][] = [
      [429, { code: "wrong code", message: "Not permitted" }, GrpcCode.UNAVAILABLE],
      [503, { code: "ok", message: "Not permitted" }, GrpcCode.UNAVAILABLE],
      [400, { code: 0, message: "Not permitted" }, GrpcCode.INTERNAL],
      [403, { message: "Not permitted" }, GrpcCode.PERMISSION_DENIED],
      [404, { code: 99, message: "Not permitted" }, GrpcCode.UNIMPLEMENTED],
      [500, { code: null, message: "Not permitted" }, GrpcCode.UNKNOWN],
    ];
    for (const [status, body, code] of cases) {
      const error = await fromResponse(await servedJson(status, body), { scope: "general" });
      expect(error.grpcCode, JSON.stringify(body)).toBe(code);
      expect(error.message).toContain("Not permitted");
      expect(error.message).not.toContain(`HTTP ${status}`);
    }
  });

  it("gives an AIP-193 body whose status is OK, or names no code, the HTTP status through google-gax's table", async () => {
    const ok = await servedJson(400, { error: { code: 400, status: "OK", message: "bad" } });
    expect(await fromResponse(ok, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      message: "operation failed: bad",
    });
    const none = await servedJson(404, { error: { message: "no such thing" } });
    expect(await fromResponse(none, { sandboxId: "sb-1" })).toMatchObject({
      name: "SandboxNotFoundError",
      grpcCode: GrpcCode.NOT_FOUND,
    });
    const bogus = await servedJson(429, { error: { status: "BOGUS", message: "slow" } });
    expect((await fromResponse(bogus)).grpcCode).toBe(GrpcCode.RESOURCE_EXHAUSTED);
  });

  it("keeps the body's details, and says HTTP <status> <statusText> for a body without a message", async () => {
    const body = { code: "bogus", details: toStatusJson(DRAINING, { form: "connect" }).details };
    const error = await fromResponse(await servedJson(503, body, "Service Unavailable"), {
      operation: "exec",
    });
    expect(error).toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
      reason: Reason.RUNNER_SHARD_RETIRING,
      retryDelay: 750,
      message: "Service unavailable: HTTP 503 Service Unavailable",
    });
    const empty = await fromResponse(await servedJson(502, {}, "Bad Gateway"), { scope: "general" });
    expect(empty.message).toBe("Service unavailable: HTTP 502 Bad Gateway");
  });

  it("keeps what it can of a body whose message or details have the wrong type", async () => {
    const wrongMessage = await servedJson(
      503,
      { code: "unavailable", message: { text: "x" } },
      "Service Unavailable",
    );
    expect(await fromResponse(wrongMessage, { operation: "exec" })).toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
      message: "Service unavailable: UNAVAILABLE",
    });
    const wrongDetails = await servedJson(404, { code: "not_found", message: "gone", details: "none" });
    expect(await fromResponse(wrongDetails, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.NOT_FOUND,
      message: "operation failed: gone",
      details: [],
    });
  });

  it("reads a body that names its code but no message as every road does: the code's name", async () => {
    const error = await fromResponse(await servedJson(403, { code: "permission_denied" }, "Forbidden"));
    expect(error).toMatchObject({
      grpcCode: GrpcCode.PERMISSION_DENIED,
      message: "Permission denied: PERMISSION_DENIED",
    });
    // SPEC §5: an empty server message reads as the code's name, not as the HTTP status line.
    expect(error.message).not.toContain("HTTP 403");
  });

  it("gives what a real connect-es client of the same server gives (connect-web over fetch)", async () => {
    const bodies: [number, unknown][] = [
      [429, { code: "wrong code", message: "Not permitted" }],
      [503, { code: "ok", message: "Not permitted" }],
      [403, { message: "Not permitted" }],
      [404, { code: "not_found", message: "gone" }],
    ];
    const client = createClient(SandboxService, createConnectTransport({ baseUrl: server.url }));
    for (const [status, body] of bodies) {
      server.respond = {
        status,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      };
      const thrown = await client.getSandbox({ sandboxId: "sb-1" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(thrown).toBeInstanceOf(ConnectError);
      const viaConnect = fromGrpcStatus(thrown, { operation: "GetSandbox" });
      const viaFetch = await fromResponse(await servedJson(status, body), { operation: "GetSandbox" });
      expect(viaFetch.name, JSON.stringify(body)).toBe(viaConnect.name);
      expect(viaFetch.grpcCode).toBe(viaConnect.grpcCode);
      expect(viaFetch.message).toBe(viaConnect.message);
    }
  });
});

describe("REST error bodies (E2B, NestJS, Daytona)", () => {
  it("maps E2B's 404 { code: 404, message } to NOT_FOUND with its message", async () => {
    const response = await servedJson(404, { code: 404, message: "Sandbox not found" }, "Not Found");
    const error = await fromResponse(response, { scope: "general" });
    expect(error).toMatchObject({
      grpcCode: GrpcCode.NOT_FOUND,
      message: "operation failed: Sandbox not found",
    });
  });

  it.each([
    [404, { code: 404, message: "Sandbox not found" }, GrpcCode.NOT_FOUND, "Sandbox not found"],
    [
      400,
      { statusCode: 400, error: "Bad Request", message: ["image must be a string", "cpu must be positive"] },
      GrpcCode.INVALID_ARGUMENT,
      "image must be a string, cpu must be positive",
    ],
    [
      404,
      { statusCode: 404, code: "Not Found", message: "Sandbox sb-1 not found", errorCode: "NOT_FOUND" },
      GrpcCode.NOT_FOUND,
      "Sandbox sb-1 not found",
    ],
    [429, { status: 429, message: "rate limited" }, GrpcCode.RESOURCE_EXHAUSTED, "rate limited"],
    [502, { statusCode: 502, message: "upstream" }, GrpcCode.INTERNAL, "upstream"],
    [409, { code: 409, message: "exists" }, GrpcCode.ABORTED, "exists"],
  ] as const)("HTTP %i %j", async (status, body, code, message) => {
    const failure = await readResponseFailure(await servedJson(status, body));
    expect(failure).toMatchObject({ code, rawMessage: message, httpStatus: status });
    expect(failure.body).toEqual(body);
    expect((await fromResponse(await servedJson(status, body), { scope: "general" })).message).toBe(
      `operation failed: ${message}`,
    );
  });

  it("says HTTP <status> <statusText> for a REST body without a message, the code from the status it names", async () => {
    const response = await servedJson(404, { statusCode: 404, error: "Not Found" }, "Not Found");
    expect(await fromResponse(response, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.NOT_FOUND,
      message: "operation failed: HTTP 404 Not Found",
    });
  });

  it("gives no body for the gRPC statuses' own JSON forms, and the body for a REST one", async () => {
    const aip193 = await readResponseFailure(toResponse(DRAINING, { protocol: "aip193" }));
    const connect = await readResponseFailure(toResponse(DRAINING, { protocol: "connect" }));
    expect(aip193.body).toBeUndefined();
    expect(connect.body).toBeUndefined();
    const rest = await readResponseFailure(new Response('{"code":404,"message":"x"}', { status: 404 }));
    expect(rest.body).toEqual({ code: 404, message: "x" });
  });
});

describe("every Failure that fromResponse reads carries the response's HTTP status", () => {
  it.each([
    ["AIP-193", () => toResponse(DRAINING, { protocol: "aip193" }), 503],
    ["Connect", () => toResponse(DRAINING, { protocol: "connect" }), 503],
    ["gRPC-web, trailers-only", () => toResponse(DRAINING, { protocol: "grpc-web" }), 200],
    ["gRPC-web, trailer frame", () => toResponse(DRAINING, { protocol: "grpc-web", trailers: "body" }), 200],
    ["a REST body", () => new Response('{"statusCode":404}', { status: 404 }), 404],
    ["a codeless body", () => new Response('{"message":"x"}', { status: 429 }), 429],
    ["an HTML page", () => new Response("<h1>502</h1>", { status: 502 }), 502],
    ["a success", () => new Response("{}", { status: 200 }), 200],
    [
      "a gRPC-web body without trailers",
      () => new Response(frame(0, "x"), { status: 200, headers: { "content-type": "application/grpc-web" } }),
      200,
    ],
    [
      "a Connect stream",
      () =>
        new Response(frame(2, '{"error":{"code":"internal"}}'), {
          status: 200,
          headers: { "content-type": "application/connect+json" },
        }),
      200,
    ],
    [
      "a gRPC-web error status on an HTTP error",
      () =>
        new Response(null, {
          status: 401,
          headers: { "content-type": "application/grpc-web", "grpc-status": "8" },
        }),
      401,
    ],
  ] as const)("%s", async (_what, make, status) => {
    expect((await readResponseFailure(make())).httpStatus).toBe(status);
    // And through a real server and fetch.
    expect((await readResponseFailure(await throughServer(make()))).httpStatus).toBe(status);
  });
});

// ---------------------------------------------------------------------------------------------
// Ported from connect-es's response validation, trailer status and end-stream tests
// ---------------------------------------------------------------------------------------------

describe("the cases of connect-es's own reader tests", () => {
  it("reads grpc-status on any 2xx gRPC-web response as in protocol (validate-response)", async () => {
    for (let status = 200; status < 300; status++) {
      const response = new Response(null, {
        status,
        headers: {
          "content-type": "application/grpc-web",
          "grpc-status": "8",
          "grpc-message": "out of space",
        },
      });
      expect(await fromResponse(response, { scope: "general" }), String(status)).toMatchObject({
        grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
        message: "operation failed: out of space",
      });
    }
  });

  it("honours the HTTP error code of a gRPC-web response without grpc-status: 429 is UNAVAILABLE, HTTP 429", async () => {
    const response = await served({
      status: 429,
      statusText: "",
      headers: { "content-type": "application/grpc-web" },
    });
    expect(await fromResponse(response, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.UNAVAILABLE,
      message: expect.stringContaining("HTTP 429"),
    });
  });

  it("reads a Connect unary error with a binary body, or a JSON one without a body, by its HTTP status: 400 is INTERNAL", async () => {
    for (const type of ["application/proto", "application/json"]) {
      const response = await served({ status: 400, statusText: "", headers: { "content-type": type } });
      expect(await fromResponse(response, { scope: "general" }), type).toMatchObject({
        grpcCode: GrpcCode.INTERNAL,
        message: expect.stringMatching(/^operation failed: HTTP 400\b/),
      });
    }
  });

  it("percent-decodes grpc-message as connect-es's trailer-status test writes it", async () => {
    const response = await served({
      status: 200,
      headers: {
        "content-type": "application/grpc-web",
        "grpc-status": "8",
        "grpc-message": "soir%C3%A9e%20%F0%9F%8E%89",
      },
    });
    expect((await fromResponse(response, { scope: "general" })).message).toBe("operation failed: soirée 🎉");
  });

  it("reads an end-stream message's error and its metadata (end-stream)", async () => {
    const endStream = {
      error: { code: "resource_exhausted", message: "my bad" },
      metadata: { foo: ["baz", "bar"], "retry-after-ms": ["40"] },
    };
    const response = await served({
      status: 200,
      headers: { "content-type": "application/connect+json" },
      body: frame(0x02, JSON.stringify(endStream)),
    });
    expect(await fromResponse(response, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
      message: "operation failed: my bad",
      retryDelay: 40,
    });
  });

  it("says the status could not be read for a malformed end-stream message, never that the stream succeeded", async () => {
    for (const payload of [
      '{"metadata": false}',
      '{"metadata": {"foo": "bar"}}',
      '{"error": "bad"}',
      "[]",
      "not json",
    ]) {
      const response = await served({
        status: 200,
        headers: { "content-type": "application/connect+json" },
        body: frame(0x02, payload),
      });
      const error = await fromResponse(response, { scope: "general" });
      expect(error.grpcCode, payload).toBe(GrpcCode.UNKNOWN);
      expect(error.message).toMatch(/status could not be read .*malformed/);
    }
  });

  it("takes an end-stream error whose code is invalid as UNKNOWN with its message (connect-es's parse fallback)", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/connect+json" },
      body: frame(0x02, '{"error": {"code": "wrong code", "message": "my bad"}}'),
    });
    expect(await fromResponse(response, { scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.UNKNOWN,
      message: "operation failed: my bad",
    });
  });
});

// ---------------------------------------------------------------------------------------------
// maxBodyBytes, and trailers past it
// ---------------------------------------------------------------------------------------------

describe("maxBodyBytes must be a positive finite number", () => {
  it.each([Infinity, -Infinity, Number.NaN, 0, -1, "1024", null, true])(
    "rejects %s with a RangeError, reading nothing",
    async (limit) => {
      const response = toResponse(DRAINING, { protocol: "aip193" });
      const mapping = fromResponse(response, { maxBodyBytes: limit as number });
      await expect(mapping).rejects.toThrow(RangeError);
      await expect(mapping).rejects.toThrow(/maxBodyBytes must be a positive finite number/);
      expect(response.bodyUsed).toBe(false);
    },
  );

  it.each([
    [{ limit: 1024 }, "an object"],
    ["1024", "a string"],
    [-1, "-1"],
    [null, "null"],
  ])("says what it got instead: %j is %s", async (limit, shown) => {
    const mapping = fromResponse(toResponse(DRAINING, { protocol: "aip193" }), {
      maxBodyBytes: limit as number,
    });
    await expect(mapping).rejects.toThrow(new RegExp(`, got ${shown}$`));
  });

  it("takes any positive finite number, a fraction as whole bytes, and no limit at all as the default", async () => {
    const body = JSON.stringify(toStatusJson(DRAINING, { form: "aip193" }));
    const response = () =>
      new Response(body, { status: 503, headers: { "content-type": "application/json" } });
    expect((await fromResponse(response(), { maxBodyBytes: body.length - 0.5 })).retryDelay).toBe(750);
    expect((await fromResponse(response(), { maxBodyBytes: 0.5 })).retryDelay).toBeUndefined();
    expect((await fromResponse(response(), { maxBodyBytes: undefined })).retryDelay).toBe(750);
    expect((await fromResponse(response(), {})).retryDelay).toBe(750);
  });

  it("never rejects for a context whose maxBodyBytes cannot be read: the default stands", async () => {
    const context = Object.defineProperty({}, "maxBodyBytes", {
      get: () => {
        throw new Error("hostile");
      },
    });
    expect((await fromResponse(toResponse(DRAINING, { protocol: "aip193" }), context)).retryDelay).toBe(750);
  });
});

describe("a stream whose trailers were never read says its status could not be read", () => {
  const blob = encodeStatus(DRAINING);
  const trailers = `grpc-status:14\r\ngrpc-message:draining\r\n${STATUS_DETAILS_KEY}:${unpadded(blob)}\r\n`;
  const body = [frame(0, new Uint8Array(64)), frame(0x80, trailers)];
  const length = body.reduce((sum, part) => sum + part.length, 0);

  it("gRPC-web, binary and -text: a trailer frame past maxBodyBytes", async () => {
    for (const text of [false, true]) {
      const parts = text ? body.map((part) => new TextEncoder().encode(base64(part))) : body;
      const size = parts.reduce((sum, part) => sum + part.length, 0);
      const send = () =>
        served({
          status: 200,
          headers: { "content-type": text ? "application/grpc-web-text" : "application/grpc-web+proto" },
          body: parts,
        });
      expect((await fromResponse(await send(), { maxBodyBytes: size })).retryDelay).toBe(750);
      const cut = await fromResponse(await send(), { maxBodyBytes: size - 10 });
      expect(cut.grpcCode).toBe(GrpcCode.UNKNOWN);
      expect(cut.message).toContain(
        `the status could not be read (HTTP 200 OK): the body was cut short at the read limit (maxBodyBytes: ${size - 10}) before its trailers`,
      );
      expect(cut.message).not.toMatch(/reported success/);
    }
  });

  it("a Connect stream whose end-stream message lies past maxBodyBytes", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/connect+json" },
      body: [frame(0, "{}"), frame(0x02, JSON.stringify({ error: { code: "unavailable", message: "x" } }))],
    });
    const error = await fromResponse(response, { maxBodyBytes: 8 });
    expect(error.grpcCode).toBe(GrpcCode.UNKNOWN);
    expect(error.message).toMatch(
      /status could not be read .* cut short at the read limit \(maxBodyBytes: 8\)/,
    );
  });

  it("a body that broke off before its trailers, and one the signal stopped", async () => {
    const broken = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto" },
      body: [body[0] as Uint8Array],
      end: "destroy",
    });
    expect((await fromResponse(broken)).message).toMatch(
      /status could not be read .* broke off before its trailers/,
    );
    const stalled = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto" },
      body: [body[0] as Uint8Array],
      end: "never",
    });
    const controller = new AbortController();
    const mapping = fromResponse(stalled, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect((await mapping).message).toMatch(/status could not be read .*\(the signal aborted\)/);
  });

  it("still reads the status in the headers of a response whose body was cut", async () => {
    const response = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto", "grpc-status": "5", "grpc-message": "gone" },
      body,
    });
    expect(await fromResponse(response, { maxBodyBytes: length - 10, scope: "general" })).toMatchObject({
      grpcCode: GrpcCode.NOT_FOUND,
      message: "operation failed: gone",
    });
  });

  it("still says a complete stream without an error status reported success", async () => {
    const ok = await served({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto" },
      body: [frame(0, new Uint8Array(3)), frame(0x80, "grpc-status:0\r\n")],
    });
    expect((await fromResponse(ok, { maxBodyBytes: 1024 })).message).toMatch(/reported success/);
  });
});

// ---------------------------------------------------------------------------------------------
// Portable: no Node API on the way
// ---------------------------------------------------------------------------------------------

describe("in a context without Node globals", () => {
  it("fromResponse, parseStatusJson, toStatusJson and toResponse run on web globals alone", async () => {
    const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
    const bundle = await build({
      stdin: {
        contents: `
          import { fromResponse, parseStatusJson } from "sandbox-sdk-errors";
          import { toResponse, toStatusJson } from "sandbox-sdk-errors/testing";
          globalThis.run = async () => {
            const status = { code: 14, message: "draining ✓", details: [{ type: "RetryInfo", retryDelay: 750 }] };
            const results = [];
            for (const protocol of ["aip193", "connect", "grpc-web"]) {
              const error = await fromResponse(toResponse(status, { protocol }));
              results.push([error.name, error.grpcCode, error.retryDelay]);
            }
            results.push(parseStatusJson(JSON.stringify(toStatusJson(status, { form: "connect" }))).retryDelay);
            return JSON.stringify(results);
          };`,
        resolveDir: source("."),
        loader: "ts",
      },
      alias: {
        "sandbox-sdk-errors/testing": source("../../src/testing/index.ts"),
        "sandbox-sdk-errors": source("../../src/index.ts"),
      },
      bundle: true,
      format: "iife",
      platform: "neutral",
      write: false,
      logLevel: "silent",
    });
    const context = vm.createContext({
      TextEncoder,
      TextDecoder,
      Headers,
      Response,
      ReadableStream,
      AbortController,
      AbortSignal,
      DOMException,
      console,
    });
    vm.runInContext((bundle.outputFiles[0] as { text: string }).text, context);
    expect(vm.runInContext("typeof process + typeof Buffer + typeof require", context)).toBe(
      "undefinedundefinedundefined",
    );
    const results = JSON.parse(await (vm.runInContext("run()", context) as Promise<string>));
    expect(results).toEqual([
      ["SandboxUnavailableError", 14, 750],
      ["SandboxUnavailableError", 14, 750],
      ["SandboxUnavailableError", 14, 750],
      750,
    ]);
  });
});

// Keep the types honest: the context of fromResponse is a MappingContext with the body limit.
const fetchContext: FetchMappingContext = { operation: "exec", maxBodyBytes: 1024 };
const mappingContext: MappingContext = fetchContext;
void mappingContext;
