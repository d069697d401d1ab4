/**
 * The detail registry: every `google.rpc` detail type this package knows, once. For each type, its
 * TypeScript shape (the interfaces below), its schema (field numbers, names and kinds, from which the
 * JSON reader, `fromJSON`'s reviver, the testing kit's encoder and the CLI are derived) and its
 * binary decoder (hand-written, because it is the hot path of `fromGrpcStatus`; a property test
 * proves each decoder agrees with the schema-driven encoder). A type missing a part does not compile.
 *
 * The codec knows bytes, not the product: nothing here imports a reason or a class.
 */

import { durationToMilliseconds } from "./duration.js";
import { EMPTY_METADATA } from "./empty.js";
import { decodeUtf8, type WireReader } from "./wire-reader.js";

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
  /** The detail's serialised message; empty when the road carried the detail as JSON. */
  readonly value: Uint8Array;
  /** The detail as sent, when it arrived as JSON (or another object form) rather than bytes. */
  readonly json?: unknown;
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

/** The shape of one known detail type. */
export type DetailOf<K extends KnownDetailType> = Extract<StatusDetail, { type: K }>;

// ---------------------------------------------------------------------------------------------
// Schemas: each message's fields, by their lowerCamel name, in field-number order
// ---------------------------------------------------------------------------------------------

/** How one field travels, as far as the wire, proto3 JSON and the shapes above are concerned. */
export type FieldSchema =
  | { readonly number: number; readonly kind: "string" | "strings" | "map" | "int64" | "duration" }
  /** `optional int64`: explicit presence, absent from the shape when not sent. */
  | { readonly number: number; readonly kind: "int64"; readonly optional: true }
  /** A singular message field: absent from the shape when not sent. */
  | { readonly number: number; readonly kind: "message"; readonly of: MessageSchema }
  | { readonly number: number; readonly kind: "messages"; readonly of: MessageSchema };

/** A message's fields by their lowerCamel name (the shape's key), in field-number order. */
export type MessageSchema = { readonly [field: string]: FieldSchema };

/** A schema for `T`: one entry per field of `T` (optional ones included), and no other. */
type SchemaOf<T> = { readonly [K in keyof Required<Omit<T, "type">>]: FieldSchema };

// The schema's field makers: marked free of side effects, so that a bundle that never reads a schema
// leaves the whole table out.
/* @__NO_SIDE_EFFECTS__ */
function string(number: number) {
  return { number, kind: "string" } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function strings(number: number) {
  return { number, kind: "strings" } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function map(number: number) {
  return { number, kind: "map" } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function int64(number: number) {
  return { number, kind: "int64" } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function optionalInt64(number: number) {
  return { number, kind: "int64", optional: true } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function duration(number: number) {
  return { number, kind: "duration" } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function message(number: number, of: MessageSchema) {
  return { number, kind: "message", of } as const;
}
/* @__NO_SIDE_EFFECTS__ */
function messages(number: number, of: MessageSchema) {
  return { number, kind: "messages", of } as const;
}

const LOCALIZED_TEXT = { locale: string(1), message: string(2) } satisfies SchemaOf<LocalizedText>;

/**
 * Every known detail type's schema, after today's `google/rpc/error_details.proto`. The `satisfies`
 * clause is the compile-time check: a type without a schema, or a schema that misses or invents a
 * field of the type's shape, does not compile.
 */
export const DETAIL_SCHEMAS = {
  ErrorInfo: { reason: string(1), domain: string(2), metadata: map(3) },
  RetryInfo: { retryDelay: duration(1) },
  DebugInfo: { stackEntries: strings(1), detail: string(2) },
  QuotaFailure: {
    violations: messages(1, {
      subject: string(1),
      description: string(2),
      apiService: string(3),
      quotaMetric: string(4),
      quotaId: string(5),
      quotaDimensions: map(6),
      quotaValue: int64(7),
      futureQuotaValue: optionalInt64(8),
    } satisfies SchemaOf<QuotaViolation>),
  },
  PreconditionFailure: {
    violations: messages(1, {
      type: string(1),
      subject: string(2),
      description: string(3),
      // `type` is a field of the violation itself; SchemaOf only drops the detail's discriminant.
    } satisfies { readonly [K in keyof PreconditionViolation]: FieldSchema }),
  },
  BadRequest: {
    fieldViolations: messages(1, {
      field: string(1),
      description: string(2),
      reason: string(3),
      localizedMessage: message(4, LOCALIZED_TEXT),
    } satisfies SchemaOf<BadRequestFieldViolation>),
  },
  RequestInfo: { requestId: string(1), servingData: string(2) },
  ResourceInfo: {
    resourceType: string(1),
    resourceName: string(2),
    owner: string(3),
    description: string(4),
  },
  Help: { links: messages(1, { description: string(1), url: string(2) } satisfies SchemaOf<HelpLink>) },
  LocalizedMessage: LOCALIZED_TEXT,
} as const satisfies { readonly [K in KnownDetailType]: SchemaOf<DetailOf<K>> };

/** The known detail types, in the order of `error_details.proto`. */
export const KNOWN_DETAIL_TYPES = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ Object.keys(DETAIL_SCHEMAS),
) as readonly KnownDetailType[];

/** Whether `name` (the part of a type URL after `google.rpc.`) is a known detail type. */
export function isKnownDetailType(name: string): name is KnownDetailType {
  return Object.hasOwn(DETAIL_SCHEMAS, name);
}

/** The prefix a type URL's last segment must have for the detail to be one of ours. */
export const KNOWN_TYPE_PREFIX = "google.rpc.";
/** The type URL a server writes for a known type. */
export const typeUrlOf = (type: KnownDetailType): string => `type.googleapis.com/${KNOWN_TYPE_PREFIX}${type}`;

// ---------------------------------------------------------------------------------------------
// Binary decoders
// ---------------------------------------------------------------------------------------------

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

/**
 * Words a caller expects in ErrorInfo's `reason` and `domain` (the mapping layer passes the service's
 * reasons and domain), kept as bytes by length: such a word is returned as the caller's own constant
 * string instead of being decoded anew, which saves the decoding and gives the reason-table lookup
 * that follows a string whose hash V8 already knows. Anything else is decoded as usual.
 */
export class Vocabulary {
  private readonly byLength = new Map<number, (readonly [Uint8Array, string])[]>();

  constructor(words: Iterable<string>) {
    const encoder = new TextEncoder();
    for (const word of words) {
      const encoded = encoder.encode(word);
      this.byLength.set(encoded.length, [...(this.byLength.get(encoded.length) ?? []), [encoded, word]]);
    }
  }

  /** Reads a string field, returning the known word itself when the bytes spell one. */
  read(reader: WireReader): string {
    reader.delimited();
    const { bytes, payloadStart, position } = reader;
    const candidates = this.byLength.get(position - payloadStart);
    if (candidates !== undefined) {
      for (const [encoded, text] of candidates) {
        if (bytesEqual(bytes, payloadStart, position, encoded)) return text;
      }
    }
    return decodeUtf8(bytes, payloadStart, position);
  }
}

function decodeErrorInfo(reader: WireReader, vocabulary: Vocabulary | undefined): ErrorInfoDetail {
  let reason = "";
  let domain = "";
  // Made on the first entry: most ErrorInfos carry none, and a frozen null-prototype object is dear.
  let metadata: StringMap | undefined;
  while (reader.next()) {
    if (reader.field === 1) reason = vocabulary === undefined ? reader.string() : vocabulary.read(reader);
    else if (reader.field === 2)
      domain = vocabulary === undefined ? reader.string() : vocabulary.read(reader);
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

interface DurationFields {
  present: boolean;
  seconds: number;
  nanos: number;
}

function readDuration(target: DurationFields, reader: WireReader): void {
  target.present = true;
  while (reader.next()) {
    if (reader.field === 1) target.seconds = reader.int64();
    else if (reader.field === 2) target.nanos = reader.int32();
    else reader.skip();
  }
}

function decodeRetryInfo(reader: WireReader): RetryInfoDetail {
  // A repeated singular message field: protobuf merges the copies; for a Duration that is the same
  // as reading them into one object.
  const delay: DurationFields = { present: false, seconds: 0, nanos: 0 };
  while (reader.next()) {
    if (reader.field === 1) reader.message(delay, readDuration);
    else reader.skip();
  }
  const retryDelay = delay.present ? durationToMilliseconds(delay.seconds, delay.nanos) : undefined;
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

/** Decodes one detail's payload from a reader bounded to it; throws on malformed wire format. */
export type DetailDecoder = (reader: WireReader, vocabulary: Vocabulary | undefined) => StatusDetail;

/** The binary decoder of each known type. The `satisfies` clause keeps it complete. */
const DECODERS = {
  ErrorInfo: decodeErrorInfo,
  RetryInfo: decodeRetryInfo,
  DebugInfo: decodeDebugInfo,
  QuotaFailure: decodeQuotaFailure,
  PreconditionFailure: decodePreconditionFailure,
  BadRequest: decodeBadRequest,
  RequestInfo: decodeRequestInfo,
  ResourceInfo: decodeResourceInfo,
  Help: decodeHelp,
  LocalizedMessage: decodeLocalizedMessage,
} as const satisfies {
  readonly [K in KnownDetailType]: (reader: WireReader, vocabulary: Vocabulary | undefined) => DetailOf<K>;
};

/** The usual type URL of each known type, as bytes, and its decoder. */
let usualTypeUrls: readonly (readonly [Uint8Array, DetailDecoder])[] | undefined;

/** The usual type URLs as bytes, made on first use (not at import: a cold start pays nothing). */
function usualTypeUrlBytes(): readonly (readonly [Uint8Array, DetailDecoder])[] {
  usualTypeUrls ??= KNOWN_DETAIL_TYPES.map(
    (type) => [new TextEncoder().encode(typeUrlOf(type)), DECODERS[type]] as const,
  );
  return usualTypeUrls;
}

/** Whether `bytes[start..end)` equals `expected`, compared from the end (where type URLs differ). */
function bytesEqual(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = expected.length - 1; i >= 0; i--) {
    if (bytes[start + i] !== expected[i]) return false;
  }
  return true;
}

/** The known type a type URL names: the part after the last `/` must be exactly `google.rpc.<Name>`. */
export function knownTypeOfUrl(typeUrl: string): KnownDetailType | undefined {
  const type = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  if (!type.startsWith(KNOWN_TYPE_PREFIX)) return undefined;
  const name = type.slice(KNOWN_TYPE_PREFIX.length);
  return isKnownDetailType(name) ? name : undefined;
}

/**
 * The decoder for a type URL (`bytes[start..end)`). The usual URLs are matched as bytes, without
 * decoding; any other spelling is decoded and read by {@link knownTypeOfUrl}.
 */
export function decoderForTypeUrl(bytes: Uint8Array, start: number, end: number): DetailDecoder | undefined {
  const usual = usualTypeUrlBytes();
  for (let i = 0; i < usual.length; i++) {
    const [url, decoder] = usual[i] as readonly [Uint8Array, DetailDecoder];
    if (bytesEqual(bytes, start, end, url)) return decoder;
  }
  const type = knownTypeOfUrl(decodeUtf8(bytes, start, end));
  return type === undefined ? undefined : DECODERS[type];
}
