/**
 * The defects of the second hardening round that live in the mapping, the decoder and
 * serialisation, each with a test that fails without its fix. (The CLI's, the wire reader's, the
 * stderr parser's and assertSerializable's are in their own test files.)
 */
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import {
  fromGrpcStatus,
  GrpcCode,
  isNotFound,
  MAX_DETAILS,
  parseStatusDetails,
  Reason,
  SandboxExecutionError,
  SandboxFileError,
  SandboxSdkError,
  SandboxValidationError,
  type SerializedError,
  streamError,
} from "../src/index.js";
import { encodeStatus } from "../src/testing/index.js";
import {
  DETAIL_SCHEMAS,
  KNOWN_DETAIL_TYPES,
  type KnownDetailType,
  type StatusDetail,
} from "../src/wire/details.js";
import { encodeStatusBlob, errorInfo, retryInfo } from "./support/encoder.js";
import { serviceError } from "./support/transport.js";

describe("util.inspect on causes that loop (defect 5)", () => {
  it("prints a cause that is the error itself as a cycle, in bounded output", () => {
    const error = new SandboxSdkError("loop", { reason: "R" });
    Object.defineProperty(error, "cause", { value: error, configurable: true });
    const text = inspect(error, { depth: null });
    expect(text).toContain("[Circular *]");
    expect(text.length).toBeLessThan(10_000);
  });

  it("prints a two-error cycle in bounded output, and honours depth", () => {
    const a = new SandboxSdkError("a", { reason: "A" });
    const b = new SandboxSdkError("b", { reason: "B", cause: a });
    Object.defineProperty(a, "cause", { value: b, configurable: true });
    expect(inspect(a, { depth: null }).length).toBeLessThan(20_000);
    let chain = new SandboxSdkError("0", { reason: "R" });
    for (let i = 1; i < 30; i++) chain = new SandboxSdkError(String(i), { reason: "R", cause: chain });
    const shallow = inspect(chain, { depth: 1 });
    expect(shallow).toContain("[SandboxSdkError: 28]");
    expect(shallow).not.toContain("SandboxSdkError: 27");
  });
});

describe("fromJSON checks every field (defect 6)", () => {
  it("leaves out class fields of the wrong type", () => {
    const revived = SandboxSdkError.fromJSON({
      name: "SandboxValidationError",
      message: "m",
      fieldViolations: 5,
    } as unknown as SerializedError) as SandboxValidationError;
    expect(revived).toBeInstanceOf(SandboxValidationError);
    expect(revived.fieldViolations).toEqual([]);
    expect(() => revived.fieldViolations.map((v) => v.field)).not.toThrow();
    const notFound = SandboxSdkError.fromJSON({
      name: "SandboxNotFoundError",
      message: "m",
      sandboxId: {},
    } as never);
    expect((notFound as api.SandboxNotFoundError).sandboxId).toBeUndefined();
  });

  it.each([Number.NaN, 1.5, -1, 17, Number.POSITIVE_INFINITY])("refuses a grpcCode of %s", (grpcCode) => {
    expect(
      SandboxSdkError.fromJSON({ name: "SandboxSdkError", message: "m", grpcCode }).grpcCode,
    ).toBeUndefined();
  });

  it("keeps a fractional retryDelay (a valid Duration) and refuses a non-finite one", () => {
    expect(
      SandboxSdkError.fromJSON({ name: "SandboxSdkError", message: "m", retryDelay: 1.5 }).retryDelay,
    ).toBe(1.5);
    expect(
      SandboxSdkError.fromJSON({ name: "SandboxSdkError", message: "m", retryDelay: Number.NaN }).retryDelay,
    ).toBeUndefined();
  });

  it("drops details that do not fit their type, and keeps those that do", () => {
    const revived = SandboxSdkError.fromJSON({
      name: "SandboxSdkError",
      message: "m",
      details: [
        { type: "ErrorInfo", reason: 5 },
        { type: "Bogus" },
        "junk",
        { type: "RequestInfo", requestId: "r", servingData: "" },
      ],
    } as unknown as SerializedError);
    expect(revived.details).toEqual([{ type: "RequestInfo", requestId: "r", servingData: "" }]);
  });
});

/** One detail of each known type, with every field set, from the schemas' own field lists. */
const everyDetail: StatusDetail[] = [
  {
    type: "ErrorInfo",
    reason: "R",
    domain: "d",
    metadata: { __proto__: "p", k: "v" } as Record<string, string>,
  },
  { type: "RetryInfo", retryDelay: 1500.5 },
  { type: "DebugInfo", stackEntries: ["a", ""], detail: "d" },
  {
    type: "QuotaFailure",
    violations: [
      {
        subject: "s",
        description: "d",
        apiService: "a",
        quotaMetric: "m",
        quotaId: "i",
        quotaDimensions: { region: "x" },
        quotaValue: 3,
        futureQuotaValue: 0,
      },
    ],
  },
  { type: "PreconditionFailure", violations: [{ type: "T", subject: "s", description: "d" }] },
  {
    type: "BadRequest",
    fieldViolations: [
      { field: "f", description: "d", reason: "r", localizedMessage: { locale: "en", message: "m" } },
    ],
  },
  { type: "RequestInfo", requestId: "r", servingData: "s" },
  { type: "ResourceInfo", resourceType: "t", resourceName: "n", owner: "o", description: "d" },
  { type: "Help", links: [{ description: "d", url: "u" }] },
  { type: "LocalizedMessage", locale: "en", message: "m" },
];

/** Every map inside a detail, found through the schemas: frozen, and with no prototype. */
function mapsOf(
  value: unknown,
  schema: Record<string, { kind: string; of?: Record<string, never> }>,
): object[] {
  const found: object[] = [];
  for (const [name, field] of Object.entries(schema)) {
    const child = (value as Record<string, unknown>)[name];
    if (field.kind === "map") found.push(child as object);
    if (field.kind === "message" && child !== undefined) found.push(...mapsOf(child, field.of ?? {}));
    if (field.kind === "messages")
      for (const entry of child as unknown[]) found.push(...mapsOf(entry, field.of ?? {}));
  }
  return found;
}

describe("a toJSON → fromJSON round trip keeps detail shapes (defect 7)", () => {
  it("covers every known detail type", () => {
    expect(everyDetail.map((d) => d.type).sort()).toEqual([...KNOWN_DETAIL_TYPES].sort());
  });

  it.each(everyDetail.map((detail) => [detail.type, detail] as const))(
    "%s comes back equal, its maps frozen and null-prototype",
    (_type, detail) => {
      const decoded = parseStatusDetails(encodeStatus({ code: 2, details: [detail] }))
        ?.details[0] as StatusDetail;
      const error = new SandboxSdkError("m", { details: [decoded] });
      const revived = SandboxSdkError.fromJSON(JSON.stringify(error)).details[0] as StatusDetail;
      expect(revived).toEqual(decoded);
      const schema = DETAIL_SCHEMAS[revived.type as KnownDetailType] as never;
      for (const map of mapsOf(revived, schema)) {
        expect(Object.getPrototypeOf(map)).toBeNull();
        expect(Object.isFrozen(map)).toBe(true);
      }
    },
  );
});

describe("bounded growth (defect 9)", () => {
  it("keeps at most MAX_DETAILS details of a blob of empty envelopes, counts the rest, and still promotes later fields", () => {
    const envelope = Uint8Array.of(0x1a, 0x00); // Status.details: an empty Any
    const count = 100_000;
    const tail = encodeStatus({
      code: 0,
      details: [
        { type: "ErrorInfo", reason: "LATE", domain: "d", metadata: {} },
        { type: "RetryInfo", retryDelay: 250 },
      ],
    });
    const blob = new Uint8Array(count * 2 + tail.length);
    for (let i = 0; i < count; i++) blob.set(envelope, i * 2);
    blob.set(tail, count * 2);
    const status = parseStatusDetails(blob);
    expect(status?.details).toHaveLength(MAX_DETAILS);
    expect(status?.omittedDetails).toBe(count + 2 - MAX_DETAILS);
    expect(status?.reason).toBe("LATE");
    expect(status?.retryDelay).toBe(250);
  });

  it("reports no omittedDetails for an ordinary status", () => {
    expect(parseStatusDetails(encodeStatusBlob(5, "m", [errorInfo("R", "d")]))).not.toHaveProperty(
      "omittedDetails",
    );
  });
});

describe("refused trailer values (defect 10)", () => {
  it("never hides a valid value after one whose reading throws", () => {
    const good = encodeStatusBlob(5, "m", [errorInfo("R", "d")]);
    const values = [undefined, good];
    Object.defineProperty(values, 0, {
      get() {
        throw new Error("hostile");
      },
    });
    const thrown = { code: 5, details: "x", metadata: { get: () => values } };
    expect(fromGrpcStatus(thrown).reason).toBe("R");
  });

  it("decodes with stack capture off, so a refused value costs no stack walk", () => {
    const limits: unknown[] = [];
    const values: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      Object.defineProperty(values, i, {
        get() {
          // Read while the decoder works through the values: a WireFormatError built now captures
          // a stack only if the limit is a number.
          limits.push(Error.stackTraceLimit);
          return Uint8Array.of(0x0a, 0x05);
        },
      });
    }
    const before = Error.stackTraceLimit;
    expect(parseStatusDetails(values as never)).toBeUndefined();
    expect(limits).toHaveLength(3);
    for (const limit of limits) expect(typeof limit).not.toBe("number");
    expect(Error.stackTraceLimit).toBe(before);
  });
});

describe("found while at it", () => {
  it("reads trustedDomains given as a string as one domain, never trusting the empty one", () => {
    const blob = encodeStatusBlob(13, "m", [errorInfo(Reason.SANDBOX_NOT_FOUND, "")]);
    const context = { trustedDomains: "cwsandbox.com" as unknown as string[] };
    expect(fromGrpcStatus(serviceError(13, "m", blob), context).name).toBe("SandboxError");
    const trusted = encodeStatusBlob(13, "m", [errorInfo(Reason.SANDBOX_NOT_FOUND, "cwsandbox.com")]);
    expect(fromGrpcStatus(serviceError(13, "m", trusted), context).name).toBe("SandboxNotFoundError");
  });

  it("builds an error from a process result without stderr", () => {
    const result = { stdout: "", exitCode: 3, command: ["ls"] } as unknown as api.ProcessResult;
    expect(() => SandboxExecutionError.fromProcessResult(result, { functionName: "f" })).not.toThrow();
    expect(SandboxExecutionError.fromProcessResult(result).message).toBe(
      "Command 'ls' failed with exit code 3",
    );
  });

  it("keeps fieldViolations given to a constructor as a frozen copy", () => {
    const given = [{ field: "f", description: "d" }];
    const error = new SandboxValidationError("m", { fieldViolations: given });
    given.push({ field: "g", description: "e" });
    expect(error.fieldViolations).toHaveLength(1);
    expect(Object.isFrozen(error.fieldViolations)).toBe(true);
  });
});

describe("where the peers are right", () => {
  it("streamError with an empty code has no reason", () => {
    expect(streamError("boom", "").reason).toBeUndefined();
    expect(streamError("boom", "X").reason).toBe("X");
  });

  it("prefers a later value with ErrorInfo, RetryInfo or BadRequest over an earlier detail-less one", () => {
    const plain = encodeStatusBlob(5, "plain", []);
    const rich = encodeStatusBlob(5, "rich", [retryInfo(2)]);
    expect(parseStatusDetails([plain, rich])?.message).toBe("rich");
    expect(parseStatusDetails([plain])?.message).toBe("plain");
  });

  it("maps grpc-js's decompression limit to a RequestSizeError, which is not retryable", () => {
    const error = fromGrpcStatus(
      serviceError(
        GrpcCode.RESOURCE_EXHAUSTED,
        "Received message that decompresses to a size larger than 4194304",
      ),
    );
    expect(error.name).toBe("RequestSizeError");
    expect(error.retryable).toBe(false);
  });

  it("isNotFound is true for a not-found class raised without a status code", () => {
    expect(isNotFound(new api.SnapshotNotFoundError("gone"))).toBe(true);
  });

  it("SandboxFileError's filepath falls back to metadata.filepath in the constructor", () => {
    expect(new SandboxFileError("m", { metadata: { filepath: "/etc/x" } }).filepath).toBe("/etc/x");
    expect(new SandboxFileError("m", { filepath: "/a", metadata: { filepath: "/b" } }).filepath).toBe("/a");
  });
});

describe("round trips of every detail type through JSON, as a property", () => {
  it("toJSON → fromJSON gives back what the decoder gave", () => {
    const text = fc.string({ maxLength: 8 });
    const arbitraryDetail = fc.oneof(
      fc.record({
        type: fc.constant("ErrorInfo" as const),
        reason: text,
        domain: text,
        metadata: fc.dictionary(text, text),
      }),
      fc.record({ type: fc.constant("RetryInfo" as const), retryDelay: fc.integer({ min: -1e9, max: 1e9 }) }),
      fc.record({ type: fc.constant("DebugInfo" as const), stackEntries: fc.array(text), detail: text }),
      fc.record({ type: fc.constant("RequestInfo" as const), requestId: text, servingData: text }),
      fc.record({ type: fc.constant("LocalizedMessage" as const), locale: text, message: text }),
    );
    fc.assert(
      fc.property(fc.array(arbitraryDetail, { maxLength: 4 }), (details) => {
        const decoded = parseStatusDetails(encodeStatus({ code: 3, details: details as StatusDetail[] }));
        const error = new SandboxSdkError("m", { details: decoded?.details ?? [] });
        expect(SandboxSdkError.fromJSON(JSON.stringify(error)).details).toEqual(error.details);
      }),
    );
  });
});
