import { Metadata } from "@grpc/grpc-js";
import type { RpcError } from "@protobuf-ts/runtime-rpc";
import { describe, expect, it } from "vitest";
import { parseStatusDetails, STATUS_DETAILS_KEY, type StatusDetail } from "../../src/wire/status-details.js";
import {
  badRequest,
  encodeMessage,
  encodeStatusBlob,
  errorInfo,
  requestInfo,
  retryInfo,
} from "../support/encoder.js";
import { boom, throwingProxy } from "../support/hostile.js";
import { startGrpcJsServer } from "../support/transports/grpc-js.js";
import { protobufTsClients } from "../support/transports/protobuf-ts.js";
import { failWith } from "../support/transports/script.js";
import { summarise, vectors } from "../support/vectors.js";

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

describe("golden vectors (encoded by the reference Python runtime)", () => {
  it("has vectors to run", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(30);
  });

  it.each(vectors.map((v) => [v.name, v] as const))("%s", (_name, vector) => {
    expect(summarise(parseStatusDetails(hex(vector.hex)))).toEqual(vector.expect);
  });

  it("gives the same result from bytes, base64, URL-safe base64 without padding, and Metadata", () => {
    for (const vector of vectors) {
      const bytes = Buffer.from(vector.hex, "hex");
      const fromBytes = parseStatusDetails(bytes);
      const metadata = new Metadata();
      if (bytes.length > 0) metadata.set(STATUS_DETAILS_KEY, bytes);
      const urlSafe = bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      expect(parseStatusDetails(bytes.toString("base64")), vector.name).toEqual(fromBytes);
      expect(parseStatusDetails(urlSafe), vector.name).toEqual(fromBytes);
      expect(parseStatusDetails(metadata), vector.name).toEqual(fromBytes);
      expect(parseStatusDetails([bytes]), vector.name).toEqual(fromBytes);
    }
  });
});

describe("every google.rpc detail type, encoded by protobufjs", () => {
  const cases: [string, Record<string, unknown>, StatusDetail][] = [
    [
      "ErrorInfo",
      { reason: "R", domain: "d.example", metadata: { a: "1", "b c": "2" } },
      { type: "ErrorInfo", reason: "R", domain: "d.example", metadata: { a: "1", "b c": "2" } },
    ],
    [
      "RetryInfo",
      { retry_delay: { seconds: 2, nanos: 250_000_000 } },
      { type: "RetryInfo", retryDelay: 2250 },
    ],
    ["RetryInfo", {}, { type: "RetryInfo" }],
    [
      "DebugInfo",
      { stack_entries: ["a.go:1", "b.go:2"], detail: "nil pointer" },
      { type: "DebugInfo", stackEntries: ["a.go:1", "b.go:2"], detail: "nil pointer" },
    ],
    [
      "QuotaFailure",
      {
        violations: [
          {
            subject: "project:1",
            description: "too many",
            api_service: "svc",
            quota_metric: "m",
            quota_id: "q",
            quota_dimensions: { region: "eu" },
            quota_value: 7,
            future_quota_value: 9,
          },
          { subject: "s2" },
        ],
      },
      {
        type: "QuotaFailure",
        violations: [
          {
            subject: "project:1",
            description: "too many",
            apiService: "svc",
            quotaMetric: "m",
            quotaId: "q",
            quotaDimensions: { region: "eu" },
            quotaValue: 7,
            futureQuotaValue: 9,
          },
          {
            subject: "s2",
            description: "",
            apiService: "",
            quotaMetric: "",
            quotaId: "",
            quotaDimensions: {},
            quotaValue: 0,
          },
        ],
      },
    ],
    [
      "PreconditionFailure",
      { violations: [{ type: "TOS", subject: "user", description: "accept" }] },
      { type: "PreconditionFailure", violations: [{ type: "TOS", subject: "user", description: "accept" }] },
    ],
    [
      "BadRequest",
      {
        field_violations: [
          { field: "f", description: "d", reason: "R", localized_message: { locale: "fr", message: "m" } },
          { field: "g" },
        ],
      },
      {
        type: "BadRequest",
        fieldViolations: [
          { field: "f", description: "d", reason: "R", localizedMessage: { locale: "fr", message: "m" } },
          { field: "g", description: "", reason: "" },
        ],
      },
    ],
    [
      "RequestInfo",
      { request_id: "req-1", serving_data: "pod" },
      { type: "RequestInfo", requestId: "req-1", servingData: "pod" },
    ],
    [
      "ResourceInfo",
      { resource_type: "sandbox", resource_name: "sb", owner: "me", description: "gone" },
      { type: "ResourceInfo", resourceType: "sandbox", resourceName: "sb", owner: "me", description: "gone" },
    ],
    [
      "Help",
      { links: [{ description: "docs", url: "https://example.com" }] },
      { type: "Help", links: [{ description: "docs", url: "https://example.com" }] },
    ],
    [
      "LocalizedMessage",
      { locale: "de", message: "Hallo" },
      { type: "LocalizedMessage", locale: "de", message: "Hallo" },
    ],
  ];

  it.each(cases)("%s %j", (type, fields, expected) => {
    const parsed = parseStatusDetails(encodeStatusBlob(3, "m", [{ type, fields }]));
    expect(parsed?.details).toEqual([expected]);
  });

  it("decodes an empty known detail to its proto3 defaults", () => {
    const parsed = parseStatusDetails(encodeStatusBlob(2, "", [{ type: "ErrorInfo", fields: {} }]));
    expect(parsed?.details).toEqual([{ type: "ErrorInfo", reason: "", domain: "", metadata: {} }]);
  });

  it("makes map fields null-prototype and keeps an absent optional field absent", () => {
    const parsed = parseStatusDetails(
      encodeStatusBlob(8, "", [{ type: "QuotaFailure", fields: { violations: [{ quota_value: 1 }] } }]),
    );
    const detail = parsed?.details[0];
    if (detail?.type !== "QuotaFailure") throw new Error("expected a QuotaFailure");
    const violation = detail.violations[0]!;
    expect(Object.getPrototypeOf(violation.quotaDimensions)).toBeNull();
    expect("futureQuotaValue" in violation).toBe(false);
  });

  it("keeps a zero future_quota_value that was sent", () => {
    const parsed = parseStatusDetails(
      encodeStatusBlob(8, "", [
        { type: "QuotaFailure", fields: { violations: [{ future_quota_value: 0 }] } },
      ]),
    );
    const detail = parsed?.details[0];
    if (detail?.type !== "QuotaFailure") throw new Error("expected a QuotaFailure");
    expect(detail.violations[0]?.futureQuotaValue).toBe(0);
  });
});

describe("promotion", () => {
  it("promotes reason, domain, metadata, retryDelay, violations and requestId", () => {
    const parsed = parseStatusDetails(
      encodeStatusBlob(3, "bad", [
        errorInfo("CWSANDBOX_INVALID_REQUEST", "cwsandbox.com", { k: "v" }),
        retryInfo(0, 5_000_000),
        badRequest({ field: "a", description: "x" }),
        requestInfo("r-1"),
        badRequest({ field: "b", description: "y" }),
      ]),
    );
    expect(parsed).toMatchObject({
      code: 3,
      message: "bad",
      reason: "CWSANDBOX_INVALID_REQUEST",
      domain: "cwsandbox.com",
      metadata: { k: "v" },
      retryDelay: 5,
      fieldViolations: [
        { field: "a", description: "x" },
        { field: "b", description: "y" },
      ],
      requestId: "r-1",
    });
  });

  it("keeps an empty domain as sent", () => {
    expect(parseStatusDetails(encodeStatusBlob(2, "", [errorInfo("R", "")]))?.domain).toBe("");
  });

  it("takes the first RequestInfo even when its id is empty", () => {
    const parsed = parseStatusDetails(encodeStatusBlob(2, "", [requestInfo(""), requestInfo("second")]));
    expect(parsed?.requestId).toBe("");
  });

  it.each([
    [315_576_000_000, 0, 315_576_000_000_000],
    [-315_576_000_000, 0, -315_576_000_000_000],
    [315_576_000_001, 0, undefined],
    [0, 999_999_999, 999.999999],
    [0, -999_999_999, -999.999999],
    [1, -1, undefined],
    [-1, 1, undefined],
  ])("a Duration of %i s %i ns gives %s ms", (seconds, nanos, expected) => {
    expect(parseStatusDetails(encodeStatusBlob(14, "", [retryInfo(seconds, nanos)]))?.retryDelay).toBe(
      expected,
    );
  });

  it("reads nanos beyond the valid range as no delay", () => {
    // Built by hand: protobufjs would accept it too, but say so explicitly.
    const duration = encodeMessage("RetryInfo", { retry_delay: { seconds: 0, nanos: 1_000_000_000 } });
    const parsed = parseStatusDetails(
      encodeStatusBlob(14, "", [
        { type: "Raw", typeUrl: "type.googleapis.com/google.rpc.RetryInfo", fields: { bytes: duration } },
      ]),
    );
    expect(parsed?.retryDelay).toBeUndefined();
    expect(parsed?.details).toEqual([{ type: "RetryInfo" }]);
  });
});

describe("type URLs", () => {
  it.each([
    ["type.googleapis.com/google.rpc.ErrorInfo", "ErrorInfo"],
    ["google.rpc.ErrorInfo", "ErrorInfo"],
    ["example.com/custom/prefix/google.rpc.ErrorInfo", "ErrorInfo"],
    ["type.googleapis.com/acme.v1.ErrorInfo", "Unknown"],
    ["type.googleapis.com/google.rpc.ErrorInfoX", "Unknown"],
    ["type.googleapis.com/google.rpc.", "Unknown"],
    ["type.googleapis.com/google.rpc.Status", "Unknown"],
    ["type.googleapis.com/google.rpc.a/google.rpc.ErrorInfo", "ErrorInfo"],
    ["type.googleapis.com/google.rpc.ErrorInfo/", "Unknown"],
    ["", "Unknown"],
  ])("%j is %s", (typeUrl, expected) => {
    const value = encodeMessage("ErrorInfo", { reason: "R", domain: "d" });
    const parsed = parseStatusDetails(
      encodeStatusBlob(2, "", [{ type: "Raw", typeUrl, fields: { bytes: value } }]),
    );
    expect(parsed?.details[0]?.type).toBe(expected);
    if (expected === "Unknown") {
      expect(parsed?.details[0]).toEqual({ type: "Unknown", typeUrl, value: new Uint8Array(value) });
      expect(parsed?.reason).toBeUndefined();
    }
  });

  it("keeps an unknown detail's bytes as a copy, not a view of the input", () => {
    const blob = encodeStatusBlob(2, "", [
      {
        type: "Raw",
        typeUrl: "type.googleapis.com/acme.Thing",
        fields: { bytes: new Uint8Array([1, 2, 3]) },
      },
    ]);
    const parsed = parseStatusDetails(blob);
    blob.fill(0);
    expect(parsed?.details[0]).toEqual({
      type: "Unknown",
      typeUrl: "type.googleapis.com/acme.Thing",
      value: new Uint8Array([1, 2, 3]),
    });
  });
});

describe("inputs", () => {
  const good = encodeStatusBlob(5, "found", [errorInfo("R", "d")]);

  it("tries values in order: empty and undecodable ones are passed over", () => {
    const other = encodeStatusBlob(7, "second", []);
    expect(parseStatusDetails([new Uint8Array(0), hex("ff"), "", good, other])?.message).toBe("found");
  });

  it("reads every value of a Metadata in order", () => {
    const metadata = new Metadata();
    metadata.add(STATUS_DETAILS_KEY, Buffer.from("not a status"));
    metadata.add(STATUS_DETAILS_KEY, Buffer.from(good));
    expect(parseStatusDetails(metadata)?.message).toBe("found");
  });

  it("accepts an ArrayBuffer and a Uint8Array view into a larger buffer", () => {
    const padded = new Uint8Array(good.length + 8);
    padded.set(good, 4);
    expect(parseStatusDetails(padded.subarray(4, 4 + good.length))?.message).toBe("found");
    expect(parseStatusDetails(new Uint8Array(good).buffer)?.message).toBe("found");
  });

  it("accepts base64 with whitespace and missing padding", () => {
    const text = Buffer.from(good).toString("base64").replace(/=+$/, "");
    expect(parseStatusDetails(text)?.message).toBe("found");
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["an empty array", []],
    ["an empty string", ""],
    ["an object without get", { foo: 1 }],
    ["an array of junk", [1, null, {}, Symbol("x")]],
  ])("returns undefined for %s", (_name, input) => {
    expect(parseStatusDetails(input as never)).toBeUndefined();
  });

  it("never throws on a hostile get(), a throwing iterator or a proxy", () => {
    const throwingGet = {
      get() {
        throw new Error("boom");
      },
    };
    // Values are read by index: an iterator that throws hides nothing.
    const throwingIterator = [good];
    throwingIterator[Symbol.iterator] = () => {
      throw new Error("boom");
    };
    const proxy = throwingProxy();
    expect(parseStatusDetails(throwingGet)).toBeUndefined();
    expect(parseStatusDetails(throwingIterator)?.reason).toBe("R");
    expect(parseStatusDetails(proxy as never)).toBeUndefined();
  });

  it("reads protobuf-ts's plain-record metadata: the trailer's base64 value, or a list of values", () => {
    const base64 = Buffer.from(good).toString("base64");
    const other = Buffer.from(encodeStatusBlob(7, "second", [])).toString("base64");
    expect(parseStatusDetails({ [STATUS_DETAILS_KEY]: base64 })?.reason).toBe("R");
    expect(
      parseStatusDetails({ "content-type": "application/grpc", [STATUS_DETAILS_KEY]: [other, base64] })
        ?.reason,
    ).toBe("R");
    expect(
      parseStatusDetails({ [STATUS_DETAILS_KEY]: ["not base64!", base64.replace(/=+$/, "")] })?.message,
    ).toBe("found");
    // Header names are case-insensitive; a record without the trailer has no status.
    expect(parseStatusDetails({ "Grpc-Status-Details-Bin": base64 })?.reason).toBe("R");
    expect(parseStatusDetails({ "grpc-status": "5", "grpc-message": "found" })).toBeUndefined();
    // Its key is data: a record inherits nothing that could answer for it.
    expect(parseStatusDetails(Object.create({ [STATUS_DETAILS_KEY]: base64 }))).toBeUndefined();
  });

  it("never throws on a record whose trailer, or one of its values, throws on reading", () => {
    const record = Object.defineProperty({}, STATUS_DETAILS_KEY, { get: boom, enumerable: true });
    expect(parseStatusDetails(record)).toBeUndefined();
    const values = Object.defineProperty(["", Buffer.from(good).toString("base64")], 0, { get: boom });
    // A value whose reading throws is passed over, as in any list.
    expect(parseStatusDetails({ [STATUS_DETAILS_KEY]: values as string[] })?.reason).toBe("R");
  });

  it("passes over a value whose reading throws and still reads the values after it", () => {
    const values: unknown[] = [new Uint8Array(0), good];
    Object.defineProperty(values, 0, {
      get() {
        throw new Error("boom");
      },
    });
    expect(parseStatusDetails(values as never)?.reason).toBe("R");
    expect(parseStatusDetails([throwingProxy(new Uint8Array(3)), good] as never)?.reason).toBe("R");
  });
});

describe("malformed wire data", () => {
  const valid = encodeStatusBlob(5, "m", [errorInfo("R", "d", { k: "v" })]);

  it("refuses every truncation of a valid status", () => {
    for (let length = 1; length < valid.length; length++) {
      const parsed = parseStatusDetails(valid.subarray(0, length));
      // A cut that lands on a field boundary of the top-level Status is still a (shorter) Status.
      if (parsed !== undefined) expect(parsed.details.length).toBe(0);
    }
  });

  it.each([
    ["wire type 7", "0f"],
    ["field number 0", "0005"],
    ["code sent as a length-delimited field", "0a0105"],
    ["message sent as a varint", "1005"],
    ["details sent as a varint", "1805"],
    ["a varint longer than ten bytes", "08ffffffffffffffffffff01"],
    ["a length past the end", "1205616263"],
    ["a stray end-group tag", "0c"],
    ["an unterminated group", "2b"],
    ["an Any whose type_url is a varint", "1a020805"],
    ["an Any whose value is a varint", "1a021005"],
    ["an Any with a bad inner length", "1a030a0561"],
  ])("refuses %s", (_name, text) => {
    expect(parseStatusDetails(hex(text))).toBeUndefined();
  });

  it("skips unknown fields of every wire type in the Status", () => {
    // field 4 varint, field 5 fixed64, field 6 fixed32, field 7 group, then code 5.
    const parsed = parseStatusDetails(hex("200129010203040506070835010203043b08013c0805"));
    expect(parsed?.code).toBe(5);
  });

  it("keeps a known detail with the wrong wire type inside as Unknown, and reads later details", () => {
    const broken = new Uint8Array([0x08, 0x01]); // ErrorInfo.reason as a varint
    const parsed = parseStatusDetails(
      encodeStatusBlob(2, "", [
        { type: "Raw", typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", fields: { bytes: broken } },
        errorInfo("LATER", "d"),
      ]),
    );
    expect(parsed?.details.map((d) => d.type)).toEqual(["Unknown", "ErrorInfo"]);
    expect(parsed?.reason).toBe("LATER");
  });

  it("refuses deeply nested groups in bounded time without a stack overflow", () => {
    const depth = 200_000;
    const bytes = new Uint8Array(depth * 2);
    bytes.fill(0x3b, 0, depth); // start group, field 7
    bytes.fill(0x3c, depth); // end group, field 7
    const started = Date.now();
    parseStatusDetails(bytes);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("strings", () => {
  it("replaces invalid UTF-8 with U+FFFD", () => {
    const parsed = parseStatusDetails(hex("0805120461ff6263"));
    expect(parsed?.message).toBe("a\uFFFDbc");
  });

  it("keeps a leading byte-order mark as sent", () => {
    expect(parseStatusDetails(hex("08051204efbbbf61"))?.message).toBe("\uFEFFa");
  });

  it("decodes long and non-ASCII strings", () => {
    const message = `${"é".repeat(500)}✓${"x".repeat(5000)}`;
    expect(parseStatusDetails(encodeStatusBlob(2, message))?.message).toBe(message);
  });
});

describe("metadata keys are plain data", () => {
  it("stores __proto__, constructor and toString as own properties, polluting nothing", () => {
    const parsed = parseStatusDetails(
      encodeStatusBlob(2, "", [
        errorInfo("R", "d", JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}')),
      ]),
    );
    const metadata = parsed?.metadata as Record<string, string>;
    expect(Object.getPrototypeOf(metadata)).toBeNull();
    expect(Object.keys(metadata).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getOwnPropertyDescriptor(metadata, "__proto__")?.value).toBe("p");
    expect(({} as Record<string, unknown>).p).toBeUndefined();
    expect(Object.isFrozen(metadata)).toBe(true);
  });
});

/** The best of three timings of `run`, in ms. */
function bestOf3(run: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe("cost", () => {
  it("grows linearly with the number of metadata entries (10,000 against 100,000)", () => {
    const blobOf = (count: number) => {
      const metadata: Record<string, string> = {};
      for (let i = 0; i < count; i++) metadata[`key-${i}`] = `value-${i}`;
      return encodeStatusBlob(2, "", [errorInfo("R", "d", metadata)]);
    };
    const small = blobOf(10_000);
    const large = blobOf(100_000);
    const perByte = (blob: Uint8Array) => bestOf3(() => parseStatusDetails(blob)) / blob.length;
    // Linear: 1–2× (the larger heap costs the garbage collector more). A quadratic step would be
    // about 10× here; the bound leaves room for a noisy machine.
    expect(perByte(large) / perByte(small)).toBeLessThan(5);
  });

  it("decodes 100,000 metadata entries and a 1 MiB message in seconds", () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) metadata[`key-${i}`] = `value-${i}`;
    let started = Date.now();
    const parsed = parseStatusDetails(encodeStatusBlob(2, "", [errorInfo("R", "d", metadata)]));
    expect(Object.keys(parsed?.metadata ?? {}).length).toBe(100_000);
    expect(Date.now() - started).toBeLessThan(10_000);

    started = Date.now();
    expect(parseStatusDetails(encodeStatusBlob(2, "x".repeat(1 << 20)))?.message.length).toBe(1 << 20);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("byte inputs of every kind (SPEC §14's bad input)", () => {
  const blob = encodeStatusBlob(5, "found", [errorInfo("R", "d", { k: "v" })]);

  it("reads a view on a SharedArrayBuffer exactly as a plain Uint8Array", () => {
    const shared = new Uint8Array(new SharedArrayBuffer(blob.length));
    shared.set(blob);
    expect(parseStatusDetails(shared)).toEqual(parseStatusDetails(new Uint8Array(blob)));
    expect(parseStatusDetails(shared)?.reason).toBe("R");
  });

  it("refuses a detached buffer and a view on one without throwing", () => {
    const buffer = new Uint8Array(blob).buffer;
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    expect(buffer.byteLength).toBe(0);
    expect(() => parseStatusDetails(buffer)).not.toThrow();
    expect(parseStatusDetails(buffer)).toBeUndefined();
    expect(parseStatusDetails(view)).toBeUndefined();
    expect(parseStatusDetails([view, new Uint8Array(blob)])?.reason).toBe("R");
  });

  it("reads base64 with white space, and refuses base64 with garbage", () => {
    const text = Buffer.from(blob).toString("base64");
    const spaced = text.replace(/(.{8})/g, "$1 \n");
    expect(parseStatusDetails(spaced)?.reason).toBe("R");
    expect(parseStatusDetails(`${text.slice(0, 10)}*${text.slice(10)}`)).toBeUndefined();
  });
});

describe("the trailers a real protobuf-ts client hands over", () => {
  it("reads RpcError.meta, protobuf-ts's plain record of a grpc-js server's trailers", async () => {
    const failure = {
      code: 14,
      message: "draining",
      details: [
        { type: "ErrorInfo", reason: "R", domain: "d", metadata: { shard: "s-1" } },
        { type: "RetryInfo", retryDelay: 750 },
      ] satisfies StatusDetail[],
    };
    const server = await startGrpcJsServer(failWith(failure));
    const clients = protobufTsClients(server.address);
    try {
      const error = await clients.sandbox.getSandbox({ sandboxId: "sb-1" }).then(
        () => undefined,
        (thrown: unknown) => thrown as RpcError,
      );
      expect(error?.meta[STATUS_DETAILS_KEY]).toBeTypeOf("string");
      expect(parseStatusDetails(error?.meta)).toMatchObject({
        code: 14,
        message: "draining",
        reason: "R",
        metadata: { shard: "s-1" },
        retryDelay: 750,
      });
    } finally {
      clients.close();
      await server.close();
    }
  });
});
