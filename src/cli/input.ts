/**
 * What the CLI was given, and what it turned out to be: a trailer value (hex, base64, JSON-quoted, or
 * cut out of a log line), a JSON error body, or, on standard input, the raw bytes.
 *
 * @packageDocumentation
 */
import { parseStatusJson, STATUS_DETAILS_KEY } from "sandbox-sdk-errors";

/**
 * Bad usage, or an input that holds no status: the CLI prints the message on one line of standard
 * error and exits 2. Anything else thrown is a bug.
 */
export class UsageError extends Error {}

/** How the input spelt the status: the word the output's first line shows. */
export type Encoding = "hex" | "base64" | "raw" | "json";

/**
 * What the input turned out to be. Each kind is decoded by its own function in the CLI: a new kind
 * of input is one more member here, one more branch in {@link readText} and one more case there.
 */
export type Input =
  /** A trailer value's bytes: a serialised `google.rpc.Status`. */
  | { readonly kind: "bytes"; readonly encoding: Exclude<Encoding, "json">; readonly bytes: Uint8Array }
  /** A JSON error body (AIP-193, a proto3-JSON Status, Connect), parsed; `bytes` is its text. */
  | { readonly kind: "json"; readonly encoding: "json"; readonly bytes: Uint8Array; readonly body: object };

const HEX = /^[0-9a-fA-F]*$/;
/** Both base64 alphabets, padding optional: what `parseStatusDetails` reads from grpc-web. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const STATUS_DETAILS_KEY_ANY_CASE = new RegExp(STATUS_DETAILS_KEY, "gi");

/**
 * Terminal escape sequences, as a coloured log line carries them (built, so that no control
 * character sits in the source): CSI (`ESC [ … final`, the colours), OSC (`ESC ] … BEL` or
 * `ESC ] … ESC \`, titles and links, cut at the next ESC when unterminated), and the short
 * `ESC (intermediates) final` forms. None can be part of a value: hex, base64 and JSON hold no ESC.
 */
const ESCAPE_SEQUENCE = new RegExp(
  [
    "\\u001b\\[[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]",
    "\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)?",
    "\\u001b[\\u0020-\\u002f]*[\\u0030-\\u007e]",
  ].join("|"),
  "g",
);

/**
 * Reads the text given: each kind of input is one branch, tried in order. Escape sequences are
 * dropped first, so that a log line copied with its colours reads like any other.
 */
export function readText(text: string): Input {
  const trimmed = text.replace(ESCAPE_SEQUENCE, "").trim();
  if (trimmed === "") throw new UsageError("empty input: there is no status to decode");
  // A JSON error body first: a Connect end-stream body may name the trailer key in its metadata.
  const body = trimmed.startsWith("{") ? readJsonBody(trimmed) : undefined;
  if (body !== undefined) return body;
  const fromLogLine = valueInLogLine(trimmed);
  if (fromLogLine !== undefined) return readEncoded(fromLogLine);
  if (trimmed.startsWith("{")) {
    throw new UsageError(
      "input is JSON-like but neither an error body (AIP-193 { error: { code, status, message, details } }, a google.rpc.Status, a Connect error) nor a log line naming grpc-status-details-bin",
    );
  }
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return readEncoded(unquoteJson(trimmed));
  }
  return readEncoded(trimmed);
}

/** A JSON error body of one of `parseStatusJson`'s shapes, or `undefined` for anything else. */
function readJsonBody(text: string): Input | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || parseStatusJson(body) === undefined) return undefined;
  return { kind: "json", encoding: "json", bytes: new TextEncoder().encode(text), body };
}

/** Hex digits of even length are hex; anything else must be base64. White space is ignored. */
function readEncoded(text: string): Input {
  const compact = text.replace(/\s+/g, "");
  if (compact === "") throw new UsageError("empty input: there is no status to decode");
  if (HEX.test(compact) && compact.length % 2 === 0) {
    return { kind: "bytes", encoding: "hex", bytes: Buffer.from(compact, "hex") };
  }
  // Buffer's decoder skips characters outside the alphabet; check first so that garbage is refused.
  if (!BASE64.test(compact) || compact.replace(/=+$/, "").length % 4 === 1) {
    throw new UsageError("input is neither hex (even length) nor base64");
  }
  return { kind: "bytes", encoding: "base64", bytes: Buffer.from(compact, "base64") };
}

function unquoteJson(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "string") return value;
  } catch {
    // reported below
  }
  throw new UsageError("input starts and ends with a quote but is not a JSON string");
}

/** A C0 or C1 control or DEL: no value holds one, so one ends it (a bell, a DEL after the value). */
function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/**
 * Where a value cut out of a log line ends: white space, a quote, a comma, a backslash (`\"`, `\n`
 * in JSON logs), a closing bracket, or a control character.
 */
function endsValue(char: string): boolean {
  return (
    char === '"' ||
    char === "'" ||
    char === "," ||
    char === "\\" ||
    char === "]" ||
    /\s/.test(char) ||
    isControl(char)
  );
}

function skipSpace(text: string, from: number): number {
  let index = from;
  while (index < text.length && /\s/.test(text.charAt(index))) index++;
  return index;
}

const isQuote = (char: string) => char === '"' || char === "'";

/**
 * The value of `grpc-status-details-bin: <value>` or `grpc-status-details-bin=<value>` anywhere in
 * the text (the key in any case, quoted or not, as JSON logs and HTTP dumps write it; the value
 * quoted or not, alone or the first of a JSON array, as a log of a metadata map writes it), or
 * `undefined` when the text does not name the key. Linear: each occurrence of the key is looked at
 * once, and the first one with a value ends the search.
 */
function valueInLogLine(text: string): string | undefined {
  let named = false;
  for (const match of text.matchAll(STATUS_DETAILS_KEY_ANY_CASE)) {
    named = true;
    let index = match.index + match[0].length;
    if (isQuote(text.charAt(index))) index++;
    index = skipSpace(text, index);
    const separator = text.charAt(index);
    if (separator !== ":" && separator !== "=") continue;
    index = skipSpace(text, index + 1);
    if (text.charAt(index) === "[") index = skipSpace(text, index + 1);
    if (isQuote(text.charAt(index))) index++;
    let end = index;
    while (end < text.length && !endsValue(text.charAt(end))) end++;
    if (end > index) return text.slice(index, end);
  }
  if (!named) return undefined;
  throw new UsageError(
    `the input names ${STATUS_DETAILS_KEY} but holds no value after it (expected "${STATUS_DETAILS_KEY}: <value>" or "${STATUS_DETAILS_KEY}=<value>")`,
  );
}

/**
 * The first byte of a serialised Status: the tag of its code (0x08), message (0x12) or details
 * (0x1a). Control characters that no text form starts with (a coloured log line starts with ESC).
 */
const STATUS_TAGS: ReadonlySet<number> = new Set([0x08, 0x12, 0x1a]);

/**
 * Whether text holds a C0 control other than white space (escape sequences dropped first): what a
 * log line, a value or a JSON body never holds, and protobuf (tags, small lengths) nearly always.
 */
function holdsBinary(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x08 || (code >= 0x0e && code <= 0x1f)) return true;
  }
  return false;
}

/**
 * Reads standard input. It is text (any of {@link readText}'s forms, UTF-8) unless it does not read
 * as text: then it is the raw bytes of a Status, as `xxd -r -p` or a file written by a program
 * gives them. Two exceptions keep the guess right: bytes that start with a Status tag are raw
 * (text never starts with one, and a Status whose message quotes a log line would otherwise be
 * read as that line), and bytes that look like text but read as no text form are refused with the
 * text's reason rather than decoded as protobuf.
 */
export function readStdin(bytes: Uint8Array): Input {
  const raw: Input = { kind: "bytes", encoding: "raw", bytes };
  if (STATUS_TAGS.has(bytes[0] as number)) return raw;
  // Not fatal: a Latin-1 log line around a base64 value still reads as text.
  const text = new TextDecoder().decode(bytes);
  try {
    return readText(text);
  } catch (error) {
    if (error instanceof UsageError && holdsBinary(text.replace(ESCAPE_SEQUENCE, ""))) return raw;
    throw error;
  }
}
