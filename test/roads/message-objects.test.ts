/**
 * SPEC §13's message-object road: a `google.rpc.Status` held as a message object (an LRO's
 * `Operation.error`, a batch item's status), as each protobuf runtime makes it — google-protobuf's
 * generated classes (`getCode()`, `getMessage()`, `getDetailsList()` of `Any`s), protobuf-es 2
 * (`create(StatusSchema, ...)`), protobuf-ts and protobufjs — maps exactly as the same status does
 * when grpc-js delivers it as a code, a message and a `grpc-status-details-bin` trailer: the details
 * decoded as in §4. Hostile objects (getters that throw, a `getDetailsList()` that returns junk) are
 * mapped, never thrown. grpc-web-error-details, a peer decoder, reads the same gRPC-web trailer from a
 * real server as this package does.
 *
 * Every status here is encoded by an independent encoder (protobufjs over google-proto-files), or
 * built with the runtime's own generated classes; expectations come from the grpc-js road's mapping
 * of the same bytes (§13: the same failure, whatever road it took) and from the runtimes' own getters.
 */
import { createRequire } from "node:module";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { MessageType, RepeatType, ScalarType } from "@protobuf-ts/runtime";
import { getProtoPath } from "google-proto-files";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ERROR_DOMAIN,
  fromGrpcStatus,
  MAX_DETAILS,
  type MappingContext,
  parseStatusDetails,
  parseStatusJson,
  Reason,
  type SandboxSdkError,
  STATUS_DETAILS_KEY,
} from "../../src/index.js";
import * as modal from "../../src/presets/modal/index.js";
import { MAX_DETAIL_ENTRIES } from "../../src/wire/status-details.js";
import {
  badRequest,
  type EncodedDetail,
  encodeStatusBlob,
  errorInfo,
  requestInfo,
  retryInfo,
} from "../support/encoder.js";
import { fieldsOf } from "../support/fields.js";
import { throwingProxy } from "../support/hostile.js";
import {
  ErrorInfoSchema,
  RequestInfoSchema,
  RetryInfoSchema,
} from "../support/rpc/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../support/rpc/gen/google/rpc/status_pb.js";
import { serviceError } from "../support/transport.js";
import { type ConnectServer, startConnectServer } from "../support/transports/connect.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { GetSandboxRequestType } from "../support/transports/protobuf-ts.js";
import { failWith, succeed } from "../support/transports/script.js";

// google-protobuf's generated code registers itself on a global namespace and exports nothing an ES
// module loader can see by name: loaded as CommonJS, as an application bundles it.
const require = createRequire(import.meta.url);
const statusPb =
  require("grpc-web-error-details/dist/lib/status_pb.js") as typeof import("grpc-web-error-details/dist/lib/status_pb.js");
const detailsPb =
  require("grpc-web-error-details/dist/lib/error_details_pb.js") as typeof import("grpc-web-error-details/dist/lib/error_details_pb.js");
const anyPb =
  require("google-protobuf/google/protobuf/any_pb.js") as typeof import("google-protobuf/google/protobuf/any_pb.js");
const durationPb =
  require("google-protobuf/google/protobuf/duration_pb.js") as typeof import("google-protobuf/google/protobuf/duration_pb.js");
const grpcWeb = require("grpc-web") as typeof import("grpc-web");
const peer = require("grpc-web-error-details") as typeof import("grpc-web-error-details");

// ---------------------------------------------------------------------------------------------
// The statuses, and the reference road
// ---------------------------------------------------------------------------------------------

const SANDBOX_ID = "sbx-1";
const CONTEXT: MappingContext = { operation: "getSandbox", sandboxId: SANDBOX_ID };

/** One status of the table: its code, message and details, for the independent encoder. */
interface StatusCase {
  readonly name: string;
  readonly code: number;
  readonly message: string;
  readonly details: readonly EncodedDetail[];
  readonly context: MappingContext;
}

/** Every known detail type, with every field set (today's error_details.proto). */
const EVERY_DETAIL: readonly EncodedDetail[] = [
  errorInfo(Reason.RUNNER_UNAVAILABLE, ERROR_DOMAIN, { runner: "r-1", zone: "us-east" }),
  retryInfo(1, 500_000_000),
  requestInfo("req-7", "serving-data"),
  badRequest({ field: "image", description: "must not be empty" }),
  { type: "DebugInfo", fields: { stack_entries: ["a.py:1", "b.py:2"], detail: "boom" } },
  {
    type: "QuotaFailure",
    fields: { violations: [{ subject: "project:1", description: "too many sandboxes" }] },
  },
  {
    type: "PreconditionFailure",
    fields: { violations: [{ type: "TOS", subject: "user:1", description: "terms not accepted" }] },
  },
  {
    type: "ResourceInfo",
    fields: { resource_type: "sandbox", resource_name: SANDBOX_ID, owner: "me", description: "gone" },
  },
  { type: "Help", fields: { links: [{ description: "docs", url: "https://example.test/docs" }] } },
  { type: "LocalizedMessage", fields: { locale: "fr-FR", message: "indisponible" } },
  // A type this package does not know: an Unknown detail, kept with its bytes.
  { type: "Raw", typeUrl: "type.googleapis.com/acme.v1.Thing", fields: { bytes: new Uint8Array([8, 1]) } },
];

const CASES: readonly StatusCase[] = [
  {
    name: "UNAVAILABLE with a trusted reason and every known detail",
    code: 14,
    message: "runner r-1 is draining",
    details: EVERY_DETAIL,
    context: CONTEXT,
  },
  {
    name: "NOT_FOUND with an untrusted reason",
    code: 5,
    message: "no such sandbox",
    details: [errorInfo(Reason.SANDBOX_NOT_FOUND, "acme.dev", { sandbox_id: SANDBOX_ID })],
    context: CONTEXT,
  },
  {
    name: "INVALID_ARGUMENT with field violations",
    code: 3,
    message: "bad request",
    details: [
      badRequest(
        { field: "image", description: "must not be empty" },
        { field: "tags[2]", description: "too long" },
      ),
      requestInfo("req-8"),
    ],
    context: { operation: "startSandbox" },
  },
  {
    name: "RESOURCE_EXHAUSTED over the size limit, no details",
    code: 8,
    message: "Received message larger than max (5242880 vs. 4194304)",
    details: [],
    context: CONTEXT,
  },
  {
    name: "FAILED_PRECONDITION with an empty message",
    code: 9,
    message: "",
    details: [retryInfo(0, 250_000_000)],
    context: CONTEXT,
  },
];

const blobOf = (status: StatusCase): Uint8Array =>
  encodeStatusBlob(status.code, status.message, [...status.details]);

/** Every field §13 says must be equal across roads, and what the SDK said of the call. */
function roadFields(error: SandboxSdkError) {
  return {
    ...fieldsOf(error),
    rawMessage: error.rawMessage,
    operation: error.operation,
    httpStatus: error.httpStatus,
  };
}

/** The reference: the same status as grpc-js delivers it (code, message, trailer). */
function viaGrpcJs(status: StatusCase, map = fromGrpcStatus): SandboxSdkError {
  return map(serviceError(status.code, status.message, blobOf(status)), status.context);
}

// ---------------------------------------------------------------------------------------------
// The runtimes' message objects
// ---------------------------------------------------------------------------------------------

type GoogleStatus = InstanceType<typeof statusPb.Status>;

/** google-protobuf: the generated `Status`, read from the bytes (as an LRO's `Operation.error` is). */
const googleProtobufStatus = (bytes: Uint8Array): GoogleStatus => statusPb.Status.deserializeBinary(bytes);

/** protobuf-ts: `google.rpc.Status` and `google.protobuf.Any` as protoc-gen-ts emits them. */
interface ProtobufTsAny {
  typeUrl: string;
  value: Uint8Array;
}
interface ProtobufTsStatus {
  code: number;
  message: string;
  details: ProtobufTsAny[];
}
const ProtobufTsAnyType = new MessageType<ProtobufTsAny>("google.protobuf.Any", [
  { no: 1, name: "type_url", kind: "scalar", T: ScalarType.STRING },
  { no: 2, name: "value", kind: "scalar", T: ScalarType.BYTES },
]);
const ProtobufTsStatusType = new MessageType<ProtobufTsStatus>("google.rpc.Status", [
  { no: 1, name: "code", kind: "scalar", T: ScalarType.INT32 },
  { no: 2, name: "message", kind: "scalar", T: ScalarType.STRING },
  { no: 3, name: "details", kind: "message", repeat: RepeatType.UNPACKED, T: () => ProtobufTsAnyType },
]);

/** protobufjs over google-proto-files' `.proto` files, with its field names as loaded. */
function protobufjsStatusType(keepCase: boolean): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith("google/") ? getProtoPath("..", target) : target;
  root.loadSync(["google/rpc/status.proto"], { keepCase });
  root.resolveAll();
  return root.lookupType("google.rpc.Status");
}
const protobufjsSnakeCase = protobufjsStatusType(true);
const protobufjsCamelCase = protobufjsStatusType(false);

/** Each runtime's message object for the same bytes. */
const RUNTIMES: readonly (readonly [string, (bytes: Uint8Array) => object])[] = [
  ["google-protobuf (generated Status, getters)", googleProtobufStatus],
  ["protobuf-es 2 (fromBinary(StatusSchema))", (bytes) => fromBinary(StatusSchema, bytes)],
  ["protobuf-ts (MessageType.fromBinary)", (bytes) => ProtobufTsStatusType.fromBinary(bytes)],
  ["protobufjs (camelCase: typeUrl)", (bytes) => protobufjsCamelCase.decode(bytes)],
  ["protobufjs (keepCase: type_url)", (bytes) => protobufjsSnakeCase.decode(bytes)],
];

describe("a google.rpc.Status message object maps as the same status does over grpc-js", () => {
  describe.each(CASES)("$name", (status) => {
    it.each(RUNTIMES)("%s", (_runtime, make) => {
      const object = make(blobOf(status));
      const mapped = fromGrpcStatus(object, status.context);
      expect(roadFields(mapped)).toEqual(roadFields(viaGrpcJs(status)));
      expect(mapped.cause).toBe(object);
      expect(mapped.grpcCode).toBe(status.code);
      expect(mapped.rawMessage).toBe(status.message === "" ? undefined : status.message);
    });

    it.each(RUNTIMES)("%s, under Modal's preset too", (_runtime, make) => {
      const mapped = modal.fromGrpcStatus(make(blobOf(status)), status.context);
      expect(roadFields(mapped)).toEqual(roadFields(viaGrpcJs(status, modal.fromGrpcStatus)));
    });
  });

  it("decodes every detail as §4 decodes the status's bytes, unknown types kept as Unknown", () => {
    const [status] = CASES;
    const bytes = blobOf(status as StatusCase);
    const mapped = fromGrpcStatus(googleProtobufStatus(bytes), CONTEXT);
    expect(mapped.details).toEqual(parseStatusDetails(bytes)?.details);
    expect(mapped.details.map((detail) => detail.type)).toEqual(
      EVERY_DETAIL.map((detail) => (detail.type === "Raw" ? "Unknown" : detail.type)),
    );
    // What the status says, read from the encoder's input, not from this package.
    expect(mapped.reason).toBe(Reason.RUNNER_UNAVAILABLE);
    expect(mapped.domain).toBe(ERROR_DOMAIN);
    expect(Object.entries(mapped.metadata)).toEqual(
      Object.entries((EVERY_DETAIL[0] as EncodedDetail).fields.metadata as object),
    );
    expect(mapped.retryDelay).toBe(1_500);
    expect(mapped.requestId).toBe("req-7");
  });
});

// ---------------------------------------------------------------------------------------------
// Built with each runtime's own API, not read from bytes
// ---------------------------------------------------------------------------------------------

describe("a Status built with the runtime's own API", () => {
  const reason = Reason.RUNNER_UNAVAILABLE;
  const metadata = { runner: "r-1" };
  /** The same status, for the reference road: from the independent encoder. */
  const reference: StatusCase = {
    name: "built",
    code: 14,
    message: "draining",
    details: [errorInfo(reason, ERROR_DOMAIN, metadata), retryInfo(2, 250_000_000), requestInfo("req-9")],
    context: CONTEXT,
  };

  it("google-protobuf: setters, and Any.pack of each detail's serializeBinary()", () => {
    const info = new detailsPb.ErrorInfo();
    info.setReason(reason);
    info.setDomain(ERROR_DOMAIN);
    for (const [key, value] of Object.entries(metadata)) info.getMetadataMap().set(key, value);
    const delay = new durationPb.Duration();
    delay.setSeconds(2);
    delay.setNanos(250_000_000);
    const retry = new detailsPb.RetryInfo();
    retry.setRetryDelay(delay);
    const request = new detailsPb.RequestInfo();
    request.setRequestId("req-9");
    const status = new statusPb.Status();
    status.setCode(14);
    status.setMessage("draining");
    status.setDetailsList(
      [
        [info, "google.rpc.ErrorInfo"],
        [retry, "google.rpc.RetryInfo"],
        [request, "google.rpc.RequestInfo"],
      ].map(([message, name]) => {
        const any = new anyPb.Any();
        any.pack((message as { serializeBinary(): Uint8Array }).serializeBinary(), name as string);
        return any;
      }),
    );
    const mapped = fromGrpcStatus(status, CONTEXT);
    expect(roadFields(mapped)).toEqual(roadFields(viaGrpcJs(reference)));
    expect(mapped.retryDelay).toBe(delay.getSeconds() * 1000 + delay.getNanos() / 1e6);
  });

  it("protobuf-es 2: create(StatusSchema, ...) with anyPack of each detail", () => {
    const status = create(StatusSchema, {
      code: 14,
      message: "draining",
      details: [
        anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata })),
        anyPack(
          RetryInfoSchema,
          create(RetryInfoSchema, { retryDelay: { seconds: 2n, nanos: 250_000_000 } }),
        ),
        anyPack(RequestInfoSchema, create(RequestInfoSchema, { requestId: "req-9" })),
      ],
    });
    const mapped = fromGrpcStatus(status, CONTEXT);
    expect(roadFields(mapped)).toEqual(roadFields(viaGrpcJs(reference)));
    // The runtime's own bytes for it decode to the same status.
    expect(mapped.details).toEqual(parseStatusDetails(toBinary(StatusSchema, status))?.details);
  });

  it("protobuf-es 2: a Status with no details is its code and message", () => {
    const status = create(StatusSchema, { code: 5, message: "no such sandbox" });
    const plain: StatusCase = {
      name: "plain",
      code: 5,
      message: "no such sandbox",
      details: [],
      context: CONTEXT,
    };
    expect(roadFields(fromGrpcStatus(status, CONTEXT))).toEqual(roadFields(viaGrpcJs(plain)));
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile message objects: mapped, never thrown
// ---------------------------------------------------------------------------------------------

/** The status the hostile objects stand for: a code and message, and the details that do decode. */
const HOSTILE_CODE = 14;
const HOSTILE_MESSAGE = "runner r-1 is draining";
const GOOD_DETAILS: readonly EncodedDetail[] = [
  errorInfo(Reason.RUNNER_UNAVAILABLE, ERROR_DOMAIN, { runner: "r-1" }),
  retryInfo(1, 0),
];
const goodAnys = (): InstanceType<typeof anyPb.Any>[] =>
  googleProtobufStatus(encodeStatusBlob(HOSTILE_CODE, HOSTILE_MESSAGE, [...GOOD_DETAILS])).getDetailsList();

/** A google-protobuf-shaped Status whose `getDetailsList()` returns `list`. */
function withDetailsList(list: () => unknown) {
  return { getCode: () => HOSTILE_CODE, getMessage: () => HOSTILE_MESSAGE, getDetailsList: list };
}

const reference = (details: readonly EncodedDetail[]): StatusCase => ({
  name: "reference",
  code: HOSTILE_CODE,
  message: HOSTILE_MESSAGE,
  details,
  context: CONTEXT,
});

/** A value whose every read throws. */
const hostile = () => throwingProxy({});

describe("hostile message objects are mapped, never thrown", () => {
  it.each([
    ["getCode() throws", { getCode: hostileCall, getMessage: () => "m", getDetailsList: () => [] }],
    ["getMessage() throws", { getCode: () => 5, getMessage: hostileCall, getDetailsList: () => [] }],
    ["getCode is a throwing getter", Object.defineProperty({}, "getCode", { get: hostileCall })],
    ["every read throws", hostile()],
    [
      "protobuf-es shape whose code getter throws",
      {
        get code() {
          return hostileCall();
        },
        message: "m",
        details: [],
      },
    ],
  ])("%s: an error of this package, its cause the object", (_name, object) => {
    let mapped: SandboxSdkError | undefined;
    expect(() => {
      mapped = fromGrpcStatus(object, CONTEXT);
    }).not.toThrow();
    expect(mapped).toBeInstanceOf(Error);
    expect(mapped?.cause).toBe(object);
    expect(() => modal.fromGrpcStatus(object, CONTEXT)).not.toThrow();
  });

  it.each([
    ["throws", hostileCall],
    ["returns a number", () => 42],
    ["returns a string", () => "details"],
    ["returns null", () => null],
    ["returns a plain object", () => ({ 0: "x", length: 1 })],
    ["returns a list whose every read throws", () => throwingProxy([])],
  ])("getDetailsList() %s: the code and message, no details", (_name, list) => {
    const object = withDetailsList(list as () => unknown);
    expect(roadFields(fromGrpcStatus(object, CONTEXT))).toEqual(roadFields(viaGrpcJs(reference([]))));
  });

  it("getDetailsList() with junk among the Anys: the junk passed over, every good detail kept, in order", () => {
    const [info, retry] = goodAnys();
    const junk: unknown[] = [
      null,
      3,
      "google.rpc.ErrorInfo",
      {},
      hostile(),
      { getTypeUrl: hostileCall, getValue_asU8: () => new Uint8Array() },
      { getTypeUrl: () => "type.googleapis.com/google.rpc.ErrorInfo", getValue_asU8: hostileCall },
      { getTypeUrl: () => 42, getValue_asU8: () => new Uint8Array() },
      { getTypeUrl: () => "type.googleapis.com/google.rpc.ErrorInfo", getValue_asU8: () => "not bytes" },
    ];
    const object = withDetailsList(() => [...junk.slice(0, 5), info, ...junk.slice(5), retry, hostile()]);
    expect(roadFields(fromGrpcStatus(object, CONTEXT))).toEqual(
      roadFields(viaGrpcJs(reference(GOOD_DETAILS))),
    );
  });

  it("protobuf-es and protobuf-ts shapes with junk after a good Any: the junk passed over", () => {
    const [info, retry] = fromBinary(
      StatusSchema,
      encodeStatusBlob(HOSTILE_CODE, HOSTILE_MESSAGE, [...GOOD_DETAILS]),
    ).details;
    for (const details of [
      [info, null, { typeUrl: 7, value: new Uint8Array() }, hostile(), retry],
      [
        info,
        {
          get typeUrl() {
            return hostileCall();
          },
          value: new Uint8Array(),
        },
        retry,
      ],
    ]) {
      const object = { code: HOSTILE_CODE, message: HOSTILE_MESSAGE, details };
      expect(roadFields(fromGrpcStatus(object, CONTEXT))).toEqual(
        roadFields(viaGrpcJs(reference(GOOD_DETAILS))),
      );
    }
  });

  it("an Any of a known type whose bytes do not decode is Unknown, and stops nothing after it", () => {
    const broken: EncodedDetail = {
      type: "Raw",
      typeUrl: "type.googleapis.com/google.rpc.RetryInfo",
      // Field 1 (retry_delay) declared as a length-delimited message longer than the bytes that follow.
      fields: { bytes: new Uint8Array([0x0a, 0x05, 0x08]) },
    };
    const details = [broken, ...GOOD_DETAILS];
    const mapped = fromGrpcStatus(googleProtobufStatus(encodeStatusBlob(14, "m", details)), CONTEXT);
    expect(mapped.details[0]).toEqual({
      type: "Unknown",
      typeUrl: broken.typeUrl,
      value: broken.fields.bytes,
    });
    expect(mapped.details.slice(1).map((detail) => detail.type)).toEqual(["ErrorInfo", "RetryInfo"]);
    expect(mapped.retryDelay).toBe(1_000);
  });
});

function hostileCall(): never {
  throw new Error("hostile");
}

// ---------------------------------------------------------------------------------------------
// A peer: grpc-web-error-details reads the same gRPC-web trailer
// ---------------------------------------------------------------------------------------------

/** What grpc-web-error-details' generated classes say of a detail, as plain data (known fields only). */
function peerFields(message: { toObject(): object }): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message.toObject())) {
    if (key.endsWith("Map")) plain[key.slice(0, -3)] = Object.fromEntries(value as [string, string][]);
    else if (key.endsWith("List")) plain[key.slice(0, -4)] = value;
    else plain[key] = value;
  }
  return plain;
}

/** The peer's detail class names, by the type name this package gives them. */
const PEER_TYPES = [
  "ErrorInfo",
  "RetryInfo",
  "DebugInfo",
  "QuotaFailure",
  "PreconditionFailure",
  "BadRequest",
  "RequestInfo",
  "ResourceInfo",
  "Help",
  "LocalizedMessage",
] as const;

function peerType(detail: object): string | undefined {
  return PEER_TYPES.find((type) => detail instanceof detailsPb[type]);
}

describe("grpc-web-error-details, a peer decoder, on a real gRPC-web trailer", () => {
  let server: ConnectServer;
  /** Every known detail the old peer can read; the unknown one it would only warn about. */
  const sent = CASES[0] as StatusCase;
  const known = sent.details.filter((detail) => detail.type !== "Raw");
  let trailer: { code: number; message: string; details: string };

  beforeAll(async () => {
    server = await startConnectServer(succeed);
    server.script = failWith({
      code: sent.code,
      message: sent.message,
      details: parseStatusDetails(encodeStatusBlob(sent.code, sent.message, known))?.details,
    });
    // A real gRPC-web answer: the status in the headers (trailers-only) or in the trailer frame that
    // ends the body, as grpc-web's client reads it either way.
    const response = await fetch(`${server.http1Url}/${SandboxService.typeName}/GetSandbox`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: frame(GetSandboxRequestType.toBinary({ sandboxId: SANDBOX_ID })),
    });
    const fields = new Map(response.headers);
    for (const [key, value] of trailerFrameOf(new Uint8Array(await response.arrayBuffer())))
      fields.set(key, value);
    trailer = {
      code: Number(fields.get("grpc-status")),
      message: decodeURIComponent(fields.get("grpc-message") ?? ""),
      details: fields.get(STATUS_DETAILS_KEY) ?? "",
    };
  });
  afterAll(() => server?.close());

  /** The `RpcError` grpc-web's client makes of those trailers. */
  const rpcError = () =>
    new grpcWeb.RpcError(trailer.code, trailer.message, { [STATUS_DETAILS_KEY]: trailer.details });

  it("the server sent the status in the headers (the test's premise)", () => {
    expect(trailer.code).toBe(sent.code);
    expect(trailer.details).not.toBe("");
  });

  it("agrees on the code, the message and every field of every detail the peer knows", () => {
    const [status, details] = peer.statusFromError(rpcError());
    expect(status).not.toBeNull();
    const mapped = fromGrpcStatus(rpcError(), CONTEXT);
    expect(mapped.grpcCode).toBe(status?.getCode());
    expect(mapped.rawMessage).toBe(status?.getMessage());
    const peerDetails = (details ?? []).map((detail) => ({
      type: peerType(detail),
      fields: peerFields(detail),
    }));
    expect(peerDetails.map((detail) => detail.type)).toEqual(mapped.details.map((detail) => detail.type));
    mapped.details.forEach((ours, index) => {
      const theirs = peerDetails[index]?.fields ?? {};
      if (ours.type === "RetryInfo") {
        const delay = theirs.retryDelay as { seconds: number; nanos: number };
        expect(ours.retryDelay).toBe(delay.seconds * 1000 + delay.nanos / 1e6);
        return;
      }
      // Only the fields the peer's (older) error_details.proto knows; nested lists field by field.
      const ourFields = ours as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(theirs)) {
        const mine = ourFields[key];
        if (Array.isArray(value)) {
          expect((mine as unknown[]).length, key).toBe(value.length);
          value.forEach((entry, i) => {
            const entryFields = (mine as unknown[])[i];
            if (typeof entry === "object" && entry !== null) {
              for (const [innerKey, innerValue] of Object.entries(entry)) {
                expect(
                  (entryFields as Record<string, unknown>)[innerKey],
                  `${key}[${i}].${innerKey}`,
                ).toEqual(innerValue);
              }
            } else {
              expect(entryFields, `${key}[${i}]`).toEqual(entry);
            }
          });
        } else {
          expect(key === "metadata" ? { ...(mine as object) } : mine, key).toEqual(value);
        }
      }
    });
  });

  it("agrees on what the mapping promotes: reason, domain, metadata, retryDelay, requestId, field violations", () => {
    const [, details] = peer.statusFromError(rpcError());
    const first = <T>(type: new () => T) => (details ?? []).find((detail) => detail instanceof type) as T;
    const info = first(detailsPb.ErrorInfo);
    const retry = first(detailsPb.RetryInfo).getRetryDelay();
    const mapped = fromGrpcStatus(rpcError(), CONTEXT);
    expect(mapped.reason).toBe(info.getReason());
    expect(mapped.domain).toBe(info.getDomain());
    expect({ ...mapped.metadata }).toEqual(Object.fromEntries(info.getMetadataMap().toObject()));
    expect(mapped.retryDelay).toBe((retry?.getSeconds() ?? 0) * 1000 + (retry?.getNanos() ?? 0) / 1e6);
    expect(mapped.requestId).toBe(first(detailsPb.RequestInfo).getRequestId());
    const violations = first(detailsPb.BadRequest)
      .getFieldViolationsList()
      .map((v) => ({ field: v.getField(), description: v.getDescription() }));
    // The mapped class (UNAVAILABLE) has no field violations of its own: the decoder's promotion says them.
    const parsed = parseStatusDetails(trailer.details);
    expect(parsed?.fieldViolations.map((v) => ({ field: v.field, description: v.description }))).toEqual(
      violations,
    );
  });

  it("the peer's own Status message object maps as the RpcError it came from", () => {
    const [status] = peer.statusFromError(rpcError());
    expect(roadFields(fromGrpcStatus(status, CONTEXT))).toEqual(
      roadFields(fromGrpcStatus(rpcError(), CONTEXT)),
    );
  });
});

/** The `key: value` lines of the trailer frame (flag 0x80) of a gRPC-web body, if it has one. */
function trailerFrameOf(body: Uint8Array): [string, string][] {
  for (let at = 0; at + 5 <= body.length; ) {
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    if ((body[at] as number) & 0x80) {
      const text = new TextDecoder().decode(body.subarray(at + 5, at + 5 + length));
      return text
        .split("\r\n")
        .filter((line) => line.includes(":"))
        .map((line) => {
          const colon = line.indexOf(":");
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        });
    }
    at += 5 + length;
  }
  return [];
}

/** One gRPC-web data frame holding `message`. */
function frame(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, 5);
  return framed;
}

describe("a list of details that claims billions of entries is read to MAX_DETAIL_ENTRIES, no further", () => {
  /** `entries` at their indices in a sparse array of length 2³² − 1: four billion entries claimed. */
  function sparse(entries: Record<number, unknown>): unknown[] {
    const list: unknown[] = [];
    list.length = 2 ** 32 - 1;
    for (const [index, entry] of Object.entries(entries)) list[Number(index)] = entry;
    return list;
  }
  /** The same, as a proxy over a short array that says its length is 2³² − 1. */
  function claiming(entries: readonly unknown[]): unknown[] {
    return new Proxy([...entries], {
      get: (target, key, receiver) => (key === "length" ? 2 ** 32 - 1 : Reflect.get(target, key, receiver)),
    });
  }

  it("a google-protobuf Status: the ErrorInfo first is read, the RetryInfo past the bound is not", () => {
    const [info, retryAny] = goodAnys();
    for (const list of [sparse({ 0: info, [MAX_DETAIL_ENTRIES]: retryAny }), claiming([info])]) {
      const mapped = fromGrpcStatus(
        withDetailsList(() => list),
        CONTEXT,
      );
      expect(mapped.reason).toBe(Reason.RUNNER_UNAVAILABLE);
      expect(mapped.retryDelay).toBeUndefined();
    }
    // The last entry the bound still reads.
    const justIn = fromGrpcStatus(
      withDetailsList(() => sparse({ 0: info, [MAX_DETAIL_ENTRIES - 1]: retryAny })),
    );
    expect(justIn.retryDelay).toBe(1000);
  });

  it("a protobuf-es Status, a ConnectError and a JSON body: the first detail read, the rest unread", () => {
    const [info] = fromBinary(
      StatusSchema,
      encodeStatusBlob(HOSTILE_CODE, HOSTILE_MESSAGE, [...GOOD_DETAILS]),
    ).details;
    const protobufEs = { code: HOSTILE_CODE, message: HOSTILE_MESSAGE, details: sparse({ 0: info }) };
    expect(fromGrpcStatus(protobufEs, CONTEXT).reason).toBe(Reason.RUNNER_UNAVAILABLE);

    const errorInfoBytes = toBinary(
      ErrorInfoSchema,
      create(ErrorInfoSchema, { reason: Reason.RUNNER_UNAVAILABLE, domain: ERROR_DOMAIN }),
    );
    const connect = Object.assign(new ConnectError(HOSTILE_MESSAGE, Code.Unavailable), {
      details: claiming([{ type: "google.rpc.ErrorInfo", value: errorInfoBytes }]),
    });
    expect(fromGrpcStatus(connect, CONTEXT).reason).toBe(Reason.RUNNER_UNAVAILABLE);

    const body = {
      code: HOSTILE_CODE,
      message: HOSTILE_MESSAGE,
      details: sparse({
        0: { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "R", domain: "d" },
        [MAX_DETAIL_ENTRIES]: { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" },
      }),
    };
    const parsed = parseStatusJson(body);
    expect(parsed?.reason).toBe("R");
    expect(parsed?.retryDelay).toBeUndefined();
    expect(parsed?.details).toHaveLength(MAX_DETAILS);
  });
});
