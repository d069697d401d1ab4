#!/usr/bin/env node
/**
 * The `sandbox-sdk-errors` command, for support engineers reading `grpc-status-details-bin` out of
 * logs: `sandbox-sdk-errors decode <base64 | hex | ->` prints the decoded `google.rpc.Status`, every
 * detail with every field, and the class `fromGrpcStatus` would choose for it. It takes the value
 * bare, JSON-quoted, or inside a whole log line; a value that was cut short is reported as such,
 * with what could be read before the cut.
 *
 * Everything it prints that came from the status is escaped: a status is attacker-controlled text,
 * and a terminal obeys the control characters in what it is given.
 *
 * The logic is {@link runCli}, a function of its arguments and I/O; the process wiring at the bottom
 * runs only when this file is the program. Node only (the package's main entry is not).
 *
 * @packageDocumentation
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  fromGrpcStatus,
  GrpcCode,
  type ParsedStatus,
  parseStatusDetails,
  parseStatusJson,
  type SandboxSdkError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "sandbox-sdk-errors";
import { decodeUtf8, WireFormatError, WireReader, WireType } from "../wire/wire-reader.js";

const PROGRAM = "sandbox-sdk-errors";

/** Exit status: decoded, or help or the version shown. */
const EXIT_OK = 0;
/** Exit status: bad usage, input that is not a status, or a value that was cut short. */
const EXIT_USAGE = 2;

const USAGE = `Usage: ${PROGRAM} decode [--json] <base64 | hex | ->
       ${PROGRAM} --version

Decodes a grpc-status-details-bin value (a google.rpc.Status, AIP-193): prints the
status code, message and every detail with every field, then the error class that
fromGrpcStatus() would choose for it (taking the status's own code as the
transport's code, with the default context) and every field it sets.

Input:
  <hex>       hex digits only, of even length (white space is ignored)
  <base64>    anything else: standard or URL-safe alphabet, padding optional
  "<value>"   either of those as a JSON string, quotes included
  <log line>  a line holding ${STATUS_DETAILS_KEY}: <value> or ${STATUS_DETAILS_KEY}=<value>,
              anywhere in it: the value is cut out, and ends at white space, a quote,
              a comma, a backslash (JSON logs: \\n, \\") or the end of the line
  -           read the input from stdin (any of the above, or the raw bytes)
              An input that starts with "-" goes after "--".

Options:
  --json      print JSON instead of text (bytes as base64, absent fields as null)
  --version   print the version
  -h, --help  print this help

Control characters and bidirectional overrides from the status are printed as
\\u escapes (\\u001b, \\u009b, \\u202e), never raw.

Exit status: 0 when the input decodes; 2 on bad usage, when the input is not a
status, and when the value was cut short (what could be read before the cut is
printed all the same).
`;

/** What {@link runCli} reads and writes, so tests can run it without a process. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Reads all of standard input (for the input `-`). */
  readStdin(): Promise<Uint8Array>;
}

class UsageError extends Error {}

interface Options {
  json: boolean;
  help: boolean;
  version: boolean;
  command: string | undefined;
  inputs: string[];
}

function parseArguments(argv: readonly string[]): Options {
  const options: Options = { json: false, help: false, version: false, command: undefined, inputs: [] };
  let endOfOptions = false;
  for (const argument of argv) {
    if (!endOfOptions && argument === "--") endOfOptions = true;
    else if (!endOfOptions && argument === "--json") options.json = true;
    else if (!endOfOptions && (argument === "--help" || argument === "-h")) options.help = true;
    else if (!endOfOptions && argument === "--version") options.version = true;
    else if (!endOfOptions && argument.startsWith("-") && argument !== "-") {
      throw new UsageError(
        `unknown option ${quoteArgument(argument)} (an input that starts with "-" goes after "--"; see --help)`,
      );
    } else if (options.command === undefined) options.command = argument;
    else options.inputs.push(argument);
  }
  return options;
}

/** An argument in single quotes, escaped as in JSON so that a message stays one line. */
function quoteArgument(argument: string): string {
  return `'${JSON.stringify(argument).slice(1, -1)}'`;
}

/**
 * The version in the package's package.json: `dist/cli.js` sits one below it, `src/cli/cli.ts` (run
 * from source) two.
 */
function packageVersion(): string {
  for (const path of ["../package.json", "../../package.json"]) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
    } catch {
      continue;
    }
    const { name, version } = (manifest ?? {}) as { name?: unknown; version?: unknown };
    if (name === "sandbox-sdk-errors" && typeof version === "string") return version;
  }
  throw new Error("the package's package.json has no version");
}

// ---------------------------------------------------------------------------------------------
// Terminal safety
// ---------------------------------------------------------------------------------------------

/**
 * What a terminal must not receive raw: the C0 controls but the line feed (ESC starts escape
 * sequences), DEL, the C1 controls (U+009B is CSI, which xterm and others read as `ESC [`), the
 * bidirectional marks, embeddings, overrides and isolates (they reorder what a reader sees), and
 * the Unicode line and paragraph separators. JSON.stringify escapes only the C0 controls.
 */
const UNSAFE_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x09],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
  [0x061c, 0x061c],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x2028, 0x2029],
  [0x2066, 0x2069],
];

const hex4 = (code: number) => code.toString(16).padStart(4, "0");

/** {@link UNSAFE_RANGES} as one character class (built, so that no control character sits in the source). */
const UNSAFE = new RegExp(
  `[${UNSAFE_RANGES.map(([from, to]) => `\\u${hex4(from)}-\\u${hex4(to)}`).join("")}]`,
  "g",
);

/**
 * Writes every unsafe character as a `\uXXXX` escape. Inside a JSON string that is the same
 * character, so `--json` output stays valid JSON that parses back to what the status held; those
 * characters can only occur inside strings there, never in the JSON's own structure.
 */
function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${hex4(char.charCodeAt(0))}`);
}

/**
 * A string from the status, quoted: an empty one, a trailing space or a newline is visible, and
 * (through {@link escapeForTerminal} at the write) nothing in it reaches the terminal raw.
 */
function quote(text: string): string {
  return JSON.stringify(text);
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

const HEX = /^[0-9a-fA-F]*$/;
/** Both base64 alphabets, padding optional: what `parseStatusDetails` reads from grpc-web. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const STATUS_DETAILS_KEY_ANY_CASE = new RegExp(STATUS_DETAILS_KEY, "gi");

type Encoding = "hex" | "base64" | "raw" | "json";

/**
 * What the input turned out to be. Each kind is decoded by its own function, called from one
 * `switch` in {@link runCli}: a new kind of input (a JSON error body) is one more member here, one
 * more branch in {@link readText} and one more case there.
 */
type Input =
  | { readonly kind: "bytes"; readonly encoding: Encoding; readonly bytes: Uint8Array }
  /** A JSON error body (AIP-193, a proto3-JSON Status, Connect), parsed; `bytes` is its text. */
  | { readonly kind: "json"; readonly encoding: "json"; readonly bytes: Uint8Array; readonly body: object };

/**
 * Reads the text given: each kind of input is one branch, tried in order. (A JSON error body, when
 * it comes, goes first: a Connect end-stream body names the trailer key inside its metadata.)
 */
function readText(text: string): Input {
  const trimmed = text.trim();
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

/** Where a value cut out of a log line ends: white space, a quote, a comma, or a backslash (`\"`, `\n` in JSON logs). */
function endsValue(char: string): boolean {
  return char === '"' || char === "'" || char === "," || char === "\\" || /\s/.test(char);
}

function skipSpace(text: string, from: number): number {
  let index = from;
  while (index < text.length && /\s/.test(text.charAt(index))) index++;
  return index;
}

/**
 * The value of `grpc-status-details-bin: <value>` or `grpc-status-details-bin=<value>` anywhere in
 * the text (the key in any case, quoted or not, as JSON logs and HTTP dumps write it), or
 * `undefined` when the text does not name the key. Linear: each occurrence of the key is looked at
 * once, and the first one with a value ends the search.
 */
function valueInLogLine(text: string): string | undefined {
  let named = false;
  for (const match of text.matchAll(STATUS_DETAILS_KEY_ANY_CASE)) {
    named = true;
    let index = match.index + match[0].length;
    if (text.charAt(index) === '"' || text.charAt(index) === "'") index++;
    index = skipSpace(text, index);
    const separator = text.charAt(index);
    if (separator !== ":" && separator !== "=") continue;
    index = skipSpace(text, index + 1);
    if (text.charAt(index) === '"' || text.charAt(index) === "'") index++;
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
 * Standard input may carry the raw bytes: a Status starts with a tag byte (0x08, 0x12 or 0x1a), a
 * control character, which text (hex, base64, a log line) never holds.
 */
function readStdin(bytes: Uint8Array): Input {
  const text = bytes.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f));
  if (text) return readText(new TextDecoder().decode(bytes));
  return { kind: "bytes", encoding: "raw", bytes };
}

function byteCount(count: number): string {
  return `${count} byte${count === 1 ? "" : "s"}`;
}

function hexOf(bytes: Uint8Array, limit = bytes.length): string {
  const hex = Buffer.from(bytes.subarray(0, limit)).toString("hex");
  return bytes.length > limit ? `${hex}…` : hex;
}

const CODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(GrpcCode).map(([name, code]) => [code, name]),
);

function codeText(code: number): string {
  const name = CODE_NAMES.get(code);
  return name === undefined ? `${code} (not a canonical gRPC code)` : `${code} ${name}`;
}

// ---------------------------------------------------------------------------------------------
// A value cut short
// ---------------------------------------------------------------------------------------------

/** What could be read of a Status whose value ends inside one of its fields. */
interface CutShort {
  /** The field the value ends inside; for a detail, its index among the details (from 0). */
  readonly inside: { readonly field: "code" | "message" | "details"; readonly index?: number };
  /** The code; `undefined` when the value ends inside it. */
  readonly code: number | undefined;
  /** The message, or as much of it as arrived (see {@link messageComplete}). */
  readonly message: string;
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
 * Reads a value that did not decode as a Status, to tell a value cut short from one that is not a
 * Status at all. It is cut short when every field up to the failure is a field of Status with its
 * wire type (1 code, 2 message, 3 details), the failure is the bytes running out inside the last
 * one, and everything before that field decodes as a Status on its own. Random bytes seldom pass:
 * a failure while reading a tag never counts, since the tags of a Status are one byte each.
 */
function readBeforeCut(bytes: Uint8Array): CutShort | undefined {
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

function insideText(cut: CutShort): string {
  return cut.inside.field === "details" ? `detail ${(cut.inside.index ?? 0) + 1}` : `the ${cut.inside.field}`;
}

// ---------------------------------------------------------------------------------------------
// The fields of the mapped error, once for text and JSON
// ---------------------------------------------------------------------------------------------

type MappedField = readonly [name: string, value: unknown];

/**
 * Every field `fromGrpcStatus` sets that the CLI shows, in order, `undefined` where the error has
 * none. `filepath` and `fieldViolations` are the class fields the status itself can fill (from
 * `metadata.filepath` and BadRequest); the others come from a context, which the CLI does not have.
 */
function mappedFields(error: SandboxSdkError): readonly MappedField[] {
  const own = error as { filepath?: unknown; fieldViolations?: unknown };
  return [
    ["class", error.name],
    ["message", error.message],
    ["retryable", error.retryable],
    ["grpcCode", error.grpcCode],
    ["reason", error.reason],
    ["domain", error.domain],
    ["retryDelay", error.retryDelay],
    ["requestId", error.requestId],
    ["filepath", own.filepath],
    ["fieldViolations", own.fieldViolations],
  ];
}

function mappedFieldLines(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  switch (name) {
    case "class":
      return [String(value)];
    case "retryable":
      return [String(value)];
    case "grpcCode":
      return [codeText(value as number)];
    case "retryDelay":
      return [`${value} ms`];
    case "fieldViolations": {
      const violations = value as readonly { field: string; description: string }[];
      if (violations.length === 0) return undefined;
      return violations.map((v) => `${quote(v.field)}: ${quote(v.description)}`);
    }
    default:
      return [quote(String(value))];
  }
}

// ---------------------------------------------------------------------------------------------
// Text output
// ---------------------------------------------------------------------------------------------

/** A labelled value (one or more lines), or a labelled group of items shown indented below it. */
type Item =
  | { readonly label: string; readonly lines: readonly string[] }
  | { readonly label: string; readonly items: readonly Item[] };

const INDENT = "  ";
const GAP = "  ";

/**
 * Appends `items` to `out`, labels aligned. A loop, not `Math.max(...widths)`: a spread passes one
 * argument per item, and a status with a hundred thousand entries overflows the call stack.
 * The recursion follows the nesting of the detail shapes, which is fixed, never the input's size.
 */
function render(items: readonly Item[], indent: string, out: string[]): void {
  let width = 0;
  for (const item of items) if ("lines" in item && item.label.length > width) width = item.label.length;
  for (const item of items) {
    if ("items" in item) {
      out.push(`${indent}${item.label}`);
      render(item.items, indent + INDENT, out);
      continue;
    }
    const { lines } = item;
    out.push(`${indent}${item.label.padEnd(width)}${GAP}${lines[0] ?? ""}`.trimEnd());
    const blank = " ".repeat(width);
    for (let i = 1; i < lines.length; i++) out.push(`${indent}${blank}${GAP}${lines[i]}`);
  }
}

/** Map keys are shown bare unless that would hide something. */
function mapKey(key: string): string {
  return /^[\x21-\x7e]+$/.test(key) && !key.includes('"') ? key : quote(key);
}

function mapLines(map: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(map);
  if (keys.length === 0) return ["{}"];
  const shown = keys.map(mapKey);
  let width = 0;
  for (const key of shown) if (key.length > width) width = key.length;
  return keys.map((key, i) => `${(shown[i] as string).padEnd(width)}  ${quote(map[key] as string)}`);
}

const BYTES_PER_LINE = 32;

function bytesLines(bytes: Uint8Array): string[] {
  const lines = [`${byteCount(bytes.length)}${bytes.length > 0 ? ", hex:" : ""}`];
  for (let i = 0; i < bytes.length; i += BYTES_PER_LINE) {
    lines.push(hexOf(bytes.subarray(i, i + BYTES_PER_LINE)));
  }
  return lines;
}

/** The `map<string, string>` fields of the detail shapes (null-prototype objects). */
const MAP_FIELDS = new Set(["metadata", "quotaDimensions"]);

/**
 * Fields a shape leaves out when they were not sent (an `optional` field, an unset message, or a
 * RetryInfo delay that is absent or invalid): shown anyway, so every field of the type is listed.
 */
const ABSENT_NOTE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  RetryInfo: { retryDelay: "absent (not sent, or not a valid Duration)" },
  "QuotaFailure.violations": { futureQuotaValue: "absent (not sent)" },
  "BadRequest.fieldViolations": { localizedMessage: "absent (not sent)" },
};

function valueItems(value: Readonly<Record<string, unknown>>, kind: string): Item[] {
  const items: Item[] = [];
  for (const key of Object.keys(value)) {
    if (key === "type" && kind.indexOf(".") === -1) continue;
    const field = value[key];
    if (field instanceof Uint8Array) items.push({ label: key, lines: bytesLines(field) });
    else if (typeof field === "string") items.push({ label: key, lines: [quote(field)] });
    else if (typeof field === "number") {
      items.push({ label: key, lines: [key === "retryDelay" ? `${field} ms` : String(field)] });
    } else if (Array.isArray(field)) {
      if (field.length === 0) items.push({ label: key, lines: ["[]"] });
      else if (field.every((element) => typeof element === "string")) {
        items.push({ label: key, lines: field.map((element) => quote(element as string)) });
      } else {
        for (let index = 0; index < field.length; index++) {
          items.push({
            label: `${key}[${index}]`,
            items: valueItems(field[index] as Record<string, unknown>, `${kind}.${key}`),
          });
        }
      }
    } else if (MAP_FIELDS.has(key)) {
      items.push({ label: key, lines: mapLines(field as Record<string, string>) });
    } else if (typeof field === "object" && field !== null) {
      items.push({ label: key, items: valueItems(field as Record<string, unknown>, `${kind}.${key}`) });
    } else items.push({ label: key, lines: [String(field)] });
  }
  const notes = ABSENT_NOTE[kind] ?? {};
  for (const key of Object.keys(notes)) {
    if (!(key in value)) items.push({ label: key, lines: [notes[key] as string] });
  }
  return items;
}

function detailTitle(detail: StatusDetail, index: number, count: number): string {
  const suffix = detail.type === "Unknown" ? " (kept raw: not a google.rpc type, or did not decode)" : "";
  return `Detail ${index + 1} of ${count}: ${detail.type}${suffix}`;
}

function detailsCount(status: ParsedStatus): string {
  const omitted = status.omittedDetails;
  return omitted === undefined
    ? String(status.details.length)
    : `${status.details.length} (and ${omitted} more past the limit, not kept)`;
}

function renderDetails(details: readonly StatusDetail[], out: string[]): void {
  for (let index = 0; index < details.length; index++) {
    const detail = details[index] as StatusDetail;
    out.push("", detailTitle(detail, index, details.length));
    render(valueItems(detail as unknown as Record<string, unknown>, detail.type), INDENT, out);
  }
}

function renderText(input: Input, status: ParsedStatus, error: SandboxSdkError): string {
  const out: string[] = [`Status (${input.bytes.length} bytes, ${input.encoding})`];
  render(
    [
      { label: "code", lines: [codeText(status.code)] },
      { label: "message", lines: [quote(status.message)] },
      { label: "details", lines: [detailsCount(status)] },
    ],
    INDENT,
    out,
  );
  renderDetails(status.details, out);
  out.push(
    "",
    `fromGrpcStatus (the status's code ${codeText(status.code)} taken as the transport's code; default context)`,
  );
  const items: Item[] = [];
  for (const [name, value] of mappedFields(error)) {
    const lines = mappedFieldLines(name, value);
    if (lines !== undefined) items.push({ label: name, lines });
  }
  render(items, INDENT, out);
  return `${out.join("\n")}\n`;
}

function renderCutShortText(input: Input, cut: CutShort): string {
  const out: string[] = [
    `Status cut short (${byteCount(input.bytes.length)}, ${input.encoding}): the value ends inside ${insideText(cut)}`,
    "What could be read before the cut:",
  ];
  const message = cut.messageComplete ? quote(cut.message) : `${quote(cut.message)} … (cut short)`;
  const details = cut.inside.field === "details" ? `${cut.details.length} whole, then one cut short` : "0";
  render(
    [
      { label: "code", lines: [cut.code === undefined ? "(cut short)" : codeText(cut.code)] },
      { label: "message", lines: [message] },
      { label: "details", lines: [details] },
    ],
    INDENT,
    out,
  );
  renderDetails(cut.details, out);
  out.push("", "No class: the part after the cut could change it.");
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// JSON output
// ---------------------------------------------------------------------------------------------

const nullable = (value: unknown) => (value === undefined ? null : value);

function toJson(document: unknown): string {
  const replacer = (_key: string, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value;
  return `${JSON.stringify(document, replacer, 2)}\n`;
}

function renderJson(input: Input, status: ParsedStatus, error: SandboxSdkError): string {
  const mapped: Record<string, unknown> = {
    note: "the status's own code taken as the transport's code; default context",
  };
  for (const [name, value] of mappedFields(error)) mapped[name] = nullable(value);
  return toJson({
    input: { encoding: input.encoding, bytes: input.bytes.length },
    cutShort: null,
    status: {
      code: status.code,
      codeName: nullable(CODE_NAMES.get(status.code)),
      message: status.message,
      // The detail shapes of parseStatusDetails, bytes as base64.
      details: status.details,
      omittedDetails: status.omittedDetails ?? 0,
      reason: nullable(status.reason),
      domain: nullable(status.domain),
      metadata: status.metadata,
      retryDelay: nullable(status.retryDelay),
      fieldViolations: status.fieldViolations,
      requestId: nullable(status.requestId),
    },
    fromGrpcStatus: mapped,
  });
}

function renderCutShortJson(input: Input, cut: CutShort): string {
  return toJson({
    input: { encoding: input.encoding, bytes: input.bytes.length },
    cutShort: { field: cut.inside.field, index: nullable(cut.inside.index) },
    // What could be read before the cut; no class, since the rest could change it.
    status: {
      code: nullable(cut.code),
      codeName: cut.code === undefined ? null : nullable(CODE_NAMES.get(cut.code)),
      message: cut.message,
      messageComplete: cut.messageComplete,
      details: cut.details,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

/** Where a decoder writes: standard output, and the one-line failure (which returns the exit status). */
interface Output {
  stdout(text: string): void;
  fail(message: string): number;
}

/** Decodes a trailer value's bytes, prints the status and its mapping, and returns the exit status. */
function decodeBytes(input: Input, json: boolean, { stdout, fail }: Output): number {
  const status = parseStatusDetails(input.bytes);
  if (status === undefined) {
    const cut = readBeforeCut(input.bytes);
    if (cut !== undefined) {
      stdout(json ? renderCutShortJson(input, cut) : renderCutShortText(input, cut));
      return fail(
        `the value was cut short: it ends inside ${insideText(cut)} of the Status, after ${byteCount(input.bytes.length)} (what could be read is on standard output)`,
      );
    }
    return fail(
      `not a google.rpc.Status: ${input.bytes.length} bytes (${hexOf(input.bytes, 16)}) that do not decode`,
    );
  }
  // An all-default Status encodes to zero bytes, so non-empty input that decodes to one held only
  // fields a Status does not have: text that happens to be valid base64, not a trailer value.
  if (status.code === 0 && status.message === "" && status.details.length === 0) {
    return fail(
      `not a google.rpc.Status: ${input.bytes.length} bytes (${hexOf(input.bytes, 16)}) with no code, message or details, only unknown fields`,
    );
  }
  // Map it as a grpc-js client would see it: the status's code and message as the transport's.
  const transport = {
    code: status.code,
    details: status.message,
    metadata: { get: (key: string) => (key === STATUS_DETAILS_KEY ? [input.bytes] : []) },
  };
  const error = fromGrpcStatus(transport);
  stdout(json ? renderJson(input, status, error) : renderText(input, status, error));
  return EXIT_OK;
}

/** Decodes a JSON error body, prints the status and its mapping, and returns the exit status. */
function decodeJson(input: Input & { kind: "json" }, json: boolean, { stdout }: Output): number {
  const status = parseStatusJson(input.body) as ParsedStatus;
  // The body itself is what a fetch-based SDK hands to fromGrpcStatus.
  const error = fromGrpcStatus(input.body);
  stdout(json ? renderJson(input, status, error) : renderText(input, status, error));
  return EXIT_OK;
}

/**
 * Runs the command line `argv` (the arguments after the program name) and returns the exit status:
 * 0 when the input decoded (or help or the version was asked for), 2 on bad usage, on an input that
 * is not a `google.rpc.Status`, and on a value that was cut short, with a one-line message on
 * standard error. For a value cut short, what could be read before the cut still goes to standard
 * output. Nothing written carries a control character or a bidirectional override raw.
 *
 * @example
 * ```ts
 * const status = await runCli(["decode", "--json", hex], { stdout, stderr, readStdin });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // The one place output leaves: every string is made safe here, whatever path built it.
  const stdout = (text: string) => io.stdout(escapeForTerminal(text));
  const fail = (message: string): number => {
    io.stderr(escapeForTerminal(`${PROGRAM}: ${message}\n`));
    return EXIT_USAGE;
  };
  try {
    const options = parseArguments(argv);
    if (options.help) {
      stdout(USAGE);
      return EXIT_OK;
    }
    if (options.version) {
      stdout(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (options.command === undefined)
      return fail("missing command (try 'decode <base64 | hex | ->' or --help)");
    if (options.command !== "decode") {
      return fail(
        `unknown command ${quoteArgument(options.command)} (the only command is 'decode'; see --help)`,
      );
    }
    const [argument, ...extra] = options.inputs;
    if (argument === undefined)
      return fail("decode needs an input: base64, hex, or - for stdin (see --help)");
    if (extra.length > 0) return fail(`decode takes one input, got ${options.inputs.length} (see --help)`);

    const input = argument === "-" ? readStdin(await io.readStdin()) : readText(argument);
    switch (input.kind) {
      case "bytes":
        return decodeBytes(input, options.json, { stdout, fail });
      case "json":
        return decodeJson(input, options.json, { stdout, fail });
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Process wiring: only when this file is the program (not when a test imports it)
// ---------------------------------------------------------------------------------------------

function isProgram(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    // npm links the bin from node_modules/.bin: compare real paths.
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

if (isProgram()) {
  runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
  }).then(
    (status) => {
      // exitCode, not exit(): a pipe still gets everything written.
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(
        `${PROGRAM}: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
