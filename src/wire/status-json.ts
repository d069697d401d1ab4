/**
 * The JSON road's decoder (SPEC §13): a failed call's status as HTTP/JSON gateways, Connect and REST
 * APIs send it, read into the same {@link ParsedStatus} as the binary trailer gives. The shapes:
 *
 * - AIP-193: `{ error: { code: <HTTP status>, message, status: "NOT_FOUND", details: [{ "@type" }] } }`;
 * - a `google.rpc.Status` in proto3 JSON: `{ code: 5, message, details: [{ "@type" }] }`, and
 *   google-gax's fallback form of it, whose `code` is an HTTP status (`{ code: 400, message, details }`);
 * - Connect: `{ code: "not_found", message, details: [{ type, value: <base64> }] }`, alone (a unary
 *   error body) or as the `error` of an end-stream message `{ error, metadata }`;
 * - a REST API's error body: `{ code: 404, message }` (E2B), `{ statusCode: 404, error: "Not Found",
 *   message: "..." | ["...", "..."] }` (NestJS, Daytona), `{ status: 404, message }`;
 * - any of these as the first element of a JSON array (Google's REST server-streaming responses).
 *
 * Details in proto3 JSON are read through the detail schemas (`detail-objects.ts`); Connect's are
 * bytes, read by the binary decoders. Both then go through `statusFromDetails`, so promotion and the
 * detail limit are the binary road's own.
 */
import { base64Decode, isUint8Array } from "./bytes.js";
import { codeOfAip193HttpStatus, GrpcCode, toGrpcCode } from "./codes.js";
import { readDetailObject, snapshotJson } from "./detail-objects.js";
import {
  decoderForTypeUrl,
  KNOWN_DETAIL_TYPES,
  type KnownDetailType,
  knownTypeOfUrl,
  type StatusDetail,
  typeUrlOf,
} from "./details.js";
import { restoreStackCapture, suspendStackCapture } from "./stack.js";
import { entriesToRead, MAX_DETAILS, type ParsedStatus, statusFromDetails } from "./status-details.js";
import { WireReader } from "./wire-reader.js";

/**
 * Which shape a body had:
 * - `"aip193"`: `{ error: { code, message, status, details } }`;
 * - `"status"`: a proto3-JSON `google.rpc.Status` (`code` a number or numeric string), or
 *   google-gax's fallback form (`code` an HTTP status, with `details`);
 * - `"connect"`: a Connect error (`code` a name), alone or in an end-stream message;
 * - `"rest"`: a REST API's error body, its code from the HTTP status it names;
 * - `"unknown"`: a JSON object of none of these (only with {@link ReadStatusJsonOptions.codeless}).
 */
export type StatusJsonShape = "aip193" | "status" | "connect" | "rest" | "unknown";

/** A JSON error body, read: what a road's reader needs beside the status itself. */
export interface StatusJsonBody {
  /** The shape the body had (`"connect"` for a Connect end-stream message too). */
  readonly shape: StatusJsonShape;
  /**
   * The gRPC code the body names: its code in any spelling, an AIP-193 `status` (or, without a valid
   * one, its HTTP `code` through google-gax's table), a REST body's HTTP status through the same
   * table. `undefined` when the body names none that maps to a code: then `status.code` is UNKNOWN,
   * and a road that knows the response's HTTP status takes the code from it instead (SPEC §13).
   */
  readonly code: GrpcCode | undefined;
  /** The status, its `code` the gRPC code (UNKNOWN when {@link code} is `undefined`). */
  readonly status: ParsedStatus;
  /**
   * The body's `message` exactly as sent (a REST body's list of messages joined with `, `);
   * `undefined` when it had none (the status says `""`).
   */
  readonly message: string | undefined;
  /**
   * A Connect end-stream message's `metadata` (the stream's trailers: a record of string lists), as
   * sent; `undefined` otherwise. Retry hints may travel there.
   */
  readonly metadata: unknown;
  /**
   * The HTTP status the body itself names, where it names one: a REST body's (`code` when it is an
   * integer from 100 to 599, else `statusCode` or `status`), an AIP-193 body's `error.code`, the
   * `code` of google-gax's fallback form. `undefined` otherwise. (Not the response's status: a road
   * that has a response knows that one.)
   */
  readonly httpStatus: number | undefined;
  /**
   * For a REST body (`shape` `"rest"`), the body object itself, as parsed (or as given), so that a
   * catalogue's `reasonFields` (E2B's `error_code`, Daytona's `errorCode`) can be read from it;
   * `undefined` for every other shape.
   */
  readonly rest: Readonly<Record<string, unknown>> | undefined;
}

/** Options of {@link readStatusJson}. */
export interface ReadStatusJsonOptions {
  /**
   * Also read a JSON object that names no valid code (`{ "code": "wrong code", "message": "x" }`,
   * `{ "message": "x" }`, an AIP-193 `error` without `status` or `code`), and keep a body whose
   * `message` or `details` has the wrong type (that field is then left out): for a road that knows
   * the response failed and takes the code from its HTTP status (`fromResponse`). Such a body has
   * `code` `undefined`. Default `false`: those give `undefined`, as `parseStatusJson` does.
   */
  readonly codeless?: boolean | undefined;
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

/** A detail that fits no detail shape at all (not an object, no type): kept as sent, as data. */
function untyped(entry: unknown, keep: boolean): StatusDetail {
  return keep
    ? { type: "Unknown", typeUrl: "", value: EMPTY_BYTES, json: snapshotJson(entry).value }
    : { type: "Unknown", typeUrl: "", value: EMPTY_BYTES };
}

/** The usual type URL of each known type, so that the common case is one map lookup. */
const USUAL_TYPE_URLS: ReadonlyMap<string, KnownDetailType> = /* @__PURE__ */ new Map(
  /* @__PURE__ */ KNOWN_DETAIL_TYPES.map((type) => [typeUrlOf(type), type]),
);

/** A proto3 JSON detail (`{ "@type", ...fields }`), read through its type's schema. */
function readJsonDetail(typeUrl: string, entry: JsonObject, keep: boolean): StatusDetail {
  const type = USUAL_TYPE_URLS.get(typeUrl) ?? knownTypeOfUrl(typeUrl);
  // A detail past the kept limit only counts for what it promotes: an unknown one is not copied.
  if (type === undefined && !keep) return { type: "Unknown", typeUrl, value: EMPTY_BYTES };
  return readDetailObject(type, typeUrl, entry, "proto3");
}

/**
 * One entry of `details`, whichever form it takes: proto3 JSON's `{ "@type", ...fields }` or
 * Connect's `{ type, value: <base64>, debug? }` (`value` as bytes too, as protobuf-es objects hold it).
 * `keep` is false past {@link MAX_DETAILS}, where only the promoted fields still count.
 */
function readDetail(entry: unknown, keep: boolean): StatusDetail {
  if (!isRecord(entry)) return untyped(entry, keep);
  const typeUrl = entry["@type"];
  if (typeof typeUrl === "string") return readJsonDetail(typeUrl, entry, keep);
  const type = entry.type;
  const value = entry.value;
  if (typeof type !== "string") return untyped(entry, keep);
  const url = type.includes("/") ? type : DEFAULT_TYPE_HOST + type;
  const bytes = typeof value === "string" ? base64Decode(value) : isUint8Array(value) ? value : undefined;
  if (bytes !== undefined) return decodeDetailBytes(url, bytes);
  // Not bytes at all: the entry is kept as sent, as a JSON detail that does not fit is.
  return keep
    ? { type: "Unknown", typeUrl: url, value: EMPTY_BYTES, json: snapshotJson(entry).value }
    : { type: "Unknown", typeUrl: url, value: EMPTY_BYTES };
}

/**
 * Whether the body being read came from text this module parsed: its arrays are then dense, each
 * entry paid for by a byte of the body, and read to the end. An object handed in may be a sparse
 * array or a proxy claiming billions of entries: its details are read to `MAX_DETAIL_ENTRIES`.
 */
let parsedHere = false;

/**
 * Reads every detail, in order. A plain loop into an array: a generator (so that the limit applied
 * as details came) costs more per call than holding the few details a status carries; a hostile
 * body's millions are already held by `JSON.parse`.
 */
function readDetails(details: readonly unknown[]): StatusDetail[] {
  const length = parsedHere ? details.length : entriesToRead(details.length);
  const read: StatusDetail[] = new Array(length);
  for (let i = 0; i < length; i++) read[i] = readDetail(details[i], i < MAX_DETAILS);
  return read;
}

/** `details` as sent: absent is none; anything but an array is `undefined` (not of the shape). */
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

/** What a shape's reader found, before the body is built. */
interface Found {
  readonly shape: StatusJsonShape;
  readonly code: GrpcCode | undefined;
  readonly metadata: unknown;
  readonly httpStatus: number | undefined;
}

/**
 * A body of the gRPC statuses' own shapes (AIP-193's `error`, a proto3 `Status`, a Connect error):
 * its message and details. A message or details of the wrong type make it no body, unless
 * `codeless` (then that field is left out).
 */
function body(found: Found, object: JsonObject, codeless: boolean): StatusJsonBody | undefined {
  const message = messageOf(object);
  const details = detailsOf(object);
  if (!codeless && (message === null || details === undefined)) return undefined;
  const text = message ?? undefined;
  const { shape, code, metadata, httpStatus } = found;
  const status = statusFromDetails(code ?? GrpcCode.UNKNOWN, text ?? "", readDetails(details ?? []));
  // Written out, not spread: with a spread, V8 made this read several times slower (the bench).
  return { shape, code, status, message: text, metadata, httpStatus, rest: undefined };
}

/** Whether a code as text starts with a digit: a number, not a name. */
function isDigit(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

/** An HTTP status as a body names it: an integer from 100 to 599 (a JSON number). */
function isHttpStatus(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599;
}

/** An AIP-193 HTTP code: a JSON number, or (proto3 JSON allows it for int32) a decimal string. */
function httpCodeOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\d{1,3}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * The `error` of an AIP-193 body. `status` (the canonical code name) gives the code; without a valid
 * one, the HTTP `code` is mapped as google-gax does. An `error` with neither a `status` nor a
 * numeric `code` is not an AIP-193 error (but for a `codeless` read); one whose `status` and `code`
 * name no code is UNKNOWN, its {@link StatusJsonBody.code} `undefined`.
 */
function aip193(error: JsonObject, codeless: boolean): StatusJsonBody | undefined {
  const name = field(error, "status");
  const http = httpCodeOf(field(error, "code"));
  let code: GrpcCode | undefined;
  if (typeof name === "string" && Object.hasOwn(GrpcCode, name))
    code = GrpcCode[name as keyof typeof GrpcCode];
  else if (http !== undefined) code = codeOfAip193HttpStatus(http);
  if (http === undefined && typeof name !== "string" && !codeless) return undefined;
  const httpStatus = isHttpStatus(http) ? http : undefined;
  return body({ shape: "aip193", code, metadata: undefined, httpStatus }, error, codeless);
}

/** The most entries of a REST body's list of messages that are joined into its message. */
const MAX_MESSAGE_PARTS = 100;

/**
 * A REST body's `message`: a string, or a list of them (NestJS's validation pipe sends one per
 * failed constraint) joined with `, ` — its first {@link MAX_MESSAGE_PARTS} entries, entries that are
 * not strings passed over, the rest counted (`, … (N more)`), so a huge list costs nothing more.
 * `undefined` for anything else (a number, an object): the road then says `HTTP <status>`.
 */
function restMessage(message: unknown): string | undefined {
  if (typeof message === "string") return message;
  if (!Array.isArray(message)) return undefined;
  const parts: string[] = [];
  const length = message.length;
  for (let i = 0; i < length && i < MAX_MESSAGE_PARTS; i++) {
    const part: unknown = message[i];
    if (typeof part === "string") parts.push(part);
  }
  if (length > MAX_MESSAGE_PARTS) parts.push(`… (${length - MAX_MESSAGE_PARTS} more)`);
  return parts.length === 0 ? undefined : parts.join(", ");
}

/**
 * A REST API's error body: the code from the HTTP status it names, through google-gax's table (the
 * one AIP-193 bodies use: 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, other 4xx FAILED_PRECONDITION,
 * other 5xx INTERNAL), its message, no details; the body itself kept for a catalogue's fields.
 */
function rest(object: JsonObject, httpStatus: number): StatusJsonBody {
  const code = codeOfAip193HttpStatus(httpStatus);
  const message = restMessage(field(object, "message"));
  const status = statusFromDetails(code ?? GrpcCode.UNKNOWN, message ?? "", []);
  return { shape: "rest", code, status, message, metadata: undefined, httpStatus, rest: object };
}

/**
 * A body whose status sits at its top level (or in a Connect end-stream message's `error`):
 * - a numeric `statusCode` or `status` (100–599), or a `code` that is an HTTP status: a REST body,
 *   the status from `code` when it is one, else from `statusCode` or `status` — a string `code`
 *   beside them is the API's own error name (Daytona's `"Not Found"`), not a gRPC code; an HTTP
 *   `code` with a `details` list is google-gax's fallback form of a `Status`, details kept (or,
 *   when its message is no string, a REST body after all);
 * - else `code` is the status code itself: a number (or numeric string) in a proto3-JSON
 *   `google.rpc.Status`, a name in a Connect error. A code of neither kind makes no body, unless
 *   `codeless`.
 */
function flat(object: JsonObject, metadata: unknown, codeless: boolean): StatusJsonBody | undefined {
  const raw = field(object, "code");
  const statusCode = field(object, "statusCode");
  const named = isHttpStatus(statusCode) ? statusCode : field(object, "status");
  if (isHttpStatus(raw)) {
    if (!isHttpStatus(named) && Array.isArray(field(object, "details"))) {
      const found: Found = { shape: "status", code: codeOfAip193HttpStatus(raw), metadata, httpStatus: raw };
      // Not of the form after all (a message that is no string): still a REST API's body.
      return body(found, object, codeless) ?? rest(object, raw);
    }
    return rest(object, raw);
  }
  if (isHttpStatus(named)) return rest(object, named);
  const code = toGrpcCode(raw);
  if (code === undefined && !codeless) return undefined;
  const shape: StatusJsonShape =
    typeof raw === "number" || (typeof raw === "string" && isDigit(raw))
      ? "status"
      : typeof raw === "string"
        ? "connect"
        : "unknown";
  return body({ shape, code, metadata, httpStatus: undefined }, object, codeless);
}

/**
 * Reads an already-parsed JSON value as one of the error-body shapes; `undefined` for anything else.
 * Throws only what a hostile value (a throwing getter or proxy) throws: callers catch.
 */
function readBody(input: unknown, codeless: boolean): StatusJsonBody | undefined {
  // Google's REST server-streaming responses are a JSON array: an error ends it as its first element.
  const value = Array.isArray(input) ? (input.length > 0 ? input[0] : undefined) : input;
  if (!isRecord(value)) return undefined;
  const error = field(value, "error");
  // An `error` that is no object (NestJS's `"error": "Not Found"`) is a REST body's field.
  if (!isRecord(error)) return flat(value, undefined, codeless);
  // A Connect end-stream message's error names its code; an AIP-193 error numbers it.
  const code = field(error, "code");
  return typeof code === "string" && !isDigit(code)
    ? flat(error, field(value, "metadata"), codeless)
    : aip193(error, codeless);
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Whether `text` (a leading byte-order mark already skipped) can be an error body: a JSON object, or
 * an array whose first element is one. Anything else — a huge array of numbers, a string — is refused
 * without parsing it.
 */
function looksLikeBody(text: string): boolean {
  let i = 0;
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  if (c === 0x7b /* { */) return true;
  if (c !== 0x5b /* [ */) return false;
  i++;
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === 0x7b;
}

/**
 * {@link parseStatusJson} with what a road's reader needs beside the status: the body's shape, the
 * code it names, its `message` as sent (or `undefined`), a Connect end-stream message's `metadata`,
 * the HTTP status the body names, and a REST body itself (see {@link StatusJsonBody}). With
 * `{ codeless: true }` it also reads bodies that name no valid code (see
 * {@link ReadStatusJsonOptions}). Never throws.
 *
 * @internal
 */
export function readStatusJson(input: unknown, options?: ReadStatusJsonOptions): StatusJsonBody | undefined {
  const limit = suspendStackCapture();
  try {
    const codeless = options?.codeless === true;
    let value = input;
    if (typeof input === "string") {
      // A byte-order mark is no JSON, but an editor or a Windows tool may leave one before the body.
      const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
      if (!looksLikeBody(text)) return undefined;
      value = JSON.parse(text);
      parsedHere = true;
    }
    return readBody(value, codeless);
  } catch {
    // Not JSON, or a hostile object: no status.
    return undefined;
  } finally {
    parsedHere = false;
    restoreStackCapture(limit);
  }
}

/**
 * Reads a JSON error body into a {@link ParsedStatus}: the JSON twin of `parseStatusDetails`.
 *
 * `input` is the body's text (a leading byte-order mark is skipped) or the value `JSON.parse` gave
 * for it, in any of these shapes:
 * - AIP-193 (Google APIs, grpc-gateway, HTTP/JSON transcoding): `{ "error": { "code": 404, "message",
 *   "status": "NOT_FOUND", "details": [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", ... }] } }`
 *   — `status` gives the code; without a valid one, the HTTP `code` is mapped as google-gax maps it
 *   (400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 409 ABORTED,
 *   416 OUT_OF_RANGE, 429 RESOURCE_EXHAUSTED, 499 CANCELLED, 501 UNIMPLEMENTED, 503 UNAVAILABLE,
 *   504 DEADLINE_EXCEEDED, other 4xx FAILED_PRECONDITION, other 5xx INTERNAL, anything else UNKNOWN);
 * - a `google.rpc.Status` in proto3 JSON: `{ "code": 5, "message", "details": [...] }`; and
 *   google-gax's fallback form, whose `code` is an HTTP status (100–599), mapped through the same
 *   table: `{ "code": 400, "message", "details": [...] }`;
 * - a Connect error `{ "code": "not_found", "message", "details": [{ "type": "google.rpc.ErrorInfo",
 *   "value": "<base64>", "debug": ... }] }`, alone or as the `error` of an end-stream message
 *   `{ "error", "metadata" }`;
 * - a REST API's error body, as the popular sandbox APIs send it: `{ "message", "code": 404 }` (E2B),
 *   `{ "statusCode": 404, "error": "Not Found", "message": "..." | ["...", "..."] }` (NestJS, Daytona),
 *   `{ "status": 404, "message" }`: the HTTP status it names (`code` when it is an integer from 100 to
 *   599, else `statusCode` or `status`) through the same table, the message (a list joined with `, `,
 *   its first 100 entries), no details. Beside a numeric `statusCode` or `status`, a string `code` is
 *   the API's own error name (Daytona's `"Not Found"`), not a gRPC code. A `statusCode` that is not an
 *   integer from 100 to 599 is not read (the body is then read as if it were absent); a `message` of
 *   another type is left out;
 * - any of these as the first element of a JSON array (Google's REST server-streaming responses).
 *
 * Details decode to the very shapes the binary trailer gives, promoted the same way (`reason`,
 * `retryDelay`, `fieldViolations`, `requestId`...). Proto3 JSON details may name fields in lowerCamel
 * or as in the `.proto`, write int64 as a number or a string and a Duration as `"1.500s"` (`"-0s"`
 * is 0). A detail of a type this package does not know, or whose JSON does not fit its type, is
 * `{ type: "Unknown", typeUrl, value: <empty>, json }`, `json` a plain-data copy of the detail as
 * sent, taken at once and bounded (64 levels, 10,000 values, cycles cut: `JSON.stringify` can always
 * write it); a Connect detail keeps its bytes in `value` instead. `message` is the body's (`""` when
 * it has none).
 *
 * Returns `undefined` for text that is not JSON and for JSON of none of these shapes (a body without
 * a valid code among them: `fromResponse`, which knows the HTTP status, still reads its message).
 * Never throws; time is linear in the input (`JSON.parse` and one pass over the details).
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
