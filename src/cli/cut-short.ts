/**
 * A value cut short: a trailer value that a log line or a terminal truncated. It does not decode as a
 * Status, but what arrived before the cut (the code, the message, the whole details) is worth
 * showing, and saying "cut short" is more useful than "not a status".
 *
 * @packageDocumentation
 */
import { type ParsedStatus, parseStatusDetails, type StatusDetail } from "sandbox-sdk-errors";
import { decodeUtf8, WireFormatError, WireReader, WireType } from "../wire/wire-reader.js";

/** What could be read of a Status whose value ends inside one of its fields. */
export interface CutShort {
  /** The field the value ends inside; for a detail, its index among the details (from 0). */
  readonly inside: { readonly field: "code" | "message" | "details"; readonly index?: number };
  /** The code; `undefined` when the value ends inside it. */
  readonly code: number | undefined;
  /** The message, or as much of it as arrived (see {@link messageComplete}). */
  readonly message: string;
  /** Whether {@link message} is whole (the cut came after it). */
  readonly messageComplete: boolean;
  /** The details that arrived whole. */
  readonly details: readonly StatusDetail[];
}

const NOTHING_READ: ParsedStatus = {
  code: 0,
  message: "",
  details: [],
  reason: undefined,
  domain: undefined,
  metadata: {},
  retryDelay: undefined,
  fieldViolations: [],
  requestId: undefined,
};

/**
 * Larger than gRPC's default limit on a received message (4 MiB): no trailer value is this long, so
 * a field that claims this much was not cut, it is wrong.
 */
const MAX_PLAUSIBLE_LENGTH = 4 * 1024 * 1024;

/** The length varint of a field whose tag ends at `start`, and where its payload starts; `undefined` when it was cut. */
function lengthAt(bytes: Uint8Array, start: number): { length: number; payloadStart: number } | undefined {
  let length = 0;
  for (let i = start, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    const byte = bytes[i] as number;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return { length, payloadStart: i + 1 };
  }
  return undefined;
}

/**
 * Reads a value that did not decode as a Status, to tell a value cut short from one that is not a
 * Status at all; `undefined` for the latter. It is cut short when every field up to the failure is a
 * field of Status with its wire type (1 code, 2 message, 3 details), the failure is the bytes running
 * out inside the last one, and everything before that field decodes as a Status on its own. Random
 * bytes seldom pass: a failure while reading a tag never counts, since the tags of a Status are one
 * byte each.
 */
export function readBeforeCut(bytes: Uint8Array): CutShort | undefined {
  const reader = new WireReader(bytes);
  let fieldStart = 0;
  let tagEnd = 0;
  let field = 0;
  let detailIndex = 0;
  try {
    for (;;) {
      fieldStart = reader.position;
      field = 0;
      if (!reader.next()) return undefined; // every field whole: the failure is elsewhere
      tagEnd = reader.position;
      if (reader.field === 1 && reader.wireType === WireType.VARINT) {
        field = 1;
        reader.int32();
      } else if ((reader.field === 2 || reader.field === 3) && reader.wireType === WireType.DELIMITED) {
        field = reader.field;
        reader.delimited();
        if (field === 3) detailIndex++; // counted once whole: the cut one is `detailIndex`
      } else return undefined; // not a field of Status: these bytes are something else
    }
  } catch (error) {
    if (!(error instanceof WireFormatError) || !error.truncated || field === 0) return undefined;
  }
  // A length far beyond any status a peer would send is a corrupt or forged one, not a cut.
  const claimed = field === 1 ? undefined : lengthAt(bytes, tagEnd);
  if (claimed !== undefined && claimed.length > MAX_PLAUSIBLE_LENGTH) return undefined;
  const before = fieldStart === 0 ? NOTHING_READ : parseStatusDetails(bytes.subarray(0, fieldStart));
  if (before === undefined) return undefined;
  const { code, message, details } = before;
  if (field === 1) {
    return { inside: { field: "code" }, code: undefined, message, messageComplete: true, details };
  }
  if (field === 3) {
    return {
      inside: { field: "details", index: detailIndex },
      code,
      message,
      messageComplete: true,
      details,
    };
  }
  // Inside the message: as much of its text as arrived (none when its length itself was cut).
  const arrived = claimed === undefined ? "" : decodeUtf8(bytes, claimed.payloadStart, bytes.length);
  return { inside: { field: "message" }, code, message: arrived, messageComplete: false, details };
}
