/**
 * The wire codec: decoding the `google.rpc.Status` carried in the `grpc-status-details-bin` trailer
 * (AIP-193) into plain objects. Total: any input is decoded or refused, never thrown on.
 */
import { type BinaryReader, protobuf } from "./protobuf.js";

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
  | { get(key: string): unknown }
  | StatusDetailsValue
  | readonly StatusDetailsValue[];

const WIRE_VARINT = 0;
const WIRE_DELIMITED = 2;
const WIRE_END_GROUP = 4;

/** The largest `seconds` of a valid `google.protobuf.Duration` (10,000 years). */
const MAX_DURATION_SECONDS = 315_576_000_000;
const MAX_DURATION_NANOS = 999_999_999;

/** The prefix a type URL's last segment must have for the detail to be one of ours. */
const KNOWN_TYPE_PREFIX = "google.rpc.";

const EMPTY_METADATA: Readonly<Record<string, string>> = Object.freeze(Object.create(null));
const EMPTY_LIST: readonly never[] = Object.freeze([]);

// ignoreBOM: a string is kept as sent, a leading U+FEFF included. fatal: false replaces invalid
// bytes with U+FFFD (google-protobuf 4's readString() throws on them instead).
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

class MalformedWireError extends Error {}

/** Decodes `bytes[start..end)` as UTF-8 (a TextDecoder call beats building short strings by hand). */
function decodeText(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? "" : utf8Decoder.decode(bytes.subarray(start, end));
}

function expectWireType(reader: BinaryReader, wireType: number): void {
  if (reader.getWireType() !== wireType) {
    throw new MalformedWireError("field has the wrong wire type");
  }
}

/**
 * Passes over a length-delimited field and returns where its payload starts; it ends at the
 * reader's cursor. The payload is not copied (google-protobuf's readBytes() would copy it).
 */
function skipDelimited(reader: BinaryReader): number {
  expectWireType(reader, WIRE_DELIMITED);
  let start = reader.getCursor();
  reader.skipDelimitedField(); // checks the length against the bytes left
  const bytes = reader.getBuffer();
  while ((bytes[start++] as number) >= 0x80); // step over the length varint, now known valid
  return start;
}

function readText(reader: BinaryReader): string {
  const start = skipDelimited(reader);
  return decodeText(reader.getBuffer(), start, reader.getCursor());
}

function readInt64(reader: BinaryReader): number {
  expectWireType(reader, WIRE_VARINT);
  return reader.readInt64();
}

/** Skips a field this decoder does not know; a stray end-group tag is malformed. */
function skip(reader: BinaryReader): void {
  if (reader.getWireType() === WIRE_END_GROUP) {
    throw new MalformedWireError("unexpected end-group tag");
  }
  reader.skipField();
}

/** Reads a nested message field: `read` sees a reader bounded to the message's bytes. */
function readNested<T>(
  reader: BinaryReader,
  target: T,
  read: (target: T, reader: BinaryReader) => void,
): void {
  expectWireType(reader, WIRE_DELIMITED);
  reader.readMessage(target, read as (target: unknown, reader: BinaryReader) => void);
}

type StringMap = Record<string, string>;

/** Reads one `map<string, string>` entry into `map` (a later duplicate key wins, as in protobuf). */
function readMapEntry(map: StringMap, reader: BinaryReader): void {
  let key = "";
  let value = "";
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) key = readText(reader);
    else if (field === 2) value = readText(reader);
    else skip(reader);
  }
  map[key] = value;
}

function readMapField(reader: BinaryReader, map: StringMap): void {
  readNested(reader, map, readMapEntry);
}

// Each detail decoder reads one message from a reader bounded to its bytes.

function decodeErrorInfo(reader: BinaryReader): ErrorInfoDetail {
  let reason = "";
  let domain = "";
  const metadata: StringMap = Object.create(null);
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) reason = readText(reader);
    else if (field === 2) domain = readText(reader);
    else if (field === 3) readMapField(reader, metadata);
    else skip(reader);
  }
  return { type: "ErrorInfo", reason, domain, metadata: Object.freeze(metadata) };
}

interface DurationParts {
  present: boolean;
  seconds: number;
  nanos: number;
}

function readDuration(target: DurationParts, reader: BinaryReader): void {
  target.present = true;
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) target.seconds = readInt64(reader);
    else if (field === 2) {
      expectWireType(reader, WIRE_VARINT);
      target.nanos = reader.readInt32();
    } else skip(reader);
  }
}

/** A Duration in milliseconds, or `undefined` when it is out of range or its signs disagree. */
function durationToMilliseconds({ seconds, nanos }: DurationParts): number | undefined {
  if (Math.abs(seconds) > MAX_DURATION_SECONDS || Math.abs(nanos) > MAX_DURATION_NANOS) return undefined;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return undefined;
  return seconds * 1000 + nanos / 1e6;
}

function decodeRetryInfo(reader: BinaryReader): RetryInfoDetail {
  // The last occurrence of a singular message field wins; protobuf would merge them, and for a
  // Duration merging and replacing differ only when a later copy leaves a part unset.
  const delay: DurationParts = { present: false, seconds: 0, nanos: 0 };
  while (reader.nextField()) {
    if (reader.getFieldNumber() === 1) readNested(reader, delay, readDuration);
    else skip(reader);
  }
  const retryDelay = delay.present ? durationToMilliseconds(delay) : undefined;
  return retryDelay === undefined ? { type: "RetryInfo" } : { type: "RetryInfo", retryDelay };
}

function decodeDebugInfo(reader: BinaryReader): DebugInfoDetail {
  const stackEntries: string[] = [];
  let detail = "";
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) stackEntries.push(readText(reader));
    else if (field === 2) detail = readText(reader);
    else skip(reader);
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

function readQuotaViolation(violations: QuotaViolation[], reader: BinaryReader): void {
  const violation: MutableQuotaViolation = {
    subject: "",
    description: "",
    apiService: "",
    quotaMetric: "",
    quotaId: "",
    quotaDimensions: Object.create(null),
    quotaValue: 0,
  };
  while (reader.nextField()) {
    switch (reader.getFieldNumber()) {
      case 1:
        violation.subject = readText(reader);
        break;
      case 2:
        violation.description = readText(reader);
        break;
      case 3:
        violation.apiService = readText(reader);
        break;
      case 4:
        violation.quotaMetric = readText(reader);
        break;
      case 5:
        violation.quotaId = readText(reader);
        break;
      case 6:
        readMapField(reader, violation.quotaDimensions);
        break;
      case 7:
        violation.quotaValue = readInt64(reader);
        break;
      case 8:
        violation.futureQuotaValue = readInt64(reader);
        break;
      default:
        skip(reader);
    }
  }
  Object.freeze(violation.quotaDimensions);
  violations.push(violation);
}

function decodeQuotaFailure(reader: BinaryReader): QuotaFailureDetail {
  const violations: QuotaViolation[] = [];
  while (reader.nextField()) {
    if (reader.getFieldNumber() === 1) readNested(reader, violations, readQuotaViolation);
    else skip(reader);
  }
  return { type: "QuotaFailure", violations };
}

function readPreconditionViolation(violations: PreconditionViolation[], reader: BinaryReader): void {
  let type = "";
  let subject = "";
  let description = "";
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) type = readText(reader);
    else if (field === 2) subject = readText(reader);
    else if (field === 3) description = readText(reader);
    else skip(reader);
  }
  violations.push({ type, subject, description });
}

function decodePreconditionFailure(reader: BinaryReader): PreconditionFailureDetail {
  const violations: PreconditionViolation[] = [];
  while (reader.nextField()) {
    if (reader.getFieldNumber() === 1) readNested(reader, violations, readPreconditionViolation);
    else skip(reader);
  }
  return { type: "PreconditionFailure", violations };
}

function readLocalizedText(target: { locale: string; message: string }, reader: BinaryReader): void {
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) target.locale = readText(reader);
    else if (field === 2) target.message = readText(reader);
    else skip(reader);
  }
}

function readFieldViolation(violations: BadRequestFieldViolation[], reader: BinaryReader): void {
  let field = "";
  let description = "";
  let reason = "";
  let localizedMessage: { locale: string; message: string } | undefined;
  while (reader.nextField()) {
    switch (reader.getFieldNumber()) {
      case 1:
        field = readText(reader);
        break;
      case 2:
        description = readText(reader);
        break;
      case 3:
        reason = readText(reader);
        break;
      case 4:
        localizedMessage ??= { locale: "", message: "" };
        readNested(reader, localizedMessage, readLocalizedText);
        break;
      default:
        skip(reader);
    }
  }
  violations.push(
    localizedMessage === undefined
      ? { field, description, reason }
      : { field, description, reason, localizedMessage },
  );
}

function decodeBadRequest(reader: BinaryReader): BadRequestDetail {
  const fieldViolations: BadRequestFieldViolation[] = [];
  while (reader.nextField()) {
    if (reader.getFieldNumber() === 1) readNested(reader, fieldViolations, readFieldViolation);
    else skip(reader);
  }
  return { type: "BadRequest", fieldViolations };
}

function decodeRequestInfo(reader: BinaryReader): RequestInfoDetail {
  let requestId = "";
  let servingData = "";
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) requestId = readText(reader);
    else if (field === 2) servingData = readText(reader);
    else skip(reader);
  }
  return { type: "RequestInfo", requestId, servingData };
}

function decodeResourceInfo(reader: BinaryReader): ResourceInfoDetail {
  let resourceType = "";
  let resourceName = "";
  let owner = "";
  let description = "";
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) resourceType = readText(reader);
    else if (field === 2) resourceName = readText(reader);
    else if (field === 3) owner = readText(reader);
    else if (field === 4) description = readText(reader);
    else skip(reader);
  }
  return { type: "ResourceInfo", resourceType, resourceName, owner, description };
}

function readHelpLink(links: HelpLink[], reader: BinaryReader): void {
  let description = "";
  let url = "";
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) description = readText(reader);
    else if (field === 2) url = readText(reader);
    else skip(reader);
  }
  links.push({ description, url });
}

function decodeHelp(reader: BinaryReader): HelpDetail {
  const links: HelpLink[] = [];
  while (reader.nextField()) {
    if (reader.getFieldNumber() === 1) readNested(reader, links, readHelpLink);
    else skip(reader);
  }
  return { type: "Help", links };
}

function decodeLocalizedMessage(reader: BinaryReader): LocalizedMessageDetail {
  const text = { locale: "", message: "" };
  readLocalizedText(text, reader);
  return { type: "LocalizedMessage", locale: text.locale, message: text.message };
}

type DetailDecoder = (reader: BinaryReader) => StatusDetail;

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

/** Nearly every type URL starts so; matching it as bytes spares decoding it to a string. */
const USUAL_PREFIX = new TextEncoder().encode(`type.googleapis.com/${KNOWN_TYPE_PREFIX}`);

function hasUsualPrefix(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start <= USUAL_PREFIX.length) return false;
  for (let i = 0; i < USUAL_PREFIX.length; i++) {
    if (bytes[start + i] !== USUAL_PREFIX[i]) return false;
  }
  return true;
}

/**
 * The decoder for a type URL (`bytes[start..end)`): the part after the last `/` must be exactly
 * `google.rpc.<Name>` for a known Name.
 */
function decoderForTypeUrl(bytes: Uint8Array, start: number, end: number): DetailDecoder | undefined {
  if (hasUsualPrefix(bytes, start, end)) {
    const name = decodeText(bytes, start + USUAL_PREFIX.length, end);
    if (!name.includes("/")) return decoderFor(name);
  }
  const typeUrl = decodeText(bytes, start, end);
  const type = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  return type.startsWith(KNOWN_TYPE_PREFIX) ? decoderFor(type.slice(KNOWN_TYPE_PREFIX.length)) : undefined;
}

/** Where one `google.protobuf.Any` of `Status.details` lies in the buffer: its URL and payload. */
interface AnyEnvelope {
  urlStart: number;
  urlEnd: number;
  start: number;
  end: number;
}

/**
 * Decodes the payload of one `google.protobuf.Any`. A known type whose bytes do not decode as that
 * type, like any type we do not know, is kept raw (copied): one bad detail never costs the others.
 */
function decodeDetail(bytes: Uint8Array, { urlStart, urlEnd, start, end }: AnyEnvelope): StatusDetail {
  const decode = decoderForTypeUrl(bytes, urlStart, urlEnd);
  if (decode !== undefined) {
    const reader = protobuf().BinaryReader.alloc(bytes, start, end - start);
    try {
      return decode(reader);
    } catch {
      // Not that type after all: fall through and keep the bytes.
    } finally {
      reader.free();
    }
  }
  return {
    type: "Unknown",
    typeUrl: decodeText(bytes, urlStart, urlEnd),
    value: Uint8Array.prototype.slice.call(bytes, start, end),
  };
}

function readAny(target: AnyEnvelope, reader: BinaryReader): void {
  while (reader.nextField()) {
    const field = reader.getFieldNumber();
    if (field === 1) {
      target.urlStart = skipDelimited(reader);
      target.urlEnd = reader.getCursor();
    } else if (field === 2) {
      target.start = skipDelimited(reader);
      target.end = reader.getCursor();
    } else skip(reader);
  }
}

/** Decodes one trailer value; throws when it is not valid wire format for a Status. */
function decodeStatus(value: Uint8Array): ParsedStatus {
  const reader = protobuf().BinaryReader.alloc(value);
  try {
    const bytes = reader.getBuffer();
    let code = 0;
    let message = "";
    const envelopes: AnyEnvelope[] = [];
    while (reader.nextField()) {
      const field = reader.getFieldNumber();
      if (field === 1) {
        expectWireType(reader, WIRE_VARINT);
        code = reader.readInt32();
      } else if (field === 2) message = readText(reader);
      else if (field === 3) {
        const envelope: AnyEnvelope = { urlStart: 0, urlEnd: 0, start: 0, end: 0 };
        readNested(reader, envelope, readAny);
        envelopes.push(envelope);
      } else skip(reader);
    }
    // Only once the whole Status is known to be well-formed are the payloads decoded.
    const details: StatusDetail[] = [];
    for (const envelope of envelopes) details.push(decodeDetail(bytes, envelope));
    return promote(code, message, details);
  } finally {
    reader.free();
  }
}

/** Builds a ParsedStatus: the details, and the fields that errors promote from them. */
export function promote(code: number, message: string, details: StatusDetail[]): ParsedStatus {
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

function tryDecode(value: unknown): ParsedStatus | undefined {
  const bytes = toBytes(value);
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    return decodeStatus(bytes);
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
  try {
    const values = trailerValues(input);
    if (!Array.isArray(values)) return tryDecode(values);
    for (const value of values) {
      const parsed = tryDecode(value);
      if (parsed !== undefined) return parsed;
    }
  } catch {
    // A hostile `get`, or an array whose iteration throws: no status.
  }
  return undefined;
}
