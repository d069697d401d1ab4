import { runInNewContext } from "node:vm";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import * as api from "sandbox-sdk-errors";
import {
  DiscoveryError,
  ERROR_DOMAIN,
  fromGrpcStatus,
  GrpcCode,
  type MappingContext,
  PermissionDeniedError,
  ProfileNotFoundError,
  parseStatusDetails,
  Reason,
  RequestSizeError,
  RunnerNotFoundError,
  SandboxCommandTimeoutError,
  SandboxError,
  SandboxFileError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxResourceExhaustedError,
  SandboxSdkError,
  SandboxSnapshotError,
  SandboxTerminatedError,
  SandboxTimeoutError,
  SandboxUnavailableError,
  SandboxValidationError,
  SnapshotBackendThrottledError,
  SnapshotNotFoundError,
  SnapshotOnStopConflictError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
  ValidationError,
} from "sandbox-sdk-errors";
import { encodeStatus, type StatusInit, toServiceError } from "sandbox-sdk-errors/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  badRequest,
  decodeStatusBlob,
  type EncodedDetail,
  encodeStatusBlob,
  errorInfo,
  requestInfo,
  retryInfo,
} from "../support/encoder.js";
import { producibleClasses } from "../support/roads/failures.js";
import { serviceError } from "../support/transport.js";
import { vectors } from "../support/vectors.js";

const nullProto = (entries: Record<string, string>): Record<string, string> =>
  Object.assign(Object.create(null), entries);

function bytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function hexOf(value: Uint8Array): string {
  return Buffer.from(value).toString("hex");
}

/** One detail through encodeStatus, read back by protobufjs. */
function protobufjsView(detail: StatusDetail) {
  const decoded = decodeStatusBlob(encodeStatus({ code: 2, details: [detail] }));
  expect(decoded.details).toHaveLength(1);
  return decoded.details[0]!;
}

// ---------------------------------------------------------------------------------------------
// encodeStatus
// ---------------------------------------------------------------------------------------------

describe("encodeStatus, read by the independent protobufjs decoder", () => {
  const cases: [name: string, detail: StatusDetail, fields: Record<string, unknown>][] = [
    [
      "ErrorInfo",
      { type: "ErrorInfo", reason: "R", domain: "d.example", metadata: nullProto({ a: "1", "b c": "2" }) },
      { reason: "R", domain: "d.example", metadata: { a: "1", "b c": "2" } },
    ],
    [
      "RetryInfo",
      { type: "RetryInfo", retryDelay: 2250 },
      { retry_delay: { seconds: 2, nanos: 250_000_000 } },
    ],
    [
      "DebugInfo",
      { type: "DebugInfo", stackEntries: ["a.go:1", "", "b.go:2"], detail: "nil pointer" },
      { stack_entries: ["a.go:1", "", "b.go:2"], detail: "nil pointer" },
    ],
    [
      "QuotaFailure",
      {
        type: "QuotaFailure",
        violations: [
          {
            subject: "project:p1",
            description: "too many",
            apiService: "sandbox.example.com",
            quotaMetric: "sandboxes",
            quotaId: "PerProject",
            quotaDimensions: nullProto({ region: "us-east" }),
            quotaValue: 10,
            futureQuotaValue: 20,
          },
        ],
      },
      {
        violations: [
          {
            subject: "project:p1",
            description: "too many",
            api_service: "sandbox.example.com",
            quota_metric: "sandboxes",
            quota_id: "PerProject",
            quota_dimensions: { region: "us-east" },
            quota_value: 10,
            future_quota_value: 20,
          },
        ],
      },
    ],
    [
      "PreconditionFailure",
      {
        type: "PreconditionFailure",
        violations: [{ type: "TOS", subject: "project:p1", description: "terms not accepted" }],
      },
      { violations: [{ type: "TOS", subject: "project:p1", description: "terms not accepted" }] },
    ],
    [
      "BadRequest",
      {
        type: "BadRequest",
        fieldViolations: [
          {
            field: "tags[0]",
            description: "bad tag",
            reason: "TAG",
            localizedMessage: { locale: "de", message: "schlecht" },
          },
          { field: "name", description: "", reason: "" },
        ],
      },
      {
        field_violations: [
          {
            field: "tags[0]",
            description: "bad tag",
            reason: "TAG",
            localized_message: { locale: "de", message: "schlecht" },
          },
          { field: "name" },
        ],
      },
    ],
    [
      "RequestInfo",
      { type: "RequestInfo", requestId: "req-1", servingData: "pod-7" },
      { request_id: "req-1", serving_data: "pod-7" },
    ],
    [
      "ResourceInfo",
      {
        type: "ResourceInfo",
        resourceType: "sandbox",
        resourceName: "sb-9",
        owner: "team:a",
        description: "gone",
      },
      { resource_type: "sandbox", resource_name: "sb-9", owner: "team:a", description: "gone" },
    ],
    [
      "Help",
      { type: "Help", links: [{ description: "docs", url: "https://docs.example.com" }] },
      { links: [{ description: "docs", url: "https://docs.example.com" }] },
    ],
    [
      "LocalizedMessage",
      { type: "LocalizedMessage", locale: "de-DE", message: "nicht gefunden" },
      { locale: "de-DE", message: "nicht gefunden" },
    ],
  ];

  it.each(cases)("writes %s with every field under its google.rpc type URL", (name, detail, fields) => {
    const any = protobufjsView(detail);
    expect(any.typeUrl).toBe(`type.googleapis.com/google.rpc.${name}`);
    expect(any.fields).toEqual(fields);
  });

  it("writes the Status's code, message and details in order", () => {
    const decoded = decodeStatusBlob(
      encodeStatus({
        code: GrpcCode.NOT_FOUND,
        message: "sandbox sb-1 not found",
        details: [
          { type: "RequestInfo", requestId: "r", servingData: "" },
          { type: "Help", links: [] },
        ],
      }),
    );
    expect(decoded.status).toMatchObject({ code: 5, message: "sandbox sb-1 not found" });
    expect(decoded.details.map((d) => d.typeUrl)).toEqual([
      "type.googleapis.com/google.rpc.RequestInfo",
      "type.googleapis.com/google.rpc.Help",
    ]);
  });

  it("omits proto3 defaults: empty strings, zeros and empty lists are not on the wire", () => {
    expect(encodeStatus({ code: 0 })).toHaveLength(0);
    expect(hexOf(encodeStatus({ code: 5, message: "" }))).toBe("0805");
    const empty = protobufjsView({ type: "ErrorInfo", reason: "", domain: "", metadata: {} });
    expect(empty.value).toHaveLength(0);
    const violation = protobufjsView({
      type: "QuotaFailure",
      violations: [
        {
          subject: "",
          description: "",
          apiService: "",
          quotaMetric: "",
          quotaId: "",
          quotaDimensions: {},
          quotaValue: 0,
        },
      ],
    });
    // The one violation is there (a list element is data), but with no field set.
    expect(violation.fields).toEqual({ violations: [{}] });
  });

  it("writes the optional futureQuotaValue only when present, a 0 included", () => {
    const base = {
      subject: "s",
      description: "",
      apiService: "",
      quotaMetric: "",
      quotaId: "",
      quotaDimensions: {},
      quotaValue: 0,
    };
    const absent = protobufjsView({ type: "QuotaFailure", violations: [base] });
    const zero = protobufjsView({ type: "QuotaFailure", violations: [{ ...base, futureQuotaValue: 0 }] });
    expect(absent.fields).toEqual({ violations: [{ subject: "s" }] });
    expect(zero.fields).toEqual({ violations: [{ subject: "s", future_quota_value: 0 }] });
  });

  it("writes negative and large int64 values", () => {
    const base = {
      subject: "",
      description: "",
      apiService: "",
      quotaMetric: "",
      quotaId: "",
      quotaDimensions: {},
    };
    const view = protobufjsView({
      type: "QuotaFailure",
      violations: [{ ...base, quotaValue: -5, futureQuotaValue: 2 ** 52 + 1 }],
    });
    expect(view.fields).toEqual({ violations: [{ quota_value: -5, future_quota_value: 2 ** 52 + 1 }] });
  });

  it.each([
    [1500, { seconds: 1, nanos: 500_000_000 }],
    [-1500, { seconds: -1, nanos: -500_000_000 }],
    [7000, { seconds: 7 }],
    [-0.5, { nanos: -500_000 }],
    [0.000001, { nanos: 1 }],
    [0, {}],
  ])("writes a retryDelay of %s ms as a Duration whose parts share its sign", (ms, duration) => {
    expect(protobufjsView({ type: "RetryInfo", retryDelay: ms }).fields).toEqual({ retry_delay: duration });
  });

  it("writes no retry_delay for a RetryInfo without retryDelay", () => {
    const view = protobufjsView({ type: "RetryInfo" });
    expect(view.fields).toEqual({});
    expect(view.value).toHaveLength(0);
  });

  it("writes a map entry's key and value even when they are empty", () => {
    const view = protobufjsView({
      type: "ErrorInfo",
      reason: "R",
      domain: "",
      metadata: nullProto({ "": "" }),
    });
    expect(view.fields).toEqual({ reason: "R", metadata: { "": "" } });
    // field 3, length 4: key (tag 0x0a, length 0), value (tag 0x12, length 0).
    expect(hexOf(view.value)).toBe("0a01521a040a001200");
  });

  it("writes an Unknown detail back with its own type URL and bytes", () => {
    const value = bytes("0a03666f6f");
    const any = protobufjsView({ type: "Unknown", typeUrl: "type.googleapis.com/acme.v1.Thing", value });
    expect(any.typeUrl).toBe("type.googleapis.com/acme.v1.Thing");
    expect(any.fields).toBeUndefined();
    expect(hexOf(any.value)).toBe("0a03666f6f");
  });
});

describe("encodeStatus then parseStatusDetails", () => {
  const everyType: StatusDetail[] = [
    { type: "ErrorInfo", reason: "CWSANDBOX_FSS_NOT_READY", domain: ERROR_DOMAIN, metadata: { k: "v" } },
    { type: "RetryInfo", retryDelay: 250 },
    { type: "RetryInfo" },
    { type: "DebugInfo", stackEntries: ["f1", "f2"], detail: "panic" },
    {
      type: "QuotaFailure",
      violations: [
        {
          subject: "s",
          description: "d",
          apiService: "a",
          quotaMetric: "m",
          quotaId: "q",
          quotaDimensions: { region: "us" },
          quotaValue: 10,
          futureQuotaValue: 0,
        },
      ],
    },
    { type: "PreconditionFailure", violations: [{ type: "TOS", subject: "p", description: "x" }] },
    {
      type: "BadRequest",
      fieldViolations: [
        { field: "a", description: "", reason: "R", localizedMessage: { locale: "", message: "" } },
        { field: "b", description: "bad", reason: "" },
      ],
    },
    { type: "RequestInfo", requestId: "req-1", servingData: "" },
    { type: "ResourceInfo", resourceType: "t", resourceName: "n", owner: "o", description: "d" },
    { type: "Help", links: [{ description: "d", url: "u" }] },
    { type: "LocalizedMessage", locale: "de", message: "m" },
    { type: "Unknown", typeUrl: "type.googleapis.com/acme.v1.Thing", value: bytes("0801") },
    { type: "Unknown", typeUrl: "", value: new Uint8Array(0) },
  ];

  it("gives back every detail type, in order, as it was", () => {
    const parsed = parseStatusDetails(encodeStatus({ code: 9, message: "everything", details: everyType }));
    expect(parsed).toMatchObject({ code: 9, message: "everything", reason: "CWSANDBOX_FSS_NOT_READY" });
    expect(parsed?.details).toEqual(everyType);
    expect(parsed?.retryDelay).toBe(250);
    expect(parsed?.fieldViolations).toEqual([
      { field: "a", description: "R" },
      { field: "b", description: "bad" },
    ]);
  });

  it("writes an Unknown detail's bytes made in another realm (a worker's, a vm context's)", () => {
    const foreign = runInNewContext("new Uint8Array([8, 1])") as Uint8Array;
    expect(foreign).not.toBeInstanceOf(Uint8Array);
    const typeUrl = "type.googleapis.com/acme.v1.Thing";
    const parsed = parseStatusDetails(
      encodeStatus({ code: 5, details: [{ type: "Unknown", typeUrl, value: foreign }] }),
    );
    expect(parsed?.details).toEqual([{ type: "Unknown", typeUrl, value: bytes("0801") }]);
  });

  it("accepts a ParsedStatus as it is: its promoted fields are not written", () => {
    const parsed = parseStatusDetails(encodeStatus({ code: 5, details: everyType }))!;
    expect(hexOf(encodeStatus(parsed))).toBe(hexOf(encodeStatus({ code: 5, details: everyType })));
  });

  const okVectors = vectors.filter((v) => v.expect.ok);
  it.each(okVectors.map((v) => [v.name, v] as const))(
    "re-encodes golden vector %s to the same parse",
    (_name, vector) => {
      const first = parseStatusDetails(bytes(vector.hex))!;
      expect(parseStatusDetails(encodeStatus(first))).toEqual(first);
    },
  );

  /**
   * Vectors whose bytes are not the canonical encoding of what they decode to: a Duration that is
   * not valid is dropped, a known type under another URL prefix is written under the usual one,
   * invalid UTF-8 becomes U+FFFD, and unknown fields are not kept.
   */
  const NOT_CANONICAL = new Set([
    "retry-out-of-range",
    "retry-out-of-range-then-valid",
    "retry-sign-mismatch",
    "other-type-url-prefix",
    "invalid-utf8",
    "unknown-fields-skipped",
  ]);
  it("writes the reference runtime's bytes exactly for every canonical golden vector", () => {
    const canonical = okVectors.filter((v) => !NOT_CANONICAL.has(v.name));
    expect(canonical.length).toBeGreaterThanOrEqual(20);
    for (const vector of canonical) {
      expect(hexOf(encodeStatus(parseStatusDetails(bytes(vector.hex))!)), vector.name).toBe(vector.hex);
    }
  });

  it("gives back any status the decoder could return (property)", () => {
    fc.assert(
      fc.property(arbitraryStatus(), (status) => {
        const parsed = parseStatusDetails(encodeStatus(status));
        if (status.code === 0 && status.message === "" && status.details.length === 0) {
          // The all-default Status is zero bytes: an empty trailer is no status.
          expect(parsed).toBeUndefined();
          return;
        }
        expect(parsed?.code).toBe(status.code);
        expect(parsed?.message).toBe(status.message);
        expect(parsed?.details).toEqual(status.details);
      }),
      { numRuns: 300 },
    );
  });

  it("gives back any valid Duration's milliseconds exactly (property)", () => {
    const duration = fc
      .tuple(
        fc.integer({ min: -315_576_000_000, max: 315_576_000_000 }),
        fc.integer({ min: 0, max: 999_999_999 }),
      )
      .map(([seconds, nanos]) => seconds * 1000 + (seconds < 0 ? -nanos : nanos) / 1e6);
    fc.assert(
      fc.property(fc.oneof(duration, fc.double({ min: -1e6, max: 1e6, noNaN: true })), (ms) => {
        const parsed = parseStatusDetails(
          encodeStatus({ code: 14, details: [{ type: "RetryInfo", retryDelay: ms }] }),
        );
        // A delay finer than a nanosecond cannot be carried: it comes back within half a nanosecond.
        expect(Math.abs(parsed!.retryDelay! - ms)).toBeLessThanOrEqual(Math.abs(ms) * 1e-15 + 5e-7);
        if (Object.is(Math.round(ms * 1e6) / 1e6, ms)) expect(parsed?.retryDelay).toBe(ms === 0 ? 0 : ms);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("an ErrorInfo written without metadata", () => {
  const status: StatusInit = {
    code: 9,
    message: "not ready",
    details: [{ type: "ErrorInfo", reason: "CWSANDBOX_FSS_NOT_READY", domain: ERROR_DOMAIN }],
  };

  it("encodes as one with empty metadata, and toServiceError's details say so", () => {
    const parsed = api.parseStatusDetails(encodeStatus(status));
    expect(parsed?.details).toEqual([
      { type: "ErrorInfo", reason: "CWSANDBOX_FSS_NOT_READY", domain: ERROR_DOMAIN, metadata: {} },
    ]);
    const mapped = api.fromGrpcStatus(toServiceError(status));
    expect(mapped.reason).toBe("CWSANDBOX_FSS_NOT_READY");
    expect({ ...mapped.metadata }).toEqual({});
  });
});

describe("encodeStatus refuses what it cannot write faithfully", () => {
  const retry = (retryDelay: unknown): StatusInit =>
    ({ code: 14, details: [{ type: "RetryInfo", retryDelay }] }) as unknown as StatusInit;
  const quota = (quotaValue: unknown): StatusInit =>
    ({ code: 8, details: [{ type: "QuotaFailure", violations: [{ quotaValue }] }] }) as unknown as StatusInit;
  const cases: [
    name: string,
    input: unknown,
    error: typeof TypeError | typeof RangeError,
    message: RegExp,
  ][] = [
    ["a code above 16", { code: 17 }, RangeError, /status\.code must be a gRPC status code.*got 17/],
    ["a negative code", { code: -1 }, RangeError, /status\.code/],
    ["a fractional code", { code: 1.5 }, RangeError, /status\.code/],
    ["a NaN code", { code: Number.NaN }, RangeError, /status\.code/],
    ["a code given as a string", { code: "5" }, TypeError, /status\.code must be a number/],
    ["a missing code", {}, TypeError, /status\.code must be a number, got undefined/],
    ["a NaN retryDelay", retry(Number.NaN), RangeError, /details\[0\]\.retryDelay must be finite/],
    ["an infinite retryDelay", retry(Number.POSITIVE_INFINITY), RangeError, /retryDelay must be finite/],
    ["a retryDelay beyond the Duration range", retry(1e30), RangeError, /beyond the Duration range/],
    ["a retryDelay given as a string", retry("1500"), TypeError, /retryDelay must be a number/],
    ["a fractional int64", quota(1.5), RangeError, /quotaValue must be an integer in the int64 range/],
    ["an int64 out of range", quota(2 ** 64), RangeError, /int64 range/],
    [
      "an unknown detail type",
      { code: 2, details: [{ type: "Bogus" }] },
      TypeError,
      /details\[0\]\.type must be one of/,
    ],
    [
      "a misspelt field",
      { code: 2, details: [{ type: "ErrorInfo", reasn: "X" }] },
      TypeError,
      /details\[0\] has no field "reasn"/,
    ],
    [
      "a metadata value that is not a string",
      { code: 2, details: [{ type: "ErrorInfo", reason: "X", metadata: { n: 1 } }] },
      TypeError,
      /details\[0\]\.metadata\["n"\] must be a string/,
    ],
    [
      "an unpaired surrogate",
      { code: 2, message: "bad \ud800 text" },
      TypeError,
      /status\.message has an unpaired surrogate/,
    ],
    [
      "Unknown bytes that are not a Uint8Array",
      { code: 2, details: [{ type: "Unknown", typeUrl: "x", value: "AAAA" }] },
      TypeError,
      /details\[0\]\.value must be a Uint8Array/,
    ],
    [
      "Unknown bytes that are an object",
      { code: 2, details: [{ type: "Unknown", typeUrl: "x", value: { 0: 1 } }] },
      TypeError,
      /details\[0\]\.value must be a Uint8Array, got an object$/,
    ],
    ["details that are not a list", { code: 2, details: {} }, TypeError, /status\.details must be an array/],
    [
      "a message that is not a string",
      { code: 2, message: 5 },
      TypeError,
      /status\.message must be a string/,
    ],
    ["no status at all", null, TypeError, /status must be an object/],
  ];

  it.each(cases)("throws for %s", (_name, input, errorType, message) => {
    expect(() => encodeStatus(input as StatusInit)).toThrow(errorType);
    expect(() => encodeStatus(input as StatusInit)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------------
// toServiceError
// ---------------------------------------------------------------------------------------------

type ErrorClass = abstract new (...args: never[]) => SandboxSdkError;

function classOf(name: string): ErrorClass {
  return (api as unknown as Record<string, ErrorClass>)[name]!;
}

/** Everything a round trip must give back (grpcCode is checked on its own: OK is never sent). */
function fieldsOf(error: SandboxSdkError) {
  const own = error as unknown as Record<string, unknown>;
  return {
    name: error.name,
    constructor: error.constructor,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    requestId: error.requestId,
    details: error.details,
    retryable: error.retryable,
    fieldViolations: own.fieldViolations,
    sandboxId: own.sandboxId,
    filepath: own.filepath,
    fileSystemSnapshotId: own.fileSystemSnapshotId,
    runnerId: own.runnerId,
    profileName: own.profileName,
  };
}

function expectRoundTrip(error: SandboxSdkError, context: MappingContext): SandboxSdkError {
  const again = fromGrpcStatus(toServiceError(error), context);
  expect(fieldsOf(again)).toEqual(fieldsOf(error));
  if (error.grpcCode !== undefined && error.grpcCode !== 0) expect(again.grpcCode).toBe(error.grpcCode);
  return again;
}

const SANDBOX: MappingContext = { operation: "exec", sandboxId: "sb-1" };
const SNAPSHOT: MappingContext = { operation: "restore", sandboxId: "sb-1", fileSystemSnapshotId: "fss-1" };
const DISCOVERY: MappingContext = { scope: "discovery", runnerId: "r-1", profileName: "gpu" };
const GENERAL: MappingContext = { scope: "general", operation: "login" };
const ACME: MappingContext = { trustedDomains: ["acme.example"] };

const trusted = (reason: string, metadata: Record<string, string> = {}) =>
  errorInfo(reason, ERROR_DOMAIN, metadata);
const LARGE = "Received message larger than max (4194305 vs. 4194304)";

/** [class, transport code, transport details, details in the trailer, context]. */
type ProducedRow = [
  className: string,
  code: number,
  details: string,
  blob: EncodedDetail[],
  context: MappingContext,
];

const PRODUCED: ProducedRow[] = [
  ["SandboxFileError", 13, "io", [trusted(Reason.FILE_IO_FAILED, { filepath: "/srv/a" })], SANDBOX],
  ["SandboxFileError", 5, "missing", [trusted(Reason.FILE_NOT_FOUND)], { filepath: "/ctx/b" }],
  ["SandboxNotFoundError", 5, "gone", [trusted(Reason.SANDBOX_NOT_FOUND), requestInfo("req-1")], SANDBOX],
  ["SandboxNotFoundError", 5, "gone", [], SANDBOX],
  ["SandboxNotFoundError", 5, "gone", [errorInfo(Reason.FSS_NOT_FOUND, "evil.example")], {}],
  ["SandboxNotRunningError", 9, "stopped", [trusted(Reason.SANDBOX_NOT_RUNNING)], SANDBOX],
  ["SandboxNotRunningError", 1, "closed", [], SANDBOX],
  ["SandboxCommandTimeoutError", 4, "too slow", [trusted(Reason.COMMAND_TIMEOUT)], SANDBOX],
  ["SandboxUnavailableError", 14, "draining", [trusted(Reason.RUNNER_SHARD_RETIRING), retryInfo(2)], SANDBOX],
  ["SandboxUnavailableError", 14, "down", [retryInfo(0, 300_000_000)], SANDBOX],
  ["SandboxUnavailableError", 2, "backend", [trusted(Reason.BACKEND_UNAVAILABLE)], SANDBOX],
  ["SandboxRequestTimeoutError", 4, "deadline", [], SANDBOX],
  ["SandboxResourceExhaustedError", 8, "quota", [retryInfo(-1, -500_000_000)], SANDBOX],
  ["RequestSizeError", 8, LARGE, [], SANDBOX],
  ["SnapshotNotFoundError", 5, "no snapshot", [], SNAPSHOT],
  ["SnapshotNotFoundError", 13, "no snapshot", [trusted(Reason.FSS_NOT_FOUND)], SANDBOX],
  ["SnapshotNotReadyError", 9, "wait", [trusted(Reason.FSS_NOT_READY)], SNAPSHOT],
  ["SnapshotNotSupportedError", 12, "no", [trusted(Reason.FSS_NOT_SUPPORTED)], SNAPSHOT],
  ["SnapshotSizeExceededError", 8, "big", [trusted(Reason.FSS_SIZE_EXCEEDED)], SNAPSHOT],
  ["SnapshotQuotaExceededError", 8, LARGE, [trusted(Reason.FSS_QUOTA_EXCEEDED)], SNAPSHOT],
  ["SnapshotBucketMismatchError", 9, "bucket", [trusted(Reason.FSS_BUCKET_MISMATCH)], SNAPSHOT],
  ["SandboxSnapshotError", 13, "restore", [trusted(Reason.FSS_RESTORE_FAILED)], SNAPSHOT],
  ["SnapshotWaitTimeoutError", 4, "wait", [trusted(Reason.FSS_WAIT_TIMEOUT)], SNAPSHOT],
  [
    "SnapshotBackendThrottledError",
    8,
    "slow down",
    [trusted(Reason.FSS_INFLIGHT_LIMIT), retryInfo(1)],
    SNAPSHOT,
  ],
  [
    "SandboxValidationError",
    3,
    "invalid",
    [badRequest({ field: "image", description: "must not be empty" }, { field: "cpu", description: "" })],
    SANDBOX,
  ],
  ["AuthenticationError", 16, "token expired", [], SANDBOX],
  ["PermissionDeniedError", 7, "denied", [trusted(Reason.PLACEMENT_REJECTED)], SANDBOX],
  ["PermissionDeniedError", 7, "denied", [trusted(Reason.FILE_PERMISSION_DENIED)], GENERAL],
  ["SandboxError", 13, "boom", [trusted(Reason.NO_SUITABLE_RUNNER, { zone: "a" })], SANDBOX],
  ["SandboxError", 3, "invalid but no violations", [badRequest()], SANDBOX],
  ["SandboxError", 13, "foreign", [errorInfo(Reason.SANDBOX_NOT_FOUND, "cwsandbox.com")], ACME],
  ["SandboxCommandTimeoutError", 2, "acme", [errorInfo(Reason.COMMAND_TIMEOUT, "acme.example")], ACME],
  ["RunnerNotFoundError", 5, "no runner", [], DISCOVERY],
  ["RunnerNotFoundError", 13, "no runner", [trusted(Reason.RUNNER_NOT_FOUND)], DISCOVERY],
  ["ProfileNotFoundError", 5, "no profile", [trusted(Reason.PROFILE_NOT_FOUND)], DISCOVERY],
  [
    "DiscoveryValidationError",
    3,
    "",
    [badRequest({ field: "profile", description: "unknown" }), requestInfo("req-9")],
    DISCOVERY,
  ],
  ["DiscoveryError", 14, "discovery down", [retryInfo(3)], DISCOVERY],
  ["DiscoveryError", 8, "discovery quota", [], DISCOVERY],
  ["ValidationError", 3, "bad", [badRequest({ field: "user", description: "required" })], GENERAL],
  ["SandboxSdkError", 5, "not found", [trusted(Reason.SANDBOX_NOT_FOUND)], GENERAL],
  ["SandboxSdkError", 14, "down", [retryInfo(1)], GENERAL],
];

describe("toServiceError then fromGrpcStatus, for every class fromGrpcStatus produces", () => {
  it("covers every class the mapping can produce", () => {
    const covered = new Set(PRODUCED.map(([name]) => name));
    // The classes a row of the mapping catalogue names: a new row without a case here fails.
    const producible = [...producibleClasses()];
    expect([...covered].sort()).toEqual([...producible].sort());
  });

  it.each(PRODUCED)("gives back %s (code %i, %j)", (className, code, details, blob, context) => {
    const error = fromGrpcStatus(serviceError(code, details, encodeStatusBlob(code, "blob", blob)), context);
    expect(error.name).toBe(className); // the row itself is right
    const again = expectRoundTrip(error, context);
    expect(again.details).toHaveLength(blob.length); // nothing added: the details carried it all
  });

  it("sends grpc-js's size sentence for a RequestSizeError and nothing like it for other exhaustion", () => {
    const tooLarge = toServiceError(new RequestSizeError("upload too big"));
    expect(tooLarge).toMatchObject({ code: GrpcCode.RESOURCE_EXHAUSTED, details: LARGE });
    const mapped = fromGrpcStatus(serviceError(8, "Received message larger than max (9 vs. 8)"), SANDBOX);
    expect(toServiceError(mapped).details).toBe("Received message larger than max (9 vs. 8)");
    const quota = new SandboxResourceExhaustedError("larger than max quota");
    expect(toServiceError(quota).details).not.toContain("larger than max");
    expect(fromGrpcStatus(toServiceError(quota))).toBeInstanceOf(SandboxResourceExhaustedError);
    expect(fromGrpcStatus(toServiceError(quota))).not.toBeInstanceOf(RequestSizeError);
  });

  it("keeps the error's own grpcCode when it still leads to the class, and replaces it otherwise", () => {
    expect(toServiceError(new SandboxError("x", { grpcCode: GrpcCode.DATA_LOSS })).code).toBe(
      GrpcCode.DATA_LOSS,
    );
    expect(toServiceError(new SandboxError("x", { grpcCode: GrpcCode.UNAVAILABLE })).code).toBe(
      GrpcCode.UNKNOWN,
    );
    expect(toServiceError(new SandboxError("x", { grpcCode: GrpcCode.OK })).code).toBe(GrpcCode.UNKNOWN);
    // INVALID_ARGUMENT with a field violation would give the validation class instead.
    const violation: StatusDetail = {
      type: "BadRequest",
      fieldViolations: [{ field: "a", description: "b", reason: "" }],
    };
    const invalid = new SandboxError("x", { grpcCode: GrpcCode.INVALID_ARGUMENT, details: [violation] });
    expect(toServiceError(invalid).code).toBe(GrpcCode.UNKNOWN);
    expect(fromGrpcStatus(toServiceError(invalid)).name).toBe("SandboxError");
    expect(toServiceError(new SandboxError("x", { grpcCode: GrpcCode.INVALID_ARGUMENT })).code).toBe(
      GrpcCode.INVALID_ARGUMENT,
    );
    expect(toServiceError(new SandboxNotFoundError("x", { grpcCode: 13 })).code).toBe(GrpcCode.NOT_FOUND);
    const file = new SandboxFileError("x", { reason: Reason.FILE_TRUNCATED, grpcCode: GrpcCode.ABORTED });
    expect(toServiceError(file).code).toBe(GrpcCode.ABORTED);
  });

  it("sends the details as they are and adds only the fields they do not carry", () => {
    const details: StatusDetail[] = [
      { type: "ErrorInfo", reason: Reason.SANDBOX_NOT_FOUND, domain: ERROR_DOMAIN, metadata: { a: "1" } },
      { type: "Help", links: [{ description: "d", url: "u" }] },
    ];
    const error = new SandboxNotFoundError("gone", {
      // These three disagree with or are missing from the details: the details win for the reason.
      reason: "SOMETHING_ELSE",
      retryDelay: 1500,
      requestId: "req-3",
      details,
    });
    const sent = parseStatusDetails(toServiceError(error).metadata)!;
    expect(sent.details.slice(0, 2)).toEqual(details);
    expect(sent.details.slice(2)).toEqual([
      { type: "RetryInfo", retryDelay: 1500 },
      { type: "RequestInfo", requestId: "req-3", servingData: "" },
    ]);
    expect(sent.reason).toBe(Reason.SANDBOX_NOT_FOUND);
  });
});

describe("toServiceError for errors written by hand in a mock server", () => {
  type Row = [
    error: SandboxSdkError,
    context: MappingContext,
    className: string,
    fields: Record<string, unknown>,
  ];
  const rows: Row[] = [
    [
      new SandboxFileError("disk on fire", { filepath: "/data/x" }),
      {},
      "SandboxFileError",
      {
        reason: Reason.FILE_IO_FAILED,
        domain: ERROR_DOMAIN,
        filepath: "/data/x",
        metadata: { filepath: "/data/x" },
      },
    ],
    [
      new SandboxNotFoundError("gone", { sandboxId: "sb-2", retryDelay: 0, requestId: "r" }),
      { sandboxId: "sb-2" },
      "SandboxNotFoundError",
      { sandboxId: "sb-2", retryDelay: 0, requestId: "r", reason: undefined },
    ],
    [
      new SnapshotNotFoundError("no such snapshot"),
      {},
      "SnapshotNotFoundError",
      { reason: Reason.FSS_NOT_FOUND },
    ],
    [
      new SnapshotNotFoundError("no such snapshot", { fileSystemSnapshotId: "fss-2" }),
      { fileSystemSnapshotId: "fss-2" },
      "SnapshotNotFoundError",
      { reason: undefined, fileSystemSnapshotId: "fss-2" },
    ],
    [
      new SnapshotBackendThrottledError("slow down", { retryDelay: 250 }),
      {},
      "SnapshotBackendThrottledError",
      {
        reason: Reason.FSS_BACKEND_THROTTLED,
        retryDelay: 250,
      },
    ],
    [
      new SandboxCommandTimeoutError("sleep 1000"),
      {},
      "SandboxCommandTimeoutError",
      { reason: Reason.COMMAND_TIMEOUT },
    ],
    [new SandboxSnapshotError("create"), {}, "SandboxSnapshotError", { reason: Reason.FSS_CREATE_FAILED }],
    [new SandboxNotRunningError("stopped"), {}, "SandboxNotRunningError", { reason: undefined, grpcCode: 1 }],
    [
      new SandboxUnavailableError("busy", { retryDelay: 1000 }),
      {},
      "SandboxUnavailableError",
      { retryDelay: 1000 },
    ],
    [new RequestSizeError("too big"), {}, "RequestSizeError", { retryable: false }],
    [
      new SandboxValidationError("bad", { fieldViolations: [{ field: "image", description: "empty" }] }),
      {},
      "SandboxValidationError",
      { fieldViolations: [{ field: "image", description: "empty" }] },
    ],
    [
      new ValidationError("bad input"),
      GENERAL,
      "ValidationError",
      {
        fieldViolations: [{ field: "", description: "bad input" }],
      },
    ],
    [
      new RunnerNotFoundError("no runner", { runnerId: "r-9" }),
      { scope: "discovery", runnerId: "r-9" },
      "RunnerNotFoundError",
      {
        runnerId: "r-9",
      },
    ],
    [
      new ProfileNotFoundError("no profile"),
      { scope: "discovery" },
      "ProfileNotFoundError",
      {
        reason: Reason.PROFILE_NOT_FOUND,
      },
    ],
    [new PermissionDeniedError("no"), {}, "PermissionDeniedError", { grpcCode: 7 }],
    [new DiscoveryError("x"), { scope: "discovery" }, "DiscoveryError", { grpcCode: 2 }],
    [
      new SandboxSdkError("x", { reason: "MY_REASON", domain: "me.example", metadata: { k: "v" } }),
      GENERAL,
      "SandboxSdkError",
      {
        reason: "MY_REASON",
        domain: "me.example",
        metadata: { k: "v" },
      },
    ],
    // Classes no mapping produces travel as their nearest ancestor in the table.
    [new SandboxTimeoutError("late"), {}, "SandboxRequestTimeoutError", {}],
    [new SandboxTerminatedError("killed"), {}, "SandboxError", {}],
    [
      new SnapshotOnStopConflictError("conflict"),
      {},
      "SandboxSnapshotError",
      { reason: Reason.FSS_CREATE_FAILED },
    ],
  ];

  it.each(rows)(
    "sends %s so that the client sees the expected class",
    (error, context, className, fields) => {
      const mapped = fromGrpcStatus(toServiceError(error), context);
      expect(mapped.name).toBe(className);
      expect(mapped).toBeInstanceOf(classOf(className));
      expect(mapped).toMatchObject(fields);
    },
  );

  it("sends a message with an unpaired surrogate, made well-formed in the blob", () => {
    const sent = toServiceError(new SandboxError("bad \ud800 text"));
    expect(sent.details).toBe("bad \ud800 text");
    expect(parseStatusDetails(sent.metadata)?.message).toBe("bad \ufffd text");
  });

  it("sends an error of another copy of the package (brands, not prototypes)", () => {
    const lookalike = Object.create(SandboxUnavailableError.prototype) as SandboxUnavailableError;
    Object.assign(lookalike, { message: "copy", details: [], metadata: {} });
    expect(toServiceError(lookalike).code).toBe(GrpcCode.UNAVAILABLE);
  });
});

describe("toServiceError for a status", () => {
  it("sends exactly the given code, message and details", () => {
    const status: StatusInit = {
      code: GrpcCode.FAILED_PRECONDITION,
      message: "sandbox is paused",
      details: [
        { type: "ErrorInfo", reason: Reason.SANDBOX_NOT_RUNNING, domain: ERROR_DOMAIN, metadata: {} },
      ],
    };
    const sent = toServiceError(status);
    expect(sent.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(sent.details).toBe("sandbox is paused");
    const values = sent.metadata.get(STATUS_DETAILS_KEY);
    expect(values).toHaveLength(1);
    expect(hexOf(values[0] as Buffer)).toBe(hexOf(encodeStatus(status)));
    expect(fromGrpcStatus(sent)).toBeInstanceOf(SandboxNotRunningError);
  });

  it("sends no trailer for an all-default status", () => {
    expect(toServiceError({ code: 0 }).metadata.get(STATUS_DETAILS_KEY)).toEqual([]);
  });

  it("refuses what is neither an error of the package nor a status", () => {
    expect(() => toServiceError(new Error("plain") as unknown as StatusInit)).toThrow(TypeError);
    expect(() => toServiceError(null as unknown as StatusInit)).toThrow(
      /expected an error of sandbox-sdk-errors/,
    );
    expect(() => toServiceError({ code: 99 })).toThrow(RangeError);
    expect(() => toServiceError(new SandboxUnavailableError("x", { retryDelay: Number.NaN }))).toThrow(
      /error\.retryDelay must be a finite number/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The round trip as a property
// ---------------------------------------------------------------------------------------------

const text = () => fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 8 }));
const stringMap = () =>
  fc
    .dictionary(fc.oneof(text(), fc.constantFrom("filepath", "__proto__", "constructor")), text(), {
      maxKeys: 3,
    })
    .map((entries) => nullProto(entries));
const REASONS = Object.values(Reason);
const DOMAINS = [ERROR_DOMAIN, "acme.example", ""];

/** An int64 as the decoder reports it: the nearest double (INT64_MAX reads as 2 ** 63). */
const int64 = () =>
  fc.oneof(
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(Number),
    fc.constantFrom(2 ** 63, -(2 ** 63)),
  );

/** A valid Duration's milliseconds, as the decoder reports it. */
const retryDelay = () =>
  fc
    .tuple(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 999_999_999 }))
    .map(([seconds, nanos]) => seconds * 1000 + (seconds < 0 ? -nanos : nanos) / 1e6);

/** Every StatusDetail shape in canonical form (what parseStatusDetails returns). */
function arbitraryDetail(): fc.Arbitrary<StatusDetail> {
  const localized = fc.record({ locale: text(), message: text() });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant("ErrorInfo" as const),
        reason: fc.oneof(fc.constantFrom(...REASONS), text()),
        domain: fc.oneof(fc.constantFrom(...DOMAINS), text()),
        metadata: stringMap(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.record({ type: fc.constant("RetryInfo" as const), retryDelay: retryDelay() }),
        fc.constant({ type: "RetryInfo" as const }),
      ),
    },
    fc.record({
      type: fc.constant("DebugInfo" as const),
      stackEntries: fc.array(text(), { maxLength: 3 }),
      detail: text(),
    }),
    fc.record({
      type: fc.constant("QuotaFailure" as const),
      violations: fc.array(
        fc.record(
          {
            subject: text(),
            description: text(),
            apiService: text(),
            quotaMetric: text(),
            quotaId: text(),
            quotaDimensions: stringMap(),
            quotaValue: int64(),
            futureQuotaValue: int64(),
          },
          {
            requiredKeys: [
              "subject",
              "description",
              "apiService",
              "quotaMetric",
              "quotaId",
              "quotaDimensions",
              "quotaValue",
            ],
          },
        ),
        { maxLength: 2 },
      ),
    }),
    fc.record({
      type: fc.constant("PreconditionFailure" as const),
      violations: fc.array(fc.record({ type: text(), subject: text(), description: text() }), {
        maxLength: 2,
      }),
    }),
    {
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant("BadRequest" as const),
        fieldViolations: fc.array(
          fc.record(
            { field: text(), description: text(), reason: text(), localizedMessage: localized },
            { requiredKeys: ["field", "description", "reason"] },
          ),
          { maxLength: 3 },
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant("RequestInfo" as const),
        requestId: text(),
        servingData: text(),
      }),
    },
    fc.record({
      type: fc.constant("ResourceInfo" as const),
      resourceType: text(),
      resourceName: text(),
      owner: text(),
      description: text(),
    }),
    fc.record({
      type: fc.constant("Help" as const),
      links: fc.array(fc.record({ description: text(), url: text() }), { maxLength: 2 }),
    }),
    fc.record({ type: fc.constant("LocalizedMessage" as const), locale: text(), message: text() }),
    fc.record({
      type: fc.constant("Unknown" as const),
      typeUrl: fc
        .oneof(fc.constant("type.googleapis.com/acme.v1.Thing"), text())
        .filter((url) => !url.includes("google.rpc.")),
      value: fc.uint8Array({ maxLength: 16 }),
    }),
  );
}

function arbitraryStatus() {
  return fc.record({
    code: fc.integer({ min: 0, max: 16 }),
    message: text(),
    details: fc.array(arbitraryDetail(), { maxLength: 5 }),
  });
}

const arbitraryContext: fc.Arbitrary<MappingContext> = fc.record(
  {
    scope: fc.constantFrom("sandbox" as const, "discovery" as const, "general" as const),
    operation: text(),
    sandboxId: text(),
    filepath: text(),
    fileSystemSnapshotId: text(),
    runnerId: text(),
    profileName: text(),
    trustedDomains: fc.constantFrom([], ["acme.example"], [ERROR_DOMAIN, "acme.example"]),
  },
  { requiredKeys: [] },
);

describe("toServiceError then fromGrpcStatus (property)", () => {
  it("gives back the class and fields of any mapped error, under the same context", () => {
    const transportDetails = fc.oneof(text(), fc.constant("Received message larger than max (5 vs. 4)"));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 16 }),
        transportDetails,
        arbitraryStatus(),
        arbitraryContext,
        (code, details, status, context) => {
          const error = fromGrpcStatus(serviceError(code, details, encodeStatus(status)), context);
          expectRoundTrip(error, context);
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Through a real grpc-js server
// ---------------------------------------------------------------------------------------------

describe("through a real grpc-js server on loopback", () => {
  const identity = (value: Buffer) => value;
  const service = {
    fail: {
      path: "/sandbox_sdk_errors.test.Errors/Fail",
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  } satisfies grpc.ServiceDefinition;

  /** What the server fails with, by the request's text; the context the client maps with. */
  const cases: Record<string, { source: () => SandboxSdkError | StatusInit; context: MappingContext }> = {
    "not found, with retry and request id": {
      source: () =>
        fromGrpcStatus(
          serviceError(
            5,
            "gone",
            encodeStatusBlob(5, "gone", [
              trusted(Reason.SANDBOX_NOT_FOUND),
              retryInfo(1, 5e8),
              requestInfo("req-1"),
            ]),
          ),
          SANDBOX,
        ),
      context: SANDBOX,
    },
    "file error by hand": { source: () => new SandboxFileError("disk", { filepath: "/d" }), context: {} },
    "request size": { source: () => new RequestSizeError("too big"), context: SANDBOX },
    validation: {
      source: () =>
        new SandboxValidationError("bad", { fieldViolations: [{ field: "image", description: "empty" }] }),
      context: SANDBOX,
    },
    runner: { source: () => new RunnerNotFoundError("none", { runnerId: "r-1" }), context: DISCOVERY },
    status: {
      source: () => ({ code: 14, message: "draining", details: [{ type: "RetryInfo", retryDelay: 40 }] }),
      context: SANDBOX,
    },
  };

  let server: grpc.Server;
  let client: grpc.Client & {
    fail: (request: Buffer, callback: (error: grpc.ServiceError | null) => void) => void;
  };

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(service, {
      fail: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        callback(toServiceError(cases[call.request.toString()]!.source()));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(service, "Errors");
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  });

  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  function call(name: string): Promise<grpc.ServiceError> {
    return new Promise((resolve, reject) =>
      client.fail(Buffer.from(name), (error) =>
        error ? resolve(error) : reject(new Error("the call succeeded")),
      ),
    );
  }

  it.each(Object.keys(cases))("maps %s on the client as it was on the server", async (name) => {
    const { source, context } = cases[name]!;
    const received = await call(name);
    const mapped = fromGrpcStatus(received, context);
    // The wire changes nothing: the client maps what toServiceError built, field for field.
    const direct = fromGrpcStatus(toServiceError(source()), context);
    expect(fieldsOf(mapped)).toEqual(fieldsOf(direct));
    expect(mapped.grpcCode).toBe(direct.grpcCode);
    const original = source();
    if (isError(original)) {
      expect(fieldsOf(mapped)).toMatchObject({ name: original.name });
      if (original.grpcCode !== undefined) expect(fieldsOf(mapped)).toEqual(fieldsOf(original));
    }
  });
});

function isError(value: SandboxSdkError | StatusInit): value is SandboxSdkError {
  return value instanceof SandboxSdkError;
}
