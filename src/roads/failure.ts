/**
 * The seam every transport failure comes in through. Whatever a road threw — a grpc-js
 * `ServiceError`, a protobuf-ts or grpc-web `RpcError`, a connect-es `ConnectError`, a nice-grpc
 * `ClientError`, an abort, a parsed JSON error body — one small reader turns it into a
 * {@link Failure}: the status code, the road's own message, the decoded status details and where its
 * headers and trailers are. `fromGrpcStatus`, `isNotFound` and the CLI read failures only through
 * here, so adding a road is one reader (and its tests), nothing else.
 */

import { isUint8Array } from "../wire/bytes.js";
import { GRPC_CODE_NAMES, GrpcCode, toGrpcCode } from "../wire/codes.js";
import { readDetailObject } from "../wire/detail-objects.js";
import { isKnownDetailType, type StatusDetail } from "../wire/details.js";
import {
  type DecodeOptions,
  type ParsedStatus,
  parseTrailer,
  STATUS_DETAILS_KEY,
  statusFromDetails,
} from "../wire/status-details.js";
import { decodeDetailBytes, readStatusJson } from "../wire/status-json.js";
import { retryHintOf } from "./retry-hints.js";

/** One failure, as every road's reader normalises it. */
export interface Failure {
  /** The gRPC status code, however the road spelled it; `undefined` when it carried none. */
  readonly code: GrpcCode | undefined;
  /**
   * The road's own message exactly as sent — grpc-js's `details`, a `ConnectError`'s `rawMessage`,
   * an `RpcError`'s `message`, a JSON body's `message` — or `undefined` when the road has none.
   */
  readonly rawMessage: string | undefined;
  /** What else describes the failure when the road sent no message: the thrown value's `message`. */
  readonly fallbackMessage: string | undefined;
  /** The status details the road carried, decoded; `undefined` when it carried none that decode. */
  readonly status: ParsedStatus | undefined;
  /** Where the road keeps headers and trailers (for retry hints), in the order they are believed. */
  readonly headers: readonly unknown[];
  /**
   * What kind of failure this is when it did not come from the server: the caller's own abort or
   * timeout (`"abort"`), the SDK's own request timeout (`"timeout"`, axios' `timeout of N ms
   * exceeded`), or a failure to reach the server at all (`"network"`). `undefined` otherwise.
   */
  readonly kind?: "abort" | "timeout" | "network" | undefined;
  /** The HTTP status of the response that carried the failure, where the road had one. */
  readonly httpStatus?: number | undefined;
  /**
   * A REST error body as the server sent it, parsed (E2B's `{ code, message }`, NestJS's
   * `{ statusCode, error, message }`): a catalogue's `reasonFields` are read from it. `undefined`
   * for the gRPC statuses' own JSON forms (AIP-193, proto3 `Status`, Connect).
   */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
}

/** A reader for one road: a {@link Failure}, or `undefined` when `error` is not of that road. */
type Reader = (error: object, options: DecodeOptions) => Failure | undefined;

/** Reads one property of whatever was thrown; a throwing getter or proxy trap reads as absent. */
export function read(value: unknown, key: string): unknown {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function hasGet(value: unknown): boolean {
  return typeof read(value, "get") === "function";
}

const NO_HEADERS: readonly unknown[] = [];

/** The status in a trailer container: `Metadata`/`Headers` (`get`), or a record keyed by the name. */
function trailerStatus(container: unknown, options: DecodeOptions): ParsedStatus | undefined {
  if (container === undefined || container === null) return undefined;
  if (hasGet(container)) return parseTrailer(container, options);
  const value = read(container, STATUS_DETAILS_KEY);
  return value === undefined ? undefined : parseTrailer(value, options);
}

/**
 * connect-es `ConnectError`, over any of its protocols: the code is a gRPC number, `rawMessage` is
 * the server's message (`message` adds a `[not_found]` prefix), and `details` holds `{ type, value }`
 * entries, each a `google.rpc` message's bytes. Without such entries, the trailer in `metadata`.
 */
const connectError: Reader = (error, options) => {
  const rawMessage = read(error, "rawMessage");
  const details = read(error, "details");
  if (typeof rawMessage !== "string" || !Array.isArray(details)) return undefined;
  const code = toGrpcCode(read(error, "code"));
  const metadata = read(error, "metadata");
  const decoded: StatusDetail[] = [];
  for (let i = 0; i < details.length; i++) {
    const detail = connectDetail(read(details, String(i)));
    if (detail !== undefined) decoded.push(detail);
  }
  const status =
    decoded.length > 0
      ? statusFromDetails(code ?? GrpcCode.UNKNOWN, rawMessage, decoded)
      : trailerStatus(metadata, options);
  return {
    code,
    rawMessage,
    fallbackMessage: stringOrUndefined(read(error, "message")),
    status,
    headers: [metadata],
  };
};

/** One incoming Connect detail, `{ type: "google.rpc.ErrorInfo", value: Uint8Array }`, decoded. */
function connectDetail(entry: unknown): StatusDetail | undefined {
  const type = read(entry, "type");
  const value = read(entry, "value");
  if (typeof type !== "string" || !isUint8Array(value)) return undefined;
  return decodeDetailBytes(`type.googleapis.com/${type}`, value);
}

/**
 * nice-grpc-error-details `RichClientError`: `extra` holds the details already decoded, each with
 * its `$type` (`google.rpc.RetryInfo`); they are read through the detail schemas.
 */
const richClientError: Reader = (error) => {
  const extra = read(error, "extra");
  const details = read(error, "details");
  if (!Array.isArray(extra) || typeof details !== "string") return undefined;
  const code = toGrpcCode(read(error, "code"));
  if (code === undefined) return undefined;
  const decoded: StatusDetail[] = [];
  for (let i = 0; i < extra.length; i++) {
    const entry = read(extra, String(i));
    const $type = read(entry, "$type");
    if (typeof $type !== "string") continue;
    const name = $type.startsWith("google.rpc.") ? $type.slice("google.rpc.".length) : "";
    decoded.push(
      readDetailObject(
        isKnownDetailType(name) ? name : undefined,
        `type.googleapis.com/${$type}`,
        entry,
        "message",
      ),
    );
  }
  return {
    code,
    rawMessage: details,
    fallbackMessage: stringOrUndefined(read(error, "message")),
    status: decoded.length > 0 ? statusFromDetails(code, details, decoded) : undefined,
    headers: NO_HEADERS,
  };
};

/**
 * A grpc-js `ServiceError` or `StatusObject` (and anything shaped like one, such as a nice-grpc
 * `ClientError`, whose trailers the middleware adds as `metadata`): a numeric code, the server's
 * message in `details`, the trailers in `metadata`.
 */
const grpcJsError: Reader = (error, options) => {
  // Plain reads on the hot road: a getter that throws fails this reader, and `readFailure` goes on
  // to the next (the last reads each property on its own).
  const thrown = error as Readonly<Record<string, unknown>>;
  const code = thrown.code;
  const details = thrown.details;
  if (typeof code !== "number" || typeof details !== "string") return undefined;
  // Shaped alike, but read by its own reader: a RichClientError's details are in `extra`.
  if (thrown.extra !== undefined) return undefined;
  const metadata = thrown.metadata;
  const message = thrown.message;
  return {
    code: toGrpcCode(code),
    rawMessage: details,
    fallbackMessage: typeof message === "string" ? message : undefined,
    status: trailerStatus(metadata, options),
    headers: metadata === undefined ? NO_HEADERS : [metadata],
  };
};

/**
 * An `RpcError`: protobuf-ts's (the code as a name such as `"NOT_FOUND"`, base64 trailers in the
 * `meta` record) and grpc-web's (a numeric code, the trailers in a `metadata` record). The server's
 * message is `message`.
 */
const rpcError: Reader = (error, options) => {
  const meta = read(error, "meta");
  const metadata = meta === undefined ? read(error, "metadata") : meta;
  const message = read(error, "message");
  if (metadata === undefined || metadata === null || typeof message !== "string") return undefined;
  const code = toGrpcCode(read(error, "code"));
  if (code === undefined) return undefined;
  return {
    code,
    rawMessage: message,
    fallbackMessage: message,
    status: trailerStatus(metadata, options),
    headers: [metadata],
  };
};

/**
 * An abort: a `DOMException` or Node `AbortError` (`CANCELLED`) or `TimeoutError`
 * (`DEADLINE_EXCEEDED`), as `fetch`, `AbortSignal.timeout` and Node's own APIs throw them. Its
 * `code`, for a `DOMException`, is a legacy DOM number, not a gRPC code. (A gRPC error that happens
 * to bear the name, with a numeric code and string `details`, was read by the grpc-js reader.)
 */
const abortError: Reader = (error) => {
  const name = read(error, "name");
  const code =
    name === "AbortError"
      ? GrpcCode.CANCELLED
      : name === "TimeoutError"
        ? GrpcCode.DEADLINE_EXCEEDED
        : undefined;
  if (code === undefined) return undefined;
  const message = stringOrUndefined(read(error, "message"));
  return { code, rawMessage: message, fallbackMessage: message, status: undefined, headers: NO_HEADERS };
};

/**
 * A parsed JSON error body (AIP-193, a proto3-JSON `Status`, a Connect error or end-stream message):
 * a plain object, as `JSON.parse` makes it, of one of `parseStatusJson`'s shapes. Its `message` is
 * the road's own; a Connect end-stream message's `metadata` may carry retry hints.
 */
const jsonBody: Reader = (error) => {
  const prototype = Object.getPrototypeOf(error);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const body = readStatusJson(error);
  if (body === undefined) return undefined;
  return {
    code: toGrpcCode(body.status.code),
    rawMessage: body.message,
    fallbackMessage: body.message,
    status: body.status,
    headers: body.metadata === undefined ? NO_HEADERS : [body.metadata],
  };
};

/** Anything else: a code in any spelling, `details` or `message`, trailers wherever they are. */
const anyError = (error: object, options: DecodeOptions): Failure => {
  const metadata = read(error, "metadata");
  const meta = read(error, "meta");
  const container = hasGet(metadata) || meta === undefined ? metadata : meta;
  return {
    code: toGrpcCode(read(error, "code")),
    rawMessage: stringOrUndefined(read(error, "details")),
    fallbackMessage: stringOrUndefined(read(error, "message")),
    status: trailerStatus(container, options),
    headers: container === undefined ? NO_HEADERS : [container],
  };
};

const READERS: readonly Reader[] = [
  abortError,
  connectError,
  richClientError,
  grpcJsError,
  rpcError,
  jsonBody,
];

/**
 * Reads whatever a transport threw into a {@link Failure}. Never throws: a reader that trips over a
 * hostile value is passed over, and a string or other primitive is a failure with that message.
 */
export function readFailure(error: unknown, options: DecodeOptions): Failure {
  if ((typeof error !== "object" && typeof error !== "function") || error === null) {
    const message = typeof error === "string" ? error : undefined;
    return {
      code: undefined,
      rawMessage: undefined,
      fallbackMessage: message,
      status: undefined,
      headers: NO_HEADERS,
    };
  }
  for (const reader of READERS) {
    try {
      const failure = reader(error, options);
      if (failure !== undefined) return failure;
    } catch {
      // A hostile value tripped this reader: try the next.
    }
  }
  try {
    return anyError(error, options);
  } catch {
    return {
      code: undefined,
      rawMessage: undefined,
      fallbackMessage: undefined,
      status: undefined,
      headers: NO_HEADERS,
    };
  }
}

/** The failure's message for templates: the road's own, else the thrown value's, else the code's name. */
export function messageOf(failure: Failure): string {
  if (failure.rawMessage !== undefined && failure.rawMessage !== "") return failure.rawMessage;
  if (failure.fallbackMessage !== undefined && failure.fallbackMessage !== "") return failure.fallbackMessage;
  return failure.code === undefined ? "unknown error" : (GRPC_CODE_NAMES[failure.code] as string);
}

/** The retry delay: RetryInfo's when valid, else a hint header's. */
export function retryDelayOf(failure: Failure): number | undefined {
  const delay = failure.status?.retryDelay;
  if (delay !== undefined || failure.headers.length === 0) return delay;
  return retryHintOf(failure.headers);
}
