/**
 * The testing kit, `sandbox-sdk-errors/testing`: the inverse of the decoder, for SDK authors who write
 * mock servers and for this package's own tests.
 *
 * - {@link encodeStatus} writes a `google.rpc.Status` from the very `StatusDetail` shapes that
 *   `parseStatusDetails` returns, so `parseStatusDetails(encodeStatus(s))` gives `s` back.
 * - {@link toServiceError} turns an error of this package (or a status) into what a grpc-js server
 *   handler passes to its callback, trailer included, so that the client's `fromGrpcStatus` maps it
 *   back to the same class and fields.
 *
 * This entry uses `@grpc/grpc-js` at run time (a peer dependency); the main entry does not.
 *
 * @packageDocumentation
 */
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import {
  AuthenticationError,
  DiscoveryError,
  DiscoveryValidationError,
  ERROR_DOMAIN,
  type FieldViolation,
  GrpcCode,
  isSandboxSdkError,
  type ParsedStatus,
  PermissionDeniedError,
  ProfileNotFoundError,
  parseStatusDetails,
  Reason,
  RequestSizeError,
  RunnerNotFoundError,
  SandboxCommandTimeoutError,
  SandboxError,
  SandboxFileError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxRequestTimeoutError,
  SandboxResourceExhaustedError,
  SandboxSdkError,
  SandboxSnapshotError,
  SandboxTimeoutError,
  SandboxUnavailableError,
  SandboxValidationError,
  SnapshotBackendThrottledError,
  SnapshotBucketMismatchError,
  SnapshotNotFoundError,
  SnapshotNotReadyError,
  SnapshotNotSupportedError,
  SnapshotQuotaExceededError,
  SnapshotSizeExceededError,
  SnapshotWaitTimeoutError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
  ValidationError,
} from "sandbox-sdk-errors";
import { type BinaryWriter, protobuf } from "./protobuf.js";

// ---------------------------------------------------------------------------------------------
// encodeStatus
// ---------------------------------------------------------------------------------------------

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
  /** The details, in order, in the shapes `parseStatusDetails` returns. */
  readonly details?: readonly StatusDetail[] | undefined;
}

const TYPE_URL_PREFIX = "type.googleapis.com/google.rpc.";
/** The largest `seconds` of a valid `google.protobuf.Duration` (10,000 years), as the decoder checks. */
const MAX_DURATION_SECONDS = 315_576_000_000;
const NANOS_PER_SECOND = 1_000_000_000;
/** The largest |retryDelay| in milliseconds that still fits a Duration. */
const MAX_DURATION_MS = MAX_DURATION_SECONDS * 1000 + 999.999999;
const INT64_LIMIT = 2 ** 63;
const INT64_MAX = "9223372036854775807";
/** A UTF-16 code unit with no partner: such a string has no UTF-8 form, so protobuf cannot carry it. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Fields = Readonly<Record<string, unknown>>;

/** The fields `encodeStatus` accepts at the top: a StatusInit's, and a ParsedStatus's promoted ones. */
const STATUS_FIELDS = [
  "code",
  "message",
  "details",
  "reason",
  "domain",
  "metadata",
  "retryDelay",
  "fieldViolations",
  "requestId",
];

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
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

// Each writer omits a proto3 default (empty string, zero, empty list), as protobuf runtimes do: the
// bytes match what the reference runtime sends, field by field in field-number order.

function writeString(writer: BinaryWriter, field: number, value: string): void {
  if (value !== "") writer.writeString(field, value);
}

function writeInt64(writer: BinaryWriter, field: number, value: number, always = false): void {
  if (value === 0 && !always) return;
  // 2 ** 63 is the double nearest INT64_MAX (the decoder reports INT64_MAX as it): write INT64_MAX.
  if (value >= INT64_LIMIT) writer.writeInt64String(field, INT64_MAX);
  else writer.writeInt64(field, value === 0 ? 0 : value); // no -0 on the wire
}

/**
 * Writes a `map<string, string>`: one entry message per key. Unlike plain fields, map entries carry
 * their key and value even when empty, as the C++, Java, Go and Python runtimes write them.
 */
function writeMap(writer: BinaryWriter, field: number, value: unknown, path: string): void {
  if (value === undefined) return;
  const map = asObject(value, path);
  for (const key of Object.keys(map)) {
    const entry: [string, string] = [
      asString(key, `${path} key ${show(key)}`),
      asString(map[key], `${path}[${JSON.stringify(key)}]`),
    ];
    writer.writeMessage(field, entry, ([k, v], w) => {
      w.writeString(1, k);
      w.writeString(2, v);
    });
  }
}

/** Writes each element of a repeated message field (`value` is the list, already checked). */
function writeRepeated(
  writer: BinaryWriter,
  field: number,
  value: unknown,
  path: string,
  allowed: readonly string[],
  write: (w: BinaryWriter, element: Fields, path: string) => void,
): void {
  asList(value, path).forEach((element, index) => {
    const elementPath = `${path}[${index}]`;
    const fields = asObject(element, elementPath);
    checkKeys(fields, allowed, elementPath);
    writer.writeMessage(field, fields, (f, w) => write(w, f, elementPath));
  });
}

interface DurationParts {
  readonly seconds: number;
  readonly nanos: number;
}

/** What the decoder computes from a Duration; the encoder aims to reproduce it exactly. */
function durationMs({ seconds, nanos }: DurationParts): number {
  return seconds * 1000 + nanos / 1e6;
}

/**
 * Splits milliseconds into a Duration whose `seconds` and `nanos` share the sign of `ms` (a Duration
 * whose parts disagree in sign is invalid). Rounding to whole nanoseconds can miss the double the
 * decoder would compute by one unit either way, so the neighbours are tried too: a delay that came
 * out of the decoder always goes back to the same number.
 */
function toDuration(ms: number, path: string): DurationParts {
  const sign = ms < 0 ? -1 : 1;
  const magnitude = Math.abs(ms);
  let seconds = Math.trunc(magnitude / 1000);
  // The division may round up to the next whole second for a value just below it.
  if (seconds * 1000 > magnitude) seconds -= 1;
  let nanos = Math.round((magnitude - seconds * 1000) * 1e6);
  if (nanos >= NANOS_PER_SECOND) {
    seconds += 1;
    nanos -= NANOS_PER_SECOND;
  }
  let best: DurationParts = { seconds: sign * seconds, nanos: sign * nanos };
  if (durationMs(best) !== ms) {
    for (const candidate of [nanos - 1, nanos + 1]) {
      if (candidate < 0 || candidate >= NANOS_PER_SECOND) continue;
      const parts = { seconds: sign * seconds, nanos: sign * candidate };
      if (durationMs(parts) === ms) {
        best = parts;
        break;
      }
    }
  }
  if (Math.abs(best.seconds) > MAX_DURATION_SECONDS) {
    // Near the limit a double is coarser than a millisecond: the largest Duration may decode to a
    // value that rounds up to a whole second past it. Rounding carried into that second: undo it.
    const largest = { seconds: sign * MAX_DURATION_SECONDS, nanos: sign * (NANOS_PER_SECOND - 1) };
    if (durationMs(largest) !== ms) {
      outOfRange(path, `is beyond the Duration range (±${MAX_DURATION_SECONDS} s), got ${show(ms)}`);
    }
    best = largest;
  }
  // Normalise -0: it is written as nothing either way, but keeps the parts tidy for callers.
  return { seconds: best.seconds || 0, nanos: best.nanos || 0 };
}

function writeLocalizedText(w: BinaryWriter, f: Fields): void {
  writeString(w, 1, f.locale as string);
  writeString(w, 2, f.message as string);
}

interface DetailSpec {
  /** The fields the shape may have, `type` included. */
  readonly fields: readonly string[];
  readonly write: (writer: BinaryWriter, detail: Fields, path: string) => void;
}

const QUOTA_VIOLATION_FIELDS = [
  "subject",
  "description",
  "apiService",
  "quotaMetric",
  "quotaId",
  "quotaDimensions",
  "quotaValue",
  "futureQuotaValue",
] as const;

/** Field numbers follow `google/rpc/error_details.proto`. */
const DETAIL_SPECS: Readonly<Record<Exclude<StatusDetail["type"], "Unknown">, DetailSpec>> = {
  ErrorInfo: {
    fields: ["type", "reason", "domain", "metadata"],
    write(w, d, path) {
      writeString(w, 1, asString(d.reason, `${path}.reason`));
      writeString(w, 2, asString(d.domain, `${path}.domain`));
      writeMap(w, 3, d.metadata, `${path}.metadata`);
    },
  },
  RetryInfo: {
    fields: ["type", "retryDelay"],
    write(w, d, path) {
      const delay = d.retryDelay;
      // Absent: a RetryInfo without retry_delay. Present, even 0: the Duration is written (presence).
      if (delay === undefined) return;
      const delayPath = `${path}.retryDelay`;
      if (typeof delay !== "number") fail(delayPath, `must be a number of milliseconds, got ${show(delay)}`);
      if (!Number.isFinite(delay)) outOfRange(delayPath, `must be finite, got ${show(delay)}`);
      if (Math.abs(delay) > MAX_DURATION_MS) {
        outOfRange(
          delayPath,
          `is beyond the Duration range (±${MAX_DURATION_SECONDS} s), got ${show(delay)}`,
        );
      }
      w.writeMessage(1, toDuration(delay, delayPath), (duration, dw) => {
        writeInt64(dw, 1, duration.seconds);
        if (duration.nanos !== 0) dw.writeInt32(2, duration.nanos);
      });
    },
  },
  DebugInfo: {
    fields: ["type", "stackEntries", "detail"],
    write(w, d, path) {
      asList(d.stackEntries, `${path}.stackEntries`).forEach((entry, index) => {
        // A repeated string keeps its empty elements: position is data.
        w.writeString(1, asString(entry, `${path}.stackEntries[${index}]`));
      });
      writeString(w, 2, asString(d.detail, `${path}.detail`));
    },
  },
  QuotaFailure: {
    fields: ["type", "violations"],
    write(w, d, path) {
      writeRepeated(w, 1, d.violations, `${path}.violations`, QUOTA_VIOLATION_FIELDS, (vw, v, vp) => {
        writeString(vw, 1, asString(v.subject, `${vp}.subject`));
        writeString(vw, 2, asString(v.description, `${vp}.description`));
        writeString(vw, 3, asString(v.apiService, `${vp}.apiService`));
        writeString(vw, 4, asString(v.quotaMetric, `${vp}.quotaMetric`));
        writeString(vw, 5, asString(v.quotaId, `${vp}.quotaId`));
        writeMap(vw, 6, v.quotaDimensions, `${vp}.quotaDimensions`);
        writeInt64(vw, 7, asInt64(v.quotaValue, `${vp}.quotaValue`));
        // `optional int64`: explicit presence, so a 0 that was sent is written, and nothing else is.
        if (v.futureQuotaValue !== undefined) {
          writeInt64(vw, 8, asInt64(v.futureQuotaValue, `${vp}.futureQuotaValue`), true);
        }
      });
    },
  },
  PreconditionFailure: {
    fields: ["type", "violations"],
    write(w, d, path) {
      writeRepeated(
        w,
        1,
        d.violations,
        `${path}.violations`,
        ["type", "subject", "description"],
        (vw, v, vp) => {
          writeString(vw, 1, asString(v.type, `${vp}.type`));
          writeString(vw, 2, asString(v.subject, `${vp}.subject`));
          writeString(vw, 3, asString(v.description, `${vp}.description`));
        },
      );
    },
  },
  BadRequest: {
    fields: ["type", "fieldViolations"],
    write(w, d, path) {
      const allowed = ["field", "description", "reason", "localizedMessage"];
      writeRepeated(w, 1, d.fieldViolations, `${path}.fieldViolations`, allowed, (vw, v, vp) => {
        writeString(vw, 1, asString(v.field, `${vp}.field`));
        writeString(vw, 2, asString(v.description, `${vp}.description`));
        writeString(vw, 3, asString(v.reason, `${vp}.reason`));
        if (v.localizedMessage !== undefined) {
          const lp = `${vp}.localizedMessage`;
          const text = asObject(v.localizedMessage, lp);
          checkKeys(text, ["locale", "message"], lp);
          const checked = {
            locale: asString(text.locale, `${lp}.locale`),
            message: asString(text.message, `${lp}.message`),
          };
          // A message field that was set is written even when empty: presence is data.
          vw.writeMessage(4, checked, (t, tw) => writeLocalizedText(tw, t));
        }
      });
    },
  },
  RequestInfo: {
    fields: ["type", "requestId", "servingData"],
    write(w, d, path) {
      writeString(w, 1, asString(d.requestId, `${path}.requestId`));
      writeString(w, 2, asString(d.servingData, `${path}.servingData`));
    },
  },
  ResourceInfo: {
    fields: ["type", "resourceType", "resourceName", "owner", "description"],
    write(w, d, path) {
      writeString(w, 1, asString(d.resourceType, `${path}.resourceType`));
      writeString(w, 2, asString(d.resourceName, `${path}.resourceName`));
      writeString(w, 3, asString(d.owner, `${path}.owner`));
      writeString(w, 4, asString(d.description, `${path}.description`));
    },
  },
  Help: {
    fields: ["type", "links"],
    write(w, d, path) {
      writeRepeated(w, 1, d.links, `${path}.links`, ["description", "url"], (lw, l, lp) => {
        writeString(lw, 1, asString(l.description, `${lp}.description`));
        writeString(lw, 2, asString(l.url, `${lp}.url`));
      });
    },
  },
  LocalizedMessage: {
    fields: ["type", "locale", "message"],
    write(w, d, path) {
      writeString(w, 1, asString(d.locale, `${path}.locale`));
      writeString(w, 2, asString(d.message, `${path}.message`));
    },
  },
};

/** The `google.protobuf.Any` of one detail: its type URL and its serialised message. */
function packDetail(detail: unknown, path: string): { typeUrl: string; value: Uint8Array } {
  const fields = asObject(detail, path);
  const type = fields.type;
  if (type === "Unknown") {
    checkKeys(fields, ["type", "typeUrl", "value"], path);
    const value = fields.value ?? new Uint8Array(0);
    if (!(value instanceof Uint8Array)) fail(`${path}.value`, `must be a Uint8Array, got ${show(value)}`);
    return { typeUrl: asString(fields.typeUrl, `${path}.typeUrl`), value };
  }
  if (typeof type !== "string" || !Object.hasOwn(DETAIL_SPECS, type)) {
    const known = [...Object.keys(DETAIL_SPECS), "Unknown"].join(", ");
    fail(`${path}.type`, `must be one of ${known}, got ${show(type)}`);
  }
  const spec = DETAIL_SPECS[type as keyof typeof DETAIL_SPECS];
  checkKeys(fields, spec.fields, path);
  const writer = new (protobuf().BinaryWriter)();
  spec.write(writer, fields, path);
  return { typeUrl: `${TYPE_URL_PREFIX}${type}`, value: writer.getResultBuffer() };
}

/**
 * Encodes a `google.rpc.Status`, as a server puts it in the `grpc-status-details-bin` trailer.
 *
 * `details` take exactly the shapes `parseStatusDetails` returns, so
 * `parseStatusDetails(encodeStatus(s))` gives `s` back for any status that decoder could return
 * (except the all-default status, `{ code: 0 }` with no message or details, which is zero bytes: an
 * empty trailer is no status). Every `google.rpc` detail type is written with all its fields, in
 * field-number order, proto3 defaults omitted as protobuf runtimes omit them; `futureQuotaValue` only
 * when present; an `Unknown` detail goes back with its own type URL and bytes. A `RetryInfo`'s
 * `retryDelay` (milliseconds) becomes a Duration whose `seconds` and `nanos` share its sign.
 *
 * A field left out of a detail is its default (`""`, `0`, `[]`, `{}`), so hand-written details may
 * be short: `{ type: "ErrorInfo", reason: "X", domain: "d" }`.
 *
 * @throws TypeError - for a field of the wrong type, a field the detail type does not have, an
 *   unknown `type`, or a string with an unpaired surrogate (no UTF-8 form).
 * @throws RangeError - for a `code` outside 0–16, a non-finite `retryDelay` or one beyond the Duration
 *   range (±315,576,000,000 s), or an int64 field that is not an integer in range.
 *
 * @example
 * ```ts
 * const blob = encodeStatus({
 *   code: GrpcCode.UNAVAILABLE,
 *   message: "runner draining",
 *   details: [
 *     { type: "ErrorInfo", reason: Reason.RUNNER_UNAVAILABLE, domain: ERROR_DOMAIN, metadata: {} },
 *     { type: "RetryInfo", retryDelay: 1500 },
 *   ],
 * });
 * ```
 */
export function encodeStatus(status: StatusInit): Uint8Array {
  const init = asObject(status, "status");
  // A ParsedStatus is accepted as it is: its promoted fields are derived from the details, so they
  // are not written (and not checked against them).
  checkKeys(init, STATUS_FIELDS, "status");
  const { code } = init;
  if (typeof code !== "number") fail("status.code", `must be a number, got ${show(code)}`);
  if (!Number.isInteger(code) || code < 0 || code > 16) {
    outOfRange("status.code", `must be a gRPC status code, an integer from 0 to 16, got ${show(code)}`);
  }
  const message = asString(init.message, "status.message");
  const details = asList(init.details, "status.details").map((detail, index) =>
    packDetail(detail, `details[${index}]`),
  );
  const writer = new (protobuf().BinaryWriter)();
  if (code !== 0) writer.writeInt32(1, code);
  writeString(writer, 2, message);
  for (const any of details) {
    writer.writeMessage(3, any, ({ typeUrl, value }, w) => {
      writeString(w, 1, typeUrl);
      if (value.length > 0) w.writeBytes(2, value);
    });
  }
  return writer.getResultBuffer();
}

// ---------------------------------------------------------------------------------------------
// toServiceError
// ---------------------------------------------------------------------------------------------

type ErrorClass = abstract new (...args: never[]) => SandboxSdkError;

/** How one class travels on the wire so that `fromGrpcStatus` picks it again. */
interface WireRule {
  /** Trusted reasons that pick the class before any code is looked at. */
  readonly reasons: readonly string[];
  /** The code that picks the class without such a reason, if one does. */
  readonly code?: GrpcCode;
  /**
   * Whether the class needs one of its `reasons` on the wire for this error, and so gets
   * `reasons[0]` when it has none.
   */
  readonly needsReason?: (error: SandboxSdkError) => boolean;
  /** A scope's base class: every code but these (and OK) gives it; default UNKNOWN. */
  readonly exceptCodes?: readonly GrpcCode[];
  /** A validation class: needs INVALID_ARGUMENT and at least one field violation. */
  readonly validation?: boolean;
}

const always = (): boolean => true;

/** Reason-only classes: nothing but a trusted reason gives them. */
function byReason(...reasons: string[]): WireRule {
  return { reasons, needsReason: always };
}

const FILE_REASONS = [
  Reason.FILE_IO_FAILED,
  Reason.FILE_NOT_FOUND,
  Reason.FILE_IS_DIRECTORY,
  Reason.FILE_PERMISSION_DENIED,
  Reason.FILE_TOO_LARGE,
  Reason.FILE_TRUNCATED,
];

/**
 * The class table, most specific class first (an error takes the first row it is an instance of, so
 * a class without a row, such as `SandboxTerminatedError`, travels as its nearest ancestor).
 * It mirrors SPEC §5 read backwards.
 */
const WIRE_RULES: readonly (readonly [ErrorClass, WireRule])[] = [
  [RequestSizeError, { reasons: [], code: GrpcCode.RESOURCE_EXHAUSTED }],
  [SandboxResourceExhaustedError, { reasons: [], code: GrpcCode.RESOURCE_EXHAUSTED }],
  [
    SnapshotBackendThrottledError,
    byReason(Reason.FSS_BACKEND_THROTTLED, Reason.FSS_INFLIGHT_LIMIT, Reason.FSS_BUCKET_PROVISIONING),
  ],
  [
    SandboxUnavailableError,
    {
      reasons: [Reason.RUNNER_UNAVAILABLE, Reason.BACKEND_UNAVAILABLE, Reason.RUNNER_SHARD_RETIRING],
      code: GrpcCode.UNAVAILABLE,
    },
  ],
  [SandboxNotRunningError, { reasons: [Reason.SANDBOX_NOT_RUNNING], code: GrpcCode.CANCELLED }],
  [SandboxRequestTimeoutError, { reasons: [], code: GrpcCode.DEADLINE_EXCEEDED }],
  [SandboxCommandTimeoutError, byReason(Reason.COMMAND_TIMEOUT)],
  [SnapshotWaitTimeoutError, byReason(Reason.FSS_WAIT_TIMEOUT)],
  // No mapping gives the bare family class; its retryable member is the nearest.
  [SandboxTimeoutError, { reasons: [], code: GrpcCode.DEADLINE_EXCEEDED }],
  [SandboxNotFoundError, { reasons: [Reason.SANDBOX_NOT_FOUND], code: GrpcCode.NOT_FOUND }],
  [SandboxFileError, byReason(...FILE_REASONS)],
  [
    SnapshotNotFoundError,
    {
      reasons: [Reason.FSS_NOT_FOUND],
      // NOT_FOUND gives it only when the context names a snapshot, which it does when the error has one.
      code: GrpcCode.NOT_FOUND,
      needsReason: (error) => (error as SnapshotNotFoundError).fileSystemSnapshotId === undefined,
    },
  ],
  [SnapshotNotReadyError, byReason(Reason.FSS_NOT_READY)],
  [SnapshotNotSupportedError, byReason(Reason.FSS_NOT_SUPPORTED)],
  [SnapshotSizeExceededError, byReason(Reason.FSS_SIZE_EXCEEDED)],
  [SnapshotQuotaExceededError, byReason(Reason.FSS_QUOTA_EXCEEDED)],
  [SnapshotBucketMismatchError, byReason(Reason.FSS_BUCKET_MISMATCH)],
  [
    SandboxSnapshotError,
    byReason(
      Reason.FSS_CREATE_FAILED,
      Reason.FSS_BUCKET_UNAVAILABLE,
      Reason.FSS_RESTORE_FAILED,
      Reason.FSS_CREATE_TIMED_OUT,
      Reason.FSS_AUTH_FAILED,
      Reason.FSS_TRANSPORT_FAILED,
      Reason.FSS_CANCELED,
    ),
  ],
  [SandboxValidationError, { reasons: [], code: GrpcCode.INVALID_ARGUMENT, validation: true }],
  [DiscoveryValidationError, { reasons: [], code: GrpcCode.INVALID_ARGUMENT, validation: true }],
  [ValidationError, { reasons: [], code: GrpcCode.INVALID_ARGUMENT, validation: true }],
  [RunnerNotFoundError, { reasons: [Reason.RUNNER_NOT_FOUND], code: GrpcCode.NOT_FOUND }],
  [ProfileNotFoundError, byReason(Reason.PROFILE_NOT_FOUND)],
  [
    DiscoveryError,
    {
      reasons: [],
      exceptCodes: [GrpcCode.NOT_FOUND, GrpcCode.PERMISSION_DENIED, GrpcCode.UNAUTHENTICATED],
    },
  ],
  [PermissionDeniedError, { reasons: [], code: GrpcCode.PERMISSION_DENIED }],
  [AuthenticationError, { reasons: [], code: GrpcCode.UNAUTHENTICATED }],
  [
    SandboxError,
    {
      reasons: [],
      exceptCodes: [
        GrpcCode.CANCELLED,
        GrpcCode.DEADLINE_EXCEEDED,
        GrpcCode.NOT_FOUND,
        GrpcCode.PERMISSION_DENIED,
        GrpcCode.RESOURCE_EXHAUSTED,
        GrpcCode.UNAVAILABLE,
        GrpcCode.UNAUTHENTICATED,
      ],
    },
  ],
  [SandboxSdkError, { reasons: [], exceptCodes: [GrpcCode.PERMISSION_DENIED, GrpcCode.UNAUTHENTICATED] }],
];

/**
 * The code a server would naturally send with each reason, used when the error has no `grpcCode` of
 * its own. A trusted reason picks the class whatever the code; a sensible code keeps the status
 * meaningful to clients that do not read the details.
 */
const REASON_CODES: Readonly<Record<string, GrpcCode>> = {
  [Reason.FILE_NOT_FOUND]: GrpcCode.NOT_FOUND,
  [Reason.FILE_IS_DIRECTORY]: GrpcCode.FAILED_PRECONDITION,
  [Reason.FILE_IO_FAILED]: GrpcCode.INTERNAL,
  [Reason.FILE_PERMISSION_DENIED]: GrpcCode.PERMISSION_DENIED,
  [Reason.FILE_TOO_LARGE]: GrpcCode.FAILED_PRECONDITION,
  [Reason.FILE_TRUNCATED]: GrpcCode.DATA_LOSS,
  [Reason.SANDBOX_NOT_FOUND]: GrpcCode.NOT_FOUND,
  [Reason.SANDBOX_NOT_RUNNING]: GrpcCode.FAILED_PRECONDITION,
  [Reason.COMMAND_TIMEOUT]: GrpcCode.DEADLINE_EXCEEDED,
  [Reason.RUNNER_UNAVAILABLE]: GrpcCode.UNAVAILABLE,
  [Reason.BACKEND_UNAVAILABLE]: GrpcCode.UNAVAILABLE,
  [Reason.RUNNER_SHARD_RETIRING]: GrpcCode.UNAVAILABLE,
  [Reason.RUNNER_NOT_FOUND]: GrpcCode.NOT_FOUND,
  [Reason.PROFILE_NOT_FOUND]: GrpcCode.NOT_FOUND,
  [Reason.FSS_NOT_FOUND]: GrpcCode.NOT_FOUND,
  [Reason.FSS_NOT_READY]: GrpcCode.FAILED_PRECONDITION,
  [Reason.FSS_NOT_SUPPORTED]: GrpcCode.UNIMPLEMENTED,
  [Reason.FSS_SIZE_EXCEEDED]: GrpcCode.RESOURCE_EXHAUSTED,
  [Reason.FSS_QUOTA_EXCEEDED]: GrpcCode.RESOURCE_EXHAUSTED,
  [Reason.FSS_BUCKET_MISMATCH]: GrpcCode.FAILED_PRECONDITION,
  [Reason.FSS_BUCKET_UNAVAILABLE]: GrpcCode.UNAVAILABLE,
  [Reason.FSS_BUCKET_PROVISIONING]: GrpcCode.UNAVAILABLE,
  [Reason.FSS_RESTORE_FAILED]: GrpcCode.INTERNAL,
  [Reason.FSS_CREATE_FAILED]: GrpcCode.INTERNAL,
  [Reason.FSS_CREATE_TIMED_OUT]: GrpcCode.DEADLINE_EXCEEDED,
  [Reason.FSS_AUTH_FAILED]: GrpcCode.PERMISSION_DENIED,
  [Reason.FSS_TRANSPORT_FAILED]: GrpcCode.UNAVAILABLE,
  [Reason.FSS_WAIT_TIMEOUT]: GrpcCode.DEADLINE_EXCEEDED,
  [Reason.FSS_CANCELED]: GrpcCode.CANCELLED,
  [Reason.FSS_BACKEND_THROTTLED]: GrpcCode.RESOURCE_EXHAUSTED,
  [Reason.FSS_INFLIGHT_LIMIT]: GrpcCode.RESOURCE_EXHAUSTED,
};

/** What `fromGrpcStatus` tests a RESOURCE_EXHAUSTED transport message for. */
const TOO_LARGE = "larger than max";
/** grpc-js's own sentence, at its default 4 MiB receive limit. */
const GRPC_JS_TOO_LARGE = "Received message larger than max (4194305 vs. 4194304)";
const GRPC_JS_SENTENCE = /Received message larger than max \(\d+ vs\. \d+\)/;

function ruleOf(error: SandboxSdkError): WireRule {
  for (const [cls, rule] of WIRE_RULES) if (error instanceof cls) return rule;
  // Unreachable: every error is a SandboxSdkError, the table's last row.
  return WIRE_RULES[WIRE_RULES.length - 1]![1];
}

/** The error's code when it is one a failed call can carry (OK would read as success). */
function ownCode(error: SandboxSdkError): GrpcCode | undefined {
  const code = error.grpcCode;
  return Number.isInteger(code) && (code as number) >= 1 && (code as number) <= 16
    ? (code as GrpcCode)
    : undefined;
}

function chooseCode(
  rule: WireRule,
  error: SandboxSdkError,
  reason: string | undefined,
  violations: number,
): GrpcCode {
  const own = ownCode(error);
  // The class's trusted reason decides whatever the code: keep the error's own.
  if (reason !== undefined && rule.reasons.includes(reason)) {
    return own ?? REASON_CODES[reason] ?? GrpcCode.UNKNOWN;
  }
  if (rule.code !== undefined) return rule.code;
  if (rule.exceptCodes !== undefined) {
    const fits =
      own !== undefined &&
      !rule.exceptCodes.includes(own) &&
      !(own === GrpcCode.INVALID_ARGUMENT && violations > 0);
    return fits ? own : GrpcCode.UNKNOWN;
  }
  // A reason-only class whose reason could not go first on the wire (another ErrorInfo did).
  return own ?? GrpcCode.UNKNOWN;
}

/** The transport message (`details`): the error's message, adjusted where the mapping reads it. */
function transportDetails(error: SandboxSdkError, code: GrpcCode): string {
  const message = error.message;
  if (code !== GrpcCode.RESOURCE_EXHAUSTED) return message;
  // grpc-js's sentence as the transport sent it (a mapped error's message quotes it), else its
  // default one: a client that does not read the trailer still sees a size-limit failure.
  if (error instanceof RequestSizeError) return GRPC_JS_SENTENCE.exec(message)?.[0] ?? GRPC_JS_TOO_LARGE;
  // Anything else under RESOURCE_EXHAUSTED must not read as a size-limit failure.
  return message.replaceAll(TOO_LARGE, "larger than the maximum");
}

/** `Buffer.from(text).toString()` replaces unpaired surrogates with U+FFFD, as TextEncoder does. */
function wellFormed(text: string): string {
  return UNPAIRED_SURROGATE.test(text) ? Buffer.from(text, "utf8").toString("utf8") : text;
}

/** The fields the details already carry, as the client will decode them. */
function represented(details: readonly StatusDetail[]): ParsedStatus | undefined {
  return details.length === 0 ? undefined : parseStatusDetails(encodeStatus({ code: 0, details }));
}

function metadataWithFilepath(error: SandboxSdkError): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  Object.assign(metadata, error.metadata);
  const { filepath } = error as Partial<SandboxFileError>;
  // The sandbox service reports the path in metadata.filepath, which fromGrpcStatus falls back to.
  if (error instanceof SandboxFileError && filepath !== undefined && metadata.filepath === undefined) {
    metadata.filepath = filepath;
  }
  return metadata;
}

function checkRetryDelay(delay: unknown): void {
  if (delay === undefined) return;
  if (typeof delay !== "number" || !Number.isFinite(delay) || Math.abs(delay) > MAX_DURATION_MS) {
    throw new RangeError(
      `toServiceError: error.retryDelay must be a finite number of milliseconds within the Duration range, got ${show(delay)}`,
    );
  }
}

function errorToStatus(error: SandboxSdkError): StatusObject {
  const rule = ruleOf(error);
  checkRetryDelay(error.retryDelay);
  const details: StatusDetail[] = [...error.details];
  const shown = represented(details);
  const added: StatusDetail[] = [];

  let reason = shown?.reason;
  if (reason === undefined) {
    reason = error.reason || (rule.needsReason?.(error) ? rule.reasons[0] : undefined);
    if (reason !== undefined) {
      added.push({
        type: "ErrorInfo",
        reason,
        domain: error.domain ?? ERROR_DOMAIN,
        metadata: metadataWithFilepath(error),
      });
    }
  }
  if (shown?.retryDelay === undefined && error.retryDelay !== undefined) {
    added.push({ type: "RetryInfo", retryDelay: error.retryDelay });
  }
  if (shown?.requestId === undefined && error.requestId !== undefined) {
    added.push({ type: "RequestInfo", requestId: error.requestId, servingData: "" });
  }
  let violations = shown?.fieldViolations.length ?? 0;
  if (rule.validation && violations === 0) {
    const own = ((error as Partial<ValidationError>).fieldViolations ?? []).filter(
      (v: FieldViolation) => v.field !== "" || v.description !== "",
    );
    // Without a violation INVALID_ARGUMENT gives the scope's base class: send the message as one.
    const sent = own.length > 0 ? own : [{ field: "", description: error.message || "invalid request" }];
    added.push({
      type: "BadRequest",
      fieldViolations: sent.map((v) => ({ field: v.field, description: v.description, reason: "" })),
    });
    violations = sent.length;
  }

  const code = chooseCode(rule, error, reason, violations);
  const blob = encodeStatus({ code, message: wellFormed(error.message), details: [...details, ...added] });
  return statusObject(code, transportDetails(error, code), blob);
}

function statusObject(code: GrpcCode, details: string, blob: Uint8Array): StatusObject {
  const metadata = new Metadata();
  if (blob.length > 0)
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(blob.buffer, blob.byteOffset, blob.length));
  return { code: code as number, details, metadata };
}

/**
 * What a grpc-js server handler passes to its callback to fail a call with `source`:
 * `{ code, details, metadata }`, the `grpc-status-details-bin` trailer in `metadata`.
 *
 * ```ts
 * server.addService(service, { getSandbox: (call, callback) => callback(toServiceError(error)) });
 * ```
 *
 * Given a status (`{ code, message?, details? }`, as for {@link encodeStatus}), it sends exactly that:
 * `details` (the transport message) is the status message.
 *
 * Given an error of this package (from any copy of it), it sends what makes the client's
 * `fromGrpcStatus(serviceError, context)` give back the same class and the same `reason`, `domain`,
 * `metadata`, `retryDelay`, `requestId`, `fieldViolations`, `details`, and the class's own fields
 * that come from the context or the metadata — for every error `fromGrpcStatus` can produce, mapped
 * again with the context that produced it. The error's `details` are sent as they are (they are the
 * source of truth); an ErrorInfo, RetryInfo, RequestInfo or BadRequest is added only for a field
 * they do not already carry. The error's `grpcCode` is sent when it still leads to its class (OK
 * never is), else the code of the table below. The transport message is the error's message (the
 * mapped message is rebuilt by the client's templates, so it need not come back the same), except
 * for the RESOURCE_EXHAUSTED classes, whose class the transport message decides; the status
 * message in the blob is always the error's message.
 *
 * | class | code sent (without its own `grpcCode`) | reason sent | context of the round trip |
 * | --- | --- | --- | --- |
 * | `SandboxFileError` | by reason (`FILE_NOT_FOUND` → NOT_FOUND, …) | its own, else `CWSANDBOX_FILE_IO_FAILED`; `filepath` also as `metadata.filepath` | scope `sandbox` |
 * | `SandboxNotFoundError` | NOT_FOUND | its own, if any | scope `sandbox`, no `fileSystemSnapshotId`; `sandboxId` |
 * | `SandboxNotRunningError` | CANCELLED | its own, if any | scope `sandbox`; `sandboxId` |
 * | `SandboxUnavailableError` | UNAVAILABLE | its own, if any | scope `sandbox` |
 * | `SnapshotBackendThrottledError` | RESOURCE_EXHAUSTED | its own, else `CWSANDBOX_FSS_BACKEND_THROTTLED` | scope `sandbox` |
 * | `SandboxRequestTimeoutError` | DEADLINE_EXCEEDED | — | scope `sandbox` |
 * | `SandboxCommandTimeoutError` | DEADLINE_EXCEEDED | `CWSANDBOX_COMMAND_TIMEOUT` | scope `sandbox` |
 * | `SnapshotWaitTimeoutError` | DEADLINE_EXCEEDED | `CWSANDBOX_FSS_WAIT_TIMEOUT` | scope `sandbox`; `fileSystemSnapshotId` |
 * | `SandboxResourceExhaustedError` | RESOURCE_EXHAUSTED (message never says "larger than max") | — | scope `sandbox` |
 * | `RequestSizeError` | RESOURCE_EXHAUSTED, message `Received message larger than max (N vs. M)` (as quoted in its message, else grpc-js's at 4 MiB) | — | scope `sandbox` |
 * | `SnapshotNotFoundError` | NOT_FOUND | its own; `CWSANDBOX_FSS_NOT_FOUND` when it has no `fileSystemSnapshotId` | scope `sandbox`; its `fileSystemSnapshotId` |
 * | `SnapshotNotReadyError`, `…NotSupported…`, `…SizeExceeded…`, `…QuotaExceeded…`, `…BucketMismatch…` | by reason | its `CWSANDBOX_FSS_*` reason | scope `sandbox`; `fileSystemSnapshotId` |
 * | `SandboxSnapshotError` | by reason | its own, else `CWSANDBOX_FSS_CREATE_FAILED` | scope `sandbox`; `fileSystemSnapshotId` |
 * | `SandboxValidationError` / `DiscoveryValidationError` / `ValidationError` | INVALID_ARGUMENT, with a BadRequest of its `fieldViolations` (its message as the one violation when it has none) | — | scope `sandbox` / `discovery` / `general` |
 * | `AuthenticationError`, `PermissionDeniedError` | UNAUTHENTICATED, PERMISSION_DENIED | — | any scope |
 * | `RunnerNotFoundError` | NOT_FOUND | its own, if any | scope `discovery`; `runnerId` |
 * | `ProfileNotFoundError` | NOT_FOUND | `CWSANDBOX_PROFILE_NOT_FOUND` | scope `discovery`; `profileName`, `runnerId` |
 * | `SandboxError`, `DiscoveryError`, `SandboxSdkError` | UNKNOWN | its own, if any | scope `sandbox`, `discovery`, `general` |
 *
 * A reason is trusted only when its domain is (an added ErrorInfo uses the error's `domain`, else
 * `ERROR_DOMAIN`): map with `trustedDomains` listing a foreign domain the error came from. Classes
 * no mapping produces travel as their nearest ancestor in the table (`SandboxTimeoutError` as
 * DEADLINE_EXCEEDED, arriving as `SandboxRequestTimeoutError`; `SandboxTerminatedError` as a
 * `SandboxError`). Fields the wire cannot carry do not come back: `metadata` of an error without a
 * reason, `grpcCode` OK or unset, a hand-made error whose fields contradict its class.
 *
 * @throws TypeError - when `source` is neither an error of this package nor a status, or for a
 *   status or detail that {@link encodeStatus} refuses.
 * @throws RangeError - for an error whose `retryDelay` no Duration can carry, or a status
 *   {@link encodeStatus} refuses.
 */
export function toServiceError(source: SandboxSdkError | StatusInit): StatusObject {
  if (isSandboxSdkError(source)) return errorToStatus(source);
  if (typeof source !== "object" || source === null) {
    throw new TypeError(
      `toServiceError: expected an error of sandbox-sdk-errors or a status { code, message?, details? }, got ${show(source)}`,
    );
  }
  const blob = encodeStatus(source);
  return statusObject(source.code as GrpcCode, source.message ?? "", blob);
}
