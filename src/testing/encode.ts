/**
 * `encodeStatus`'s work, for the testing kit: a `google.rpc.Status` written from the `StatusDetail`
 * shapes, each detail by walking its type's schema (`details.ts`), so a new detail type needs no
 * code here. Every value is checked first, with an error that names where it sits
 * (`details[0].metadata["n"] must be a string`): a typo in a mock server is found at once, not as a
 * decoded status that silently lacks a field.
 */

import { isUint8Array } from "../wire/bytes.js";
import {
  DETAIL_SCHEMAS,
  type ErrorInfoDetail,
  type FieldSchema,
  isKnownDetailType,
  KNOWN_DETAIL_TYPES,
  type MessageSchema,
  type StatusDetail,
  typeUrlOf,
} from "../wire/details.js";
import { MAX_DURATION_MS, MAX_DURATION_SECONDS, millisecondsToDuration } from "../wire/duration.js";
import { WireWriter } from "../wire/wire-writer.js";

/**
 * A `google.rpc.Status` to encode: what `parseStatusDetails` returns without the promoted fields. A
 * `ParsedStatus` may be passed as it is; its promoted fields are derived from the details, so they
 * are ignored.
 */
export interface StatusInit {
  /** The status code, an integer from 0 to 16 (see `GrpcCode`). */
  readonly code: number;
  /** The status message; `""` when left out. */
  readonly message?: string | undefined;
  /**
   * The details, in order, in the shapes `parseStatusDetails` returns (an ErrorInfo's `metadata` may
   * be left out: none is written).
   */
  readonly details?: readonly StatusDetailInit[] | undefined;
}

/** The details as `parseStatusDetails` would return them: an ErrorInfo without metadata gets `{}`. */
export function completeDetails(details: readonly StatusDetailInit[]): StatusDetail[] {
  return details.map((detail) =>
    detail.type === "ErrorInfo" && detail.metadata === undefined
      ? { ...detail, metadata: Object.create(null) as Record<string, string> }
      : (detail as StatusDetail),
  );
}

/** A detail to write: a `StatusDetail`, an ErrorInfo's `metadata` optional. */
export type StatusDetailInit =
  | Exclude<StatusDetail, ErrorInfoDetail>
  | (Omit<ErrorInfoDetail, "metadata"> & {
      readonly metadata?: Readonly<Record<string, string>> | undefined;
    });

/** The fields accepted at the top: a StatusInit's, and a ParsedStatus's promoted ones. */
const STATUS_FIELDS = [
  "code",
  "message",
  "details",
  "omittedDetails",
  "reason",
  "domain",
  "metadata",
  "retryDelay",
  "fieldViolations",
  "requestId",
];

const INT64_LIMIT = 2 ** 63;
const INT64_MAX = "9223372036854775807";
/** A UTF-16 code unit with no partner: such a string has no UTF-8 form, so protobuf cannot carry it. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Fields = Readonly<Record<string, unknown>>;

/** A short rendering of a value for an error message. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function fail(path: string, problem: string): never {
  throw new TypeError(`encodeStatus: ${path} ${problem}`);
}

function outOfRange(path: string, problem: string): never {
  throw new RangeError(`encodeStatus: ${path} ${problem}`);
}

/** Rejects a field name the message does not have: a typo would otherwise be dropped silently. */
function checkKeys(value: Fields, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(path, `has no field ${JSON.stringify(key)} (fields: ${allowed.join(", ")})`);
  }
}

function asObject(value: unknown, path: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(path, `must be an object, got ${show(value)}`);
  }
  return value as Fields;
}

function asList(value: unknown, path: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, `must be an array, got ${show(value)}`);
  return value;
}

/** A field left out (`undefined`) is its proto3 default, as in a protobuf message. */
function asString(value: unknown, path: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") fail(path, `must be a string, got ${show(value)}`);
  if (UNPAIRED_SURROGATE.test(value)) fail(path, "has an unpaired surrogate, which has no UTF-8 form");
  return value;
}

function asInt64(value: unknown, path: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") fail(path, `must be a number, got ${show(value)}`);
  if (!Number.isInteger(value) || Math.abs(value) > INT64_LIMIT) {
    outOfRange(path, `must be an integer in the int64 range, got ${show(value)}`);
  }
  return value;
}

/** An int64 field; 2 ** 63 is the double nearest INT64_MAX (the decoder reports INT64_MAX as it). */
function writeInt64(writer: WireWriter, number: number, value: number): void {
  writer.int64(number, value >= INT64_LIMIT ? INT64_MAX : value === 0 ? 0 : value);
}

/** Checks a `retryDelay` in milliseconds and splits it into a Duration. */
function durationOf(value: unknown, path: string): { seconds: number; nanos: number } {
  if (typeof value !== "number") fail(path, `must be a number of milliseconds, got ${show(value)}`);
  if (!Number.isFinite(value)) outOfRange(path, `must be finite, got ${show(value)}`);
  const parts = Math.abs(value) > MAX_DURATION_MS ? undefined : millisecondsToDuration(value);
  if (parts === undefined) {
    outOfRange(path, `is beyond the Duration range (±${MAX_DURATION_SECONDS} s), got ${show(value)}`);
  }
  return parts;
}

// Each field is written as the reference runtimes write it: proto3 defaults (an empty string, a
// zero) omitted, repeated elements and map entries always written (an entry carries its key and
// value even when empty), a message that was set written even when empty (presence is data).

function writeField(
  writer: WireWriter,
  name: string,
  field: FieldSchema,
  value: unknown,
  path: string,
): void {
  const at = `${path}.${name}`;
  const { number } = field;
  switch (field.kind) {
    case "string": {
      const text = asString(value, at);
      if (text !== "") writer.string(number, text);
      return;
    }
    case "strings":
      asList(value, at).forEach((entry, i) => {
        writer.string(number, asString(entry, `${at}[${i}]`));
      });
      return;
    case "map": {
      if (value === undefined) return;
      const map = asObject(value, at);
      for (const key of Object.keys(map)) {
        const entryKey = asString(key, `${at} key ${show(key)}`);
        const entryValue = asString(map[key], `${at}[${JSON.stringify(key)}]`);
        writer.message(number, (w) => {
          w.string(1, entryKey);
          w.string(2, entryValue);
        });
      }
      return;
    }
    case "int64":
      if ("optional" in field) {
        // `optional int64`: explicit presence, so a 0 that was sent is written, and nothing else is.
        if (value !== undefined) writeInt64(writer, number, asInt64(value, at));
      } else {
        const int = asInt64(value, at);
        if (int !== 0) writeInt64(writer, number, int);
      }
      return;
    case "duration": {
      // Absent: no retry_delay. Present, even 0: the Duration is written (presence).
      if (value === undefined) return;
      const { seconds, nanos } = durationOf(value, at);
      writer.message(number, (w) => {
        if (seconds !== 0) writeInt64(w, 1, seconds);
        if (nanos !== 0) w.int32(2, nanos);
      });
      return;
    }
    case "message":
      if (value !== undefined) {
        const fields = asObject(value, at);
        writer.message(number, (w) => writeMessage(w, field.of, fields, at));
      }
      return;
    case "messages":
      asList(value, at).forEach((element, i) => {
        const elementPath = `${at}[${i}]`;
        const fields = asObject(element, elementPath);
        writer.message(number, (w) => writeMessage(w, field.of, fields, elementPath));
      });
      return;
  }
}

function writeMessage(writer: WireWriter, schema: MessageSchema, fields: Fields, path: string): void {
  checkKeys(fields, Object.keys(schema), path);
  for (const name of Object.keys(schema))
    writeField(writer, name, schema[name] as FieldSchema, fields[name], path);
}

/** The `google.protobuf.Any` of one detail: its type URL and its serialised message. */
function packDetail(detail: unknown, path: string): { typeUrl: string; value: Uint8Array } {
  const fields = asObject(detail, path);
  const type = fields.type;
  if (type === "Unknown") {
    checkKeys(fields, ["type", "typeUrl", "value", "json"], path);
    const value = fields.value ?? new Uint8Array(0);
    if (!isUint8Array(value)) fail(`${path}.value`, `must be a Uint8Array, got ${show(value)}`);
    return { typeUrl: asString(fields.typeUrl, `${path}.typeUrl`), value };
  }
  if (typeof type !== "string" || !isKnownDetailType(type)) {
    fail(
      `${path}.type`,
      `must be one of ${[...KNOWN_DETAIL_TYPES, "Unknown"].join(", ")}, got ${show(type)}`,
    );
  }
  const { type: _, ...rest } = fields;
  const writer = new WireWriter();
  checkKeys(fields, ["type", ...Object.keys(DETAIL_SCHEMAS[type])], path);
  writeMessage(writer, DETAIL_SCHEMAS[type], rest, path);
  return { typeUrl: typeUrlOf(type), value: writer.finish() };
}

/** Checks a status code: an integer from 0 to 16. */
export function checkCode(code: unknown, path = "status.code"): number {
  if (typeof code !== "number") fail(path, `must be a number, got ${show(code)}`);
  if (!Number.isInteger(code) || code < 0 || code > 16) {
    outOfRange(path, `must be a gRPC status code, an integer from 0 to 16, got ${show(code)}`);
  }
  return code;
}

/** See `encodeStatus` in the testing kit. */
export function encodeStatus(status: StatusInit): Uint8Array {
  const init = asObject(status, "status");
  // A ParsedStatus is accepted as it is: its promoted fields are derived from the details, so they
  // are not written (and not checked against them).
  checkKeys(init, STATUS_FIELDS, "status");
  const code = checkCode(init.code);
  const message = asString(init.message, "status.message");
  const details = asList(init.details, "status.details").map((detail, index) =>
    packDetail(detail, `details[${index}]`),
  );
  const writer = new WireWriter();
  if (code !== 0) writer.int32(1, code);
  if (message !== "") writer.string(2, message);
  for (const { typeUrl, value } of details) {
    writer.message(3, (w) => {
      if (typeUrl !== "") w.string(1, typeUrl);
      if (value.length > 0) w.bytes(2, value);
    });
  }
  return writer.finish();
}

/** Whether `text` has an unpaired surrogate (no UTF-8 form). */
export function hasUnpairedSurrogate(text: string): boolean {
  return UNPAIRED_SURROGATE.test(text);
}
