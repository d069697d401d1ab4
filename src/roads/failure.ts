/**
 * The seam every transport failure comes in through. Whatever a road threw — a grpc-js
 * `ServiceError`, a protobuf-ts or grpc-web `RpcError`, a connect-es `ConnectError`, a nice-grpc
 * `ClientError`, an abort, a parsed JSON error body — one small reader turns it into a
 * {@link Failure}: the status code, the road's own message, the decoded status details and where its
 * headers and trailers are. `fromGrpcStatus`, `isNotFound` and the CLI read failures only through
 * here, so adding a road is one reader (and its tests), nothing else.
 */

import { hasBrand } from "../core/brands.js";
import { isUint8Array } from "../wire/bytes.js";
import { GRPC_CODE_NAMES, GrpcCode, toGrpcCode } from "../wire/codes.js";
import { readDetailObject } from "../wire/detail-objects.js";
import { isKnownDetailType, type StatusDetail } from "../wire/details.js";
import {
  type DecodeOptions,
  entriesToRead,
  type ParsedStatus,
  parseTrailer,
  STATUS_DETAILS_KEY,
  statusFromDetails,
} from "../wire/status-details.js";
import { decodeDetailBytes, readStatusJson } from "../wire/status-json.js";
import { type Failure, read } from "./failure-shape.js";
import { bodyFailure, httpHead } from "./http.js";
import { retryHintOf } from "./retry-hints.js";

export { type Failure, read } from "./failure-shape.js";

/** A reader for one road: a {@link Failure}, or `undefined` when `error` is not of that road. */
type Reader = (error: object, options: DecodeOptions) => Failure | undefined;

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function hasGet(value: unknown): boolean {
  return typeof read(value, "get") === "function";
}

const NO_HEADERS: readonly unknown[] = [];

/** How far `cause` chains are followed, looking for an abort or a network failure underneath. */
const MAX_CAUSE_DEPTH = 4;

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
  const entries = entriesToRead(details.length);
  for (let i = 0; i < entries; i++) {
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
  const entries = entriesToRead(extra.length);
  for (let i = 0; i < entries; i++) {
    const entry = read(extra, String(i));
    const $type = read(entry, "$type");
    if (typeof $type !== "string") continue;
    if ($type === "google.protobuf.Any") {
      // A detail the server sent as a type nice-grpc-error-details does not know: the Any it wraps.
      const wrapped = anyDetail(entry);
      if (wrapped !== undefined) decoded.push(wrapped);
      continue;
    }
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
  // grpc-js's own word for a call the client cancelled: the caller's abort (the abort reader's).
  if (code === GrpcCode.CANCELLED && details === "Cancelled on client") return undefined;
  const metadata = thrown.metadata;
  const message = thrown.message;
  if (code === GrpcCode.UNAVAILABLE && isGrpcJsOwnUnavailable(details, metadata)) {
    return networkFailureOf(error);
  }
  return {
    code: toGrpcCode(code),
    rawMessage: details,
    fallbackMessage: typeof message === "string" ? message : undefined,
    status: trailerStatus(metadata, options),
    headers: metadata === undefined ? NO_HEADERS : [metadata],
  };
};

/** How grpc-js words an UNAVAILABLE of its own: the server was never reached, or the connection lost. */
const GRPC_JS_UNREACHABLE = [
  "No connection established",
  "Name resolution failed for target ",
  "Connection dropped",
  "Subchannel not ready",
  "Channel closed before call started",
  "read E",
  "write E",
  "connect E",
];

/**
 * Whether a grpc-js UNAVAILABLE was raised by grpc-js itself (SPEC §13's network failure, §2: no
 * `rawMessage`): grpc-js's own words, and an empty `Metadata` (a status from the server always
 * brings some trailers back), or none at all (nice-grpc's `ClientError`). A server's UNAVAILABLE
 * keeps its message, whatever it says.
 */
function isGrpcJsOwnUnavailable(details: string, metadata: unknown): boolean {
  if (!GRPC_JS_UNREACHABLE.some((start) => details.startsWith(start))) return false;
  // A nice-grpc ClientError carries no trailers at all (its middleware adds them): the words decide.
  if (metadata === undefined) return true;
  try {
    const getMap = (metadata as { getMap?: unknown } | undefined)?.getMap;
    if (typeof getMap !== "function") return false;
    const map: unknown = getMap.call(metadata);
    return typeof map === "object" && map !== null && Object.keys(map).length === 0;
  } catch {
    return false;
  }
}

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

/** Whether `error` itself is an abort or timeout of the caller's (not of the service). */
function isAbortItself(error: unknown): boolean {
  // An error of this package (Modal's `TimeoutError` shares the name) was mapped already.
  if (hasBrand(error, "SandboxSdkError")) return false;
  const name = read(error, "name");
  if (name === "AbortError" || name === "TimeoutError") {
    // A gRPC error that happens to bear the name (a numeric code and string details) is the service's.
    return !(typeof read(error, "code") === "number" && typeof read(error, "details") === "string");
  }
  // axios' CanceledError; grpc-js's own cancellation of a call the client cancelled.
  if (name === "CanceledError" || read(error, "code") === "ERR_CANCELED") return true;
  if (name === "ConnectError") return connectAbortWording(error) !== undefined;
  return read(error, "code") === GrpcCode.CANCELLED && read(error, "details") === "Cancelled on client";
}

/**
 * The abort and timeout `DOMException`s' own messages, in each engine's words, and connect-es's
 * stand-in for a signal without a reason: `true` for a timeout.
 */
const ABORT_WORDINGS: ReadonlyMap<string, boolean> = new Map([
  ["This operation was aborted", false], // Node, connect-es
  ["The operation was aborted.", false], // WebKit, Gecko
  ["signal is aborted without reason", false], // Chromium
  ["The user aborted a request.", false], // older Chromium
  ["Fetch is aborted", false], // older WebKit
  ["The operation was aborted due to timeout", true], // Node, Gecko
  ["signal timed out", true], // Chromium
  ["The operation timed out.", true], // WebKit
]);

/**
 * Whether a connect-es `ConnectError` is its stand-in for the caller's abort: `ConnectError.from` of
 * an `AbortError` or `TimeoutError` keeps no cause, only the abort's message under CANCELED (SPEC §13
 * names the gap). It is told from a server's CANCELLED by what a response always brings and this
 * never has: no headers or trailers, no details, no cause, and the message is an engine's own
 * wording for an abort. `true` for a timeout, `false` for an abort, `undefined` for neither.
 */
function connectAbortWording(error: unknown): boolean | undefined {
  if (read(error, "code") !== GrpcCode.CANCELLED || read(error, "cause") !== undefined) return undefined;
  const rawMessage = read(error, "rawMessage");
  const details = read(error, "details");
  if (typeof rawMessage !== "string" || !Array.isArray(details) || details.length > 0) return undefined;
  const timedOut = ABORT_WORDINGS.get(rawMessage.trim());
  if (timedOut === undefined || !hasNoEntries(read(error, "metadata"))) return undefined;
  return timedOut;
}

/** Whether a `Headers` holds nothing; `false` for anything else, or when asking throws. */
function hasNoEntries(headers: unknown): boolean {
  try {
    const keys = (headers as { keys?: unknown } | undefined)?.keys;
    if (typeof keys !== "function") return false;
    const iterator = keys.call(headers) as Iterator<unknown>;
    return iterator.next().done === true;
  } catch {
    return false;
  }
}

/** Whether an abort (as {@link abortOf} found it) is a timeout rather than an abort. */
function isTimeout(abort: unknown): boolean {
  const name = read(abort, "name");
  return name === "TimeoutError" || (name === "ConnectError" && connectAbortWording(abort) === true);
}

/**
 * The abort to re-throw for `error` when it is the caller's own abort or timeout (SPEC §13): the
 * `AbortError`/`TimeoutError` found in its `cause` chain (the `signal.reason` the caller gave, where
 * the transport kept it), else `error` itself; `undefined` when `error` is no abort.
 */
export function abortOf(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (isAbortItself(current)) {
      // The innermost abort is the caller's own reason; an outer one (a ConnectError) is the road's.
      const inner = abortOf(read(current, "cause"));
      return inner ?? current;
    }
    current = read(current, "cause");
    if (current === undefined || current === null) return undefined;
  }
  return undefined;
}

/**
 * An abort: a `DOMException` or `Error` named `AbortError` (CANCELLED) or `TimeoutError`
 * (DEADLINE_EXCEEDED), as `fetch`, `AbortSignal.timeout` and Node's own APIs throw them; nice-grpc's
 * `AbortError`; axios' `CanceledError`; grpc-js CANCELLED "Cancelled on client"; any road's error
 * whose `cause` is one. Nothing came from the server: the code only tells aborted from timed out.
 */
const abortError: Reader = (error) => {
  const abort = abortOf(error);
  if (abort === undefined) return undefined;
  const timedOut = isTimeout(abort);
  return {
    kind: "abort",
    code: timedOut ? GrpcCode.DEADLINE_EXCEEDED : GrpcCode.CANCELLED,
    rawMessage: undefined,
    fallbackMessage: stringOrUndefined(read(error, "message")),
    status: undefined,
    headers: NO_HEADERS,
  };
};

/** What `fetch` says when it cannot reach the server, in each engine's words. */
const FETCH_FAILURES = new Set([
  "Failed to fetch", // Chromium
  "fetch failed", // Node (undici)
  "Load failed", // Safari
  "NetworkError when attempting to fetch resource.", // Firefox
]);

/** Node's system errors that mean the server could not be reached (or the connection was lost). */
const SYSTEM_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** Whether `error` is one of Node's system errors for a server not reached, or undici's. */
function isSystemError(error: unknown): boolean {
  const code = read(error, "code");
  if (typeof code !== "string") return false;
  // undici's own errors (socket closed, connect timeout, ...), but not an aborted request.
  return SYSTEM_ERRORS.has(code) || (code.startsWith("UND_ERR_") && code !== "UND_ERR_ABORTED");
}

/** Whether `error` itself says the server could not be reached. */
function isNetworkFailureItself(error: unknown): boolean {
  if (isSystemError(error)) return true;
  return read(error, "name") === "TypeError" && FETCH_FAILURES.has(read(error, "message") as string);
}

/**
 * A failure to reach the server at all (SPEC §13): `fetch`'s `TypeError`, a Node system error
 * (`ECONNREFUSED`, ...), undici's `UND_ERR_*`, itself or as a `cause` — a connect-es `ConnectError` of
 * code UNKNOWN or UNAVAILABLE wrapping one included. Read as UNAVAILABLE, as grpc-js and connect-node
 * already report a refused connection; nothing came from the server.
 */
const networkFailure: Reader = (error) => {
  // Under another code, only a Node system error counts: connect-node files a reset under ABORTED
  // (with the system error its cause), and a status from the server never has one as its cause.
  const code = read(error, "code");
  const systemOnly = typeof code === "number" && code !== GrpcCode.UNKNOWN && code !== GrpcCode.UNAVAILABLE;
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (systemOnly ? depth > 0 && isSystemError(current) : isNetworkFailureItself(current)) {
      return networkFailureOf(error);
    }
    current = read(current, "cause");
    if (current === undefined || current === null) return undefined;
  }
  return undefined;
};

/** The failure of a call that never reached the server, or lost it: nothing came from the server. */
function networkFailureOf(error: object): Failure {
  return {
    kind: "network",
    code: GrpcCode.UNAVAILABLE,
    rawMessage: undefined,
    fallbackMessage: stringOrUndefined(read(error, "message")),
    status: undefined,
    headers: NO_HEADERS,
  };
}

/**
 * One `google.protobuf.Any` of a message object, decoded: its type URL and bytes, however spelled.
 * `undefined` for an entry that is not one, or whose getters throw: it never hides the others.
 */
function anyDetail(entry: unknown): StatusDetail | undefined {
  const getTypeUrl = read(entry, "getTypeUrl");
  const getValue = read(entry, "getValue_asU8");
  let typeUrl: unknown;
  let value: unknown;
  if (typeof getTypeUrl === "function" && typeof getValue === "function") {
    try {
      typeUrl = (getTypeUrl as () => unknown).call(entry);
      value = (getValue as () => unknown).call(entry);
    } catch {
      // An Any that cannot be read is passed over: it must not hide the status and its other details.
      return undefined;
    }
  } else {
    typeUrl = read(entry, "typeUrl") ?? read(entry, "type_url");
    value = read(entry, "value");
  }
  if (typeof typeUrl !== "string" || !isUint8Array(value)) return undefined;
  return decodeDetailBytes(typeUrl, value);
}

/**
 * A `google.rpc.Status` held as a message object — an LRO's `Operation.error`, a batch item's status
 * — as google-protobuf generates it (`getCode()`, `getMessage()`, `getDetailsList()` of `Any`s),
 * protobuf-es, protobuf-ts or protobufjs (`{ code, message, details: [{ typeUrl, value }] }`).
 */
const messageObject: Reader = (error) => {
  let code: unknown;
  let message: unknown;
  let details: unknown;
  const getCode = read(error, "getCode");
  if (typeof getCode === "function") {
    const getMessage = read(error, "getMessage");
    const getDetailsList = read(error, "getDetailsList");
    if (typeof getMessage !== "function" || typeof getDetailsList !== "function") return undefined;
    code = (getCode as () => unknown).call(error);
    message = (getMessage as () => unknown).call(error);
    try {
      details = (getDetailsList as () => unknown).call(error);
    } catch {
      // Details that cannot be read lose the details, never the code and message.
      details = undefined;
    }
  } else {
    code = read(error, "code");
    message = read(error, "message");
    details = read(error, "details");
    // Its details are `Any`s with bytes: a JSON body's have "@type" (the JSON reader's business).
    if (!Array.isArray(details) || details.length === 0) return undefined;
    if (anyDetail(read(details, "0")) === undefined) return undefined;
  }
  const grpcCode = toGrpcCode(code);
  if (grpcCode === undefined || typeof message !== "string") return undefined;
  const decoded: StatusDetail[] = [];
  // Read through `read`: a list whose reads throw (a hostile proxy) is no list.
  const length = Array.isArray(details) ? entriesToRead(read(details, "length")) : 0;
  if (length > 0) {
    for (let i = 0; i < length; i++) {
      const detail = anyDetail(read(details, String(i)));
      if (detail !== undefined) decoded.push(detail);
    }
  }
  return {
    code: grpcCode,
    rawMessage: message,
    fallbackMessage: message,
    status: decoded.length > 0 ? statusFromDetails(grpcCode, message, decoded) : undefined,
    headers: NO_HEADERS,
  };
};

/**
 * A parsed JSON error body (AIP-193, a proto3-JSON `Status`, a Connect error or end-stream message):
 * a plain object, as `JSON.parse` makes it, of one of `parseStatusJson`'s shapes. Its `message` is
 * the road's own; a Connect end-stream message's `metadata` may carry retry hints.
 */
const jsonBody: Reader = (error) => {
  // A plain object or array, as `JSON.parse` makes it (Google's REST streaming sends `[body]`).
  const prototype = Object.getPrototypeOf(error);
  if (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) return undefined;
  const body = readStatusJson(error);
  if (body === undefined) return undefined;
  return {
    code: toGrpcCode(body.status.code),
    rawMessage: body.message,
    fallbackMessage: undefined,
    status: body.status,
    headers: body.metadata === undefined ? NO_HEADERS : [body.metadata],
    // A REST body names the HTTP status it was sent with.
    httpStatus: body.httpStatus,
    body: body.rest,
  };
};

/**
 * An axios `AxiosError` (`isAxiosError === true`): with a `response`, read as `fromResponse` reads the
 * same status, headers and body (`response.data`, as axios parsed it); without one, a network
 * failure — or, for `ECONNABORTED`/`ETIMEDOUT` whose message starts `timeout of`, the SDK's own
 * request timeout. (A `CanceledError` was read as the caller's abort.)
 */
const axiosError: Reader = (error) => {
  if (read(error, "isAxiosError") !== true) return undefined;
  const response = read(error, "response");
  const message = stringOrUndefined(read(error, "message"));
  if (typeof response !== "object" || response === null) {
    const code = read(error, "code");
    const timedOut =
      (code === "ECONNABORTED" || code === "ETIMEDOUT") &&
      message !== undefined &&
      message.startsWith("timeout of");
    return {
      kind: timedOut ? "timeout" : "network",
      code: timedOut ? GrpcCode.DEADLINE_EXCEEDED : GrpcCode.UNAVAILABLE,
      rawMessage: undefined,
      fallbackMessage: message,
      status: undefined,
      headers: NO_HEADERS,
    };
  }
  const status = read(response, "status");
  if (typeof status !== "number" || !Number.isInteger(status)) return undefined;
  // A success whose body never arrived whole: the connection was lost after the head.
  if (status >= 200 && status < 300 && (message === "stream has been aborted" || isSystemError(error))) {
    return networkFailureOf(error);
  }
  return bodyFailure(
    httpHead(status, read(response, "statusText"), read(response, "headers")),
    read(response, "data"),
  );
};

/**
 * openapi-fetch's `{ error, response }` result: the body already parsed into `error` (`undefined` for
 * an empty body), the `Response` beside it. Read as `fromResponse` reads the same response.
 */
const openapiFetchResult: Reader = (result) => {
  if (!Object.hasOwn(result, "error") || !Object.hasOwn(result, "response")) return undefined;
  const response = read(result, "response");
  const status = read(response, "status");
  if (typeof status !== "number" || !Number.isInteger(status) || typeof read(response, "ok") !== "boolean") {
    return undefined;
  }
  return bodyFailure(
    httpHead(status, read(response, "statusText"), read(response, "headers")),
    read(result, "error"),
  );
};

/** Anything else: a code in any spelling, `details` or `message`, trailers wherever they are. */
const anyError = (error: object, options: DecodeOptions): Failure => {
  const metadata = read(error, "metadata");
  const meta = read(error, "meta");
  const container = hasGet(metadata) || meta === undefined ? metadata : meta;
  const code = toGrpcCode(read(error, "code"));
  const message = stringOrUndefined(read(error, "message"));
  return {
    code,
    // A status-like error without `details`: its message is the status's.
    rawMessage: stringOrUndefined(read(error, "details")) ?? (code === undefined ? undefined : message),
    fallbackMessage: message,
    status: trailerStatus(container, options),
    headers: container === undefined ? NO_HEADERS : [container],
  };
};

const READERS: readonly Reader[] = [
  // First, the hot road: a grpc-js error (never an abort but the one it leaves to the next reader,
  // never a network failure: grpc-js reports those as UNAVAILABLE statuses of its own).
  grpcJsError,
  abortError,
  // Before the network reader: axios reports its own timeout with a system error's code.
  axiosError,
  networkFailure,
  openapiFetchResult,
  connectError,
  richClientError,
  rpcError,
  messageObject,
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

/**
 * The failure in words, for templates (SPEC §5's `{details}`): the server's own message when it is
 * not empty; else the code's canonical name, so an empty server message reads the same on every
 * road; without a code — or for a failure raised on the client (an abort, a network failure, a
 * request timeout) — the thrown value's message.
 */
export function messageOf(failure: Failure): string {
  const { rawMessage, fallbackMessage, code } = failure;
  const sent = failure.kind === undefined ? rawMessage : undefined;
  if (sent !== undefined && sent !== "") return sent;
  // An empty message the server sent reads as the code's name; no message at all (a proxy's page,
  // a body without one, a client-side failure) as what the road says of it (`HTTP 502 Bad Gateway`).
  const empty = sent === "" && code !== undefined;
  if (!empty && fallbackMessage !== undefined && fallbackMessage !== "") return fallbackMessage;
  return code === undefined ? "unknown error" : (GRPC_CODE_NAMES[code] as string);
}

/** The retry delay: RetryInfo's when valid, else a hint header's. */
export function retryDelayOf(failure: Failure): number | undefined {
  const delay = failure.status?.retryDelay;
  if (delay !== undefined || failure.headers.length === 0) return delay;
  return retryHintOf(failure.headers);
}
