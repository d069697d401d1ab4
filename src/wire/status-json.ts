/**
 * The JSON road's decoder (SPEC §13): a failed call's status as HTTP/JSON gateways and Connect send
 * it, read into the same {@link ParsedStatus} as the binary trailer gives. Three shapes:
 *
 * - AIP-193: `{ error: { code: <HTTP status>, message, status: "NOT_FOUND", details: [{ "@type" }] } }`;
 * - a `google.rpc.Status` in proto3 JSON: `{ code: 5, message, details: [{ "@type" }] }`;
 * - Connect: `{ code: "not_found", message, details: [{ type, value: <base64> }] }`, alone (a unary
 *   error body) or as the `error` of an end-stream message `{ error, metadata }`.
 *
 * Details in proto3 JSON are read through the detail schemas (`detail-objects.ts`); Connect's are
 * bytes, read by the binary decoders. Both then go through `statusFromDetails`, so promotion and the
 * detail limit are the binary road's own.
 */
import { base64Decode, isUint8Array } from "./bytes.js";
import { codeOfAip193HttpStatus, GrpcCode, toGrpcCode } from "./codes.js";
import { readDetailObject } from "./detail-objects.js";
import {
  decoderForTypeUrl,
  KNOWN_DETAIL_TYPES,
  type KnownDetailType,
  knownTypeOfUrl,
  type StatusDetail,
  typeUrlOf,
} from "./details.js";
import { restoreStackCapture, suspendStackCapture } from "./stack.js";
import { type ParsedStatus, statusFromDetails } from "./status-details.js";
import { WireReader } from "./wire-reader.js";

/** Which of the three shapes a body had. */
export type StatusJsonShape = "aip193" | "status" | "connect";

/** A JSON error body, read: what a road's reader needs beside the status itself. */
export interface StatusJsonBody {
  /** The shape the body had (`"connect"` for a Connect end-stream message too). */
  readonly shape: StatusJsonShape;
  /** The status, its `code` the gRPC code. */
  readonly status: ParsedStatus;
  /** The body's `message` exactly as sent; `undefined` when it had none (the status says `""`). */
  readonly message: string | undefined;
  /**
   * A Connect end-stream message's `metadata` (the stream's trailers: a record of string lists), as
   * sent; `undefined` otherwise. Retry hints may travel there.
   */
  readonly metadata: unknown;
}

type JsonObject = Readonly<Record<string, unknown>>;

const EMPTY_BYTES = /* @__PURE__ */ new Uint8Array(0);
const UTF8 = /* @__PURE__ */ new TextEncoder();
/** Connect and protobuf-es name a detail by its message type; a type URL needs a host before it. */
const DEFAULT_TYPE_HOST = "type.googleapis.com/";

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A field of a JSON object; proto3 JSON's `null` reads as absent. */
function field(object: JsonObject, name: string): unknown {
  const value = object[name];
  return value === null ? undefined : value;
}

/**
 * One detail carried as bytes (a Connect `{ type, value }` entry, a `google.protobuf.Any`), decoded
 * by its type's binary decoder; a type we do not know, or bytes that do not decode as the type it
 * names, give an `Unknown` detail with a copy of the bytes — exactly as the binary road does.
 */
export function decodeDetailBytes(typeUrl: string, bytes: Uint8Array): StatusDetail {
  const url = UTF8.encode(typeUrl);
  const decode = decoderForTypeUrl(url, 0, url.length);
  if (decode !== undefined) {
    try {
      return decode(new WireReader(bytes), undefined);
    } catch {
      // Not that type after all: kept raw below.
    }
  }
  return { type: "Unknown", typeUrl, value: new Uint8Array(bytes) };
}

/** A detail that fits no detail shape at all (not an object, no type): kept as sent. */
function untyped(entry: unknown): StatusDetail {
  return { type: "Unknown", typeUrl: "", value: EMPTY_BYTES, json: entry };
}

/** The usual type URL of each known type, so that the common case is one map lookup. */
const USUAL_TYPE_URLS: ReadonlyMap<string, KnownDetailType> = /* @__PURE__ */ new Map(
  /* @__PURE__ */ KNOWN_DETAIL_TYPES.map((type) => [typeUrlOf(type), type]),
);

/** A proto3 JSON detail (`{ "@type", ...fields }`), read through its type's schema. */
function readJsonDetail(typeUrl: string, entry: JsonObject): StatusDetail {
  const type = USUAL_TYPE_URLS.get(typeUrl) ?? knownTypeOfUrl(typeUrl);
  return readDetailObject(type, typeUrl, entry, "proto3");
}

/**
 * One entry of `details`, whichever form it takes: proto3 JSON's `{ "@type", ...fields }` or
 * Connect's `{ type, value: <base64>, debug? }` (`value` as bytes too, as protobuf-es objects hold it).
 */
function readDetail(entry: unknown): StatusDetail {
  if (!isRecord(entry)) return untyped(entry);
  const typeUrl = entry["@type"];
  if (typeof typeUrl === "string") return readJsonDetail(typeUrl, entry);
  const type = entry.type;
  const value = entry.value;
  if (typeof type !== "string") return untyped(entry);
  const url = type.includes("/") ? type : DEFAULT_TYPE_HOST + type;
  const bytes = typeof value === "string" ? base64Decode(value) : isUint8Array(value) ? value : undefined;
  // Not bytes at all: the entry is kept as sent, as a JSON detail that does not fit is.
  return bytes === undefined
    ? { type: "Unknown", typeUrl: url, value: EMPTY_BYTES, json: entry }
    : decodeDetailBytes(url, bytes);
}

/**
 * Reads every detail, in order. A plain loop into an array: a generator (so that the limit applied
 * as details came) costs more per call than holding the few details a status carries; a hostile
 * body's millions are already held by `JSON.parse`.
 */
function readDetails(details: readonly unknown[]): StatusDetail[] {
  const read: StatusDetail[] = new Array(details.length);
  for (let i = 0; i < details.length; i++) read[i] = readDetail(details[i]);
  return read;
}

/** `details` as sent: absent is none; anything but an array means the body is not of the shape. */
function detailsOf(object: JsonObject): readonly unknown[] | undefined {
  const details = field(object, "details");
  if (details === undefined) return [];
  return Array.isArray(details) ? details : undefined;
}

/** `message` as sent: a string, or `undefined` when absent; `null` for a value of another type. */
function messageOf(object: JsonObject): string | undefined | null {
  const message = field(object, "message");
  if (message === undefined || typeof message === "string") return message;
  return null;
}

function body(
  shape: StatusJsonShape,
  code: GrpcCode,
  object: JsonObject,
  metadata: unknown,
): StatusJsonBody | undefined {
  const message = messageOf(object);
  const details = detailsOf(object);
  if (message === null || details === undefined) return undefined;
  const status = statusFromDetails(code, message ?? "", readDetails(details));
  return { shape, status, message, metadata };
}

/** Whether a code as text starts with a digit: a number, not a name. */
function isDigit(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

/** An AIP-193 HTTP code: a JSON number, or (proto3 JSON allows it for int32) a decimal string. */
function httpCodeOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\d{1,3}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * The `error` of an AIP-193 body. `status` (the canonical code name) gives the code; without a valid
 * one, the HTTP `code` is mapped as google-gax does (and a code that maps to nothing is UNKNOWN). An
 * `error` with neither is not an AIP-193 error.
 */
function aip193(error: JsonObject): StatusJsonBody | undefined {
  const name = field(error, "status");
  const http = httpCodeOf(field(error, "code"));
  let code: GrpcCode | undefined;
  if (typeof name === "string" && Object.hasOwn(GrpcCode, name))
    code = GrpcCode[name as keyof typeof GrpcCode];
  else if (http !== undefined) code = codeOfAip193HttpStatus(http) ?? GrpcCode.UNKNOWN;
  else if (typeof name === "string") code = GrpcCode.UNKNOWN;
  return code === undefined ? undefined : body("aip193", code, error, undefined);
}

/**
 * A body whose `code` is the status code itself: a number (or numeric string) in a proto3 JSON
 * `google.rpc.Status`, a name in a Connect error. A code of neither kind is no such body.
 */
function flat(object: JsonObject, metadata: unknown): StatusJsonBody | undefined {
  const raw = field(object, "code");
  const code = toGrpcCode(raw);
  if (code === undefined) return undefined;
  const shape = typeof raw === "number" || isDigit(raw as string) ? "status" : "connect";
  return body(shape, code, object, metadata);
}

/**
 * Reads an already-parsed JSON value as one of the error-body shapes; `undefined` for anything else.
 * Throws only what a hostile value (a throwing getter or proxy) throws: callers catch.
 */
function readBody(value: unknown): StatusJsonBody | undefined {
  if (!isRecord(value)) return undefined;
  const error = field(value, "error");
  if (error === undefined) return flat(value, undefined);
  if (!isRecord(error)) return undefined;
  // A Connect end-stream message's error names its code; an AIP-193 error numbers it.
  const code = field(error, "code");
  return typeof code === "string" && !isDigit(code) ? flat(error, field(value, "metadata")) : aip193(error);
}

/** Whether `text` can be a JSON object: its first non-blank character is `{`. */
function looksLikeObject(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0xfeff) return false;
  }
  return false;
}

/**
 * {@link parseStatusJson} with what a road's reader needs beside the status: the body's shape, its
 * `message` as sent (or `undefined`) and a Connect end-stream message's `metadata`. Never throws.
 *
 * @internal
 */
export function readStatusJson(input: unknown): StatusJsonBody | undefined {
  const limit = suspendStackCapture();
  try {
    let value = input;
    if (typeof input === "string") {
      // Any of the shapes is an object: a huge array or string is refused without parsing it.
      if (!looksLikeObject(input)) return undefined;
      value = JSON.parse(input);
    }
    return readBody(value);
  } catch {
    // Not JSON, or a hostile object: no status.
    return undefined;
  } finally {
    restoreStackCapture(limit);
  }
}

/**
 * Reads a JSON error body into a {@link ParsedStatus}: the JSON twin of `parseStatusDetails`.
 *
 * `input` is the body's text or the value `JSON.parse` gave for it, in any of these shapes:
 * - AIP-193 (Google APIs, grpc-gateway, HTTP/JSON transcoding): `{ "error": { "code": 404, "message",
 *   "status": "NOT_FOUND", "details": [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", ... }] } }`
 *   — `status` gives the code; without a valid one, the HTTP `code` is mapped as google-gax maps it;
 * - a `google.rpc.Status` in proto3 JSON: `{ "code": 5, "message", "details": [...] }`;
 * - a Connect error `{ "code": "not_found", "message", "details": [{ "type": "google.rpc.ErrorInfo",
 *   "value": "<base64>", "debug": ... }] }`, alone or as the `error` of an end-stream message
 *   `{ "error", "metadata" }`.
 *
 * Details decode to the very shapes the binary trailer gives, promoted the same way (`reason`,
 * `retryDelay`, `fieldViolations`, `requestId`...). Proto3 JSON details may name fields in lowerCamel
 * or as in the `.proto`, write int64 as a number or a string and a Duration as `"1.500s"`. A detail
 * of a type this package does not know, or whose JSON does not fit its type, is
 * `{ type: "Unknown", typeUrl, value: <empty>, json: <the detail as sent> }`; a Connect detail keeps
 * its bytes in `value` instead. `message` is the body's (`""` when it has none).
 *
 * Returns `undefined` for text that is not JSON and for JSON of none of these shapes. Never throws;
 * time is linear in the input (`JSON.parse` and one pass over the details).
 *
 * @example
 * ```ts
 * const status = parseStatusJson(await response.text());
 * if (status?.reason === Reason.SANDBOX_NOT_FOUND) ...
 * ```
 */
export function parseStatusJson(input: string | object): ParsedStatus | undefined {
  return readStatusJson(input)?.status;
}
