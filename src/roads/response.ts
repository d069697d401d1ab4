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
import { codeOfBareHttpStatus, GrpcCode, toGrpcCode } from "../wire/codes.js";
import { parseStatusDetails, STATUS_DETAILS_KEY } from "../wire/status-details.js";
import { readStatusJson, type StatusJsonBody } from "../wire/status-json.js";
import type { Failure } from "./failure.js";

/** How `fromResponse` reads a response, beside the mapping context: how much of the body, until when. */
export interface ResponseReadOptions {
  /**
   * The most bytes of the body that are read (default 1 MiB); the rest is cancelled. An error body
   * is small: the limit bounds the memory a hostile or broken server can make the client hold. A
   * body cut at the limit is read as far as it goes (a JSON body cut short is no JSON: the HTTP
   * status decides).
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
 * Reads at most `limit` bytes of the body and cancels the rest. A body that fails mid-read, a chunk
 * that is not bytes, or an abort of `signal` ends the read: what came before is kept.
 */
async function readBody(
  response: Response,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const body = response.body;
  if (body === null || limit <= 0) {
    body?.cancel().catch(noop);
    return EMPTY;
  }
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = body.getReader();
  } catch {
    // Already read or locked by someone else: the headers alone must do.
    return EMPTY;
  }
  // Cancelling the stream settles a pending read (as done), so an abort never leaves us waiting.
  const stop = () => reader.cancel(signal?.reason).catch(noop);
  signal?.addEventListener("abort", stop);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (signal?.aborted) return EMPTY;
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done || !isUint8Array(value)) break;
      const take = Math.min(value.length, limit - total);
      chunks.push(take === value.length ? value : value.subarray(0, take));
      total += take;
    }
  } catch {
    // The body failed mid-read (a reset connection): what was read stands.
  } finally {
    signal?.removeEventListener("abort", stop);
    // Not awaited: a source whose cancel never settles must not hold the mapping.
    reader.cancel().catch(noop);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
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
): Promise<Failure | "success"> {
  const headers = response.headers;
  let bytes = await readBody(response, limit, signal);
  if (contentType.startsWith("application/grpc-web-text")) bytes = decodeGrpcWebText(bytes);
  const frame = findFrame(bytes, GRPC_WEB_TRAILER);
  const trailers =
    frame === undefined || (frame.flags & COMPRESSED) !== 0 ? undefined : parseTrailerBlock(frame.payload);
  const fromTrailers =
    trailers === undefined
      ? undefined
      : grpcStatusOf((key) => trailers[key]?.[0], trailers[STATUS_DETAILS_KEY] ?? []);
  const status = fromTrailers ?? grpcStatusOf((key) => headers.get(key) ?? undefined, headerDetails(headers));
  if (status === undefined || status.code === GrpcCode.OK) {
    // No status, or OK: the HTTP status has the last word.
    return response.ok ? "success" : bareFailure(response);
  }
  return {
    code: status.code,
    rawMessage: status.message,
    fallbackMessage: httpLine(response),
    status: status.details.length === 0 ? undefined : parseStatusDetails(status.details),
    headers: trailers === undefined ? [headers] : [trailers, headers],
  };
}

// ---------------------------------------------------------------------------------------------
// Connect and AIP-193
// ---------------------------------------------------------------------------------------------

/** Connect's unary responses send the call's trailers as headers named `trailer-<name>`. */
const CONNECT_TRAILER_PREFIX = "trailer-";

/** The `trailer-` headers of a Connect unary response, as a record of trailers; none gives `undefined`. */
function connectUnaryTrailers(headers: Headers): Record<string, string> | undefined {
  let trailers: Record<string, string> | undefined;
  headers.forEach((value, key) => {
    if (!key.startsWith(CONNECT_TRAILER_PREFIX)) return;
    trailers ??= Object.create(null) as Record<string, string>;
    trailers[key.slice(CONNECT_TRAILER_PREFIX.length)] = value;
  });
  return trailers;
}

/**
 * A JSON error body's failure. Hints are looked for in the trailers first (a Connect stream's
 * end-stream `metadata`, a unary response's `trailer-` headers), which travel with the status, then
 * in the response's headers.
 */
function jsonFailure(response: Response, body: StatusJsonBody): Failure {
  const trailers = body.metadata ?? connectUnaryTrailers(response.headers);
  return {
    code: body.status.code as GrpcCode,
    rawMessage: body.message,
    fallbackMessage: httpLine(response),
    status: body.status,
    headers: trailers === undefined ? [response.headers] : [trailers, response.headers],
  };
}

const UTF8 = /* @__PURE__ */ new TextDecoder();

/** A Connect stream: the end-stream message (always JSON) is the frame flagged 0x02. */
function connectStreamFailure(response: Response, bytes: Uint8Array): Failure | "success" {
  const frame = findFrame(bytes, CONNECT_END_STREAM);
  if (frame !== undefined && (frame.flags & COMPRESSED) === 0) {
    const body = readStatusJson(UTF8.decode(frame.payload));
    if (body !== undefined) return jsonFailure(response, body);
  }
  // No end-stream error: a 200 stream ended well; anything else failed before the stream began,
  // with a unary error body.
  if (response.ok) return "success";
  return jsonOrBare(response, bytes);
}

function jsonOrBare(response: Response, bytes: Uint8Array): Failure {
  const body = bytes.length === 0 ? undefined : readStatusJson(UTF8.decode(bytes));
  return body === undefined ? bareFailure(response) : jsonFailure(response, body);
}

// ---------------------------------------------------------------------------------------------
// Anything else
// ---------------------------------------------------------------------------------------------

/** `HTTP 502 Bad Gateway`, or `HTTP 502` when there is no status text. */
function httpLine(response: Response): string {
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

/** A response that carries no status: its HTTP status, mapped as gRPC maps it. */
function bareFailure(response: Response): Failure {
  return {
    code: codeOfBareHttpStatus(response.status),
    rawMessage: httpLine(response),
    fallbackMessage: undefined,
    status: undefined,
    headers: [response.headers],
  };
}

function successFailure(response: Response): Failure {
  return {
    code: GrpcCode.UNKNOWN,
    rawMessage: `the response reported success (${httpLine(response)}), so it carries no error to read`,
    fallbackMessage: undefined,
    status: undefined,
    headers: [response.headers],
  };
}

/** The media type, lower case, without parameters. */
function mediaType(response: Response): string {
  const value = response.headers.get("content-type") ?? "";
  const semicolon = value.indexOf(";");
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

function limitOf(context: ResponseReadOptions | undefined): number {
  const limit = context?.maxBodyBytes;
  return typeof limit === "number" && limit >= 0 && !Number.isNaN(limit) ? limit : DEFAULT_MAX_BODY_BYTES;
}

function signalOf(context: ResponseReadOptions | undefined): AbortSignal | undefined {
  const signal = context?.signal;
  return typeof signal === "object" && signal !== null && typeof signal.addEventListener === "function"
    ? signal
    : undefined;
}

/** Reads a response into a Failure, by what its content type says it speaks. */
async function readResponse(response: Response, context: ResponseReadOptions | undefined): Promise<Failure> {
  const limit = limitOf(context);
  const signal = signalOf(context);
  const type = mediaType(response);
  let failure: Failure | "success";
  if (type.startsWith("application/grpc") || response.headers.has("grpc-status")) {
    failure = await grpcWebFailure(response, type, limit, signal);
  } else if (type.startsWith("application/connect+")) {
    failure = connectStreamFailure(response, await readBody(response, limit, signal));
  } else if (response.ok) {
    // The body is left alone: there is no error in it to read.
    failure = "success";
  } else {
    // A JSON error body (Connect's unary `application/json`, AIP-193's) whatever the content type
    // claims; anything that is not one (an HTML page, nothing) falls back to the HTTP status.
    failure = jsonOrBare(response, await readBody(response, limit, signal));
  }
  return failure === "success" ? successFailure(response) : failure;
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
 * `fromResponse`). Never rejects: a value that is not a `Response`, or a hostile one, reads as a
 * failure that says so.
 */
export async function responseFailure(
  response: Response,
  options: ResponseReadOptions | undefined,
): Promise<Failure> {
  try {
    return await readResponse(response, options);
  } catch {
    return UNREADABLE;
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
