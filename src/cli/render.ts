/**
 * What the CLI prints: a decoded status, its details and the mapped error, as text for a person or
 * as JSON for a program; and the escaping that keeps what came from the status from steering the
 * terminal.
 *
 * Output stays bounded by the input. Every label that is padded for alignment is a name of ours (a
 * field of a detail's schema, of the error), never a key from the status; a map entry, a string or a
 * detail kept as sent is one line, its keys unpadded; and nesting in a detail kept as sent is written
 * by {@link jsonText}, which has no recursion limit and indents only so deep.
 *
 * @packageDocumentation
 */
import { GrpcCode, type ParsedStatus, type SandboxSdkError, type StatusDetail } from "sandbox-sdk-errors";
import { DETAIL_SCHEMAS, type MessageSchema } from "../wire/details.js";
import type { CutShort } from "./cut-short.js";
import type { Input } from "./input.js";
import { jsonText } from "./json-text.js";

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
 * Writes every character a terminal must not receive raw (C0 and C1 controls but the line feed,
 * DEL, bidirectional controls, line and paragraph separators) as a `\uXXXX` escape. Inside a JSON
 * string that is the same character, so `--json` output stays valid JSON that parses back to what
 * the status held; those characters can only occur inside strings there, never in the JSON's own
 * structure.
 */
export function escapeForTerminal(text: string): string {
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
// Small pieces, shared with the messages on standard error
// ---------------------------------------------------------------------------------------------

/** `1 byte`, `2 bytes`. */
export function byteCount(count: number): string {
  return `${count} byte${count === 1 ? "" : "s"}`;
}

/** The first `limit` bytes as hex, with an ellipsis when there are more. */
export function hexOf(bytes: Uint8Array, limit = bytes.length): string {
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

/** Where in the Status a value was cut: `the message`, `detail 2`. */
export function insideText(cut: CutShort): string {
  return cut.inside.field === "details" ? `detail ${(cut.inside.index ?? 0) + 1}` : `the ${cut.inside.field}`;
}

// ---------------------------------------------------------------------------------------------
// The mapped error
// ---------------------------------------------------------------------------------------------

/** The error `fromGrpcStatus` chose, and how it was asked, for the last block of the output. */
export interface Mapping {
  /** What the preset's `fromGrpcStatus` returned. */
  readonly error: SandboxSdkError;
  /** The `--preset` name, e.g. `cwsandbox`. */
  readonly preset: string;
  /** What the output calls the preset, e.g. `CoreWeave sandbox`. */
  readonly presetTitle: string;
  /** The mapping context's `scope`. */
  readonly scope: string;
  /** What the input was handed to `fromGrpcStatus` as, in words. */
  readonly handedAs: string;
}

type MappedField = readonly [name: string, value: unknown];

/**
 * The fields shown always, in this order (`null` in JSON when the error has none): those SPEC §11
 * names, and the class fields a status alone can fill (`filepath` from `metadata.filepath`,
 * `fieldViolations` from BadRequest).
 */
const ALWAYS_SHOWN = [
  "class",
  "message",
  "retryable",
  "grpcCode",
  "reason",
  "domain",
  "retryDelay",
  "requestId",
  "filepath",
  "fieldViolations",
] as const;

/** What `toJSON()` holds that is shown elsewhere (the status's metadata and details) or not at all. */
const NOT_SHOWN: ReadonlySet<string> = new Set(["name", "stack", "cause", "metadata", "details"]);

/**
 * Every field the mapping set: {@link ALWAYS_SHOWN}, then any other field `toJSON()` holds (it lists
 * every public field that is set), so that a field a class or the root gains is shown without a
 * change here.
 */
function mappedFields(error: SandboxSdkError): readonly MappedField[] {
  const own = error as unknown as Record<string, unknown>;
  const fields: MappedField[] = ALWAYS_SHOWN.map((name) => [name, name === "class" ? error.name : own[name]]);
  const serialised = error.toJSON() as unknown as Record<string, unknown>;
  const shown = new Set<string>(ALWAYS_SHOWN);
  for (const key of Object.keys(serialised)) {
    if (!shown.has(key) && !NOT_SHOWN.has(key)) fields.push([key, serialised[key]]);
  }
  return fields;
}

/** A field of the mapped error as text lines; `undefined` when it is not set. */
function mappedFieldLines(name: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  switch (name) {
    case "class":
      return [String(value)];
    case "grpcCode":
      return [typeof value === "number" ? codeText(value) : jsonText(value)];
    case "retryDelay":
      return [`${value} ms`];
    case "fieldViolations": {
      if (!Array.isArray(value)) return [jsonText(value)];
      if (value.length === 0) return undefined;
      return value.map((v: { field?: unknown; description?: unknown }) =>
        typeof v?.field === "string" && typeof v.description === "string"
          ? `${quote(v.field)}: ${quote(v.description)}`
          : jsonText(v),
      );
    }
    default:
      return [typeof value === "string" ? quote(value) : jsonText(value)];
  }
}

// ---------------------------------------------------------------------------------------------
// Text output
// ---------------------------------------------------------------------------------------------

/**
 * A labelled value (one or more lines), or a labelled group of items shown indented below it.
 * Labels are names of ours, never keys from the status: they are padded to align.
 */
type Item =
  | { readonly label: string; readonly lines: readonly string[] }
  | { readonly label: string; readonly items: readonly Item[] };

const INDENT = "  ";
const GAP = "  ";

/**
 * Appends `items` to `out`, labels aligned (a loop, not `Math.max(...widths)`: a spread passes one
 * argument per item). The recursion follows groups, which only the detail schemas make (a
 * violation's `localizedMessage` is the deepest), never the input.
 */
function render(items: readonly Item[], indent: string, out: string[]): void {
  let width = 0;
  for (const item of items) if ("lines" in item && item.label.length > width) width = item.label.length;
  const blank = " ".repeat(width);
  for (const item of items) {
    if ("items" in item) {
      out.push(`${indent}${item.label}`);
      render(item.items, indent + INDENT, out);
      continue;
    }
    const { lines } = item;
    out.push(`${indent}${item.label.padEnd(width)}${GAP}${lines[0] ?? ""}`.trimEnd());
    for (let i = 1; i < lines.length; i++) out.push(`${indent}${blank}${GAP}${lines[i]}`);
  }
}

/** A key from the status, bare unless that would hide something (white space, a quote, a non-ASCII character). */
function keyText(key: string): string {
  return /^[\x21-\x7e]+$/.test(key) && !key.includes('"') ? key : quote(key);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A `map<string, string>`: one entry a line, `key: "value"`, keys unpadded. */
function mapLines(map: unknown): string[] {
  if (!isRecord(map)) return [jsonText(map)];
  const keys = Object.keys(map);
  if (keys.length === 0) return ["{}"];
  return keys.map((key) => {
    const value = map[key];
    return `${keyText(key)}: ${typeof value === "string" ? quote(value) : jsonText(value)}`;
  });
}

/**
 * A detail kept as sent in JSON: an object one member a line (`key: <JSON>`), anything else on one
 * line. Each value is compact JSON, however deep.
 */
function keptJsonLines(json: unknown): string[] {
  if (!isRecord(json)) return [jsonText(json)];
  const keys = Object.keys(json);
  if (keys.length === 0) return ["{}"];
  return keys.map((key) => `${keyText(key)}: ${jsonText(json[key])}`);
}

const BYTES_PER_LINE = 32;

/** Bytes as a hex dump, 32 a line. */
function bytesLines(bytes: Uint8Array): string[] {
  const lines = [`${byteCount(bytes.length)}${bytes.length > 0 ? ", hex:" : ""}`];
  for (let i = 0; i < bytes.length; i += BYTES_PER_LINE) {
    lines.push(hexOf(bytes.subarray(i, i + BYTES_PER_LINE)));
  }
  return lines;
}

const NOT_SENT = "absent (not sent)";

/** A scalar field: its text when it has the type the schema says, else its JSON (a shape that drifted). */
function scalar(value: unknown, type: "string" | "number", text: (value: never) => string): string {
  return typeof value === type ? text(value as never) : jsonText(value);
}

/**
 * The items of a message of a known detail type, every field of its schema in field-number order:
 * a field the shape leaves out when it was not sent (an `optional` int64, an unset message, an
 * absent or invalid Duration) is listed as absent.
 */
function messageItems(message: Readonly<Record<string, unknown>>, schema: MessageSchema): Item[] {
  const items: Item[] = [];
  for (const name of Object.keys(schema)) {
    const field = schema[name] as MessageSchema[string];
    const value = message[name];
    switch (field.kind) {
      case "string":
        items.push({ label: name, lines: [scalar(value, "string", quote)] });
        break;
      case "strings":
        items.push({
          label: name,
          lines: !Array.isArray(value)
            ? [jsonText(value)]
            : value.length === 0
              ? ["[]"]
              : value.map((entry) => scalar(entry, "string", quote)),
        });
        break;
      case "map":
        items.push({ label: name, lines: mapLines(value) });
        break;
      case "int64":
        items.push({
          label: name,
          lines: [value === undefined ? NOT_SENT : scalar(value, "number", String)],
        });
        break;
      case "duration":
        items.push({
          label: name,
          lines: [
            value === undefined
              ? "absent (not sent, or not a valid Duration)"
              : scalar(value, "number", (ms: number) => `${ms} ms`),
          ],
        });
        break;
      case "message":
        if (value === undefined) items.push({ label: name, lines: [NOT_SENT] });
        else if (!isRecord(value)) items.push({ label: name, lines: [jsonText(value)] });
        else items.push({ label: name, items: messageItems(value, field.of) });
        break;
      case "messages":
        if (!Array.isArray(value)) items.push({ label: name, lines: [jsonText(value)] });
        else if (value.length === 0) items.push({ label: name, lines: ["[]"] });
        else {
          for (let index = 0; index < value.length; index++) {
            const element: unknown = value[index];
            const label = `${name}[${index}]`;
            if (isRecord(element)) items.push({ label, items: messageItems(element, field.of) });
            else items.push({ label, lines: [jsonText(element)] });
          }
        }
        break;
    }
  }
  return items;
}

function detailItems(detail: StatusDetail): Item[] {
  if (detail.type !== "Unknown") {
    return messageItems(detail as unknown as Readonly<Record<string, unknown>>, DETAIL_SCHEMAS[detail.type]);
  }
  const items: Item[] = [
    { label: "typeUrl", lines: [quote(detail.typeUrl)] },
    { label: "value", lines: bytesLines(detail.value) },
  ];
  if (detail.json !== undefined) items.push({ label: "json", lines: keptJsonLines(detail.json) });
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
    render(detailItems(detail), INDENT, out);
  }
}

/** The status, every detail with every field, and the mapped error with every field it sets, as text. */
export function renderText(input: Input, status: ParsedStatus, mapping: Mapping): string {
  const out: string[] = [`Status (${byteCount(input.bytes.length)}, ${input.encoding})`];
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
    `fromGrpcStatus (preset ${mapping.preset}: ${mapping.presetTitle}; scope ${mapping.scope}; ${mapping.handedAs})`,
  );
  const items: Item[] = [];
  for (const [name, value] of mappedFields(mapping.error)) {
    // The server's message as sent is the status's, printed above: a long one is not printed thrice.
    const lines =
      name === "rawMessage" && value === status.message
        ? ["(the status's message, above)"]
        : mappedFieldLines(name, value);
    if (lines !== undefined) items.push({ label: name, lines });
  }
  render(items, INDENT, out);
  return `${out.join("\n")}\n`;
}

/** What could be read of a value cut short, as text; no class, since the rest could change it. */
export function renderCutShortText(input: Input, cut: CutShort): string {
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

/** The status and its mapping as JSON: the decoder's view (bytes as base64), the mapped error's fields. */
export function renderJson(input: Input, status: ParsedStatus, mapping: Mapping): string {
  const mapped: Record<string, unknown> = {
    note: mapping.handedAs,
    preset: mapping.preset,
    scope: mapping.scope,
  };
  // The CLI's own three keys first; a field of the same name (should `toJSON` ever hold one) is not
  // allowed to hide them.
  for (const [name, value] of mappedFields(mapping.error)) {
    if (!Object.hasOwn(mapped, name)) mapped[name] = nullable(value);
  }
  return `${jsonText(
    {
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
    },
    "  ",
  )}\n`;
}

/** What could be read of a value cut short, as JSON. */
export function renderCutShortJson(input: Input, cut: CutShort): string {
  return `${jsonText(
    {
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
    },
    "  ",
  )}\n`;
}
