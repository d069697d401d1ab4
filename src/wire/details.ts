/**
 * The detail registry: every `google.rpc` detail type this package knows, once. For each type, its
 * TypeScript shape (the interfaces below) and its schema (field numbers, names and kinds, from which
 * the binary decoder, the JSON reader, `fromJSON`'s reviver, the testing kit's encoder and the CLI are
 * derived). A type missing a part does not compile. ErrorInfo and RetryInfo, the hot path of
 * `fromGrpcStatus`, also have hand-written binary decoders; property tests hold them to the
 * schema-driven one, and that one to an independent encoder.
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
  /**
   * The detail as sent, when it arrived as JSON (or another object form) rather than bytes: a
   * bounded plain-data copy (what `JSON.stringify` can write; getters read once, cycles and depth
   * cut), never the caller's live object.
   */
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

// The other types are rare: one decoder walks their schema, so that a bundle carries a few lines
// instead of a hand-written decoder per type. It reads what was sent, then gives it the shape the
// type's interface declares. A property test holds it to an independent encoder, and the fast paths
// above to it.

/** A message's fields as sent, by field number (a short list: field numbers are small). */
type Sent = unknown[];

/**
 * Reads into `sent` the fields of one message that were sent, by its schema: a later copy of a
 * singular field wins, repeated fields and map entries gather, and the copies of a singular message
 * field merge (they are read into one). Unknown fields are skipped.
 */
function readSent(schema: MessageSchema, sent: Sent, reader: WireReader): void {
  const fields = Object.values(schema);
  while (reader.next()) {
    const number = reader.field;
    const field = fields.find((candidate) => candidate.number === number);
    if (field === undefined) {
      reader.skip();
      continue;
    }
    switch (field.kind) {
      case "string":
        sent[number] = reader.string();
        break;
      case "int64":
        sent[number] = reader.int64();
        break;
      case "strings":
        sent[number] ??= [];
        (sent[number] as string[]).push(reader.string());
        break;
      case "map":
        sent[number] ??= Object.create(null);
        reader.message(sent[number] as StringMap, readMapEntry);
        break;
      case "duration":
        sent[number] ??= { present: true, seconds: 0, nanos: 0 };
        reader.message(sent[number] as DurationFields, readDuration);
        break;
      case "message":
        sent[number] ??= [];
        reader.message(sent[number] as Sent, (nested, bounded) => readSent(field.of, nested, bounded));
        break;
      case "messages": {
        const item: Sent = [];
        reader.message(item, (nested, bounded) => readSent(field.of, nested, bounded));
        sent[number] ??= [];
        (sent[number] as Sent[]).push(item);
      }
    }
  }
}

/**
 * Adds to `shaped`, in schema order and by lowerCamel name, a message's fields as its type declares
 * them: a field not sent has its proto3 default (`""`, `0`, `[]`, `{}`) but an `optional` field, a
 * message and a Duration, which stay absent; maps are frozen, a Duration is in milliseconds (absent
 * when not valid).
 */
function shape(schema: MessageSchema, sent: Sent, shaped: Record<string, unknown>): typeof shaped {
  for (const name of Object.keys(schema)) {
    const field = schema[name] as FieldSchema;
    const value = sent[field.number];
    switch (field.kind) {
      case "string":
        shaped[name] = value ?? "";
        break;
      case "int64":
        if (value !== undefined || !("optional" in field)) shaped[name] = value ?? 0;
        break;
      case "strings":
        shaped[name] = value ?? [];
        break;
      case "map":
        shaped[name] = Object.freeze(value ?? Object.create(null));
        break;
      case "duration":
        if (value !== undefined) {
          const { seconds, nanos } = value as DurationFields;
          const milliseconds = durationToMilliseconds(seconds, nanos);
          if (milliseconds !== undefined) shaped[name] = milliseconds;
        }
        break;
      case "message":
        if (value !== undefined) shaped[name] = shape(field.of, value as Sent, {});
        break;
      case "messages":
        shaped[name] = ((value ?? []) as Sent[]).map((item) => shape(field.of, item, {}));
    }
  }
  return shaped;
}

/**
 * Decodes a detail of `type` by walking its schema in {@link DETAIL_SCHEMAS}: the decoder of every
 * type without a hand-written one, and the reference the hand-written ones are tested against.
 * `reader` is bounded to the detail's payload; malformed wire format (a known field with the wrong
 * wire type, a bad length, a truncated varint) throws a `WireFormatError`, and the caller keeps the
 * detail as `Unknown`.
 */
export function decodeBySchema<K extends KnownDetailType>(type: K, reader: WireReader): DetailOf<K> {
  const schema: MessageSchema = DETAIL_SCHEMAS[type];
  const sent: Sent = [];
  readSent(schema, sent, reader);
  return shape(schema, sent, { type }) as DetailOf<K>;
}

/** Decodes one detail's payload from a reader bounded to it; throws on malformed wire format. */
export type DetailDecoder = (reader: WireReader, vocabulary: Vocabulary | undefined) => StatusDetail;

/**
 * The decoder of a known type: hand-written for ErrorInfo and RetryInfo, which nearly every failure
 * carries and the mapping reads; the schema walk for the rest.
 */
function decoderOf(type: KnownDetailType): DetailDecoder {
  if (type === "ErrorInfo") return decodeErrorInfo;
  if (type === "RetryInfo") return decodeRetryInfo;
  return (reader) => decodeBySchema(type, reader);
}

/** The usual type URL of each known type, as bytes, and its decoder. */
let usualTypeUrls: readonly (readonly [Uint8Array, DetailDecoder])[] | undefined;

/** The usual type URLs as bytes, made on first use (not at import: a cold start pays nothing). */
function usualTypeUrlBytes(): readonly (readonly [Uint8Array, DetailDecoder])[] {
  usualTypeUrls ??= KNOWN_DETAIL_TYPES.map(
    (type) => [new TextEncoder().encode(typeUrlOf(type)), decoderOf(type)] as const,
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
  return type === undefined ? undefined : decoderOf(type);
}
