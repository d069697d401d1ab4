/**
 * `defineCatalogue` and `defineMapping` (SPEC §17): an SDK's own mapping rules, as data.
 *
 * - SPEC §17's own example catalogue, written as the SPEC writes it, on every road of §13 (real
 *   servers: grpc-js, protobuf-ts, connect-es's three protocols, nice-grpc with the catalogue's
 *   middleware, nice-grpc-error-details' `RichClientError`, raw `fetch` `Response`s, an HTTP/JSON
 *   gateway's body parsed and not, and axios).
 * - The walk's order (trusted reasons, then HTTP statuses exact before `4xx`/`5xx`, then codes, then
 *   the root; a scope's rows before the top level's), rules with `when` and a trailing class, what
 *   `when` and `message` are given, message functions and templates.
 * - Bad specs are a `TypeError` naming the entry; a `when` or `message` that throws, and a hostile
 *   context, leave the mapping total.
 * - A user catalogue's classes and errors: their JavaScript names, `isRetryable` reading their own
 *   `retryable` getter, `retry`, `otelAttributes`, `toJSON`/`fromJSON` and the testing kit.
 *
 * Expected classes and messages are what the SPEC's rules say for the failure sent, worked out here
 * from the spec's words; fields come from what the encoder was given.
 */
import { Metadata } from "@grpc/grpc-js";
import axios from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CatalogueContext,
  type CatalogueFailure,
  type CatalogueSpec,
  catalogueOf,
  fromGrpcStatus as defaultFromGrpcStatus,
  defineCatalogue,
  defineErrorClass,
  defineMapping,
  type ErrorOptionsOf,
  isRetryable,
  isSandboxSdkError,
  type MappingContext,
  type MessageFacts,
  otelAttributes,
  parseStatusDetails,
  policyOf,
  retry,
  retryWith,
  SandboxSdkError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "../../src/index.js";
import { encodeStatus, toResponse, toServiceError, toStatusJson } from "../../src/testing/index.js";
import { checkCatalogue } from "../support/catalogue-checks.js";
import { badRequest, encodeStatusBlob, errorInfo, requestInfo, retryInfo } from "../support/encoder.js";
import { throwingProxy } from "../support/hostile.js";
import { ROAD_NAMES, type Roads, startRoads } from "../support/roads/roads.js";
import { serviceError } from "../support/transport.js";
import { type HttpServer, startHttpServer } from "../support/transports/http.js";
import type { Failure } from "../support/transports/script.js";

// ---------------------------------------------------------------------------------------------
// SPEC §17's example, as the SPEC writes it
// ---------------------------------------------------------------------------------------------

class AcmeError extends SandboxSdkError {}
class AcmeNotFoundError extends AcmeError {}
class AcmeBusyError extends AcmeError {
  override get retryable() {
    return true;
  }
}
const acme = defineCatalogue({
  root: AcmeError, // the class for anything no rule names
  trustedDomains: ["acme.dev"], // whose ErrorInfo reasons are believed
  reasons: { ACME_BUSY: AcmeBusyError }, // trusted ErrorInfo.reason → class (wins over the code)
  codes: { NOT_FOUND: AcmeNotFoundError }, // gRPC code name → class
  message: ({ rawMessage, operation }) => `${operation}: ${rawMessage}`, // optional
});

const OPERATION = "getThing";
const CONTEXT: MappingContext = { operation: OPERATION, sandboxId: "sb-1" };

/** A failure of the example's service: a code, a message, and ErrorInfo, RetryInfo and RequestInfo. */
function acmeFailure(code: number, reason: string | undefined, domain = "acme.dev"): Failure {
  const details: StatusDetail[] = [
    { type: "RetryInfo", retryDelay: 1_500 },
    { type: "RequestInfo", requestId: `req-${code}`, servingData: "" },
  ];
  if (reason !== undefined) {
    details.unshift({ type: "ErrorInfo", reason, domain, metadata: { thing: "t-1" } });
  }
  return { code, message: `thing t-1: code ${code}`, details };
}

/** The example's failures, and the class SPEC §17's rules give each. */
const EXAMPLE_CASES: readonly (readonly [string, Failure, typeof AcmeError])[] = [
  ["a trusted reason wins over the code", acmeFailure(5, "ACME_BUSY"), AcmeBusyError],
  ["a trusted reason under a code without a row", acmeFailure(14, "ACME_BUSY"), AcmeBusyError],
  [
    "an untrusted domain's reason is not believed",
    acmeFailure(5, "ACME_BUSY", "evil.example"),
    AcmeNotFoundError,
  ],
  ["a reason without a row goes on to the code", acmeFailure(5, "ACME_OTHER"), AcmeNotFoundError],
  ["NOT_FOUND", acmeFailure(5, undefined), AcmeNotFoundError],
  ["a code without a row gives the root", acmeFailure(13, undefined), AcmeError],
];

/** What every road must agree on (§13), and what the SDK said of the call. */
function fields(error: SandboxSdkError) {
  return {
    name: error.name,
    message: error.message,
    retryable: error.retryable,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    grpcCode: error.grpcCode,
    requestId: error.requestId,
    rawMessage: error.rawMessage,
    operation: error.operation,
    sandboxId: error.sandboxId,
    details: error.details.filter((detail) => detail.type !== "Unknown"),
  };
}

describe("SPEC §17's example catalogue, on every road", () => {
  let roads: Roads;
  let gateway: HttpServer;
  beforeAll(async () => {
    [roads, gateway] = await Promise.all([startRoads(acme), startHttpServer({ status: 500 })]);
  });
  afterAll(async () => {
    await Promise.all([roads?.close(), gateway?.close()]);
  });

  describe.each(EXAMPLE_CASES)("%s", (_name, failure, expected) => {
    it.each(ROAD_NAMES)("%s", async (name) => {
      const road = roads.byName.get(name);
      if (road === undefined) throw new Error(`no road ${name}`);
      const { mapped, shape } = await road.run(failure, CONTEXT);
      expect(Object.getPrototypeOf(mapped), shape).toBe(expected.prototype);
      const sent = parseStatusDetails(encodeStatus(failure));
      expect(fields(mapped), shape).toEqual({
        name: expected.name,
        message: `${OPERATION}: ${failure.message}`,
        retryable: expected === AcmeBusyError,
        reason: sent?.reason,
        domain: sent?.domain,
        metadata: { ...sent?.metadata },
        retryDelay: sent?.retryDelay,
        grpcCode: failure.code,
        requestId: sent?.requestId,
        rawMessage: failure.message,
        operation: OPERATION,
        sandboxId: CONTEXT.sandboxId,
        details: sent?.details,
      });
    });

    it("axios, against an HTTP/JSON gateway's AIP-193 body", async () => {
      const body = toStatusJson(failure, { form: "aip193" });
      gateway.respond = {
        status: body.error.code,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      };
      const raw = await axios.get(`${gateway.url}/v1/things/t-1`).then(
        () => undefined,
        (error: unknown) => error,
      );
      const mapped = acme.fromGrpcStatus(raw, CONTEXT);
      expect(Object.getPrototypeOf(mapped)).toBe(expected.prototype);
      expect(mapped.httpStatus).toBe(body.error.code);
      expect(mapped.cause).toBe(raw);
      // The same as the body alone, and as grpc-js's road, but for where it came from.
      const { httpStatus: _h, ...viaAxios } = { ...fields(mapped), httpStatus: mapped.httpStatus };
      expect(viaAxios).toEqual(
        fields(
          acme.fromGrpcStatus(
            serviceError(failure.code, failure.message ?? "", encodeStatus(failure)),
            CONTEXT,
          ),
        ),
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The walk's order
// ---------------------------------------------------------------------------------------------

class Root extends SandboxSdkError {}
class FilesRoot extends Root {}
class TopReason extends Root {}
class FilesReason extends Root {}
class TopExact extends Root {}
class FilesExact extends Root {}
class TopClass extends Root {}
class FilesClass extends Root {}
class TopCode extends Root {}
class FilesCode extends Root {}

const ordered = defineCatalogue({
  root: Root,
  trustedDomains: ["acme.dev"],
  reasons: { A: TopReason, B: TopReason },
  httpStatuses: { 503: TopExact, "5xx": TopClass },
  codes: { UNAVAILABLE: TopCode, NOT_FOUND: TopCode },
  scopes: {
    files: {
      root: FilesRoot,
      reasons: { A: FilesReason },
      httpStatuses: { 502: FilesExact, "5xx": FilesClass },
      codes: { UNAVAILABLE: FilesCode },
    },
  },
});

/** A failure as a fetch `Response` (an AIP-193 body with `status`, at `httpStatus`) or over grpc-js. */
interface Sent {
  readonly code: number;
  readonly reason?: string;
  readonly domain?: string;
  readonly httpStatus?: number;
}

const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

async function mapSent(
  catalogue: typeof ordered,
  sent: Sent,
  context: CatalogueContext,
): Promise<SandboxSdkError> {
  const details = sent.reason === undefined ? [] : [errorInfo(sent.reason, sent.domain ?? "acme.dev", {})];
  if (sent.httpStatus === undefined) {
    return catalogue.fromGrpcStatus(
      serviceError(sent.code, "it failed", encodeStatusBlob(sent.code, "it failed", details)),
      context,
    );
  }
  const body = {
    error: {
      code: sent.httpStatus,
      message: "it failed",
      status: CODE_NAMES[sent.code],
      details:
        sent.reason === undefined
          ? []
          : [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                reason: sent.reason,
                domain: sent.domain ?? "acme.dev",
              },
            ],
    },
  };
  const response = new Response(JSON.stringify(body), {
    status: sent.httpStatus,
    headers: { "content-type": "application/json" },
  });
  const mapped = await catalogue.fromResponse(response, context);
  expect(mapped.httpStatus).toBe(sent.httpStatus);
  return mapped;
}

describe("the walk: trusted reasons, then HTTP statuses (exact first), then codes, then the root; a scope before the top", () => {
  const UNAVAILABLE = 14;
  const NOT_FOUND = 5;
  const INTERNAL = 13;
  const files = { scope: "files" };
  it.each([
    ["a reason in the scope's rows", { code: UNAVAILABLE, reason: "A", httpStatus: 503 }, files, FilesReason],
    ["the same reason without a scope", { code: UNAVAILABLE, reason: "A", httpStatus: 503 }, {}, TopReason],
    [
      "a reason only the top names, over every status",
      { code: UNAVAILABLE, reason: "B", httpStatus: 502 },
      files,
      TopReason,
    ],
    [
      "an exact status the top names, before the scope's 5xx",
      { code: UNAVAILABLE, httpStatus: 503 },
      files,
      TopExact,
    ],
    ["an exact status the scope names", { code: UNAVAILABLE, httpStatus: 502 }, files, FilesExact],
    ["a status only a class names: the scope's", { code: UNAVAILABLE, httpStatus: 500 }, files, FilesClass],
    ["a status only a class names, no scope", { code: UNAVAILABLE, httpStatus: 500 }, {}, TopClass],
    ["a status no row names: the code, the top's", { code: NOT_FOUND, httpStatus: 404 }, files, TopCode],
    ["a code the scope names", { code: UNAVAILABLE }, files, FilesCode],
    ["a code the scope names, no scope", { code: UNAVAILABLE }, {}, TopCode],
    [
      "an untrusted reason, a code no row names: the scope's root",
      { code: INTERNAL, reason: "A", domain: "x.dev" },
      files,
      FilesRoot,
    ],
    [
      "an untrusted reason, a code no row names, no scope: the root",
      { code: INTERNAL, reason: "A", domain: "x.dev" },
      {},
      Root,
    ],
    [
      "a scope the catalogue does not define: the top alone",
      { code: UNAVAILABLE, reason: "A" },
      { scope: "nope" },
      TopReason,
    ],
    [
      "the context's trustedDomains believe another domain",
      { code: UNAVAILABLE, reason: "A", domain: "x.dev" },
      { trustedDomains: ["x.dev"] },
      TopReason,
    ],
    [
      "the context's trustedDomains replace the catalogue's",
      { code: UNAVAILABLE, reason: "A" },
      { trustedDomains: ["x.dev"] },
      TopCode,
    ],
  ] as const)("%s", async (_name, sent, context, expected) => {
    const mapped = await mapSent(ordered, sent, context);
    expect(Object.getPrototypeOf(mapped)).toBe(expected.prototype);
  });
});

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

class ImageNotFound extends Root {}
class Quota extends Root {}
class Conflict extends Root {}
class ReasonRule extends Root {}

/** Modal's own case: FAILED_PRECONDITION + "Could not find image with ID" is a not-found. */
const MISSING_IMAGE = "Could not find image with ID im-123";

const ruled = defineCatalogue({
  root: Root,
  trustedDomains: ["acme.dev"],
  reasons: {
    // No trailing class: when the rule does not hold, the next step (the code) decides.
    R: [{ when: (failure) => failure.code === 10, then: ReasonRule }],
  },
  codes: {
    FAILED_PRECONDITION: [
      {
        when: (failure) => failure.rawMessage?.startsWith("Could not find image with ID") === true,
        then: ImageNotFound,
      },
      { when: (failure) => failure.metadata.kind === "quota", then: Quota, message: "quota: {details}" },
      Conflict,
    ],
    ABORTED: [{ when: (failure) => failure.reason === "never", then: Quota }],
    INTERNAL: { then: Conflict },
  },
});

describe("rules: `when` tried in order, a trailing class as the fallback, none: the next step decides", () => {
  const precondition = (message: string, metadata: Record<string, string> = {}) =>
    serviceError(9, message, encodeStatusBlob(9, message, [errorInfo("X", "other.dev", metadata)]));
  it.each([
    ["the first rule that holds", precondition(MISSING_IMAGE), ImageNotFound],
    ["the second, when the first does not hold", precondition("quota", { kind: "quota" }), Quota],
    [
      "the first that holds wins over a later one that holds too",
      precondition(MISSING_IMAGE, { kind: "quota" }),
      ImageNotFound,
    ],
    ["the trailing class when none holds", precondition("busy"), Conflict],
    ["a row of rules without a fallback, none holding: the root", serviceError(10, "aborted"), Root],
    ["a rule without `when` always holds", serviceError(13, "internal"), Conflict],
    [
      "a reason's rule that holds",
      serviceError(10, "aborted", encodeStatusBlob(10, "aborted", [errorInfo("R", "acme.dev")])),
      ReasonRule,
    ],
    [
      "a reason's rule that does not hold, no fallback: the code's row",
      serviceError(9, "busy", encodeStatusBlob(9, "busy", [errorInfo("R", "acme.dev")])),
      Conflict,
    ],
  ] as const)("%s", (_name, raw, expected) => {
    expect(Object.getPrototypeOf(ruled.fromGrpcStatus(raw))).toBe(expected.prototype);
  });

  it("a rule's message is its own", () => {
    expect(ruled.fromGrpcStatus(precondition("over quota", { kind: "quota" })).message).toBe(
      "quota: over quota",
    );
  });

  it("`when` is given the failure: code, codeName, rawMessage, reason, domain, metadata, details, httpStatus, headers", () => {
    const seen: CatalogueFailure[] = [];
    const seenContexts: unknown[] = [];
    const spy = defineCatalogue({
      root: Root,
      codes: {
        UNAVAILABLE: [
          {
            when: (failure, context) => {
              seen.push(failure);
              seenContexts.push(context);
              return false;
            },
            then: Quota,
          },
        ],
      },
    });
    const details = [
      errorInfo("SLOW", "acme.dev", { zone: "z-1" }),
      retryInfo(1),
      requestInfo("req-1"),
      badRequest({ field: "a", description: "b" }),
    ];
    const blob = encodeStatusBlob(14, "slow down", details);
    const raw = serviceError(14, "slow down", blob);
    raw.metadata.set("X-Acme-Hint", "7");
    const context = { operation: "op", custom: "c" };
    spy.fromGrpcStatus(raw, context);
    const [failure] = seen;
    const parsed = parseStatusDetails(blob);
    expect(failure).toMatchObject({
      code: 14,
      codeName: "UNAVAILABLE",
      rawMessage: "slow down",
      reason: "SLOW",
      domain: "acme.dev",
      httpStatus: undefined,
    });
    expect({ ...failure?.metadata }).toEqual({ zone: "z-1" });
    expect(failure?.details).toEqual(parsed?.details);
    expect(failure?.headers.get("x-acme-hint")).toBe("7");
    expect(failure?.headers.get("X-ACME-HINT")).toBe("7");
    expect(failure?.headers.get("absent")).toBeNull();
    expect(seenContexts[0]).toMatchObject(context);
  });

  it("`when` sees a Response's HTTP status and headers", async () => {
    const seen: CatalogueFailure[] = [];
    const spy = defineCatalogue({
      root: Root,
      httpStatuses: {
        "4xx": [
          {
            when: (failure) => {
              seen.push(failure);
              return false;
            },
            then: Quota,
          },
        ],
      },
    });
    const response = toResponse(
      { code: 8, message: "slow" },
      { protocol: "aip193", headers: { "Retry-After": "3" } },
    );
    await spy.fromResponse(response);
    expect(seen[0]?.httpStatus).toBe(response.status);
    expect(seen[0]?.headers.get("retry-after")).toBe("3");
    expect(seen[0]?.codeName).toBe("RESOURCE_EXHAUSTED");
  });

  it("a `when` that throws counts as false, and a `when` that returns a truthy non-boolean is no `true`", () => {
    const throwing = defineCatalogue({
      root: Root,
      codes: {
        NOT_FOUND: [
          {
            when: () => {
              throw new Error("boom");
            },
            then: Quota,
          },
          { when: () => 1 as unknown as boolean, then: ImageNotFound },
          Conflict,
        ],
      },
    });
    expect(Object.getPrototypeOf(throwing.fromGrpcStatus(serviceError(5, "gone")))).toBe(Conflict.prototype);
  });
});

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

describe("messages: functions and templates", () => {
  const raw = (code: number, message: string, details = [errorInfo("SLOW", "acme.dev")]) =>
    serviceError(code, message, encodeStatusBlob(code, message, details));

  it("without one, the server's message as sent, or the code's name when it is empty", () => {
    const bare = defineCatalogue({ root: Root });
    expect(bare.fromGrpcStatus(raw(14, "draining")).message).toBe("draining");
    expect(bare.fromGrpcStatus(raw(14, "")).message).toBe("UNAVAILABLE");
  });

  it("a function is given the failure, the operation, the sandbox and the whole context", () => {
    const facts: MessageFacts[] = [];
    const told = defineCatalogue({
      root: Root,
      message: (given) => {
        facts.push(given);
        return "told";
      },
    });
    const context = { operation: "exec", sandboxId: "sb-2", scope: "whatever", extra: 1 };
    expect(told.fromGrpcStatus(raw(14, "draining"), context).message).toBe("told");
    expect(facts[0]).toMatchObject({
      code: 14,
      codeName: "UNAVAILABLE",
      rawMessage: "draining",
      reason: "SLOW",
      domain: "acme.dev",
      operation: "exec",
      sandboxId: "sb-2",
    });
    expect(facts[0]?.context).toMatchObject(context);
  });

  it.each([
    [
      "throws",
      () => {
        throw new Error("boom");
      },
    ],
    ["returns a number", () => 42 as unknown as string],
    ["returns undefined", () => undefined as unknown as string],
  ])("a function that %s gives the default message", (_name, message) => {
    const broken = defineCatalogue({ root: Root, message });
    expect(broken.fromGrpcStatus(raw(14, "draining")).message).toBe("draining");
    expect(broken.fromGrpcStatus(raw(14, "")).message).toBe("UNAVAILABLE");
  });

  it("a template fills in its placeholders: operation, details, rawMessage, reason, codeName, httpStatus, sandboxId, violations and the context's own strings", async () => {
    const templated = defineCatalogue({
      root: Root,
      message: "{operation}|{details}|{rawMessage}|{reason}|{codeName}|{sandboxId}|{violations}|{filepath}",
      httpStatuses: { "4xx": { then: Quota, message: "{httpStatus} {codeName}: {details}" } },
    });
    const violations = [
      { field: "a", description: "x" },
      { field: "b", description: "y" },
    ];
    const mapped = templated.fromGrpcStatus(
      raw(3, "bad", [errorInfo("SLOW", "acme.dev"), badRequest(...violations)]),
      { operation: "exec", sandboxId: "sb-3", filepath: "/etc/x" } as CatalogueContext,
    );
    expect(mapped.message).toBe(
      [
        "exec",
        "bad",
        "bad",
        "SLOW",
        "INVALID_ARGUMENT",
        "sb-3",
        violations.map((v) => `${v.field}: ${v.description}`).join("; "),
        "/etc/x",
      ].join("|"),
    );
    const fromHttp = await templated.fromResponse(
      toResponse({ code: 5, message: "gone" }, { protocol: "aip193" }),
    );
    expect(fromHttp.message).toBe(`${fromHttp.httpStatus} NOT_FOUND: gone`);
  });

  it("{operation} reads `operation` when the context names none", () => {
    const templated = defineCatalogue({ root: Root, message: "{operation} failed: {details}" });
    expect(templated.fromGrpcStatus(raw(14, "draining")).message).toBe("operation failed: draining");
  });

  it("alternatives: the first whose placeholders all have a value; none fills: the failure in words", () => {
    const alternatives = defineCatalogue({
      root: Root,
      message: ["Sandbox '{sandboxId}' is gone: {details}", "{reason} gone: {details}", "gone: {details}"],
    });
    expect(alternatives.fromGrpcStatus(raw(5, "x"), { sandboxId: "sb-4" }).message).toBe(
      "Sandbox 'sb-4' is gone: x",
    );
    expect(alternatives.fromGrpcStatus(raw(5, "x")).message).toBe("SLOW gone: x");
    expect(alternatives.fromGrpcStatus(serviceError(5, "x")).message).toBe("gone: x");

    const noneFills = defineCatalogue({
      root: Root,
      message: ["Sandbox '{sandboxId}' is gone: {details}", "{reason} gone"],
    });
    expect(noneFills.fromGrpcStatus(serviceError(5, "the sandbox is gone")).message).toBe(
      "the sandbox is gone",
    );
  });

  it("a rule's message, else its scope's, else the top level's", () => {
    const layered = defineCatalogue({
      root: Root,
      message: "top: {details}",
      codes: { NOT_FOUND: { then: Quota, message: "rule: {details}" }, INTERNAL: Conflict },
      scopes: { files: { message: "files: {details}", codes: { UNAVAILABLE: Conflict } } },
    });
    expect(layered.fromGrpcStatus(raw(5, "x"), { scope: "files" }).message).toBe("rule: x");
    expect(layered.fromGrpcStatus(raw(14, "x"), { scope: "files" }).message).toBe("files: x");
    expect(layered.fromGrpcStatus(raw(13, "x"), { scope: "files" }).message).toBe("files: x");
    expect(layered.fromGrpcStatus(raw(13, "x")).message).toBe("top: x");
  });
});

// ---------------------------------------------------------------------------------------------
// Bad specs
// ---------------------------------------------------------------------------------------------

class NotOurs extends Error {}

describe("a bad spec is a TypeError at definition that names the entry", () => {
  it.each([
    ["a root that does not extend SandboxSdkError", { root: NotOurs }, "root"],
    [
      "a code's class that does not extend SandboxSdkError",
      { root: Root, codes: { NOT_FOUND: NotOurs } },
      "NOT_FOUND",
    ],
    ["a reason's class that is a plain function", { root: Root, reasons: { X: () => Root } }, "reasons.X"],
    ["an unknown code name", { root: Root, codes: { NOTFOUND: Conflict } }, "NOTFOUND"],
    ["a code name in Connect's spelling", { root: Root, codes: { not_found: Conflict } }, "not_found"],
    ["a rule without `then`", { root: Root, codes: { NOT_FOUND: [{ when: () => true }] } }, "NOT_FOUND[0]"],
    [
      "a class in the middle of a rule list",
      { root: Root, codes: { NOT_FOUND: [Conflict, { when: () => true, then: Quota }] } },
      "NOT_FOUND[0]",
    ],
    [
      "a `when` that is not a function",
      { root: Root, codes: { NOT_FOUND: { when: true, then: Quota } } },
      "NOT_FOUND.when",
    ],
    ["an httpStatuses key 6xx", { root: Root, httpStatuses: { "6xx": Conflict } }, "6xx"],
    ["an httpStatuses key abc", { root: Root, httpStatuses: { abc: Conflict } }, "abc"],
    ["an httpStatuses key 600", { root: Root, httpStatuses: { 600: Conflict } }, "600"],
    ["an unknown field", { root: Root, reason: { X: Conflict } }, "reason"],
    [
      "an unknown field of a scope",
      { root: Root, scopes: { files: { network: Conflict } } },
      "scopes.files.network",
    ],
    [
      "an unknown field of a rule",
      { root: Root, codes: { NOT_FOUND: { then: Quota, unless: () => true } } },
      "NOT_FOUND.unless",
    ],
    ["no root", { codes: { NOT_FOUND: Conflict } }, "root"],
    ["a network class that is not one", { root: Root, network: NotOurs }, "network"],
    ["a defaultScope no scope has", { root: Root, defaultScope: "files" }, "defaultScope"],
  ])("%s", (_name, spec, entry) => {
    for (const define of [defineCatalogue, defineMapping]) {
      let thrown: unknown;
      try {
        define(spec as unknown as CatalogueSpec);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toContain(entry);
    }
  });

  it.each([
    ["null", null],
    ["a string", "spec"],
    ["an array", []],
  ])("a spec that is %s", (_name, spec) => {
    expect(() => defineCatalogue(spec as unknown as CatalogueSpec)).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile contexts: the mapping stays total
// ---------------------------------------------------------------------------------------------

describe("a hostile context is mapped without, never thrown", () => {
  const raw = serviceError(5, "gone", encodeStatusBlob(5, "gone", [errorInfo("ACME_BUSY", "acme.dev")]));
  const withoutContext = () => acme.fromGrpcStatus(raw);

  it.each([
    ["a proxy every read of which throws", () => throwingProxy({})],
    ["a throwing operation getter", () => Object.defineProperty({}, "operation", { get: boom })],
    ["a throwing scope getter", () => Object.defineProperty({}, "scope", { get: boom })],
    ["a throwing trustedDomains getter", () => Object.defineProperty({}, "trustedDomains", { get: boom })],
  ])("%s", (_name, context) => {
    let mapped: SandboxSdkError | undefined;
    expect(() => {
      mapped = acme.fromGrpcStatus(raw, context() as CatalogueContext);
    }).not.toThrow();
    expect(Object.getPrototypeOf(mapped)).toBe(Object.getPrototypeOf(withoutContext()));
    expect(mapped?.cause).toBe(raw);
    expect(mapped?.reason).toBe("ACME_BUSY");
  });

  it("a `when` whose context read throws counts as false", () => {
    const reading = defineCatalogue({
      root: Root,
      codes: {
        NOT_FOUND: [
          { when: (_failure, context) => (context as { flag?: boolean }).flag === true, then: Quota },
          Conflict,
        ],
      },
    });
    const context = Object.defineProperty({}, "flag", { get: boom }) as CatalogueContext;
    expect(Object.getPrototypeOf(reading.fromGrpcStatus(serviceError(5, "x"), context))).toBe(
      Conflict.prototype,
    );
  });

  it("fromResponse with a hostile context resolves", async () => {
    const mapped = await acme.fromResponse(
      toResponse({ code: 5, message: "gone" }, { protocol: "grpc-web" }),
      throwingProxy({}) as CatalogueContext,
    );
    expect(mapped).toBeInstanceOf(AcmeNotFoundError);
  });
});

function boom(): never {
  throw new Error("hostile");
}

// ---------------------------------------------------------------------------------------------
// The classes of a user catalogue
// ---------------------------------------------------------------------------------------------

describe("a user catalogue's classes", () => {
  it("without defineErrorClass, get their JavaScript names (every class the spec names)", () => {
    for (const cls of [
      AcmeError,
      AcmeNotFoundError,
      AcmeBusyError,
      Root,
      FilesRoot,
      FilesClass,
      TopExact,
      ImageNotFound,
    ]) {
      const error = new cls("m");
      expect(error.name).toBe(cls.name);
      expect(String(error.stack).startsWith(`${cls.name}: m`)).toBe(true);
    }
    expect(acme.fromGrpcStatus(serviceError(5, "gone")).name).toBe("AcmeNotFoundError");
  });

  it("with defineErrorClass keep the literal name given, whatever the JavaScript name", () => {
    const Minified = class extends SandboxSdkError {
      static override readonly brand: string = defineErrorClass(this, "AcmeQuotaError");
    };
    defineCatalogue({ root: Minified });
    expect(new Minified("m").name).toBe("AcmeQuotaError");
  });

  it("say their name in words when given no message, not their root's sentence", () => {
    const inWords = (error: Error) => error.message.replace(/\s+/g, "").toLowerCase();
    expect(inWords(new AcmeNotFoundError())).toBe("acmenotfound");
    expect(inWords(new AcmeBusyError())).toBe("acmebusy");
    expect(inWords(new BrandedNotFoundError())).toBe("brandednotfound");
    // A subclass no catalogue named says what its nearest named ancestor says.
    class Unnamed extends AcmeNotFoundError {}
    expect(new Unnamed().message).toBe(new AcmeNotFoundError().message);
  });

  it("declare retryability with the retryable getter: isRetryable reads it, subclasses inherit it", () => {
    class AcmeVeryBusyError extends AcmeBusyError {}
    class AcmeCalmError extends AcmeBusyError {
      override get retryable() {
        return false;
      }
    }
    expect(isRetryable(new AcmeBusyError("m"))).toBe(true);
    expect(isRetryable(new AcmeVeryBusyError("m"))).toBe(true);
    expect(isRetryable(new AcmeCalmError("m"))).toBe(false);
    expect(isRetryable(new AcmeNotFoundError("m"))).toBe(false);
    expect(acme.isRetryable(new AcmeBusyError("m"))).toBe(true);
  });

  it("isRetryable of a raw error answers for what each catalogue makes of it", () => {
    const busy = serviceError(9, "busy", encodeStatusBlob(9, "busy", [errorInfo("ACME_BUSY", "acme.dev")]));
    expect(acme.isRetryable(busy)).toBe(true);
    expect(acme.fromGrpcStatus(busy)).toBeInstanceOf(AcmeBusyError);
    // The default preset trusts no acme.dev reason, and FAILED_PRECONDITION is not retryable there.
    expect(isRetryable(busy)).toBe(defaultFromGrpcStatus(busy).retryable);
    expect(isRetryable(busy)).toBe(false);
  });

  it("defineMapping is the same mapping, and defineCatalogue(mapping) adds the rest", async () => {
    const mapping = defineMapping(acme.spec);
    const raw = serviceError(5, "gone");
    expect(fields(mapping.fromGrpcStatus(raw, CONTEXT))).toEqual(fields(acme.fromGrpcStatus(raw, CONTEXT)));
    const full = defineCatalogue(mapping);
    expect(full.fromGrpcStatus).toBe(mapping.fromGrpcStatus);
    const fromResponse = await full.fromResponse(
      toResponse({ code: 5, message: "gone" }, { protocol: "connect" }),
      CONTEXT,
    );
    expect(fromResponse).toBeInstanceOf(AcmeNotFoundError);
  });
});

// ---------------------------------------------------------------------------------------------
// A user catalogue's errors with the package's tools
// ---------------------------------------------------------------------------------------------

describe("a user catalogue's errors with retry, otelAttributes, toJSON and the kit", () => {
  const busyRaw = () =>
    serviceError(
      9,
      "busy",
      encodeStatusBlob(9, "busy", [errorInfo("ACME_BUSY", "acme.dev"), retryInfo(0, 2_000_000)]),
    );

  it("retry retries a mapped retryable user error and re-throws a non-retryable one at once", async () => {
    let calls = 0;
    const answer = await retry(
      () => {
        calls++;
        if (calls < 3) throw acme.fromGrpcStatus(busyRaw());
        return "done";
      },
      { baseDelayMs: 1 },
    );
    expect(answer).toBe("done");
    expect(calls).toBe(3);
    calls = 0;
    const notFound = acme.fromGrpcStatus(serviceError(5, "gone"));
    await expect(
      retry(() => {
        calls++;
        throw notFound;
      }),
    ).rejects.toBe(notFound);
    expect(calls).toBe(1);
  });

  it("retryWith(policyOf(catalogue)) judges raw errors with the catalogue, honours their hint, re-throws them unchanged", async () => {
    let calls = 0;
    const delays: number[] = [];
    const raw = busyRaw();
    await expect(
      retryWith(
        () => {
          calls++;
          throw raw;
        },
        { maxAttempts: 3, onRetry: ({ delayMs }) => delays.push(delayMs) },
        policyOf(acme),
      ),
    ).rejects.toBe(raw);
    expect(calls).toBe(3);
    expect(delays).toEqual([2, 2]);
    // The default preset's retry does not retry the same raw error.
    calls = 0;
    await expect(
      retry(() => {
        calls++;
        throw raw;
      }),
    ).rejects.toBe(raw);
    expect(calls).toBe(1);
  });

  it("otelAttributes names the user class and reads its retryable getter", () => {
    const mapped = acme.fromGrpcStatus(busyRaw(), CONTEXT);
    const attributes = otelAttributes(mapped);
    expect(attributes["sandbox.error.class"]).toBe("AcmeBusyError");
    expect(attributes["sandbox.error.retryable"]).toBe(true);
    expect(attributes["sandbox.error.reason"]).toBe("ACME_BUSY");
    expect(attributes["sandbox.error.domain"]).toBe("acme.dev");
    expect(attributes["sandbox.operation"]).toBe(OPERATION);
    expect(attributes["error.type"]).toBe("FAILED_PRECONDITION");
  });

  it("toJSON writes the user class's name and fields; fromJSON, knowing no such class, gives a SandboxSdkError with them", () => {
    const mapped = acme.fromGrpcStatus(busyRaw(), CONTEXT);
    const json = JSON.parse(JSON.stringify(mapped));
    expect(json).toMatchObject({
      name: "AcmeBusyError",
      message: mapped.message,
      retryable: true,
      reason: "ACME_BUSY",
      domain: "acme.dev",
      grpcCode: 9,
      operation: OPERATION,
      sandboxId: CONTEXT.sandboxId,
      rawMessage: "busy",
    });
    const revived = SandboxSdkError.fromJSON(json);
    expect(Object.getPrototypeOf(revived)).toBe(SandboxSdkError.prototype);
    expect(revived).toMatchObject({
      reason: "ACME_BUSY",
      grpcCode: 9,
      operation: OPERATION,
      retryDelay: mapped.retryDelay,
    });
  });

  it("a class declared with defineErrorClass and a preset revives to itself", () => {
    class PresetRoot extends SandboxSdkError {
      static override readonly brand: string = defineErrorClass(this, "PresetRoot", { preset: "acme-json" });
    }
    class PresetLeaf extends PresetRoot {
      static override readonly brand: string = defineErrorClass(this, "PresetLeaf", {
        fields: { thingId: undefined },
      });
      declare readonly thingId: string | undefined;
      constructor(message?: string, options?: ErrorOptionsOf<PresetLeaf>) {
        super(message, options);
      }
    }
    const error = new PresetLeaf("m", { thingId: "t-1", reason: "R" });
    const json = error.toJSON();
    expect(json.preset).toBe("acme-json");
    const revived = SandboxSdkError.fromJSON(JSON.stringify(error));
    expect(Object.getPrototypeOf(revived)).toBe(PresetLeaf.prototype);
    expect(revived).toMatchObject({ thingId: "t-1", reason: "R", message: "m" });
  });

  it("the kit, told the catalogue, sends what maps back to the same class and fields", async () => {
    const errors = [
      new AcmeBusyError("busy", {
        ...CONTEXT,
        reason: "ACME_BUSY",
        domain: "acme.dev",
        retryDelay: 250,
        requestId: "q",
      }),
      new AcmeNotFoundError("gone", { ...CONTEXT, requestId: "q" }),
      new AcmeError("broken", { ...CONTEXT }),
    ];
    for (const error of errors) {
      const expected = {
        ...fields(error),
        details: [],
        grpcCode: undefined,
        rawMessage: undefined,
        message: undefined,
      };
      const strip = (mapped: SandboxSdkError) => ({
        ...fields(mapped),
        details: [],
        grpcCode: undefined,
        rawMessage: undefined,
        message: undefined,
      });
      expect(
        strip(acme.fromGrpcStatus(toServiceError(error, { catalogue: acme }), CONTEXT)),
        error.name,
      ).toEqual(expected);
      for (const form of ["aip193", "connect"] as const) {
        expect(
          strip(acme.fromGrpcStatus(toStatusJson(error, { form, catalogue: acme }), CONTEXT)),
          form,
        ).toEqual(expected);
      }
      for (const protocol of ["aip193", "connect", "grpc-web"] as const) {
        const mapped = await acme.fromResponse(toResponse(error, { protocol, catalogue: acme }), CONTEXT);
        expect(strip(mapped), protocol).toEqual(expected);
      }
    }
  });

  it("toServiceError's status reads as a grpc-js trailer", () => {
    const sent = toServiceError(new AcmeNotFoundError("gone"), { catalogue: acme });
    expect(sent.metadata).toBeInstanceOf(Metadata);
    expect(sent.metadata.get(STATUS_DETAILS_KEY).length).toBeGreaterThanOrEqual(0);
    expect(acme.fromGrpcStatus(sent)).toBeInstanceOf(AcmeNotFoundError);
  });
});

// A user catalogue whose classes carry a preset of their own: the kit finds it unaided.
class BrandedError extends SandboxSdkError {
  static override readonly brand: string = defineErrorClass(this, "BrandedError", { preset: "branded" });
}
class BrandedNotFoundError extends BrandedError {
  static override readonly brand: string = defineErrorClass(this, "BrandedNotFoundError");
}
class BrandedBusyError extends BrandedError {
  static override readonly brand: string = defineErrorClass(this, "BrandedBusyError");
  override get retryable() {
    return true;
  }
}
const branded = defineCatalogue({
  root: BrandedError,
  trustedDomains: ["branded.dev"],
  reasons: { BUSY: BrandedBusyError },
  codes: {
    NOT_FOUND: BrandedNotFoundError,
    // Busy when the server says when to come back: a rule the kit honours without reading it.
    UNAVAILABLE: [
      {
        when: (failure) => failure.details.some((detail) => detail.type === "RetryInfo"),
        then: BrandedBusyError,
      },
    ],
  },
  message: ["{operation}: {details}"],
});

it("catalogueOf finds a branded user catalogue by its errors' preset, and the unbranded example's does not lead back to it", () => {
  expect(catalogueOf(new BrandedNotFoundError("m"))?.spec).toBe(branded.spec);
  expect(catalogueOf(acme.fromGrpcStatus(serviceError(5, "x")))?.spec).not.toBe(acme.spec);
  expect(catalogueOf({ name: "BrandedError" })).toBeUndefined();
  expect(isSandboxSdkError(new BrandedBusyError())).toBe(true);
});

checkCatalogue<MappingContext>({
  name: "branded user",
  catalogue: branded,
  exports: { BrandedError, BrandedNotFoundError, BrandedBusyError },
  contextFor: () => ({ operation: "getThing", sandboxId: "sb-1" }),
});

checkCatalogue<MappingContext>({
  name: "SPEC §17 example (classes without defineErrorClass, the kit told the catalogue)",
  catalogue: acme,
  exports: { AcmeError, AcmeNotFoundError, AcmeBusyError },
  contextFor: () => ({ operation: "getThing", sandboxId: "sb-1" }),
  nameCatalogueToKit: true,
});
