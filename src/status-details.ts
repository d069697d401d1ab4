/**
 * The wire codec: decoding the `google.rpc.Status` carried in the `grpc-status-details-bin` trailer
 * (AIP-193) into plain objects. Total: any input is decoded or refused, never thrown on.
 */
import { ERROR_DOMAIN, Reason } from "./codes.js";
import { decodeUtf8, WireReader } from "./wire-reader.js";

/** The trailer that carries a serialised `google.rpc.Status`. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** `google.rpc.ErrorInfo`: why the call failed, as a machine-readable reason within a domain. */
export interface ErrorInfoDetail {
  readonly type: "ErrorInfo";
  readonly reason: string;
  readonly domain: string;
  /** A null-prototype object: keys such as `__proto__` are plain data. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** `google.rpc.RetryInfo`: how long the server asks the client to wait before retrying. */
export interface RetryInfoDetail {
  readonly type: "RetryInfo";
  /** `retry_delay` in milliseconds; absent when the field was not sent or is not a valid Duration. */
  readonly retryDelay?: number;
}

/** `google.rpc.DebugInfo`: server-side debugging data. */
export interface DebugInfoDetail {
  readonly type: "DebugInfo";
  readonly stackEntries: readonly string[];
  readonly detail: string;
}

/** One `google.rpc.QuotaFailure.Violation`. */
export interface QuotaViolation {
  readonly subject: string;
  readonly description: string;
  readonly apiService: string;
  readonly quotaMetric: string;
  readonly quotaId: string;
  /** A null-prototype object. */
  readonly quotaDimensions: Readonly<Record<string, string>>;
  readonly quotaValue: number;
  /** Present only when the server sent it (the field is `optional`). */
  readonly futureQuotaValue?: number;
}

/** `google.rpc.QuotaFailure`: which quota was exceeded. */
export interface QuotaFailureDetail {
  readonly type: "QuotaFailure";
  readonly violations: readonly QuotaViolation[];
}

/** One `google.rpc.PreconditionFailure.Violation`. */
export interface PreconditionViolation {
  readonly type: string;
  readonly subject: string;
  readonly description: string;
}

/** `google.rpc.PreconditionFailure`: which precondition of the request failed. */
export interface PreconditionFailureDetail {
  readonly type: "PreconditionFailure";
  readonly violations: readonly PreconditionViolation[];
}

/** `google.rpc.LocalizedMessage` as it appears inside a bad-request field violation. */
export interface LocalizedText {
  readonly locale: string;
  readonly message: string;
}

/** One `google.rpc.BadRequest.FieldViolation`, every field as sent. */
export interface BadRequestFieldViolation {
  readonly field: string;
  readonly description: string;
  readonly reason: string;
  /** Absent when the server did not send one. */
  readonly localizedMessage?: LocalizedText;
}

/** `google.rpc.BadRequest`: which fields of the request were invalid. */
export interface BadRequestDetail {
  readonly type: "BadRequest";
  readonly fieldViolations: readonly BadRequestFieldViolation[];
}

/** `google.rpc.RequestInfo`: the server's id of the request, for support tickets. */
export interface RequestInfoDetail {
  readonly type: "RequestInfo";
  readonly requestId: string;
  readonly servingData: string;
}

/** `google.rpc.ResourceInfo`: the resource the failure is about. */
export interface ResourceInfoDetail {
  readonly type: "ResourceInfo";
  readonly resourceType: string;
  readonly resourceName: string;
  readonly owner: string;
  readonly description: string;
}

/** One `google.rpc.Help.Link`. */
export interface HelpLink {
  readonly description: string;
  readonly url: string;
}

/** `google.rpc.Help`: links to documentation. */
export interface HelpDetail {
  readonly type: "Help";
  readonly links: readonly HelpLink[];
}

/** `google.rpc.LocalizedMessage`: the error message in the user's language. */
export interface LocalizedMessageDetail {
  readonly type: "LocalizedMessage";
  readonly locale: string;
  readonly message: string;
}

/**
 * A detail this package does not decode: a type outside `google.rpc`, or a known type whose bytes do
 * not decode as that type. Kept raw so nothing the server sent is lost.
 */
export interface UnknownDetail {
  readonly type: "Unknown";
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** One decoded `google.protobuf.Any` of `Status.details`, discriminated on `type`. */
export type StatusDetail =
  | ErrorInfoDetail
  | RetryInfoDetail
  | DebugInfoDetail
  | QuotaFailureDetail
  | PreconditionFailureDetail
  | BadRequestDetail
  | RequestInfoDetail
  | ResourceInfoDetail
  | HelpDetail
  | LocalizedMessageDetail
  | UnknownDetail;

/** The `type` of a {@link StatusDetail} that has a decoder (every one but `"Unknown"`). */
export type KnownDetailType = Exclude<StatusDetail["type"], "Unknown">;

/** A field violation as the errors carry it: the field path and what is wrong with it. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** A decoded `google.rpc.Status`, with the details that errors promote to their own fields. */
export interface ParsedStatus {
  /** The blob's own status code. Diagnostic only: the transport's code is authoritative. */
  readonly code: number;
  /** The blob's own message. */
  readonly message: string;
  /** Every detail, in the order sent. */
  readonly details: readonly StatusDetail[];
  /** `reason` of the first ErrorInfo whose reason is non-empty, whatever its domain. */
  readonly reason: string | undefined;
  /** `domain` of that ErrorInfo, as sent (`""` included). */
  readonly domain: string | undefined;
  /** `metadata` of that ErrorInfo; `{}` without one. A frozen null-prototype object. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The first valid RetryInfo delay, in milliseconds (0 and negative kept as sent). */
  readonly retryDelay: number | undefined;
  /** The violations of every BadRequest, in order. */
  readonly fieldViolations: readonly FieldViolation[];
  /** `request_id` of the first RequestInfo, as sent. */
  readonly requestId: string | undefined;
}

/**
 * One value of the trailer: bytes, or base64 text (grpc-web and protobuf-ts carry binary trailers as
 * base64).
 */
export type StatusDetailsValue = Uint8Array | ArrayBuffer | string;

/**
 * What {@link parseStatusDetails} reads: a grpc-js `Metadata` (or anything with a `get(key)` method,
 * such as a fetch `Headers`), one trailer value, or a list of values.
 */
export type StatusDetailsInput =
  | {
      /** The values of the trailer `key`, as grpc-js `Metadata#get` returns them. */
      get(key: string): unknown;
    }
  | StatusDetailsValue
  | readonly StatusDetailsValue[];

/** The largest `seconds` of a valid `google.protobuf.Duration` (10,000 years). */
const MAX_DURATION_SECONDS = 315_576_000_000;
const MAX_DURATION_NANOS = 999_999_999;

/** The prefix a type URL's last segment must have for the detail to be one of ours. */
const KNOWN_TYPE_PREFIX = "google.rpc.";

const EMPTY_METADATA: Readonly<Record<string, string>> = Object.freeze(Object.create(null));
const EMPTY_LIST: readonly never[] = Object.freeze([]);

type StringMap = Record<string, string>;

// Each reader below reads the fields of one message from a reader bounded to that message; unknown
// fields are skipped, a known field with the wrong wire type throws.

/** Reads one `map<string, string>` entry into `map` (a later duplicate key wins, as in protobuf). */
function readMapEntry(map: StringMap, reader: WireReader): void {
  let key = "";
  let value = "";
  while (reader.next()) {
    if (reader.field === 1) key = reader.string();
    else if (reader.field === 2) value = reader.string();
    else reader.skip();
  }
  map[key] = value;
}

/** The service's own vocabulary (every reason, its domain) as bytes, by length. */
const VOCABULARY = new Map<number, (readonly [Uint8Array, string])[]>();
for (const text of [...Object.values(Reason), ERROR_DOMAIN]) {
  const encoded = new TextEncoder().encode(text);
  VOCABULARY.set(encoded.length, [...(VOCABULARY.get(encoded.length) ?? []), [encoded, text]]);
}

/**
 * A string field that usually holds a word of the service's vocabulary: such a word is returned
 * as the constant string, not decoded anew (and a constant's hash is already known to the reason
 * table lookup that follows); anything else is decoded as usual.
 */
function readVocabulary(reader: WireReader): string {
  reader.delimited();
  const { bytes, payloadStart, position } = reader;
  const candidates = VOCABULARY.get(position - payloadStart);
  if (candidates !== undefined) {
    for (const [encoded, text] of candidates) {
      if (bytesEqual(bytes, payloadStart, position, encoded)) return text;
    }
  }
  return decodeUtf8(bytes, payloadStart, position);
}

function decodeErrorInfo(reader: WireReader): ErrorInfoDetail {
  let reason = "";
  let domain = "";
  // Made on the first entry: most ErrorInfos carry none, and a frozen null-prototype object is dear.
  let metadata: StringMap | undefined;
  while (reader.next()) {
    if (reader.field === 1) reason = readVocabulary(reader);
    else if (reader.field === 2) domain = readVocabulary(reader);
    else if (reader.field === 3) {
      metadata ??= Object.create(null) as StringMap;
      reader.message(metadata, readMapEntry);
    } else reader.skip();
  }
  return {
    type: "ErrorInfo",
    reason,
    domain,
    metadata: metadata === undefined ? EMPTY_METADATA : Object.freeze(metadata),
  };
}

interface DurationParts {
  present: boolean;
  seconds: number;
  nanos: number;
}

function readDuration(target: DurationParts, reader: WireReader): void {
  target.present = true;
  while (reader.next()) {
    if (reader.field === 1) target.seconds = reader.int64();
    else if (reader.field === 2) target.nanos = reader.int32();
    else reader.skip();
  }
}

/** A Duration in milliseconds, or `undefined` when it is out of range or its signs disagree. */
function durationToMilliseconds({ seconds, nanos }: DurationParts): number | undefined {
  if (Math.abs(seconds) > MAX_DURATION_SECONDS || Math.abs(nanos) > MAX_DURATION_NANOS) return undefined;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return undefined;
  return seconds * 1000 + nanos / 1e6;
}

function decodeRetryInfo(reader: WireReader): RetryInfoDetail {
  // A repeated singular message field: protobuf merges the copies; for a Duration that is the same
  // as reading them into one object.
  const delay: DurationParts = { present: false, seconds: 0, nanos: 0 };
  while (reader.next()) {
    if (reader.field === 1) reader.message(delay, readDuration);
    else reader.skip();
  }
  const retryDelay = delay.present ? durationToMilliseconds(delay) : undefined;
  return retryDelay === undefined ? { type: "RetryInfo" } : { type: "RetryInfo", retryDelay };
}

function decodeDebugInfo(reader: WireReader): DebugInfoDetail {
  const stackEntries: string[] = [];
  let detail = "";
  while (reader.next()) {
    if (reader.field === 1) stackEntries.push(reader.string());
    else if (reader.field === 2) detail = reader.string();
    else reader.skip();
  }
  return { type: "DebugInfo", stackEntries, detail };
}

interface MutableQuotaViolation {
  subject: string;
  description: string;
  apiService: string;
  quotaMetric: string;
  quotaId: string;
  quotaDimensions: StringMap;
  quotaValue: number;
  futureQuotaValue?: number;
}

function readQuotaViolation(violations: QuotaViolation[], reader: WireReader): void {
  const violation: MutableQuotaViolation = {
    subject: "",
    description: "",
    apiService: "",
    quotaMetric: "",
    quotaId: "",
    quotaDimensions: Object.create(null),
    quotaValue: 0,
  };
  while (reader.next()) {
    switch (reader.field) {
      case 1:
        violation.subject = reader.string();
        break;
      case 2:
        violation.description = reader.string();
        break;
      case 3:
        violation.apiService = reader.string();
        break;
      case 4:
        violation.quotaMetric = reader.string();
        break;
      case 5:
        violation.quotaId = reader.string();
        break;
      case 6:
        reader.message(violation.quotaDimensions, readMapEntry);
        break;
      case 7:
        violation.quotaValue = reader.int64();
        break;
      case 8:
        violation.futureQuotaValue = reader.int64();
        break;
      default:
        reader.skip();
    }
  }
  Object.freeze(violation.quotaDimensions);
  violations.push(violation);
}

function decodeQuotaFailure(reader: WireReader): QuotaFailureDetail {
  const violations: QuotaViolation[] = [];
  while (reader.next()) {
    if (reader.field === 1) reader.message(violations, readQuotaViolation);
    else reader.skip();
  }
  return { type: "QuotaFailure", violations };
}

function readPreconditionViolation(violations: PreconditionViolation[], reader: WireReader): void {
  let type = "";
  let subject = "";
  let description = "";
  while (reader.next()) {
    if (reader.field === 1) type = reader.string();
    else if (reader.field === 2) subject = reader.string();
    else if (reader.field === 3) description = reader.string();
    else reader.skip();
  }
  violations.push({ type, subject, description });
}

function decodePreconditionFailure(reader: WireReader): PreconditionFailureDetail {
  const violations: PreconditionViolation[] = [];
  while (reader.next()) {
    if (reader.field === 1) reader.message(violations, readPreconditionViolation);
    else reader.skip();
  }
  return { type: "PreconditionFailure", violations };
}

function readLocalizedText(target: { locale: string; message: string }, reader: WireReader): void {
  while (reader.next()) {
    if (reader.field === 1) target.locale = reader.string();
    else if (reader.field === 2) target.message = reader.string();
    else reader.skip();
  }
}

function readFieldViolation(violations: BadRequestFieldViolation[], reader: WireReader): void {
  let field = "";
  let description = "";
  let reason = "";
  let localizedMessage: { locale: string; message: string } | undefined;
  while (reader.next()) {
    switch (reader.field) {
      case 1:
        field = reader.string();
        break;
      case 2:
        description = reader.string();
        break;
      case 3:
        reason = reader.string();
        break;
      case 4:
        localizedMessage ??= { locale: "", message: "" };
        reader.message(localizedMessage, readLocalizedText);
        break;
      default:
        reader.skip();
    }
  }
  violations.push(
    localizedMessage === undefined
      ? { field, description, reason }
      : { field, description, reason, localizedMessage },
  );
}

function decodeBadRequest(reader: WireReader): BadRequestDetail {
  const fieldViolations: BadRequestFieldViolation[] = [];
  while (reader.next()) {
    if (reader.field === 1) reader.message(fieldViolations, readFieldViolation);
    else reader.skip();
  }
  return { type: "BadRequest", fieldViolations };
}

function decodeRequestInfo(reader: WireReader): RequestInfoDetail {
  let requestId = "";
  let servingData = "";
  while (reader.next()) {
    if (reader.field === 1) requestId = reader.string();
    else if (reader.field === 2) servingData = reader.string();
    else reader.skip();
  }
  return { type: "RequestInfo", requestId, servingData };
}

function decodeResourceInfo(reader: WireReader): ResourceInfoDetail {
  let resourceType = "";
  let resourceName = "";
  let owner = "";
  let description = "";
  while (reader.next()) {
    if (reader.field === 1) resourceType = reader.string();
    else if (reader.field === 2) resourceName = reader.string();
    else if (reader.field === 3) owner = reader.string();
    else if (reader.field === 4) description = reader.string();
    else reader.skip();
  }
  return { type: "ResourceInfo", resourceType, resourceName, owner, description };
}

function readHelpLink(links: HelpLink[], reader: WireReader): void {
  let description = "";
  let url = "";
  while (reader.next()) {
    if (reader.field === 1) description = reader.string();
    else if (reader.field === 2) url = reader.string();
    else reader.skip();
  }
  links.push({ description, url });
}

function decodeHelp(reader: WireReader): HelpDetail {
  const links: HelpLink[] = [];
  while (reader.next()) {
    if (reader.field === 1) reader.message(links, readHelpLink);
    else reader.skip();
  }
  return { type: "Help", links };
}

function decodeLocalizedMessage(reader: WireReader): LocalizedMessageDetail {
  const text = { locale: "", message: "" };
  readLocalizedText(text, reader);
  return { type: "LocalizedMessage", locale: text.locale, message: text.message };
}

type DetailDecoder = (reader: WireReader) => StatusDetail;

/** The decoder of each known type, by its name within `google.rpc`. */
function decoderFor(name: string): DetailDecoder | undefined {
  switch (name) {
    case "ErrorInfo":
      return decodeErrorInfo;
    case "RetryInfo":
      return decodeRetryInfo;
    case "DebugInfo":
      return decodeDebugInfo;
    case "QuotaFailure":
      return decodeQuotaFailure;
    case "PreconditionFailure":
      return decodePreconditionFailure;
    case "BadRequest":
      return decodeBadRequest;
    case "RequestInfo":
      return decodeRequestInfo;
    case "ResourceInfo":
      return decodeResourceInfo;
    case "Help":
      return decodeHelp;
    case "LocalizedMessage":
      return decodeLocalizedMessage;
    default:
      return undefined;
  }
}

/** The usual type URL of each known type, as bytes, and its decoder. */
const USUAL_TYPE_URLS: readonly (readonly [Uint8Array, DetailDecoder])[] = [
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
].map(
  (name) =>
    [
      new TextEncoder().encode(`type.googleapis.com/${KNOWN_TYPE_PREFIX}${name}`),
      decoderFor(name) as DetailDecoder,
    ] as const,
);

/** Whether `bytes[start..end)` equals `expected`, compared from the end (where type URLs differ). */
function bytesEqual(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = expected.length - 1; i >= 0; i--) {
    if (bytes[start + i] !== expected[i]) return false;
  }
  return true;
}

/**
 * The decoder for a type URL (`bytes[start..end)`): the part after the last `/` must be exactly
 * `google.rpc.<Name>` for a known Name. The usual URLs are matched as bytes, without decoding.
 */
function decoderForTypeUrl(bytes: Uint8Array, start: number, end: number): DetailDecoder | undefined {
  for (let i = 0; i < USUAL_TYPE_URLS.length; i++) {
    const [url, decoder] = USUAL_TYPE_URLS[i] as readonly [Uint8Array, DetailDecoder];
    if (bytesEqual(bytes, start, end, url)) return decoder;
  }
  const typeUrl = decodeUtf8(bytes, start, end);
  const type = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  return type.startsWith(KNOWN_TYPE_PREFIX) ? decoderFor(type.slice(KNOWN_TYPE_PREFIX.length)) : undefined;
}

/**
 * Reads one `google.protobuf.Any` and decodes its payload. The envelope must be well-formed (or the
 * whole Status fails); a known type whose payload does not decode as that type, like any type we do
 * not know, is kept raw (copied): one bad detail never costs the others.
 */
function readDetail(details: StatusDetail[], reader: WireReader): void {
  const { bytes } = reader;
  let urlStart = 0;
  let urlEnd = 0;
  let start = 0;
  let end = 0;
  while (reader.next()) {
    if (reader.field === 1) {
      reader.delimited();
      urlStart = reader.payloadStart;
      urlEnd = reader.position;
    } else if (reader.field === 2) {
      reader.delimited();
      start = reader.payloadStart;
      end = reader.position;
    } else reader.skip();
  }
  const decode = decoderForTypeUrl(bytes, urlStart, urlEnd);
  if (decode !== undefined) {
    try {
      details.push(decode(new WireReader(bytes, start, end)));
      return;
    } catch {
      // Not that type after all: keep the bytes.
    }
  }
  details.push({
    type: "Unknown",
    typeUrl: decodeUtf8(bytes, urlStart, urlEnd),
    // A plain Uint8Array copy: never a view that would keep (or expose) the caller's buffer.
    value: new Uint8Array(bytes.subarray(start, end)),
  });
}

/**
 * Decodes one trailer value; throws a WireFormatError when it is not a valid Status. The Status's
 * own message is decoded only when `withMessage` (fromGrpcStatus never reads it).
 */
function decodeStatus(bytes: Uint8Array, withMessage: boolean): ParsedStatus {
  const reader = new WireReader(bytes);
  let code = 0;
  let message = "";
  const details: StatusDetail[] = [];
  while (reader.next()) {
    if (reader.field === 1) code = reader.int32();
    else if (reader.field === 2) {
      if (withMessage) message = reader.string();
      else reader.delimited();
    } else if (reader.field === 3) reader.message(details, readDetail);
    else reader.skip();
  }
  return promote(code, message, details);
}

/** Builds a ParsedStatus: the details, and the fields that errors promote from them. */
function promote(code: number, message: string, details: StatusDetail[]): ParsedStatus {
  let errorInfo: ErrorInfoDetail | undefined;
  let retryDelay: number | undefined;
  let requestId: string | undefined;
  let fieldViolations: FieldViolation[] | undefined;
  for (const detail of details) {
    switch (detail.type) {
      case "ErrorInfo":
        if (errorInfo === undefined && detail.reason !== "") errorInfo = detail;
        break;
      case "RetryInfo":
        if (retryDelay === undefined) retryDelay = detail.retryDelay;
        break;
      case "RequestInfo":
        if (requestId === undefined) requestId = detail.requestId;
        break;
      case "BadRequest":
        for (const violation of detail.fieldViolations) {
          const description =
            violation.description || violation.localizedMessage?.message || violation.reason;
          if (violation.field === "" && description === "") continue;
          fieldViolations ??= [];
          fieldViolations.push({ field: violation.field, description });
        }
        break;
    }
  }
  return {
    code,
    message,
    details: Object.freeze(details),
    reason: errorInfo?.reason,
    domain: errorInfo?.domain,
    metadata: errorInfo?.metadata ?? EMPTY_METADATA,
    retryDelay,
    fieldViolations: fieldViolations ?? EMPTY_LIST,
    requestId,
  };
}

/** Reads base64 in either alphabet, padding optional, as gRPC-web and protobuf-ts send it. */
function fromBase64(text: string): Uint8Array {
  return Buffer.from(text, "base64");
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return fromBase64(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}

function tryDecode(value: unknown, withMessage: boolean): ParsedStatus | undefined {
  const bytes = toBytes(value);
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    return decodeStatus(bytes, withMessage);
  } catch {
    // Not a Status (malformed, truncated, too deep): try the next value.
    return undefined;
  }
}

/**
 * The values of the trailer in `input`, in order. Never throws: a `get` that throws, or returns
 * something that is not a value, yields nothing.
 */
function trailerValues(input: unknown): unknown {
  if (input === null || typeof input !== "object" || input instanceof Uint8Array) return input;
  if (Array.isArray(input)) return input;
  const get = (input as { get?: unknown }).get;
  if (typeof get !== "function") return input;
  return get.call(input, STATUS_DETAILS_KEY);
}

/**
 * {@link parseStatusDetails}, for the mapping: without `withMessage`, the Status's own message,
 * which no error keeps, is not decoded.
 */
export function parseTrailer(input: unknown, withMessage: boolean): ParsedStatus | undefined {
  try {
    const values = trailerValues(input);
    if (!Array.isArray(values)) return tryDecode(values, withMessage);
    for (const value of values) {
      const parsed = tryDecode(value, withMessage);
      if (parsed !== undefined) return parsed;
    }
  } catch {
    // A hostile `get`, or an array whose iteration throws: no status.
  }
  return undefined;
}

/**
 * Decodes the `grpc-status-details-bin` trailer into a {@link ParsedStatus}.
 *
 * `input` is a grpc-js `Metadata` (or anything with `get(key)`), one value (bytes or base64 text),
 * or a list of values. Each value is tried in order and the first non-empty one that decodes as a
 * `google.rpc.Status` wins. Returns `undefined` when none does. Never throws, whatever the input;
 * cost is linear in its size.
 *
 * @example
 * ```ts
 * const status = parseStatusDetails(serviceError.metadata);
 * if (status?.retryDelay !== undefined) await sleep(status.retryDelay);
 * ```
 */
export function parseStatusDetails(input: StatusDetailsInput | null | undefined): ParsedStatus | undefined {
  return parseTrailer(input, true);
}
