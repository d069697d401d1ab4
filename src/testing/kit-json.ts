/**
 * The testing kit's HTTP writers: a status (or an error of this package) as the JSON error body an
 * HTTP/JSON gateway or a Connect server sends, and as a whole fetch `Response` of the AIP-193,
 * Connect or gRPC-web protocol — for SDK authors who mock `fetch`, and for this package's own tests of
 * `parseStatusJson` and `fromResponse`.
 *
 * Details are written in the proto3 JSON mapping exactly as the reference Python runtime's
 * `json_format.MessageToDict` writes them (fields in field-number order under their lowerCamel
 * names, proto3 defaults left out, int64 as decimal strings, a Duration as `"1.500s"`, map keys
 * sorted), by walking each type's schema: a new detail type needs no code here. Nothing here needs
 * Node: `Response`, `Headers`, `TextEncoder` and the package's own base64 are in every runtime.
 */
import { isSandboxSdkError, type SandboxSdkError, type StatusDetail } from "sandbox-sdk-errors";
import { base64Encode } from "../wire/bytes.js";
import { connectCodeName, GRPC_CODE_NAMES, type GrpcCode, HTTP_STATUS_OF_CODE } from "../wire/codes.js";
import { snapshotJson } from "../wire/detail-objects.js";
import {
  DETAIL_SCHEMAS,
  type FieldSchema,
  isKnownDetailType,
  knownTypeOfUrl,
  type MessageSchema,
  typeUrlOf,
} from "../wire/details.js";
import { formatJsonDuration } from "../wire/duration.js";
import { STATUS_DETAILS_KEY } from "../wire/status-details.js";
import { WireReader } from "../wire/wire-reader.js";
import { completeDetails, encodeStatus as encode, type StatusInit, show } from "./encode.js";
import { type KitCatalogueOption, wireStatusOf } from "./kit-wire.js";

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

/** Which JSON error body {@link toStatusJson} writes. */
export type StatusJsonForm = "aip193" | "connect";

/** Options of {@link toStatusJson}. */
export interface ToStatusJsonOptions<F extends StatusJsonForm = StatusJsonForm> extends KitCatalogueOption {
  /** `"aip193"`: Google's HTTP/JSON error body; `"connect"`: a Connect error body. */
  readonly form: F;
}

/** One detail in the proto3 JSON mapping: its type URL under `"@type"`, then its fields. */
export type JsonStatusDetail = { readonly "@type": string } & { readonly [field: string]: unknown };

/** The AIP-193 error body of an HTTP/JSON API (what google-gax's `parseHttpError` reads). */
export interface Aip193ErrorBody {
  readonly error: {
    /** The HTTP status the code travels as (`google.rpc.Code`'s HTTP mapping). */
    readonly code: number;
    readonly message: string;
    /** The canonical code name, `"NOT_FOUND"`. */
    readonly status: string;
    /** Left out when the status has none. */
    readonly details?: readonly JsonStatusDetail[];
  };
}

/** One detail of a Connect error body: the message's type name and its bytes in base64. */
export interface ConnectErrorDetail {
  /** The fully-qualified message name, `"google.rpc.ErrorInfo"`. */
  readonly type: string;
  /** The serialised message, base64 without padding (as connect-es writes it). */
  readonly value: string;
  /** The detail in proto3 JSON, for people reading the body; decoders ignore it. */
  readonly debug?: unknown;
}

/** A Connect error body (a unary call's, or the `error` of a streaming call's end-stream message). */
export interface ConnectErrorBody {
  /** Connect's code name: `"not_found"`, `"canceled"`. */
  readonly code: string;
  /** Left out when empty, as connect-es writes it. */
  readonly message?: string;
  /** Left out when the status has none. */
  readonly details?: readonly ConnectErrorDetail[];
}

/** The body {@link toStatusJson} writes for form `F`. */
export type StatusJsonOf<F extends StatusJsonForm> = F extends "aip193" ? Aip193ErrorBody : ConnectErrorBody;

// ---------------------------------------------------------------------------------------------
// What goes on the wire
// ---------------------------------------------------------------------------------------------

/** A status ready to write: its code, the body's (transport's) message, and the encoded blob. */
interface Outgoing {
  readonly code: GrpcCode;
  /** The transport's message: a JSON body's `message`, gRPC-web's `grpc-message`. */
  readonly message: string;
  readonly details: readonly StatusDetail[];
  /** The `google.rpc.Status` as `encodeStatus` writes it (its own message is the blob's). */
  readonly blob: Uint8Array;
}

/**
 * What to send for `source`: for an error, the catalogue read backwards (`wireStatusOf`, as
 * `toServiceError` does), its transport message the body's; for a status, exactly that status. The
 * status is encoded either way, so every value is checked as `encodeStatus` checks it.
 */
function outgoing(
  source: SandboxSdkError | StatusInit,
  caller: string,
  catalogue: KitCatalogueOption["catalogue"],
): Outgoing {
  if (isSandboxSdkError(source)) {
    const wire = wireStatusOf(source, caller, catalogue);
    return {
      code: wire.code,
      message: wire.transportMessage,
      details: wire.status.details,
      blob: encode(wire.status),
    };
  }
  if (typeof source !== "object" || source === null) {
    throw new TypeError(
      `${caller}: expected an error of sandbox-sdk-errors or a status { code, message?, details? }, got ${show(source)}`,
    );
  }
  const blob = encode(source);
  return {
    code: source.code as GrpcCode,
    message: source.message ?? "",
    details: completeDetails(source.details ?? []),
    blob,
  };
}

/** The serialised message of each detail, in order: the `Any.value`s of the encoded Status. */
function anyValues(blob: Uint8Array): Uint8Array[] {
  const values: Uint8Array[] = [];
  const status = new WireReader(blob);
  while (status.next()) {
    if (status.field !== 3) {
      status.skip();
      continue;
    }
    status.delimited();
    const any = new WireReader(blob, status.payloadStart, status.position);
    let value: Uint8Array = new Uint8Array(0);
    while (any.next()) {
      if (any.field === 2) {
        any.delimited();
        value = blob.subarray(any.payloadStart, any.position);
      } else any.skip();
    }
    values.push(value);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Proto3 JSON, schema-driven
// ---------------------------------------------------------------------------------------------

type Fields = Readonly<Record<string, unknown>>;

/** Orders strings by Unicode code point, as Python's `sorted` does (UTF-16 order differs above U+FFFF). */
function byCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** An int64 as proto3 JSON writes it: a decimal string, exact for any integral double. */
function int64Text(value: number): string {
  // 2 ** 63 is the double nearest INT64_MAX, which the decoder reports as it (see encodeStatus).
  return value >= 2 ** 63 ? "9223372036854775807" : BigInt(value).toString();
}

/**
 * A map field: keys sorted as the reference runtime writes them, each one an own property (a key
 * such as `__proto__` is data, not a prototype).
 */
function mapJson(map: Fields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(map).sort(byCodePoint)) {
    Object.defineProperty(out, key, {
      value: map[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The JSON value of one field, or `undefined` when proto3 JSON leaves it out. */
function fieldJson(field: FieldSchema, value: unknown): unknown {
  switch (field.kind) {
    case "string":
      return value === undefined || value === "" ? undefined : value;
    case "strings":
      return value === undefined || (value as readonly string[]).length === 0
        ? undefined
        : [...(value as readonly string[])];
    case "map":
      return value === undefined || Object.keys(value as Fields).length === 0
        ? undefined
        : mapJson(value as Fields);
    case "int64":
      // `optional int64` has presence: a 0 that was sent is written.
      if (value === undefined || (value === 0 && !("optional" in field))) return undefined;
      return int64Text(value as number);
    case "duration":
      // A message field: present (even 0s) or absent.
      return value === undefined ? undefined : formatJsonDuration(value as number);
    case "message":
      return value === undefined ? undefined : messageJson(field.of, value as Fields);
    case "messages": {
      const list = (value ?? []) as readonly Fields[];
      return list.length === 0 ? undefined : list.map((element) => messageJson(field.of, element));
    }
  }
}

/** A message in proto3 JSON: its set fields, in field-number order, under their lowerCamel names. */
function messageJson(
  schema: MessageSchema,
  fields: Fields,
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const name of Object.keys(schema)) {
    const json = fieldJson(schema[name] as FieldSchema, fields[name]);
    if (json !== undefined) out[name] = json;
  }
  return out;
}

/** Whether a detail is a JSON object carrying its type URL: what an AIP-193 body's detail is. */
function isJsonDetail(value: unknown): value is JsonStatusDetail {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { "@type"?: unknown })["@type"] === "string"
  );
}

/**
 * The `json` of an `Unknown` detail as plain data a JSON body can carry (a copy: the body never
 * holds the caller's object). Refused with a TypeError when it is not plain JSON data — a cycle,
 * more than 64 levels or 10,000 values, a getter that throws, a value JSON has no form for — rather
 * than left for `JSON.stringify` to fail on, or to write something `parseStatusJson` would not give
 * back.
 */
function plainJson(json: unknown, caller: string, index: number): unknown {
  const { value, cut } = snapshotJson(json);
  if (cut !== undefined) {
    throw new TypeError(
      `${caller}: details[${index}] is an Unknown detail whose json is not plain JSON data (${cut}); a JSON body cannot carry it`,
    );
  }
  return value;
}

/**
 * One detail of an AIP-193 body. An `Unknown` detail goes back as it arrived when it came as JSON;
 * one that came as bytes has no proto3 JSON form (the reference runtime refuses it too), so it is
 * written as `{ "@type", "value": <base64> }` — except for a `google.rpc` type, which a reader would
 * take for that type with every field at its default: that one is refused.
 */
function aip193Detail(detail: StatusDetail, index: number, caller: string): JsonStatusDetail {
  if (detail.type !== "Unknown") {
    const { type, ...fields } = detail;
    return messageJson(DETAIL_SCHEMAS[type], fields, { "@type": typeUrlOf(type) }) as JsonStatusDetail;
  }
  const json = detail.json === undefined ? undefined : plainJson(detail.json, caller, index);
  if (isJsonDetail(json)) return json;
  if (knownTypeOfUrl(detail.typeUrl) !== undefined) {
    throw new TypeError(
      `${caller}: details[${index}] is an Unknown ${detail.typeUrl} whose bytes did not decode as that type; proto3 JSON cannot carry it (use form "connect")`,
    );
  }
  return { "@type": detail.typeUrl, value: base64Encode(detail.value) };
}

/** Base64 without padding, as connect-es writes a detail's bytes. */
function unpadded(bytes: Uint8Array): string {
  const text = base64Encode(bytes);
  return text.endsWith("==") ? text.slice(0, -2) : text.endsWith("=") ? text.slice(0, -1) : text;
}

/**
 * One detail of a Connect body: its type name and its bytes. An `Unknown` detail that came as JSON
 * has no bytes to send; its JSON goes in `debug` — but not for a `google.rpc` type, which a reader
 * would take for that type with every field at its default: that one is refused.
 */
function connectDetail(
  detail: StatusDetail,
  value: Uint8Array,
  index: number,
  caller: string,
): ConnectErrorDetail {
  if (detail.type !== "Unknown") return { type: `google.rpc.${detail.type}`, value: unpadded(value) };
  const type = detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
  if (detail.json === undefined || detail.value.length > 0) return { type, value: unpadded(value) };
  if (isKnownDetailType(type.slice("google.rpc.".length)) && type.startsWith("google.rpc.")) {
    throw new TypeError(
      `${caller}: details[${index}] is an Unknown ${detail.typeUrl} whose JSON did not fit that type; the Connect form cannot carry it (use form "aip193")`,
    );
  }
  return { type, value: "", debug: plainJson(detail.json, caller, index) };
}

function aip193Body(status: Outgoing, caller: string): Aip193ErrorBody {
  const details = status.details.map((detail, i) => aip193Detail(detail, i, caller));
  return {
    error: {
      code: HTTP_STATUS_OF_CODE[status.code] as number,
      message: status.message,
      status: GRPC_CODE_NAMES[status.code] as string,
      ...(details.length > 0 ? { details } : {}),
    },
  };
}

function connectBody(status: Outgoing, caller: string): ConnectErrorBody {
  const code = connectCodeName(status.code);
  if (code === undefined) throw new RangeError(`${caller}: Connect has no error code for OK (0)`);
  const values = anyValues(status.blob);
  const details = status.details.map((detail, i) =>
    connectDetail(detail, values[i] as Uint8Array, i, caller),
  );
  return {
    code,
    ...(status.message === "" ? {} : { message: status.message }),
    ...(details.length > 0 ? { details } : {}),
  };
}

/**
 * The JSON error body a server of `form` sends for `source`, as a plain object (`JSON.stringify` it
 * for the wire):
 * - `"aip193"`: `{ error: { code: <HTTP status>, message, status: "NOT_FOUND", details: [{ "@type",
 *   ...fields }] } }`, what Google APIs and grpc-gateway send;
 * - `"connect"`: `{ code: "not_found", message, details: [{ type: "google.rpc.ErrorInfo", value:
 *   <base64> }] }`, what a Connect server sends (a unary call's body, a stream's end-stream `error`).
 *
 * Details are written in the proto3 JSON mapping exactly as the reference Python runtime writes them
 * (`json_format`: lowerCamel names in field-number order, defaults left out, int64 as strings, a
 * Duration as `"1.500s"`, map keys sorted); Connect's are the bytes `encodeStatus` writes.
 *
 * Given a status (`{ code, message?, details? }`), it sends exactly that. Given an error of this
 * package, it sends what `toServiceError` sends (the catalogue read backwards), with the transport's
 * message as the body's `message`, so that `fromGrpcStatus` of the parsed body gives the same class
 * and fields as `fromGrpcStatus(toServiceError(error))`.
 *
 * `parseStatusJson(toStatusJson(s, { form }))` gives `s` back, but for what a form cannot carry:
 * an `Unknown` detail that arrived as bytes comes back from an AIP-193 body as JSON (`value` empty,
 * `json` its `{ "@type", value }`), one that arrived as JSON comes back from a Connect body without
 * `json`, and a Connect detail's type URL comes back as `type.googleapis.com/<type>`.
 *
 * @throws TypeError - for what `encodeStatus` refuses; for an `Unknown` detail of a `google.rpc`
 *   type that the form cannot carry (it would read back as that type with default fields); and for
 *   an `Unknown` detail whose `json` is not plain JSON data (it refers to itself, nests deeper than
 *   64 levels, holds more than 10,000 values, has a getter that throws, or holds a value JSON has no
 *   form for, such as a bigint), which no JSON body can carry. The body holds a copy of `json`.
 * @throws RangeError - for what `encodeStatus` refuses, and for code OK in the Connect form (Connect
 *   has no such error code).
 *
 * @example
 * ```ts
 * const body = toStatusJson(new SandboxNotFoundError("gone"), { form: "aip193" });
 * mockFetch.mockResolvedValue(new Response(JSON.stringify(body), { status: body.error.code }));
 * ```
 */
export function toStatusJson<F extends StatusJsonForm>(
  source: SandboxSdkError | StatusInit,
  options: ToStatusJsonOptions<F>,
): StatusJsonOf<F> {
  const form = (options as { form?: unknown } | undefined)?.form;
  if (form !== "aip193" && form !== "connect") {
    throw new TypeError(`toStatusJson: options.form must be "aip193" or "connect", got ${show(form)}`);
  }
  const status = outgoing(source, "toStatusJson", options.catalogue);
  return (
    form === "aip193" ? aip193Body(status, "toStatusJson") : connectBody(status, "toStatusJson")
  ) as StatusJsonOf<F>;
}

// ---------------------------------------------------------------------------------------------
// toResponse
// ---------------------------------------------------------------------------------------------

/** The protocols {@link toResponse} speaks. */
export type ResponseProtocol = "aip193" | "connect" | "grpc-web";

/** Options of {@link toResponse}. */
export interface ToResponseOptions extends KitCatalogueOption {
  /**
   * `"aip193"`: an HTTP/JSON gateway (the AIP-193 body, its HTTP status); `"connect"`: a Connect
   * server's unary error (the Connect body, the HTTP status of its code); `"grpc-web"`: a gRPC-web
   * server (HTTP 200, the status in `grpc-*` headers or a trailer frame).
   */
  readonly protocol: ResponseProtocol;
  /**
   * gRPC-web only: `"headers"` (the default) sends a trailers-only response, the status in the
   * headers and no body; `"body"` sends it in a trailer frame, as after a stream's messages.
   */
  readonly trailers?: "headers" | "body";
  /**
   * gRPC-web only: `"binary"` (the default, `application/grpc-web+proto`) or `"text"`
   * (`application/grpc-web-text`: the body in base64).
   */
  readonly encoding?: "binary" | "text";
  /**
   * Headers to add, such as a `Retry-After` hint. The status's own `RetryInfo` travels in the body or
   * trailers; hints are the caller's to add.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

const HEX = "0123456789ABCDEF";

/**
 * `grpc-message` as gRPC writes it: the UTF-8 bytes, each byte outside printable ASCII (and `%`
 * itself) as `%XX` — and the spaces it starts or ends with too: HTTP trims a header value's (and a
 * trailer frame line's) surrounding white space, which would turn `" x "` into `"x"`. gRPC's
 * percent-encoding allows any byte encoded, so readers decode them back.
 */
export function percentEncode(message: string): string {
  const bytes = new TextEncoder().encode(message);
  let first = 0;
  while (first < bytes.length && bytes[first] === 0x20) first++;
  let last = bytes.length - 1;
  while (last >= first && bytes[last] === 0x20) last--;
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const plain =
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 && (byte !== 0x20 || (i >= first && i <= last));
    text += plain ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return text;
}

/** The trailers of a gRPC-web status, in the order servers write them. */
function grpcTrailers(status: Outgoing): [string, string][] {
  const trailers: [string, string][] = [
    ["grpc-status", String(status.code)],
    ["grpc-message", percentEncode(status.message)],
  ];
  // Unpadded, as gRPC writes binary headers (readers accept both).
  if (status.blob.length > 0) trailers.push([STATUS_DETAILS_KEY, unpadded(status.blob)]);
  return trailers;
}

/** A gRPC-web trailer frame: flag 0x80, a 4-byte big-endian length, an HTTP/1 header block. */
function trailerFrame(trailers: readonly [string, string][]): Uint8Array {
  const block = new TextEncoder().encode(trailers.map(([key, value]) => `${key}:${value}\r\n`).join(""));
  const frame = new Uint8Array(5 + block.length);
  frame[0] = 0x80;
  new DataView(frame.buffer).setUint32(1, block.length);
  frame.set(block, 5);
  return frame;
}

function grpcWebResponse(status: Outgoing, options: ToResponseOptions): Response {
  const text = options.encoding === "text";
  const headers = new Headers({
    "content-type": text ? "application/grpc-web-text" : "application/grpc-web+proto",
  });
  const trailers = grpcTrailers(status);
  let body: Uint8Array | string | null = null;
  if (options.trailers === "body") {
    const frame = trailerFrame(trailers);
    body = text ? base64Encode(frame) : frame;
  } else {
    for (const [key, value] of trailers) headers.set(key, value);
  }
  return withHeaders(new Response(body, { status: 200, headers }), options.headers);
}

function jsonResponse(status: number, body: unknown, extra: ToResponseOptions["headers"]): Response {
  return withHeaders(
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }),
    extra,
  );
}

function withHeaders(response: Response, extra: ToResponseOptions["headers"]): Response {
  if (extra !== undefined)
    for (const key of Object.keys(extra)) response.headers.set(key, extra[key] as string);
  return response;
}

/**
 * A fetch `Response` as a server of `options.protocol` sends it to fail a call with `source`: for
 * SDK authors who mock `fetch`, and for tests of `fromResponse`.
 *
 * - `"aip193"`: the HTTP status of the code, `content-type: application/json`, the AIP-193 body of
 *   {@link toStatusJson};
 * - `"connect"`: a Connect unary error: the HTTP status of the code, `application/json`, the Connect
 *   body;
 * - `"grpc-web"`: HTTP 200, `application/grpc-web+proto` (or `-text`), and the status as
 *   `grpc-status`, `grpc-message` (percent-encoded as gRPC does) and `grpc-status-details-bin`
 *   (base64 of `encodeStatus`): in the headers (a trailers-only response) or, with
 *   `trailers: "body"`, in a trailer frame.
 *
 * What is sent is what {@link toStatusJson} sends (for an error, the catalogue read backwards), so
 * `await fromResponse(toResponse(error, { protocol }), context)` gives the same class and fields as
 * `fromGrpcStatus(toServiceError(error), context)`. Runs in every runtime (no Node API).
 *
 * `grpc-message` is percent-encoded as gRPC encodes it, and so are the spaces a message starts or
 * ends with (HTTP would trim them from a header value), so `" x "` arrives as `" x "`.
 *
 * @throws TypeError, RangeError - as {@link toStatusJson} does (an `Unknown` detail whose `json` is
 *   cyclic or too deep is a TypeError, never `JSON.stringify`'s own error), and for an unknown
 *   protocol.
 *
 * @example
 * ```ts
 * vi.spyOn(globalThis, "fetch").mockResolvedValue(
 *   toResponse(new SandboxUnavailableError("draining", { retryDelay: 500 }), { protocol: "grpc-web" }),
 * );
 * ```
 */
export function toResponse(source: SandboxSdkError | StatusInit, options: ToResponseOptions): Response {
  const protocol = (options as { protocol?: unknown } | undefined)?.protocol;
  switch (protocol) {
    case "aip193": {
      const body = aip193Body(outgoing(source, "toResponse", options.catalogue), "toResponse");
      return jsonResponse(body.error.code, body, options.headers);
    }
    case "connect": {
      const status = outgoing(source, "toResponse", options.catalogue);
      return jsonResponse(
        HTTP_STATUS_OF_CODE[status.code] as number,
        connectBody(status, "toResponse"),
        options.headers,
      );
    }
    case "grpc-web":
      return grpcWebResponse(outgoing(source, "toResponse", options.catalogue), options);
    default:
      throw new TypeError(
        `toResponse: options.protocol must be "aip193", "connect" or "grpc-web", got ${show(protocol)}`,
      );
  }
}
