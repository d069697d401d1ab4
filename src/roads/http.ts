/**
 * A failed HTTP response read into a {@link Failure}, once for every client that hands one over: a
 * `fetch` `Response` (after `fromResponse` has read its body), an axios error's `response`, an
 * openapi-fetch result. The status line, the headers and the body — a JSON error body (Connect,
 * AIP-193, a REST API's) or anything else — are all it needs, so every road agrees.
 */
import { isArrayBuffer, isUint8Array } from "../wire/bytes.js";
import { codeOfAip193HttpStatus, codeOfBareHttpStatus, GrpcCode } from "../wire/codes.js";
import { readStatusJson, type StatusJsonBody } from "../wire/status-json.js";
import { type Failure, read } from "./failure-shape.js";

/** What a failed response's reader needs of it: its status line and its headers. */
export interface HttpHead {
  readonly status: number;
  readonly statusText: string;
  /** A `Headers`, or a record of them (axios): where hints and Connect's `trailer-` headers are. */
  readonly headers: unknown;
}

/** The head of a response a client library described (axios' `response`, openapi-fetch's). */
export function httpHead(status: number, statusText: unknown, headers: unknown): HttpHead {
  return { status, statusText: typeof statusText === "string" ? statusText : "", headers };
}

/** Connect's unary responses send the call's trailers as headers named `trailer-<name>`. */
const CONNECT_TRAILER_PREFIX = "trailer-";

/**
 * The `trailer-` headers of a Connect unary response, as a record of trailers; none gives
 * `undefined`. Reads a `Headers` (`forEach`) or a plain record (axios).
 */
function connectUnaryTrailers(headers: unknown): Record<string, string> | undefined {
  let trailers: Record<string, string> | undefined;
  const add = (value: unknown, key: string) => {
    if (
      typeof key !== "string" ||
      typeof value !== "string" ||
      !key.toLowerCase().startsWith(CONNECT_TRAILER_PREFIX)
    )
      return;
    trailers ??= Object.create(null) as Record<string, string>;
    trailers[key.slice(CONNECT_TRAILER_PREFIX.length).toLowerCase()] = value;
  };
  try {
    const forEach = read(headers, "forEach");
    if (typeof forEach === "function") (forEach as (f: typeof add) => void).call(headers, add);
    else if (typeof headers === "object" && headers !== null) {
      for (const key of Object.keys(headers)) add((headers as Record<string, unknown>)[key], key);
    }
  } catch {
    // Headers that cannot be walked carry no trailers.
  }
  return trailers;
}

/**
 * The code of a JSON error body on a failed response: the code the body names, unless it names none
 * (or OK, which a failure cannot be); then the response's HTTP status — through google-gax's table
 * for an AIP-193 or a REST body (an HTTP API speaking: 404 is NOT_FOUND), through gRPC's otherwise (a
 * Connect body gone wrong, as connect-es reads it: 429 is UNAVAILABLE).
 */
function codeOfJsonBody(head: HttpHead, body: StatusJsonBody): GrpcCode {
  if (body.code !== undefined && body.code !== GrpcCode.OK) return body.code;
  if (body.shape === "aip193" || body.shape === "rest" || body.httpStatus !== undefined) {
    const code = codeOfAip193HttpStatus(head.status);
    // google-gax's table reads a 2xx as OK: a failure (a stream's end) that says so is UNKNOWN.
    return code === undefined || code === GrpcCode.OK ? GrpcCode.UNKNOWN : code;
  }
  return codeOfBareHttpStatus(head.status);
}

/** `HTTP 502 Bad Gateway`, or `HTTP 502` when there is no status text. */
export function httpLine(head: HttpHead): string {
  return `HTTP ${head.status} ${head.statusText}`.trim();
}

/**
 * A JSON error body's failure. Hints are looked for in the trailers first (a Connect stream's
 * end-stream `metadata`, a unary response's `trailer-` headers), which travel with the status, then
 * in the response's headers. The message is the body's; without one, `HTTP <status> <statusText>`
 * for a REST body or a body whose code came from the HTTP status — but the code's name for a status
 * that named its code, as every other road reads an empty server message (SPEC §5).
 */
export function jsonFailure(head: HttpHead, body: StatusJsonBody): Failure {
  const trailers = body.metadata ?? connectUnaryTrailers(head.headers);
  const code = codeOfJsonBody(head, body);
  const named = body.shape !== "rest" && body.code === code;
  return {
    code,
    rawMessage: body.message,
    fallbackMessage: named ? undefined : httpLine(head),
    // The status as the body gave it, but under the code the error carries.
    status: body.status.code === code ? body.status : { ...body.status, code },
    headers: trailers === undefined ? [head.headers] : [trailers, head.headers],
    httpStatus: head.status,
    body: body.rest,
  };
}

/**
 * A response that carries no status: its HTTP status, mapped as gRPC maps it. Nothing came from the
 * server in words, so the message is the status line (`rawMessage` stays undefined).
 */
export function bareFailure(head: HttpHead): Failure {
  return {
    code: codeOfBareHttpStatus(head.status),
    rawMessage: undefined,
    fallbackMessage: httpLine(head),
    status: undefined,
    headers: [head.headers],
    httpStatus: head.status,
  };
}

/** The longest body text read for a status, as `fromResponse` reads at most 1 MiB of a body. */
const MAX_BODY_TEXT = 1_048_576; // 1 MiB

/** A body as a client library handed it over (parsed JSON, text or bytes), as JSON text or a value. */
function bodyValue(data: unknown): unknown {
  if (typeof data === "string") return data.length <= MAX_BODY_TEXT ? data : undefined;
  let bytes: Uint8Array | undefined;
  if (isUint8Array(data)) bytes = data;
  else if (isArrayBuffer(data)) {
    try {
      bytes = new Uint8Array(data);
    } catch {
      return undefined; // A detached buffer has no body left to read: the status line must do.
    }
  }
  if (bytes !== undefined) return bytes.length <= MAX_BODY_TEXT ? new TextDecoder().decode(bytes) : undefined;
  // A stream (axios' `responseType: "stream"`) cannot be read here: the status line must do.
  if (typeof data === "object" && data !== null && typeof read(data, "pipe") !== "function") return data;
  return undefined;
}

/**
 * The failure of a response whose body a client has already read (axios' `data`, openapi-fetch's
 * `error`): as `fromResponse` reads the same status, headers and body.
 */
export function bodyFailure(head: HttpHead, data: unknown): Failure {
  const value = bodyValue(data);
  const body = value === undefined ? undefined : readStatusJson(value, { codeless: true });
  return body === undefined ? bareFailure(head) : jsonFailure(head, body);
}
