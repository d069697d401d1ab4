import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { GoogleError } from "google-gax";
import { describe, expect, it, vi } from "vitest";
import {
  fromGrpcStatus,
  GrpcCode,
  MAX_DETAILS,
  type ParsedStatus,
  parseStatusDetails,
  parseStatusJson,
  type StatusDetail,
} from "../../src/index.js";
import { encodeStatus } from "../../src/testing/index.js";
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, snapshotJson } from "../../src/wire/detail-objects.js";
import { readStatusJson, type StatusJsonBody } from "../../src/wire/status-json.js";
import { encodeMessage } from "../support/encoder.js";
import { boom, throwingProxy } from "../support/hostile.js";
import { summarise } from "../support/vectors.js";

// Read with JSON.parse, never a bundler's JSON import: that one turns a "__proto__" key into a
// prototype, and the vectors hold such a key on purpose.
const JSON_VECTORS_PATH = fileURLToPath(new URL("../fixtures/status-json.json", import.meta.url));
const SHARED = fileURLToPath(new URL("../../../shared/vectors/status-json.json", import.meta.url));

interface JsonVector {
  name: string;
  source: string | null;
  hex?: string;
  status?: Record<string, unknown>;
  aip193?: { error: Record<string, unknown> };
  connect?: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const file = JSON.parse(readFileSync(JSON_VECTORS_PATH, "utf8")) as { vectors: JsonVector[] };
const VECTORS = file.vectors;
const FORMS = ["status", "aip193", "connect"] as const;

/** The message a form carries: the JSON's own, `""` where the form left it out. */
function messageOfForm(vector: JsonVector, form: (typeof FORMS)[number]): string {
  const body = form === "aip193" ? vector.aip193?.error : vector[form];
  return typeof body?.message === "string" ? body.message : "";
}

const hex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

describe("the JSON vectors copy in test/fixtures", () => {
  it.runIf(existsSync(SHARED))("is byte-for-byte the shared status-json.json", () => {
    expect(readFileSync(JSON_VECTORS_PATH, "utf8")).toBe(readFileSync(SHARED, "utf8"));
  });

  it("holds every form of the golden statuses", () => {
    expect(VECTORS.length).toBeGreaterThanOrEqual(40);
    for (const form of FORMS) expect(VECTORS.filter((v) => v[form] !== undefined).length).toBeGreaterThan(20);
  });
});

describe("parseStatusJson on every golden JSON vector (the reference Python runtime's JSON)", () => {
  const cases = VECTORS.flatMap((vector) =>
    FORMS.filter((form) => vector[form] !== undefined).map(
      (form) => [`${vector.name} (${form})`, vector, form] as const,
    ),
  );

  it.each(cases)("%s reports what the vectors file expects", (_name, vector, form) => {
    const parsed = parseStatusJson(vector[form] as object);
    expect(summarise(parsed)).toEqual({ ...vector.expect, message: messageOfForm(vector, form) });
  });

  it.each(cases)("%s gives, from its text too, what the binary blob gives", (_name, vector, form) => {
    const parsed = parseStatusJson(JSON.stringify(vector[form]));
    expect(parsed).toEqual(parseStatusJson(vector[form] as object));
    if (vector.hex === undefined) return;
    const binary = parseStatusDetails(hex(vector.hex));
    expect(binary).toBeDefined();
    expect(parsed).toEqual({ ...binary, message: messageOfForm(vector, form) });
  });

  it("keeps a detail whose @type it does not know as Unknown: empty value, the detail as sent in json", () => {
    const vector = VECTORS.find((v) => v.name === "json-unknown-type") as JsonVector;
    const sent = (vector.aip193 as { error: { details: unknown[] } }).error.details[0];
    const parsed = parseStatusJson(vector.aip193 as object);
    expect(parsed?.details[0]).toEqual({
      type: "Unknown",
      typeUrl: "type.googleapis.com/acme.v1.CustomDetail",
      value: new Uint8Array(0),
      json: sent,
    });
  });

  it("keeps known types whose JSON does not fit as Unknown with json, promoting nothing from them", () => {
    const vector = VECTORS.find((v) => v.name === "json-known-type-wrong-json-types") as JsonVector;
    const sent = vector.aip193?.error.details as unknown[];
    const parsed = parseStatusJson(vector.aip193 as object) as ParsedStatus;
    for (let i = 0; i < 5; i++) {
      expect(parsed.details[i]).toEqual({
        type: "Unknown",
        typeUrl: (sent[i] as Record<string, string>)["@type"],
        value: new Uint8Array(0),
        json: sent[i],
      });
    }
    // A number is milliseconds to this package's own shapes, but never a Duration in proto3 JSON.
    expect(parsed.retryDelay).toBe(2000);
  });

  it("reads metadata keys such as __proto__ as plain data of a null-prototype object", () => {
    const vector = VECTORS.find((v) => v.name === "hostile-metadata-keys") as JsonVector;
    for (const form of ["status", "aip193", "connect"] as const) {
      const metadata = parseStatusJson(vector[form] as object)?.metadata as Record<string, string>;
      expect(Object.getPrototypeOf(metadata)).toBeNull();
      expect(Object.getOwnPropertyDescriptor(metadata, "__proto__")?.value).toBe("polluted");
      expect(Object.isFrozen(metadata)).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("parseStatusJson: the shapes", () => {
  const errorInfoBytes = encodeMessage("ErrorInfo", {
    reason: "R",
    domain: "d.example",
    metadata: { k: "v" },
  });
  const errorInfo: StatusDetail = {
    type: "ErrorInfo",
    reason: "R",
    domain: "d.example",
    metadata: { k: "v" },
  };

  it("reads a Connect end-stream message's error, and gives its metadata to the road's reader", () => {
    const message = {
      error: {
        code: "unavailable",
        message: "draining",
        details: [{ type: "google.rpc.ErrorInfo", value: Buffer.from(errorInfoBytes).toString("base64") }],
      },
      metadata: { "grpc-retry-pushback-ms": ["250"] },
    };
    const body = readStatusJson(JSON.stringify(message));
    expect(body?.shape).toBe("connect");
    expect(body?.status).toMatchObject({ code: GrpcCode.UNAVAILABLE, message: "draining", reason: "R" });
    expect(body?.metadata).toEqual({ "grpc-retry-pushback-ms": ["250"] });
  });

  it("reads a Connect detail's value in standard or URL-safe base64, padded or not, or as bytes", () => {
    const standard = Buffer.from(errorInfoBytes).toString("base64");
    const urlSafe = Buffer.from(errorInfoBytes).toString("base64url");
    for (const value of [standard, standard.replace(/=+$/, ""), urlSafe, errorInfoBytes]) {
      const parsed = parseStatusJson({
        code: "not_found",
        details: [{ type: "google.rpc.ErrorInfo", value }],
      });
      expect(parsed?.details).toEqual([errorInfo]);
    }
  });

  it("keeps a Connect detail of an unknown type, or bytes that do not decode, as Unknown with its bytes", () => {
    const parsed = parseStatusJson({
      code: "internal",
      details: [
        { type: "acme.v1.Trace", value: "CgNhYmM" },
        { type: "google.rpc.ErrorInfo", value: "CiBDV1NBTkQ" },
        {
          type: "example.com/types/google.rpc.ErrorInfo",
          value: Buffer.from(errorInfoBytes).toString("base64"),
        },
      ],
    });
    expect(parsed?.details).toEqual([
      { type: "Unknown", typeUrl: "type.googleapis.com/acme.v1.Trace", value: hex("0a03616263") },
      {
        type: "Unknown",
        typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
        value: hex("0a20435753414e44"),
      },
      errorInfo,
    ]);
  });

  it("keeps a Connect detail whose value is not base64, and an entry with no type, as sent", () => {
    const notBase64 = { type: "google.rpc.ErrorInfo", value: "not base64!" };
    const parsed = parseStatusJson({ code: "internal", details: [notBase64, 42, { value: "AA" }] });
    expect(parsed?.details).toEqual([
      {
        type: "Unknown",
        typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
        value: new Uint8Array(0),
        json: notBase64,
      },
      { type: "Unknown", typeUrl: "", value: new Uint8Array(0), json: 42 },
      { type: "Unknown", typeUrl: "", value: new Uint8Array(0), json: { value: "AA" } },
    ]);
  });

  it("reads a google.rpc.Status whose code is a numeric string, as proto3 JSON allows", () => {
    expect(parseStatusJson('{"code":"14","message":"later"}')).toMatchObject({ code: 14, message: "later" });
  });

  it("reads an AIP-193 body whose HTTP code maps to nothing as UNKNOWN, and one without status or code as no body", () => {
    expect(parseStatusJson({ error: { code: 302, message: "moved" } })?.code).toBe(GrpcCode.UNKNOWN);
    expect(parseStatusJson({ error: { status: "NOT_A_CODE" } })?.code).toBe(GrpcCode.UNKNOWN);
    expect(parseStatusJson({ error: { code: "404", message: "x" } })?.code).toBe(GrpcCode.NOT_FOUND);
    expect(parseStatusJson({ error: { message: "no code at all" } })).toBeUndefined();
  });

  it("gives the body's message as sent to a road's reader, and undefined when there is none", () => {
    expect(readStatusJson({ error: { code: 404 } })?.message).toBeUndefined();
    expect(readStatusJson({ error: { code: 404 } })?.status.message).toBe("");
    expect(readStatusJson({ code: 5, message: "" })?.message).toBe("");
    expect(readStatusJson({ code: 5, message: null })?.message).toBeUndefined();
  });

  it("decodes details the same whether they come as proto3 JSON, Connect bytes or the binary trailer", () => {
    const details = [
      errorInfo,
      { type: "RetryInfo", retryDelay: 1500 },
      { type: "RequestInfo", requestId: "req-1", servingData: "" },
    ] as const;
    const blob = encodeStatus({ code: 14, message: "m", details: [...details] });
    const binary = parseStatusDetails(blob);
    const json = parseStatusJson({
      code: 14,
      message: "m",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "R",
          domain: "d.example",
          metadata: { k: "v" },
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retry_delay: "1.500s" },
        { "@type": "type.googleapis.com/google.rpc.RequestInfo", requestId: "req-1" },
      ],
    });
    expect(json).toEqual(binary);
  });

  it("keeps at most MAX_DETAILS details and still promotes a RetryInfo sent after them", () => {
    const details = [
      ...Array.from({ length: MAX_DETAILS + 5 }, () => ({
        "@type": "type.googleapis.com/google.rpc.DebugInfo",
      })),
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" },
    ];
    const parsed = parseStatusJson({ code: 14, details });
    expect(parsed?.details).toHaveLength(MAX_DETAILS);
    expect(parsed?.omittedDetails).toBe(6);
    expect(parsed?.retryDelay).toBe(2000);
  });
});

describe("parseStatusJson refuses what is not an error body, and never throws", () => {
  it.each([
    ["an HTML page", "<html><body>502 Bad Gateway</body></html>"],
    ["an empty text", ""],
    ["white space", "  \n "],
    ["JSON cut short", '{"error": {"code": 404, "message": "gon'],
    ["JSON with a trailing comma", '{"code": 5,}'],
    ["null", "null"],
    ["an array whose first element is no error body", '[{"ok": true}, {"code": 5}]'],
    ["an empty array", "[]"],
    ["an array of arrays", '[[{"code": 5}]]'],
    ["a number", "404"],
    ["a string", '"NOT_FOUND"'],
    ["an empty object", "{}"],
    ["an error that is a string (OAuth)", '{"error": "invalid_grant", "error_description": "expired"}'],
    ["an empty error", '{"error": {}}'],
    ["a code that is no code", '{"code": "bogus", "message": "x"}'],
    ["a code out of range", '{"code": 99, "message": "x"}'],
    ["a fractional code", '{"code": 5.5}'],
    ["details that are not a list (a grpc-js error's shape)", '{"code": 5, "details": "not found"}'],
    ["a message that is not a string", '{"code": 5, "message": {"text": "x"}}'],
    ["AIP-193 details that are not a list", '{"error": {"code": 404, "details": {"@type": "x"}}}'],
  ])("%s gives undefined", (_what, text) => {
    expect(parseStatusJson(text)).toBeUndefined();
    // What JSON.parse makes of it, where it parses, is refused as well.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof value === "object" && value !== null) expect(parseStatusJson(value)).toBeUndefined();
  });

  it("survives hostile objects: proxies that throw, throwing getters, in the body and in its details", () => {
    const getter = Object.defineProperty({}, "code", { get: boom, enumerable: true });
    const detail = Object.defineProperty({ "@type": "type.googleapis.com/google.rpc.ErrorInfo" }, "reason", {
      get: boom,
      enumerable: true,
    });
    for (const input of [
      throwingProxy(),
      getter,
      { error: throwingProxy() },
      { code: 5, details: throwingProxy([]) },
      { code: 5, details: [throwingProxy()] },
      { code: 5, details: [detail] },
    ]) {
      expect(() => parseStatusJson(input)).not.toThrow();
    }
  });

  it("reads a 50 MB body in one pass: a 50 MB message, or millions of details", () => {
    const message = "x".repeat(50_000_000);
    expect(parseStatusJson(`{"error":{"code":503,"message":"${message}"}}`)?.message).toHaveLength(
      50_000_000,
    );
    const many = `{"code":5,"details":[${'{"@type":"acme/x"},'.repeat(3_500_000)}{}]}`;
    expect(many.length).toBeGreaterThan(50_000_000);
    const parsed = parseStatusJson(many);
    expect(parsed?.details).toHaveLength(MAX_DETAILS);
    expect(parsed?.omittedDetails).toBe(3_500_001 - MAX_DETAILS);
  });

  it("never blows the stack, however deep the JSON nests, in the body or in a detail", () => {
    const depth = 1_000_000;
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(parseStatusJson(`{"error":${deep}}`)).toBeUndefined();
    const inDetail = `{"code":5,"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":${deep}}]}`;
    expect(parseStatusJson(inDetail)?.details[0]?.type).toBe("Unknown");
  });

  it("refuses a 50 MB array of no objects or a 50 MB string without parsing it", () => {
    const numbers = `[${"0,".repeat(25_000_000)}0]`;
    const text = `"${"x".repeat(50_000_000)}"`;
    const parse = vi.spyOn(JSON, "parse");
    try {
      expect(parseStatusJson(numbers)).toBeUndefined();
      expect(parseStatusJson(text)).toBeUndefined();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it("never throws on any JSON value, any text or any value at all (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ error: v })),
        ),
        (text) => {
          const parsed = parseStatusJson(text);
          if (parsed !== undefined) expect(parsed.code).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        if (typeof value === "object" && value !== null) parseStatusJson(value);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on bodies of the right shape with arbitrary details (property)", () => {
    const detail = fc.oneof(
      fc.jsonValue(),
      fc
        .record({
          "@type": fc.constantFrom(
            ...["ErrorInfo", "RetryInfo", "QuotaFailure", "BadRequest", "Help"].map(
              (t) => `type.googleapis.com/google.rpc.${t}`,
            ),
          ),
        })
        .chain((head) =>
          fc
            .dictionary(
              fc.constantFrom(
                "reason",
                "metadata",
                "retryDelay",
                "violations",
                "fieldViolations",
                "links",
                "quota_value",
              ),
              fc.jsonValue(),
            )
            .map((fields) => ({ ...fields, ...head })),
        ),
      fc.record({ type: fc.string(), value: fc.oneof(fc.base64String(), fc.string()) }),
    );
    fc.assert(
      fc.property(
        fc.array(detail, { maxLength: 6 }),
        fc.constantFrom("status", "aip193", "connect"),
        (details, shape) => {
          const body =
            shape === "aip193"
              ? { error: { code: 503, message: "m", details } }
              : { code: shape === "status" ? 14 : "unavailable", message: "m", details };
          const parsed = parseStatusJson(JSON.stringify(body));
          expect(parsed?.code).toBe(GrpcCode.UNAVAILABLE);
          expect(parsed?.details).toHaveLength(details.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// google-gax's other forms, against google-gax itself (cases ported from its GoogleError and
// gRPC-fallback tests)
// ---------------------------------------------------------------------------------------------

/** What google-gax's `GoogleError.parseHttpError` reads of a body (it rewrites its input: a copy). */
function gax(body: unknown): { code: number | undefined; message: string; reason?: string; domain?: string } {
  return GoogleError.parseHttpError(structuredClone(body)) as never;
}

describe("parseStatusJson reads google-gax's other forms as google-gax does", () => {
  const errorInfo = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    reason: "SERVICE_DISABLED",
    domain: "googleapis.com",
    metadata: { service: "translate.googleapis.com", consumer: "projects/123" },
  };
  const help = {
    "@type": "type.googleapis.com/google.rpc.Help",
    links: [
      {
        description: "Google developers console API activation",
        url: "https://console.developers.google.com",
      },
    ],
  };
  const disabled = {
    error: {
      code: 403,
      message: "Cloud Translation API has not been used in project 123 before or it is disabled.",
      status: "PERMISSION_DENIED",
      details: [help, errorInfo, { "@type": "type.googleapis.com/Custom" }],
    },
  };

  it("reads an array whose first element is an error body (REST server streaming), as parseHttpError([json])", () => {
    for (const input of [
      [disabled],
      JSON.stringify([disabled]),
      ` [\n ${JSON.stringify(disabled)}, {"x": 1}]`,
    ]) {
      const parsed = parseStatusJson(input) as ParsedStatus;
      const oracle = gax([disabled]);
      expect(parsed.code).toBe(oracle.code);
      expect(parsed.code).toBe(GrpcCode.PERMISSION_DENIED);
      expect(parsed.message).toBe(oracle.message);
      expect(parsed).toMatchObject({ reason: oracle.reason, domain: oracle.domain });
      expect(parsed.metadata).toEqual(errorInfo.metadata);
      expect(parsed.details.map((d) => d.type)).toEqual(["Help", "ErrorInfo", "Unknown"]);
    }
    // Every shape may come first in the array: a proto3 Status, a Connect error, a REST body.
    expect(parseStatusJson([{ code: 5, message: "gone" }])?.code).toBe(GrpcCode.NOT_FOUND);
    expect(parseStatusJson('[{"code": "unavailable"}]')?.code).toBe(GrpcCode.UNAVAILABLE);
    expect(parseStatusJson([{ statusCode: 429, message: "slow" }])?.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
  });

  it("reads google-gax's fallback form: an HTTP status in code, message and details kept (Language API's 400)", () => {
    const body = {
      code: 400,
      message: "3 INVALID_ARGUMENT: One of content, or gcs_content_uri must be set.",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [
            { field: "document.content", description: "Must have some text content to annotate." },
          ],
        },
      ],
    };
    const parsed = parseStatusJson(JSON.stringify(body)) as ParsedStatus;
    expect(parsed.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(parsed.code).toBe(gax(body).code);
    expect(parsed.message).toBe(body.message);
    expect(parsed.fieldViolations).toEqual([
      { field: "document.content", description: "Must have some text content to annotate." },
    ]);
    const read = readStatusJson(body);
    expect(read).toMatchObject({ shape: "status", httpStatus: 400, rest: undefined });
    // With a message that is no string, it is a REST API's body after all: the code stands.
    const listed = { ...body, message: ["a", "b"] };
    expect(readStatusJson(listed)).toMatchObject({
      shape: "rest",
      code: GrpcCode.INVALID_ARGUMENT,
      message: "a, b",
    });
  });

  it("maps every HTTP status from 100 to 599 through google-gax's own table, in every form that carries one", () => {
    for (let status = 100; status <= 599; status++) {
      const expected = gax({ code: status, message: "m" }).code ?? GrpcCode.UNKNOWN;
      const forms = [
        { error: { code: status, message: "m" } },
        { code: status, message: "m", details: [] },
        { code: status, message: "m" },
        { statusCode: status, message: "m" },
        { status, message: "m" },
      ];
      for (const body of forms) expect(parseStatusJson(body)?.code, JSON.stringify(body)).toBe(expected);
    }
  });

  it("prefers AIP-193's status over its HTTP code, as google-gax does", () => {
    const aborted = { error: { code: 409, message: "m", status: "ABORTED" } };
    const exists = { error: { code: 409, message: "m", status: "ALREADY_EXISTS" } };
    expect(parseStatusJson(aborted)?.code).toBe(gax(aborted).code);
    expect(parseStatusJson(exists)?.code).toBe(gax(exists).code);
    expect(parseStatusJson(exists)?.code).toBe(GrpcCode.ALREADY_EXISTS);
  });

  it("reports the HTTP status an AIP-193 body names, and none for a proto3 Status or a Connect error", () => {
    expect(readStatusJson(disabled)).toMatchObject({ shape: "aip193", httpStatus: 403, rest: undefined });
    expect(readStatusJson({ error: { status: "NOT_FOUND" } })?.httpStatus).toBeUndefined();
    expect(readStatusJson({ code: 5 })).toMatchObject({ shape: "status", httpStatus: undefined });
    expect(readStatusJson({ code: "not_found" })).toMatchObject({ shape: "connect", httpStatus: undefined });
  });
});

// ---------------------------------------------------------------------------------------------
// REST error bodies of the sandbox APIs
// ---------------------------------------------------------------------------------------------

describe("parseStatusJson reads the REST error bodies of sandbox APIs", () => {
  it.each([
    ["E2B", { code: 404, message: "Sandbox not found" }, GrpcCode.NOT_FOUND, "Sandbox not found", 404],
    [
      "NestJS",
      { statusCode: 400, error: "Bad Request", message: ["name must be a string", "cpu must be positive"] },
      GrpcCode.INVALID_ARGUMENT,
      "name must be a string, cpu must be positive",
      400,
    ],
    [
      "Daytona (a string code beside statusCode is its own error name)",
      {
        statusCode: 404,
        code: "Not Found",
        message: "Sandbox sb-1 not found",
        errorCode: "SANDBOX_NOT_FOUND",
      },
      GrpcCode.NOT_FOUND,
      "Sandbox sb-1 not found",
      404,
    ],
    ["status", { status: 429, message: "slow down" }, GrpcCode.RESOURCE_EXHAUSTED, "slow down", 429],
    ["a 502", { statusCode: 502, message: "bad gateway" }, GrpcCode.INTERNAL, "bad gateway", 502],
    ["a 418", { code: 418, message: "teapot" }, GrpcCode.FAILED_PRECONDITION, "teapot", 418],
  ] as const)("%s", (_name, body, code, message, httpStatus) => {
    for (const input of [body, JSON.stringify(body)]) {
      const read = readStatusJson(input);
      expect(read).toMatchObject({ shape: "rest", code, message, httpStatus, metadata: undefined });
      expect(read?.status).toMatchObject({ code, message, details: [], reason: undefined });
      expect(read?.rest).toEqual(body);
      expect(parseStatusJson(input)?.code).toBe(code);
    }
    // The body itself, as given: a catalogue reads its own fields from it.
    expect(readStatusJson(body)?.rest).toBe(body);
  });

  it("reads a Spring-style body without a message: the status, no message", () => {
    const body = { timestamp: "2030-01-01T00:00:00Z", status: 503, error: "Service Unavailable", path: "/x" };
    expect(readStatusJson(body)).toMatchObject({
      shape: "rest",
      code: GrpcCode.UNAVAILABLE,
      message: undefined,
    });
    expect(parseStatusJson(body)?.message).toBe("");
  });

  it("takes the HTTP status from code when it is one, else from statusCode or status", () => {
    expect(readStatusJson({ code: 409, statusCode: 400 })).toMatchObject({
      code: GrpcCode.ABORTED,
      httpStatus: 409,
    });
    expect(readStatusJson({ code: 999, statusCode: 404 })).toMatchObject({
      code: GrpcCode.NOT_FOUND,
      httpStatus: 404,
    });
    expect(readStatusJson({ code: "5", statusCode: 503 })).toMatchObject({
      shape: "rest",
      code: GrpcCode.UNAVAILABLE,
    });
    expect(readStatusJson({ code: "not_found", status: 500 })).toMatchObject({ code: GrpcCode.INTERNAL });
  });

  it("reads a REST body without details, and a code with details that are no list as a REST body", () => {
    const info = { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "R", domain: "d" };
    expect(parseStatusJson({ statusCode: 400, message: "m", details: [info] })).toMatchObject({
      details: [],
      reason: undefined,
    });
    expect(readStatusJson({ code: 400, message: "m", details: { field: "x" } })).toMatchObject({
      shape: "rest",
      code: GrpcCode.INVALID_ARGUMENT,
    });
  });

  it("falls back, never throws, on bad input", () => {
    // A statusCode that is no HTTP status is not read: then nothing names a code.
    for (const statusCode of ["404", 404.5, 99, 600, -404, null, true, [404]]) {
      expect(parseStatusJson({ statusCode, message: "m" }), String(statusCode)).toBeUndefined();
    }
    // ... and a Connect code beside it is read as one.
    expect(parseStatusJson({ statusCode: "404", code: "not_found" })?.code).toBe(GrpcCode.NOT_FOUND);
    // A message of the wrong type is left out; entries of a list that are no strings are passed over.
    for (const message of [42, { text: "x" }, true, [], [1, null]]) {
      expect(readStatusJson({ statusCode: 404, message })).toMatchObject({
        code: GrpcCode.NOT_FOUND,
        message: undefined,
      });
    }
    expect(readStatusJson({ statusCode: 404, message: [1, "a", null, "b"] })?.message).toBe("a, b");
  });

  it("joins at most 100 entries of a message list, counting the rest, in time linear in nothing more", () => {
    const message = Array.from({ length: 100_000 }, (_, i) => `field ${i} is wrong`);
    const text = JSON.stringify({ statusCode: 400, message });
    const read = readStatusJson(text) as StatusJsonBody;
    const expected = `${message.slice(0, 100).join(", ")}, … (99900 more)`;
    expect(read.message).toBe(expected);
    expect(read.status.message).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// A leading byte-order mark, "-0s", and what an Unknown detail keeps
// ---------------------------------------------------------------------------------------------

describe("parseStatusJson: small things that went wrong", () => {
  it("skips a leading byte-order mark, and only a leading one", () => {
    const body = '{"error":{"code":404,"message":"gone","status":"NOT_FOUND"}}';
    expect(parseStatusJson(`\uFEFF${body}`)).toEqual(parseStatusJson(body));
    expect(parseStatusJson(`\uFEFF[${body}]`)?.code).toBe(GrpcCode.NOT_FOUND);
    expect(parseStatusJson(` \uFEFF${body}`)).toBeUndefined();
    expect(parseStatusJson(`\uFEFF\uFEFF${body}`)).toBeUndefined();
  });

  it('reads a Duration of "-0s" as 0, not -0', () => {
    for (const delay of ["-0s", "-0.000s", "-0.000000000s"]) {
      const parsed = parseStatusJson({
        code: 14,
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay }],
      }) as ParsedStatus;
      expect(Object.is(parsed.retryDelay, 0), delay).toBe(true);
      expect(Object.is((parsed.details[0] as { retryDelay?: number }).retryDelay, 0)).toBe(true);
    }
  });

  it("keeps a plain-data copy of an unknown detail, never the caller's live object", () => {
    const detail: Record<string, unknown> = { "@type": "acme.v1.X", n: 1, list: [1, { a: "b" }] };
    const parsed = parseStatusJson({ code: 5, message: "m", details: [detail] }) as ParsedStatus;
    const kept = parsed.details[0] as { json: Record<string, unknown> };
    expect(kept.json).toEqual(detail);
    expect(kept.json).not.toBe(detail);
    detail.n = 2;
    (detail.list as unknown[]).push("later");
    expect(kept.json).toEqual({ "@type": "acme.v1.X", n: 1, list: [1, { a: "b" }] });
  });

  it("copies an unknown detail whose getter throws, that refers to itself or nests deeply, into data JSON can write", () => {
    const throwing = {
      "@type": "acme.v1.X",
      ok: 1,
      get boom(): never {
        return boom();
      },
    };
    const cyclic: Record<string, unknown> = { "@type": "acme.v1.Y" };
    cyclic.self = cyclic;
    cyclic.list = [cyclic];
    let deep: unknown = "bottom";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const nested = { "@type": "acme.v1.Z", deep };
    const wide = {
      "@type": "acme.v1.W",
      ...Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])),
    };
    const parsed = parseStatusJson({
      code: 5,
      details: [throwing, cyclic, nested, wide, 7n as never],
    }) as ParsedStatus;
    const json = parsed.details.map((d) => (d as { json?: unknown }).json);
    expect(() => JSON.stringify(parsed)).not.toThrow();
    expect(json[0]).toEqual({ "@type": "acme.v1.X", ok: 1 });
    expect(json[1]).toEqual({ "@type": "acme.v1.Y", self: "[Circular]", list: ["[Circular]"] });
    let depth = 0;
    for (let at: unknown = (json[2] as { deep: unknown }).deep; Array.isArray(at); at = at[0]) depth++;
    expect(depth).toBe(MAX_JSON_DEPTH - 1);
    expect(Object.keys(json[3] as object).length).toBeLessThanOrEqual(MAX_JSON_VALUES);
    expect(json[4]).toBe("7");
  });
});

describe("snapshotJson", () => {
  it("copies plain JSON verbatim, and says nothing was cut", () => {
    const value = { a: [1, "two", null, true, { b: -1.5 }], "": {}, __proto__: null };
    const snapshot = snapshotJson(JSON.parse(JSON.stringify({ ...value, ["__proto__"]: { x: 1 } })));
    expect(snapshot.cut).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(snapshot.value, "__proto__")?.value).toEqual({ x: 1 });
    expect(Object.getPrototypeOf(snapshot.value)).toBe(Object.prototype);
  });

  it.each([
    [
      "a cycle",
      () => {
        const o: Record<string, unknown> = {};
        o.o = o;
        return o;
      },
      /cycle/,
    ],
    [
      "depth",
      () => {
        let d: unknown = 1;
        for (let i = 0; i < 100; i++) d = { d };
        return d;
      },
      /deeper than 64/,
    ],
    ["size", () => Array.from({ length: MAX_JSON_VALUES + 1 }, () => 0), /more than 10000 values/],
    ["a throwing getter", () => Object.defineProperty({}, "x", { get: boom, enumerable: true }), /threw/],
    ["a throwing proxy", () => throwingProxy(), /threw/],
    ["a bigint", () => ({ n: 1n }), /bigint/],
    ["a function", () => ({ f() {} }), /function/],
    ["NaN", () => [Number.NaN], /NaN/],
    ["undefined in an array", () => [undefined], /array/],
    ["bytes", () => ({ b: new Uint8Array([1, 2]) }), /bytes/],
  ])("notes %s, and never throws", (_what, make, reason) => {
    const snapshot = snapshotJson(make());
    expect(snapshot.cut).toMatch(reason);
    expect(() => JSON.stringify(snapshot.value)).not.toThrow();
  });

  it("takes bytes of another realm for bytes, and a view that only claims to be bytes for an object", () => {
    const foreign = runInNewContext("new Uint8Array([1, 2, 3])") as Uint8Array;
    expect(snapshotJson({ b: foreign })).toEqual({
      value: { b: "AQID" },
      cut: expect.stringMatching(/bytes/),
    });
    const pretender = Object.defineProperty(new DataView(new ArrayBuffer(2)), Symbol.toStringTag, {
      value: "Uint8Array",
    });
    expect(Object.prototype.toString.call(pretender)).toBe("[object Uint8Array]");
    expect(snapshotJson({ b: pretender })).toEqual({ value: { b: {} }, cut: undefined });
  });
});

describe("an error mapped from a JSON body with a hostile unknown detail", () => {
  it("serialises: JSON.stringify(fromGrpcStatus(body)) never meets the caller's getter", () => {
    const body = {
      code: 5,
      message: "m",
      details: [
        {
          "@type": "acme.v1.X",
          get boom(): never {
            throw Error("g");
          },
        },
      ],
    };
    const error = fromGrpcStatus(body);
    expect(error.grpcCode).toBe(GrpcCode.NOT_FOUND);
    const json = JSON.parse(JSON.stringify(error)) as { details: { json: unknown }[] };
    expect(json.details[0]?.json).toEqual({ "@type": "acme.v1.X" });
  });
});
