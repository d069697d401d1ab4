/**
 * The wire codec's entry: decoding the `google.rpc.Status` carried in the `grpc-status-details-bin`
 * trailer (AIP-193) into plain objects, and promoting the details errors keep as fields. Total: any
 * input is decoded or refused, never thrown on. The detail types themselves are in `details.ts`.
 */

import { base64Decode, isArrayBuffer, isUint8Array } from "./bytes.js";
import {
  type BadRequestDetail,
  decoderForTypeUrl,
  type ErrorInfoDetail,
  type StatusDetail,
  type Vocabulary,
} from "./details.js";
import { EMPTY_LIST, EMPTY_METADATA } from "./empty.js";
import { restoreStackCapture, suspendStackCapture } from "./stack.js";
import { decodeUtf8, WireReader } from "./wire-reader.js";

export type { KnownDetailType, StatusDetail } from "./details.js";

/** The trailer that carries a serialised `google.rpc.Status`. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/**
 * The most details one status keeps. A status carries a handful; a hostile one can pack a million
 * empty envelopes into 2 MB, each of which would become an object. Past this many, details are
 * counted in `omittedDetails` instead of kept — but still read for the promoted fields, so an
 * ErrorInfo or RetryInfo sent after them still counts.
 */
export const MAX_DETAILS = 1024;

/**
 * The most entries read from a list of details that arrived as objects (a `ConnectError`'s
 * `details`, a message object's `Any`s, a JSON body handed in already parsed). Such a list costs its
 * sender nothing per entry — a sparse array or a proxy can claim four billion — so reading stops
 * here; bytes on the wire and JSON text are read to their end, each entry having cost its sender a
 * byte at least.
 */
export const MAX_DETAIL_ENTRIES = 65_536;

/** How many entries of a list of details to read: its length, bounded by {@link MAX_DETAIL_ENTRIES}. */
export function entriesToRead(length: unknown): number {
  return typeof length === "number" && length > 0 ? Math.min(Math.floor(length), MAX_DETAIL_ENTRIES) : 0;
}

/** A field violation as the errors carry it: the field path and what is wrong with it. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** A decoded `google.rpc.Status`, with the details that errors promote to their own fields. */
export interface ParsedStatus {
  /** The status code. From a blob, diagnostic only: the transport's code is authoritative. */
  readonly code: number;
  /** The status's own message. */
  readonly message: string;
  /** Every detail, in the order sent (at most {@link MAX_DETAILS}). */
  readonly details: readonly StatusDetail[];
  /** How many details past {@link MAX_DETAILS} were not kept; absent when none were dropped. */
  readonly omittedDetails?: number;
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
 * such as a fetch `Headers`), a plain record of trailers (protobuf-ts's `RpcMetadata`), one trailer
 * value, or a list of values.
 */
export type StatusDetailsInput =
  | {
      /** The values of the trailer `key`, as grpc-js `Metadata#get` returns them. */
      get(key: string): unknown;
    }
  // Trailers as a plain record, as protobuf-ts (`RpcMetadata`) and grpc-web hand them over: each
  // key (lower case) to one value or a list of values, binary ones in base64.
  | { readonly [key: string]: StatusDetailsValue | readonly StatusDetailsValue[] | undefined }
  | StatusDetailsValue
  | readonly StatusDetailsValue[];

/** How the codec is asked to decode: by the mapping layer, which passes its speed-ups. */
export interface DecodeOptions {
  /** Decode the Status's own message (the mapping never reads it). */
  readonly withMessage: boolean;
  /** Words to return as constants when ErrorInfo's reason or domain spells one. */
  readonly vocabulary?: Vocabulary | undefined;
}

/**
 * Gathers the promoted fields as details arrive (AIP-193's "first one wins" for ErrorInfo, RetryInfo
 * and RequestInfo; every BadRequest's violations), so that details past the kept limit still count.
 */
class Promotion {
  errorInfo: ErrorInfoDetail | undefined;
  retryDelay: number | undefined;
  requestId: string | undefined;
  fieldViolations: FieldViolation[] | undefined;

  /** Whether a detail of `type` could still change a promoted field. */
  wants(type: StatusDetail["type"]): boolean {
    switch (type) {
      case "ErrorInfo":
        return this.errorInfo === undefined;
      case "RetryInfo":
        return this.retryDelay === undefined;
      case "RequestInfo":
        return this.requestId === undefined;
      case "BadRequest":
        return true;
      default:
        return false;
    }
  }

  add(detail: StatusDetail): void {
    switch (detail.type) {
      case "ErrorInfo":
        if (this.errorInfo === undefined && detail.reason !== "") this.errorInfo = detail;
        break;
      case "RetryInfo":
        if (this.retryDelay === undefined) this.retryDelay = detail.retryDelay;
        break;
      case "RequestInfo":
        if (this.requestId === undefined) this.requestId = detail.requestId;
        break;
      case "BadRequest":
        this.addViolations(detail);
        break;
    }
  }

  private addViolations(detail: BadRequestDetail): void {
    for (const violation of detail.fieldViolations) {
      const description = violation.description || violation.localizedMessage?.message || violation.reason;
      if (violation.field === "" && description === "") continue;
      this.fieldViolations ??= [];
      this.fieldViolations.push({ field: violation.field, description });
    }
  }
}

/** What the Status's `details` field is read into. */
class DetailsReader {
  readonly details: StatusDetail[] = [];
  readonly promotion = new Promotion();
  omitted = 0;
  constructor(readonly vocabulary: Vocabulary | undefined) {}
}

/**
 * Reads one `google.protobuf.Any` and decodes its payload. The envelope must be well-formed (or the
 * whole Status fails); a known type whose payload does not decode as that type, like any type we do
 * not know, is kept raw (copied): one bad detail never costs the others.
 */
function readDetail(state: DetailsReader, reader: WireReader): void {
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
  const keep = state.details.length < MAX_DETAILS;
  const decode = decoderForTypeUrl(bytes, urlStart, urlEnd);
  let detail: StatusDetail | undefined;
  if (decode !== undefined) {
    try {
      detail = decode(new WireReader(bytes, start, end), state.vocabulary);
    } catch {
      // Not that type after all: keep the bytes.
    }
  }
  if (!keep) {
    state.omitted++;
    if (detail !== undefined && state.promotion.wants(detail.type)) state.promotion.add(detail);
    return;
  }
  detail ??= {
    type: "Unknown",
    typeUrl: decodeUtf8(bytes, urlStart, urlEnd),
    // A plain Uint8Array copy: never a view that would keep (or expose) the caller's buffer.
    value: new Uint8Array(bytes.subarray(start, end)),
  };
  state.details.push(detail);
  state.promotion.add(detail);
}

/** Decodes one trailer value; throws a WireFormatError when it is not a valid Status. */
function decodeStatus(bytes: Uint8Array, options: DecodeOptions): ParsedStatus {
  const reader = new WireReader(bytes);
  let code = 0;
  let message = "";
  const state = new DetailsReader(options.vocabulary);
  while (reader.next()) {
    if (reader.field === 1) code = reader.int32();
    else if (reader.field === 2) {
      if (options.withMessage) message = reader.string();
      else reader.delimited();
    } else if (reader.field === 3) reader.message(state, readDetail);
    else reader.skip();
  }
  return promoted(code, message, state.details, state.promotion, state.omitted);
}

/** Builds a ParsedStatus from its details and what they promote. */
function promoted(
  code: number,
  message: string,
  details: StatusDetail[],
  promotion: Promotion,
  omitted: number,
): ParsedStatus {
  const { errorInfo } = promotion;
  const status: ParsedStatus = {
    code,
    message,
    details: Object.freeze(details),
    reason: errorInfo?.reason,
    domain: errorInfo?.domain,
    metadata: errorInfo?.metadata ?? EMPTY_METADATA,
    retryDelay: promotion.retryDelay,
    fieldViolations: promotion.fieldViolations ?? EMPTY_LIST,
    requestId: promotion.requestId,
  };
  return omitted === 0 ? status : { ...status, omittedDetails: omitted };
}

/**
 * A `ParsedStatus` from details that arrived already decoded (Connect's `{ type, value }` entries,
 * nice-grpc's rich errors, JSON bodies): the same promotion and limit as the binary road.
 */
export function statusFromDetails(
  code: number,
  message: string,
  details: Iterable<StatusDetail>,
): ParsedStatus {
  const promotion = new Promotion();
  const kept: StatusDetail[] = [];
  let omitted = 0;
  for (const detail of details) {
    if (kept.length < MAX_DETAILS) {
      kept.push(detail);
      promotion.add(detail);
    } else {
      omitted++;
      if (promotion.wants(detail.type)) promotion.add(detail);
    }
  }
  return promoted(code, message, kept, promotion, omitted);
}

/** Bytes of one value: bytes of any realm, an ArrayBuffer, or base64 text. */
function toBytes(value: unknown): Uint8Array | undefined {
  if (isUint8Array(value)) return value;
  if (typeof value === "string") return base64Decode(value);
  if (isArrayBuffer(value)) return new Uint8Array(value);
  return undefined;
}

/** Whether a status carries what the mapping looks for first (as the Python SDK prefers it). */
function isRich(status: ParsedStatus): boolean {
  for (const detail of status.details) {
    if (detail.type === "ErrorInfo" || detail.type === "RetryInfo" || detail.type === "BadRequest")
      return true;
  }
  return status.reason !== undefined || status.retryDelay !== undefined || status.fieldViolations.length > 0;
}

/** Decodes one value, or `undefined` when it is empty, not bytes, malformed, or unreadable. */
function tryDecode(value: unknown, options: DecodeOptions): ParsedStatus | undefined {
  try {
    const bytes = toBytes(value);
    if (bytes === undefined || bytes.length === 0) return undefined;
    return decodeStatus(bytes, options);
  } catch {
    // Not a Status (malformed, truncated, too deep), or a hostile value: try the next one.
    return undefined;
  }
}

/**
 * The trailer's value(s) in a plain record of trailers (protobuf-ts's `RpcMetadata`): its own
 * property `grpc-status-details-bin`, else one spelt in another case (HTTP header names are
 * case-insensitive); `undefined` when there is none.
 */
function recordValue(record: Readonly<Record<string, unknown>>): unknown {
  if (Object.hasOwn(record, STATUS_DETAILS_KEY)) return record[STATUS_DETAILS_KEY];
  for (const key of Object.keys(record)) {
    if (key.length === STATUS_DETAILS_KEY.length && key.toLowerCase() === STATUS_DETAILS_KEY)
      return record[key];
  }
  return undefined;
}

/** The values of the trailer in `input`, in order; a `get` that throws yields nothing. */
function trailerValues(input: unknown): unknown {
  if (input === null || typeof input !== "object" || isUint8Array(input)) return input;
  if (Array.isArray(input) || isArrayBuffer(input)) return input;
  const get = (input as { get?: unknown }).get;
  if (typeof get !== "function") return recordValue(input as Readonly<Record<string, unknown>>);
  return get.call(input, STATUS_DETAILS_KEY);
}

/**
 * {@link parseStatusDetails} with the mapping layer's options. Each value is tried in order: the
 * first that decodes and carries an ErrorInfo, RetryInfo or BadRequest wins; failing that, the first
 * that decodes. A value whose reading throws is passed over and never hides the values after it.
 * Stack capture is off meanwhile, so each refused value costs no stack walk.
 */
export function parseTrailer(input: unknown, options: DecodeOptions): ParsedStatus | undefined {
  const limit = suspendStackCapture();
  try {
    let values: unknown;
    try {
      values = trailerValues(input);
    } catch {
      return undefined;
    }
    if (!Array.isArray(values)) return tryDecode(values, options);
    let length = 0;
    try {
      length = values.length;
    } catch {
      return undefined;
    }
    let fallback: ParsedStatus | undefined;
    for (let i = 0; i < length; i++) {
      let value: unknown;
      try {
        value = values[i];
      } catch {
        continue;
      }
      const parsed = tryDecode(value, options);
      if (parsed === undefined) continue;
      if (isRich(parsed)) return parsed;
      fallback ??= parsed;
    }
    return fallback;
  } finally {
    restoreStackCapture(limit);
  }
}

const PUBLIC_OPTIONS: DecodeOptions = { withMessage: true };

/**
 * Decodes the `grpc-status-details-bin` trailer into a {@link ParsedStatus}.
 *
 * `input` is a grpc-js `Metadata` (or anything with `get(key)`, such as a fetch `Headers`), a plain
 * record of trailers as protobuf-ts and grpc-web hand them over (`{ "grpc-status-details-bin":
 * "<base64>" }`, the value possibly a list), one value (bytes of any realm, an `ArrayBuffer`, or
 * base64 text in either alphabet), or a list of values. Each value is tried in
 * order: the first that decodes and carries an ErrorInfo, RetryInfo or BadRequest wins, else the
 * first non-empty one that decodes as a `google.rpc.Status`. Returns `undefined` when none does.
 * Never throws, whatever the input; cost is linear in its size. At most {@link MAX_DETAILS} details
 * are kept (the rest are counted in `omittedDetails`, and still promote their fields).
 *
 * @example
 * ```ts
 * const status = parseStatusDetails(serviceError.metadata);
 * if (status?.retryDelay !== undefined) await sleep(status.retryDelay);
 * ```
 */
export function parseStatusDetails(input: StatusDetailsInput | null | undefined): ParsedStatus | undefined {
  return parseTrailer(input, PUBLIC_OPTIONS);
}
