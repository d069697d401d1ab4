import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GrpcCode,
  MAX_DETAILS,
  type ParsedStatus,
  parseStatusDetails,
  parseStatusJson,
  type StatusDetail,
} from "../../src/index.js";
import { encodeStatus } from "../../src/testing/index.js";
import { readStatusJson } from "../../src/wire/status-json.js";
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
    ["an array", '[{"code": 5}]'],
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

  it("refuses a 50 MB array or string without parsing it", () => {
    expect(parseStatusJson(`[${"0,".repeat(25_000_000)}0]`)).toBeUndefined();
    expect(parseStatusJson(`"${"x".repeat(50_000_000)}"`)).toBeUndefined();
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
