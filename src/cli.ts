#!/usr/bin/env node
/**
 * The `sandbox-sdk-errors` command, for support engineers reading `grpc-status-details-bin` out of
 * logs: `sandbox-sdk-errors decode <base64 | hex | ->` prints the decoded `google.rpc.Status`, every
 * detail with every field, and the class `fromGrpcStatus` would choose for it.
 *
 * The logic is {@link runCli}, a function of its arguments and I/O; the process wiring at the bottom
 * runs only when this file is the program.
 *
 * @packageDocumentation
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  fromGrpcStatus,
  GrpcCode,
  type ParsedStatus,
  parseStatusDetails,
  type SandboxSdkError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "sandbox-sdk-errors";

const PROGRAM = "sandbox-sdk-errors";

/** Exit status: decoded, or help shown. */
const EXIT_OK = 0;
/** Exit status: bad usage, or input that is not a status. */
const EXIT_USAGE = 2;

const USAGE = `Usage: ${PROGRAM} decode [--json] <base64 | hex | ->

Decodes a grpc-status-details-bin value (a google.rpc.Status, AIP-193): prints the
status code, message and every detail with every field, then the error class that
fromGrpcStatus() would choose for it (taking the status's own code as the
transport's code, with the default context).

Input:
  <hex>       hex digits only, of even length (spaces and newlines are ignored)
  <base64>    anything else: standard or URL-safe alphabet, padding optional
  -           read the value from stdin (text as above, or the raw bytes)
              A leading "${STATUS_DETAILS_KEY}:" is ignored; an input that starts
              with "-" goes after "--".

Options:
  --json      print JSON instead of text (bytes as base64, absent fields as null)
  -h, --help  print this help

Exit status: 0 when the input decodes, 2 on bad usage or when it is not a status.
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
  command: string | undefined;
  inputs: string[];
}

function parseArguments(argv: readonly string[]): Options {
  const options: Options = { json: false, help: false, command: undefined, inputs: [] };
  let endOfOptions = false;
  for (const argument of argv) {
    if (!endOfOptions && argument === "--") endOfOptions = true;
    else if (!endOfOptions && argument === "--json") options.json = true;
    else if (!endOfOptions && (argument === "--help" || argument === "-h")) options.help = true;
    else if (!endOfOptions && argument.startsWith("-") && argument !== "-") {
      throw new UsageError(
        `unknown option '${argument}' (an input that starts with "-" goes after "--"; see --help)`,
      );
    } else if (options.command === undefined) options.command = argument;
    else options.inputs.push(argument);
  }
  return options;
}

const HEX = /^[0-9a-fA-F]*$/;
/** Both base64 alphabets, padding optional: what `parseStatusDetails` reads from grpc-web. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const TRAILER_PREFIX = new RegExp(`^\\s*${STATUS_DETAILS_KEY}\\s*[:=]`, "i");

type Encoding = "hex" | "base64" | "raw";

interface Input {
  readonly encoding: Encoding;
  readonly bytes: Uint8Array;
}

/** Reads a value as text: hex digits of even length are hex, anything else must be base64. */
function decodeText(text: string): Input {
  const compact = text.replace(TRAILER_PREFIX, "").replace(/\s+/g, "");
  if (compact === "") throw new UsageError("empty input: there is no status to decode");
  if (HEX.test(compact) && compact.length % 2 === 0) {
    return { encoding: "hex", bytes: Buffer.from(compact, "hex") };
  }
  // Buffer's decoder skips characters outside the alphabet; check first so that garbage is refused.
  if (!BASE64.test(compact) || compact.replace(/=+$/, "").length % 4 === 1) {
    throw new UsageError("input is neither hex (even length) nor base64");
  }
  return { encoding: "base64", bytes: Buffer.from(compact, "base64") };
}

/** Standard input may carry the raw bytes: a Status starts with a tag byte, never printable text. */
function decodeStdin(bytes: Uint8Array): Input {
  const text = bytes.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  if (text) return decodeText(Buffer.from(bytes).toString("latin1"));
  return { encoding: "raw", bytes };
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
// Text output
// ---------------------------------------------------------------------------------------------

/** A labelled value (one or more lines), or a labelled group of items shown indented below it. */
type Item =
  | { readonly label: string; readonly lines: readonly string[] }
  | { readonly label: string; readonly items: readonly Item[] };

const INDENT = "  ";
const GAP = "  ";

function render(items: readonly Item[], indent: string, out: string[]): void {
  const width = Math.max(0, ...items.map((item) => ("lines" in item ? item.label.length : 0)));
  for (const item of items) {
    if ("items" in item) {
      out.push(`${indent}${item.label}`);
      render(item.items, indent + INDENT, out);
      continue;
    }
    const [first = "", ...rest] = item.lines;
    out.push(`${indent}${item.label.padEnd(width)}${GAP}${first}`.trimEnd());
    for (const line of rest) out.push(`${indent}${" ".repeat(width)}${GAP}${line}`);
  }
}

/** Strings are quoted, so an empty one, a trailing space or a newline is visible. */
function quote(text: string): string {
  return JSON.stringify(text);
}

/** Map keys are shown bare unless that would hide something. */
function mapKey(key: string): string {
  return /^[\x21-\x7e]+$/.test(key) && !key.includes('"') ? key : quote(key);
}

function mapLines(map: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(map);
  if (keys.length === 0) return ["{}"];
  const shown = keys.map(mapKey);
  const width = Math.max(...shown.map((k) => k.length));
  return keys.map((key, i) => `${(shown[i] as string).padEnd(width)}  ${quote(map[key] as string)}`);
}

const BYTES_PER_LINE = 32;

function bytesLines(bytes: Uint8Array): string[] {
  const lines = [`${bytes.length} byte${bytes.length === 1 ? "" : "s"}${bytes.length > 0 ? ", hex:" : ""}`];
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
        field.forEach((element, index) => {
          items.push({
            label: `${key}[${index}]`,
            items: valueItems(element as Record<string, unknown>, `${kind}.${key}`),
          });
        });
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

function mappedItems(error: SandboxSdkError): Item[] {
  const items: Item[] = [
    { label: "class", lines: [error.name] },
    { label: "message", lines: [quote(error.message)] },
    { label: "retryable", lines: [String(error.retryable)] },
  ];
  // The fields the SDK user reads on the error, promoted from the details.
  if (error.reason !== undefined) items.push({ label: "reason", lines: [quote(error.reason)] });
  if (error.domain !== undefined) items.push({ label: "domain", lines: [quote(error.domain)] });
  if (error.retryDelay !== undefined) items.push({ label: "retryDelay", lines: [`${error.retryDelay} ms`] });
  if (error.requestId !== undefined) items.push({ label: "requestId", lines: [quote(error.requestId)] });
  // The one class field that can come from the status itself (metadata.filepath) rather than context.
  const { filepath } = error as { filepath?: string };
  if (filepath !== undefined) items.push({ label: "filepath", lines: [quote(filepath)] });
  const violations = (error as { fieldViolations?: readonly { field: string; description: string }[] })
    .fieldViolations;
  if (violations !== undefined && violations.length > 0) {
    items.push({
      label: "fieldViolations",
      lines: violations.map((v) => `${quote(v.field)}: ${quote(v.description)}`),
    });
  }
  return items;
}

function renderText(input: Input, status: ParsedStatus, error: SandboxSdkError): string {
  const out: string[] = [`Status (${input.bytes.length} bytes, ${input.encoding})`];
  render(
    [
      { label: "code", lines: [codeText(status.code)] },
      { label: "message", lines: [quote(status.message)] },
      { label: "details", lines: [String(status.details.length)] },
    ],
    INDENT,
    out,
  );
  status.details.forEach((detail, index) => {
    out.push("", detailTitle(detail, index, status.details.length));
    render(valueItems(detail as unknown as Record<string, unknown>, detail.type), INDENT, out);
  });
  out.push(
    "",
    `fromGrpcStatus (the status's code ${codeText(status.code)} taken as the transport's code; default context)`,
  );
  render(mappedItems(error), INDENT, out);
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// JSON output
// ---------------------------------------------------------------------------------------------

function renderJson(input: Input, status: ParsedStatus, error: SandboxSdkError): string {
  const nullable = (value: unknown) => (value === undefined ? null : value);
  const document = {
    input: { encoding: input.encoding, bytes: input.bytes.length },
    status: {
      code: status.code,
      codeName: nullable(CODE_NAMES.get(status.code)),
      message: status.message,
      // The detail shapes of parseStatusDetails, bytes as base64.
      details: status.details,
      reason: nullable(status.reason),
      domain: nullable(status.domain),
      metadata: status.metadata,
      retryDelay: nullable(status.retryDelay),
      fieldViolations: status.fieldViolations,
      requestId: nullable(status.requestId),
    },
    fromGrpcStatus: {
      note: "the status's own code taken as the transport's code; default context",
      class: error.name,
      message: error.message,
      retryable: error.retryable,
      grpcCode: nullable(error.grpcCode),
    },
  };
  const replacer = (_key: string, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value;
  return `${JSON.stringify(document, replacer, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

/**
 * Runs the command line `argv` (the arguments after the program name) and returns the exit status:
 * 0 when the input decoded (or help was asked for), 2 on bad usage or an input that is not a
 * `google.rpc.Status`, with a one-line message on standard error.
 *
 * @example
 * ```ts
 * const status = await runCli(["decode", "--json", hex], { stdout, stderr, readStdin });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr(`${PROGRAM}: ${message}\n`);
    return EXIT_USAGE;
  };
  try {
    const options = parseArguments(argv);
    if (options.help) {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    if (options.command === undefined)
      return fail("missing command (try 'decode <base64 | hex | ->' or --help)");
    if (options.command !== "decode") {
      return fail(`unknown command '${options.command}' (the only command is 'decode'; see --help)`);
    }
    const [argument, ...extra] = options.inputs;
    if (argument === undefined)
      return fail("decode needs an input: base64, hex, or - for stdin (see --help)");
    if (extra.length > 0) return fail(`decode takes one input, got ${options.inputs.length} (see --help)`);

    const input = argument === "-" ? decodeStdin(await io.readStdin()) : decodeText(argument);
    const status = parseStatusDetails(input.bytes);
    if (status === undefined) {
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
    io.stdout(options.json ? renderJson(input, status, error) : renderText(input, status, error));
    return EXIT_OK;
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
