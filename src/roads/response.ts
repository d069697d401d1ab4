/**
 * The `fetch` road (SPEC §13): a failed `Response` read into the one {@link Failure} every road
 * produces, then mapped as `fromGrpcStatus` maps it. One reader per protocol the response may speak:
 * gRPC-web (the status in `grpc-*` headers or in the trailer frame at the end of the body), Connect
 * and AIP-193 (a JSON error body, or a Connect stream's end-stream message), and anything else (a
 * proxy's HTML page) by its HTTP status alone.
 *
 * Every step is bounded: at most `maxBodyBytes` of the body are read (the rest is cancelled), frames
 * are walked once, and nothing here rejects.
 */

import type { SandboxSdkError } from "../core/error.js";
import { base64Decode, isUint8Array } from "../wire/bytes.js";
import { GrpcCode, toGrpcCode } from "../wire/codes.js";
import { parseStatusDetails, STATUS_DETAILS_KEY } from "../wire/status-details.js";
import { readStatusJson } from "../wire/status-json.js";
import type { Failure } from "./failure-shape.js";
import { bareFailure, httpLine, jsonFailure } from "./http.js";

/** How `fromResponse` reads a response, beside the mapping context: how much of the body, until when. */
export interface ResponseReadOptions {
  /**
   * The most bytes of the body that are read (default 1 MiB); the rest is cancelled. An error body
   * is small: the limit bounds the memory a hostile or broken server can make the client hold. A
   * body cut at the limit is read as far as it goes (a JSON body cut short is no JSON: the HTTP
   * status decides; a gRPC-web or Connect stream whose trailers lie past it says its status could
   * not be read). A positive finite number: anything else makes `fromResponse` reject with a
   * `RangeError` (there is no unbounded read).
   */
  maxBodyBytes?: number | undefined;
  /**
   * Stops reading the body when it aborts: what was read by then is mapped (the promise still
   * resolves). A body that stalls forever below `maxBodyBytes` is only stopped by this signal (or by
   * the one given to `fetch`).
   */
  signal?: AbortSignal | undefined;
}

/** The default {@link ResponseReadOptions.maxBodyBytes}: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576; // 1 MiB

const EMPTY = /* @__PURE__ */ new Uint8Array(0);
const FRAME_HEADER = 5;
/** gRPC-web's trailer frame, and Connect's end-stream message: the high flags of a frame. */
const GRPC_WEB_TRAILER = 0x80;
const CONNECT_END_STREAM = 0x02;
/** Compressed payloads are not read (a status is never worth a decompressor here). */
const COMPRESSED = 0x01;

const NO_HEADERS: readonly unknown[] = [];

// ---------------------------------------------------------------------------------------------
// The body, bounded
// ---------------------------------------------------------------------------------------------

function noop(): void {}

/**
 * How a read of the body ended: at its end, at the read limit (there may be more), because it failed
 * mid-read (a reset connection), or because the caller's signal aborted.
 */
type BodyEnd = "end" | "limit" | "failed" | "aborted";

/** What was read of a body, and how the read ended. */
interface BodyRead {
  readonly bytes: Uint8Array;
  readonly end: BodyEnd;
}

const NOTHING_READ: BodyRead = { bytes: EMPTY, end: "end" };

/**
 * Reads at most `limit` bytes of the body and cancels the rest. A body that fails mid-read, a chunk
 * that is not bytes, or an abort of `signal` ends the read: what came before is kept, and `end`
 * says why the read stopped.
 */
async function readBody(
  response: Response,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<BodyRead> {
  const body = response.body;
  if (body === null) return NOTHING_READ;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = body.getReader();
  } catch {
    // Already read or locked by someone else: the headers alone must do.
    return NOTHING_READ;
  }
  // Cancelling the stream settles a pending read (as done), so an abort never leaves us waiting.
  const stop = () => reader.cancel(signal?.reason).catch(noop);
  signal?.addEventListener("abort", stop);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let end: BodyEnd = "limit";
  try {
    if (signal?.aborted) return { bytes: EMPTY, end: "aborted" };
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) {
        end = signal?.aborted ? "aborted" : "end";
        break;
      }
      if (!isUint8Array(value)) {
        end = "failed";
        break;
      }
      const take = Math.min(value.length, limit - total);
      chunks.push(take === value.length ? value : value.subarray(0, take));
      total += take;
    }
  } catch {
    // The body failed mid-read (a reset connection): what was read stands.
    end = signal?.aborted ? "aborted" : "failed";
  } finally {
    signal?.removeEventListener("abort", stop);
    // Not awaited: a source whose cancel never settles must not hold the mapping.
    reader.cancel().catch(noop);
  }
  if (chunks.length === 1) return { bytes: chunks[0] as Uint8Array, end };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { bytes, end };
}

/**
 * A `-text` body: base64, possibly several base64 chunks one after another (each padded on its
 * own, as gRPC-web servers flush them). Each chunk is decoded alone; a chunk cut short by the read
 * limit keeps its whole quantums.
 */
export function decodeGrpcWebText(bytes: Uint8Array): Uint8Array {
  const text = latin1(bytes);
  const parts: Uint8Array[] = [];
  let start = 0;
  let total = 0;
  for (let i = 0; i <= text.length; i++) {
    // A chunk ends after its padding, where data starts again (or at the end of the body).
    const ends =
      i === text.length || (i > start && text.charCodeAt(i - 1) === 0x3d && text.charCodeAt(i) !== 0x3d);
    if (!ends) continue;
    let chunk = text.slice(start, i);
    let decoded = base64Decode(chunk);
    if (decoded === undefined) {
      // Cut short (the read limit, a broken stream): its whole quantums, and nothing after it.
      chunk = chunk.replace(/\s/g, "");
      chunk = chunk.slice(0, chunk.length - (chunk.length % 4));
      decoded = base64Decode(chunk);
      if (decoded !== undefined) parts.push(decoded);
      total += decoded?.length ?? 0;
      break;
    }
    parts.push(decoded);
    total += decoded.length;
    start = i;
  }
  const bytesOut = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytesOut.set(part, offset);
    offset += part.length;
  }
  return bytesOut;
}

/** Bytes as a string of the same char codes, as HTTP/1 header blocks (and `Headers`) carry them. */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/**
 * The payload of the first frame whose flags include `flag`, walking the enveloped frames (1 flag
 * byte, a 4-byte big-endian length, the payload) once. A frame whose length runs past the end (a
 * body cut short, a lying length) ends the walk: no frame is read from it.
 */
function findFrame(bytes: Uint8Array, flag: number): { flags: number; payload: Uint8Array } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (bytes.length - offset >= FRAME_HEADER) {
    const flags = bytes[offset] as number;
    const length = view.getUint32(offset + 1);
    const start = offset + FRAME_HEADER;
    if (length > bytes.length - start) return undefined;
    if ((flags & flag) !== 0) return { flags, payload: bytes.subarray(start, start + length) };
    offset = start + length;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// gRPC and gRPC-web
// ---------------------------------------------------------------------------------------------

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Whether `text` has nothing to decode: no `%`, no byte above ASCII. */
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 || c > 0x7f) return false;
  }
  return true;
}

/**
 * Decodes `grpc-message` as gRPC encodes it: `%XX` is a byte of UTF-8. A `%` not followed by two hex
 * digits is kept as sent (as grpc-go keeps it); bytes that are not UTF-8 become U+FFFD.
 */
export function percentDecode(text: string): string {
  if (isPlain(text)) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      c === 0x25 &&
      i + 2 < text.length &&
      isHexDigit(text.charCodeAt(i + 1)) &&
      isHexDigit(text.charCodeAt(i + 2))
    ) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x100) {
      // A header value is a byte string: a raw byte of UTF-8 stands for itself.
      bytes.push(c);
    } else {
      bytes.push(...new TextEncoder().encode(String.fromCharCode(c)));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** An HTTP/1 header block (a gRPC-web trailer frame) as a null-prototype record of value lists. */
function parseTrailerBlock(payload: Uint8Array): Record<string, string[]> {
  const trailers: Record<string, string[]> = Object.create(null);
  for (const line of latin1(payload).split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = trailers[key];
    if (values === undefined) trailers[key] = [value];
    else values.push(value);
  }
  return trailers;
}

/** The gRPC status a set of headers or trailers carries; `undefined` without `grpc-status`. */
interface GrpcStatus {
  readonly code: GrpcCode;
  readonly message: string | undefined;
  readonly details: readonly string[];
}

function grpcStatusOf(
  get: (key: string) => string | undefined,
  details: readonly string[],
): GrpcStatus | undefined {
  const status = get("grpc-status");
  if (status === undefined) return undefined;
  const message = get("grpc-message");
  return {
    // A grpc-status that is not a code is UNKNOWN, as gRPC clients read it.
    code: toGrpcCode(status.trim()) ?? GrpcCode.UNKNOWN,
    message: message === undefined ? undefined : percentDecode(message),
    details,
  };
}

/** `Headers#get` joins repeated values with `, `; base64 has no comma, so they split back apart. */
function headerDetails(headers: Headers): string[] {
  const value = headers.get(STATUS_DETAILS_KEY);
  return value === null ? [] : value.split(",").map((part) => part.trim());
}

/**
 * gRPC-web: the status of the trailer frame when it has one, else of the headers (a trailers-only
 * response). The frame is the last one of the body, after any messages; `-text` bodies are base64.
 */
async function grpcWebFailure(
  response: Response,
  contentType: string,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<Failure> {
  const headers = response.headers;
  const read = await readBody(response, limit, signal);
  const bytes = contentType.startsWith("application/grpc-web-text")
    ? decodeGrpcWebText(read.bytes)
    : read.bytes;
  const frame = findFrame(bytes, GRPC_WEB_TRAILER);
  const trailers =
    frame === undefined || (frame.flags & COMPRESSED) !== 0 ? undefined : parseTrailerBlock(frame.payload);
  const fromTrailers =
    trailers === undefined
      ? undefined
      : grpcStatusOf((key) => trailers[key]?.[0], trailers[STATUS_DETAILS_KEY] ?? []);
  const status = fromTrailers ?? grpcStatusOf((key) => headers.get(key) ?? undefined, headerDetails(headers));
  if (status === undefined || status.code === GrpcCode.OK) {
    // No status, or OK: the HTTP status has the last word — unless the trailers were never reached.
    if (!response.ok) return bareFailure(response);
    return frame === undefined ? endedEarly(response, read, limit) : successFailure(response);
  }
  return {
    code: status.code,
    // A gRPC status always has a message: an absent grpc-message is an empty one (SPEC §5).
    rawMessage: status.message ?? "",
    fallbackMessage: httpLine(response),
    status: status.details.length === 0 ? undefined : parseStatusDetails(status.details),
    headers: trailers === undefined ? [headers] : [trailers, headers],
    httpStatus: response.status,
  };
}

// ---------------------------------------------------------------------------------------------
// Connect and AIP-193
// ---------------------------------------------------------------------------------------------

const UTF8 = /* @__PURE__ */ new TextDecoder();

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether an end-stream message's `metadata` is what Connect sends: absent, or a record of string lists. */
function isEndStreamMetadata(metadata: unknown): boolean {
  if (metadata === undefined) return true;
  if (!isRecord(metadata)) return false;
  for (const key of Object.keys(metadata)) {
    const values = metadata[key];
    if (!Array.isArray(values) || values.some((value) => typeof value !== "string")) return false;
  }
  return true;
}

/**
 * A Connect stream's end-stream message (always JSON): its error; `"success"` when it has none;
 * `undefined` when it is no end-stream message at all (not a JSON object, `metadata` that is not a
 * record of string lists, an `error` that is not an object), as connect-es refuses it.
 */
function endStreamFailure(response: Response, payload: Uint8Array): Failure | "success" | undefined {
  let message: unknown;
  try {
    message = JSON.parse(UTF8.decode(payload));
  } catch {
    return undefined;
  }
  if (!isRecord(message) || !isEndStreamMetadata(message.metadata)) return undefined;
  const error = message.error;
  if (error === undefined || error === null) return "success";
  if (!isRecord(error)) return undefined;
  const body = readStatusJson(message, { codeless: true });
  return body === undefined ? undefined : jsonFailure(response, body);
}

/** A Connect stream: the end-stream message is the frame flagged 0x02. */
function connectStreamFailure(response: Response, read: BodyRead, limit: number): Failure {
  const frame = findFrame(read.bytes, CONNECT_END_STREAM);
  if (frame !== undefined && (frame.flags & COMPRESSED) === 0) {
    const failure = endStreamFailure(response, frame.payload);
    if (failure === "success") return response.ok ? successFailure(response) : jsonOrBare(response, read);
    if (failure !== undefined) return failure;
    if (response.ok) return unreadableEndStream(response);
  }
  // No end-stream message: a stream that failed before it began has a unary error body; a 200
  // stream whose end was never reached cannot say how it ended.
  if (!response.ok) return jsonOrBare(response, read);
  return frame === undefined ? endedEarly(response, read, limit) : successFailure(response);
}

/**
 * A failed response's body as JSON: any JSON object is read (a body that names no valid code takes
 * it from the HTTP status, keeping its message and details); anything else is a bare failure.
 */
function jsonOrBare(response: Response, read: BodyRead): Failure {
  const body =
    read.bytes.length === 0 ? undefined : readStatusJson(UTF8.decode(read.bytes), { codeless: true });
  return body === undefined ? bareFailure(response) : jsonFailure(response, body);
}

// ---------------------------------------------------------------------------------------------
// Anything else
// ---------------------------------------------------------------------------------------------

function successFailure(response: Response): Failure {
  return {
    code: GrpcCode.UNKNOWN,
    rawMessage: undefined,
    fallbackMessage: `the response reported success (${httpLine(response)}), so it carries no error to read`,
    status: undefined,
    headers: [response.headers],
    httpStatus: response.status,
  };
}

/** Why a stream's status was not read, by how the read of its body ended. */
const NOT_REACHED: Readonly<Record<BodyEnd, (limit: number) => string>> = {
  limit: (limit) => `the body was cut short at the read limit (maxBodyBytes: ${limit}) before its trailers`,
  failed: () => "the body broke off before its trailers",
  aborted: () => "reading the body was stopped (the signal aborted) before its trailers",
  end: () => "the body ended without trailers",
};

/**
 * A gRPC-web or Connect stream answered `200 OK` whose trailers (where its status is) were never
 * read: the status could not be read. Never "reported success": nothing says it did.
 */
function endedEarly(response: Response, read: BodyRead, limit: number): Failure {
  if (read.end === "end") return successFailure(response);
  return {
    code: GrpcCode.UNKNOWN,
    rawMessage: undefined,
    fallbackMessage: `the status could not be read (${httpLine(response)}): ${NOT_REACHED[read.end](limit)}`,
    status: undefined,
    headers: [response.headers],
    httpStatus: response.status,
  };
}

/** A Connect stream's end-stream message that is not one: its status could not be read. */
function unreadableEndStream(response: Response): Failure {
  return {
    code: GrpcCode.UNKNOWN,
    rawMessage: undefined,
    fallbackMessage: `the status could not be read (${httpLine(response)}): the end-stream message is malformed`,
    status: undefined,
    headers: [response.headers],
    httpStatus: response.status,
  };
}

/** The media type, lower case, without parameters. */
function mediaType(response: Response): string {
  const value = response.headers.get("content-type") ?? "";
  const semicolon = value.indexOf(";");
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * `context.maxBodyBytes`, checked: the default when absent, a positive finite number (rounded up to
 * whole bytes) when given; anything else is `undefined`, which the caller turns into a RangeError.
 * A context whose property throws on reading is read as no context (as `fromGrpcStatus` does).
 */
function limitOf(context: ResponseReadOptions | undefined): number | undefined {
  let limit: unknown;
  try {
    limit = context?.maxBodyBytes;
  } catch {
    return DEFAULT_MAX_BODY_BYTES;
  }
  if (limit === undefined) return DEFAULT_MAX_BODY_BYTES;
  return typeof limit === "number" && limit > 0 && Number.isFinite(limit) ? Math.ceil(limit) : undefined;
}

function signalOf(context: ResponseReadOptions | undefined): AbortSignal | undefined {
  const signal = context?.signal;
  return typeof signal === "object" && signal !== null && typeof signal.addEventListener === "function"
    ? signal
    : undefined;
}

/** Reads a response into a Failure, by what its content type says it speaks. */
async function readResponse(
  response: Response,
  context: ResponseReadOptions | undefined,
  limit: number,
): Promise<Failure> {
  let signal: AbortSignal | undefined;
  try {
    signal = signalOf(context);
  } catch {
    signal = undefined;
  }
  const type = mediaType(response);
  if (type.startsWith("application/grpc") || response.headers.has("grpc-status")) {
    return grpcWebFailure(response, type, limit, signal);
  }
  if (type.startsWith("application/connect+")) {
    return connectStreamFailure(response, await readBody(response, limit, signal), limit);
  }
  // The body of a response that reported success is left alone: there is no error in it to read.
  if (response.ok) return successFailure(response);
  // A JSON error body (Connect's unary `application/json`, AIP-193's, a REST API's) whatever the
  // content type claims; anything that is not one (an HTML page, nothing) falls back to the HTTP
  // status.
  return jsonOrBare(response, await readBody(response, limit, signal));
}

/**
 * Reads a response into the Failure the mapping gets. For the package's own tests (what the road
 * reads: the HTTP status, a REST body); users call `fromResponse`.
 *
 * @internal
 */
export async function readResponseFailure(
  response: Response,
  context?: ResponseReadOptions,
): Promise<Failure> {
  try {
    return await readResponse(response, context, limitOf(context) ?? DEFAULT_MAX_BODY_BYTES);
  } catch {
    return UNREADABLE;
  }
}

const UNREADABLE: Failure = {
  code: undefined,
  rawMessage: undefined,
  fallbackMessage: "the response could not be read",
  status: undefined,
  headers: NO_HEADERS,
};

/**
 * Reads a `Response` that failed into a {@link Failure}, by what its content type says it speaks (see
 * `fromResponse`). Never rejects for anything the response holds: a value that is not a `Response`,
 * or a hostile one, reads as a failure that says so. Rejects with a `RangeError` (its one rejection)
 * when `options.maxBodyBytes` is given and is not a positive finite number: the caller's programming
 * error, not the server's.
 */
export async function responseFailure(
  response: Response,
  options: ResponseReadOptions | undefined,
): Promise<Failure> {
  const limit = limitOf(options);
  if (limit === undefined) {
    throw new RangeError(
      `fromResponse: context.maxBodyBytes must be a positive finite number of bytes, got ${describe(options)}`,
    );
  }
  try {
    return await readResponse(response, options, limit);
  } catch {
    return UNREADABLE;
  }
}

/** The given `maxBodyBytes`, for the RangeError's message. */
function describe(context: ResponseReadOptions | undefined): string {
  try {
    const limit = context?.maxBodyBytes;
    if (typeof limit === "number" || limit === null) return String(limit);
    return typeof limit === "object" ? "an object" : `a ${typeof limit}`;
  } catch {
    return "a value that could not be read";
  }
}

/** Where `fromResponse` was called: its stack, taken before the first `await`. */
export interface CallSite {
  stack?: unknown;
}

/** The caller's frames, taken now (before any `await`: after it, the stack is the microtask queue's). */
export function callSite(from: (...args: never[]) => unknown): CallSite {
  const site: CallSite = {};
  if (typeof Error.captureStackTrace === "function") Error.captureStackTrace(site, from);
  return site;
}

/**
 * Gives `error` the frames taken at the call of `fromResponse` (the caller's, as `fromGrpcStatus`
 * gives the caller's), under its own header; formatted only when `stack` is read, as V8 does.
 */
export function restack(error: SandboxSdkError, site: CallSite): void {
  if (!("stack" in site)) return;
  let stack: string | undefined;
  Object.defineProperty(error, "stack", {
    configurable: true,
    enumerable: false,
    get(): string | undefined {
      if (stack === undefined) {
        const frames = site.stack;
        if (typeof frames !== "string") return undefined;
        const newline = frames.indexOf("\n");
        stack = Error.prototype.toString.call(error) + (newline < 0 ? "" : frames.slice(newline));
      }
      return stack;
    },
    set(value: string) {
      stack = value;
    },
  });
}
