/**
 * The binary detail decoders (SPEC §4) against an independent encoder: google-protobuf's
 * BinaryWriter writes random field sequences of every `google.rpc` detail type, with field numbers
 * and kinds read by protobufjs from the `.proto` files of google-proto-files (never from this
 * package's schemas), and a model written here says what each sequence must decode to. The
 * hand-written fast paths (ErrorInfo, RetryInfo) are then held to the schema-driven decoder on any
 * bytes at all.
 */
import fc from "fast-check";
import { getProtoPath } from "google-proto-files";
import googleProtobuf from "google-protobuf";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import {
  decodeBySchema,
  decoderForTypeUrl,
  KNOWN_DETAIL_TYPES,
  type KnownDetailType,
  type StatusDetail,
  typeUrlOf,
  Vocabulary,
} from "../../src/wire/details.js";
import { parseStatusDetails } from "../../src/wire/status-details.js";
import { WireReader } from "../../src/wire/wire-reader.js";

const { BinaryWriter } = googleProtobuf;
type Writer = InstanceType<typeof BinaryWriter>;

// ---------------------------------------------------------------------------------------------
// The messages, as error_details.proto declares them
// ---------------------------------------------------------------------------------------------

type Kind =
  | "string"
  | "strings"
  | "map"
  | "int64"
  | "optionalInt64"
  | "int32"
  | "duration"
  | "message"
  | "messages";

interface ProtoField {
  /** The lowerCamel name (protobufjs's, which is proto3 JSON's). */
  readonly name: string;
  readonly number: number;
  readonly kind: Kind;
  /** The message of a map entry, a Duration, a message field. */
  readonly of?: ProtoMessage;
}

interface ProtoMessage {
  readonly fields: readonly ProtoField[];
}

const MAP_ENTRY: ProtoMessage = {
  fields: [
    { name: "key", number: 1, kind: "string" },
    { name: "value", number: 2, kind: "string" },
  ],
};
const DURATION: ProtoMessage = {
  fields: [
    { name: "seconds", number: 1, kind: "int64" },
    { name: "nanos", number: 2, kind: "int32" },
  ],
};

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith("google/") ? getProtoPath("..", target) : target);
root.loadSync(["google/rpc/error_details.proto"]);
root.resolveAll();

/** A message as protobufjs reads it from the `.proto` file; a field of a kind not listed here fails. */
function messageOf(type: protobuf.Type): ProtoMessage {
  return {
    fields: type.fieldsArray.map((field): ProtoField => {
      const base = { name: field.name, number: field.id };
      const nested = field.resolvedType;
      if (field.map) return { ...base, kind: "map", of: MAP_ENTRY };
      if (nested instanceof protobuf.Type && nested.fullName === ".google.protobuf.Duration")
        return { ...base, kind: "duration", of: DURATION };
      if (nested instanceof protobuf.Type)
        return { ...base, kind: field.repeated ? "messages" : "message", of: messageOf(nested) };
      if (field.type === "string") return { ...base, kind: field.repeated ? "strings" : "string" };
      if (field.type === "int64" && !field.repeated)
        return { ...base, kind: field.options?.proto3_optional === true ? "optionalInt64" : "int64" };
      throw new Error(`${type.name}.${field.name}: a field kind this test does not model (${field.type})`);
    }),
  };
}

const MESSAGES = Object.fromEntries(
  KNOWN_DETAIL_TYPES.map((type) => [type, messageOf(root.lookupType(`google.rpc.${type}`))]),
) as Record<KnownDetailType, ProtoMessage>;

// ---------------------------------------------------------------------------------------------
// Field sequences, written by BinaryWriter
// ---------------------------------------------------------------------------------------------

/** One field on the wire, in the order sent. */
type Event =
  | { readonly at: "string"; readonly number: number; readonly bytes: Uint8Array }
  | { readonly at: "int64" | "int32"; readonly number: number; readonly value: number }
  | { readonly at: "message"; readonly number: number; readonly events: readonly Event[] }
  /** A field this message does not have, of any wire type. */
  | { readonly at: "unknown"; readonly number: number; readonly wire: UnknownWire; readonly value: number }
  /** A known field sent with a wire type it does not have: the whole detail fails. */
  | { readonly at: "wrong"; readonly number: number; readonly delimited: boolean };

type UnknownWire = "varint" | "fixed32" | "fixed64" | "bytes" | "group";

function write(writer: Writer, events: readonly Event[]): void {
  for (const event of events) {
    switch (event.at) {
      case "string":
        // As bytes: a string field is any bytes on the wire, and the decoder must read them leniently.
        writer.writeBytes(event.number, event.bytes);
        break;
      case "int64":
        writer.writeInt64(event.number, event.value);
        break;
      case "int32":
        writer.writeInt32(event.number, event.value);
        break;
      case "message":
        writer.writeMessage(event.number, event.events, (events, nested) => write(nested, events));
        break;
      case "wrong":
        if (event.delimited) writer.writeBytes(event.number, Uint8Array.of(1));
        else writer.writeInt64(event.number, 1);
        break;
      case "unknown":
        if (event.wire === "varint") writer.writeInt64(event.number, event.value);
        else if (event.wire === "fixed32") writer.writeFixed32(event.number, event.value >>> 0);
        else if (event.wire === "fixed64") writer.writeFixed64(event.number, Math.abs(event.value));
        else if (event.wire === "bytes") writer.writeBytes(event.number, Uint8Array.of(0x08, 0x96, 0x01));
        else
          writer.writeGroup(event.number, event, (_, group) => {
            group.writeInt64(1, event.value);
            group.writeBytes(2, Uint8Array.of(0xff));
          });
    }
  }
}

function encode(events: readonly Event[]): Uint8Array {
  const writer = new BinaryWriter();
  write(writer, events);
  return writer.getResultBuffer();
}

/** A `google.rpc.Status` (code 3) holding one `Any`, written by BinaryWriter too. */
function statusOf(type: KnownDetailType, value: Uint8Array): Uint8Array {
  const writer = new BinaryWriter();
  writer.writeInt32(1, 3);
  writer.writeMessage(3, value, (payload, any) => {
    any.writeString(1, typeUrlOf(type));
    any.writeBytes(2, payload);
  });
  return writer.getResultBuffer();
}

const utf8 = new TextEncoder();
/** String payloads: text, and bytes that are not all valid UTF-8 (a BOM, a lone continuation byte). */
const stringBytes = fc.oneof(
  fc.string({ maxLength: 6 }).map((text) => utf8.encode(text)),
  fc.constantFrom("", "__proto__", "constructor", "1", "é").map((text) => utf8.encode(text)),
  fc.uint8Array({ maxLength: 6 }),
  fc.constant(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41)),
);
const safeInteger = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);
// Around every Duration limit: |seconds| ≤ 315,576,000,000, |nanos| ≤ 999,999,999, signs agreeing.
const seconds = fc.oneof(
  fc.integer({ min: -100, max: 100 }),
  fc.constantFrom(315_576_000_000, 315_576_000_001, -315_576_000_000, -315_576_000_001),
);
const nanos = fc.oneof(
  fc.integer({ min: -1_000_000_005, max: 1_000_000_005 }),
  fc.constantFrom(0, 999_999_999, 1_000_000_000, -999_999_999, -1_000_000_000),
);

const unknownEvent = fc.record({
  at: fc.constant("unknown" as const),
  number: fc.oneof(fc.integer({ min: 9, max: 40 }), fc.constant(536_870_911)),
  wire: fc.constantFrom<UnknownWire>("varint", "fixed32", "fixed64", "bytes", "group"),
  value: safeInteger,
});

/** Random field sequences of `message`: every field, any number of times, in any order. */
function eventsOf(message: ProtoMessage, wrong: boolean): fc.Arbitrary<Event[]> {
  const fieldEvents = message.fields.map((field): fc.Arbitrary<Event> => {
    const { number } = field;
    switch (field.kind) {
      case "string":
      case "strings":
        return fc.record({
          at: fc.constant("string" as const),
          number: fc.constant(number),
          bytes: stringBytes,
        });
      case "int64":
      case "optionalInt64":
        return fc.record({
          at: fc.constant("int64" as const),
          number: fc.constant(number),
          value: message === DURATION ? seconds : safeInteger,
        });
      case "int32":
        return fc.record({ at: fc.constant("int32" as const), number: fc.constant(number), value: nanos });
      default:
        return fc.record({
          at: fc.constant("message" as const),
          number: fc.constant(number),
          events: eventsOf(field.of as ProtoMessage, wrong),
        });
    }
  });
  const wrongEvent = fc.constantFrom(...message.fields).map(
    (field): Event => ({
      at: "wrong",
      number: field.number,
      // Each kind on the other wire type: a delimited field as a varint, a varint as delimited.
      delimited: field.kind === "int64" || field.kind === "optionalInt64" || field.kind === "int32",
    }),
  );
  const kinds = [...fieldEvents, unknownEvent];
  // Rare enough that most sequences decode: about one in eight has a wrong field somewhere.
  const any = wrong
    ? fc.oneof(...kinds.map((arbitrary) => ({ arbitrary, weight: 12 })), { arbitrary: wrongEvent, weight: 1 })
    : fc.oneof(...kinds);
  return fc.array(any, { maxLength: 6 });
}

// ---------------------------------------------------------------------------------------------
// The model: what a sequence must decode to (SPEC §4), worked out without the decoder
// ---------------------------------------------------------------------------------------------

class Malformed extends Error {}

const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

/** What was sent of one message, by field number: protobuf's merge of the sequence. */
type Sent = Map<number, unknown>;

function fold(message: ProtoMessage, events: readonly Event[], sent: Sent = new Map()): Sent {
  for (const event of events) {
    if (event.at === "unknown") continue;
    if (event.at === "wrong") throw new Malformed();
    const field = message.fields.find((candidate) => candidate.number === event.number) as ProtoField;
    const nested = event.at === "message" ? event.events : [];
    switch (field.kind) {
      case "string":
        sent.set(field.number, lenient.decode((event as { bytes: Uint8Array }).bytes));
        break;
      case "strings":
        sent.set(field.number, [
          ...((sent.get(field.number) as string[]) ?? []),
          lenient.decode((event as { bytes: Uint8Array }).bytes),
        ]);
        break;
      case "int64":
      case "optionalInt64":
      case "int32":
        sent.set(field.number, (event as { value: number }).value);
        break;
      case "map": {
        const map = (sent.get(field.number) as Record<string, string>) ?? Object.create(null);
        const entry = fold(MAP_ENTRY, nested);
        map[(entry.get(1) as string) ?? ""] = (entry.get(2) as string) ?? "";
        sent.set(field.number, map);
        break;
      }
      case "duration":
      case "message":
        // A singular message field's copies merge.
        sent.set(field.number, fold(field.of as ProtoMessage, nested, sent.get(field.number) as Sent));
        break;
      case "messages":
        sent.set(field.number, [
          ...((sent.get(field.number) as Sent[]) ?? []),
          fold(field.of as ProtoMessage, nested),
        ]);
    }
  }
  return sent;
}

/** The SPEC's Duration rule, written out again here. */
function milliseconds(duration: Sent): number | undefined {
  const s = (duration.get(1) as number) ?? 0;
  const n = (duration.get(2) as number) ?? 0;
  if (Math.abs(s) > 315_576_000_000 || Math.abs(n) > 999_999_999) return undefined;
  if ((s > 0 && n < 0) || (s < 0 && n > 0)) return undefined;
  return s * 1000 + n / 1e6;
}

/** A message's decoded shape: proto3 defaults present, an optional or message field absent unless sent. */
function shapeOf(message: ProtoMessage, sent: Sent): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const field of message.fields) {
    const value = sent.get(field.number);
    switch (field.kind) {
      case "string":
        shaped[field.name] = value ?? "";
        break;
      case "strings":
        shaped[field.name] = value ?? [];
        break;
      case "int64":
        shaped[field.name] = value ?? 0;
        break;
      case "optionalInt64":
        if (value !== undefined) shaped[field.name] = value;
        break;
      case "map":
        shaped[field.name] = Object.freeze(value ?? Object.create(null));
        break;
      case "duration": {
        const ms = value === undefined ? undefined : milliseconds(value as Sent);
        if (ms !== undefined) shaped[field.name] = ms;
        break;
      }
      case "message":
        if (value !== undefined) shaped[field.name] = shapeOf(field.of as ProtoMessage, value as Sent);
        break;
      case "messages":
        shaped[field.name] = ((value as Sent[]) ?? []).map((item) => shapeOf(field.of as ProtoMessage, item));
    }
  }
  return shaped;
}

/** The detail `events` must decode to, or `undefined` when they must not decode as `type`. */
function expected(type: KnownDetailType, events: readonly Event[]): StatusDetail | undefined {
  try {
    return { type, ...shapeOf(MESSAGES[type], fold(MESSAGES[type], events)) } as StatusDetail;
  } catch (error) {
    if (error instanceof Malformed) return undefined;
    throw error;
  }
}

/** Every map in `value`, so that their freezing can be checked (toStrictEqual ignores it). */
function frozenness(value: unknown): boolean[] {
  if (value === null || typeof value !== "object") return [];
  if (Object.getPrototypeOf(value) === null) return [Object.isFrozen(value)];
  return Object.values(value).flatMap(frozenness);
}

/** Checks `actual` against `wanted`: values, prototypes (maps null-prototype), key order, freezing. */
function expectSame(actual: unknown, wanted: unknown): void {
  expect(actual).toStrictEqual(wanted);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(wanted));
  expect(frozenness(actual)).toEqual(frozenness(wanted));
}

const typeAndEvents = fc
  .constantFrom(...KNOWN_DETAIL_TYPES)
  .chain((type) => fc.tuple(fc.constant(type), eventsOf(MESSAGES[type], true)));

describe("every detail type, written by google-protobuf's BinaryWriter", () => {
  it("the model sees every kind of field the decoders must handle", () => {
    const kinds = new Set<Kind>();
    const visit = (message: ProtoMessage) => {
      for (const field of message.fields) {
        kinds.add(field.kind);
        if (field.of !== undefined) visit(field.of);
      }
    };
    for (const type of KNOWN_DETAIL_TYPES) visit(MESSAGES[type]);
    expect([...kinds].sort()).toEqual(
      [
        "duration",
        "int32",
        "int64",
        "map",
        "message",
        "messages",
        "optionalInt64",
        "string",
        "strings",
      ].sort(),
    );
  });

  it("decodes as the model says through parseStatusDetails, or keeps the detail Unknown", () => {
    fc.assert(
      fc.property(typeAndEvents, ([type, events]) => {
        const value = encode(events);
        const wanted = expected(type, events) ?? { type: "Unknown", typeUrl: typeUrlOf(type), value };
        const parsed = parseStatusDetails(statusOf(type, value));
        expect(parsed?.details).toHaveLength(1);
        expectSame(parsed?.details[0], wanted);
      }),
      { numRuns: 1500 },
    );
  });

  it("decodes as the model says through the schema-driven decoder, ErrorInfo and RetryInfo included", () => {
    fc.assert(
      fc.property(typeAndEvents, ([type, events]) => {
        const wanted = expected(type, events);
        const decode = () => decodeBySchema(type, new WireReader(encode(events)));
        if (wanted === undefined) expect(decode).toThrow();
        else expectSame(decode(), wanted);
      }),
      { numRuns: 1500 },
    );
  });

  it("decodes later copies of singular fields, repeated messages and merged message fields", () => {
    // Written out once, so the merge rules are visible without a generator: field 1 of BadRequest is
    // a violation; inside it, field 4 (localized_message) is sent twice and merges.
    const text = (number: number, value: string): Event => ({
      at: "string",
      number,
      bytes: utf8.encode(value),
    });
    const events: Event[] = [
      {
        at: "message",
        number: 1,
        events: [
          text(1, "name"),
          { at: "message", number: 4, events: [text(1, "fr"), text(2, "premier")] },
          text(1, "email"),
          { at: "message", number: 4, events: [text(2, "second")] },
        ],
      },
      { at: "message", number: 1, events: [] },
    ];
    expect(decodeBySchema("BadRequest", new WireReader(encode(events)))).toStrictEqual({
      type: "BadRequest",
      fieldViolations: [
        {
          field: "email",
          description: "",
          reason: "",
          localizedMessage: { locale: "fr", message: "second" },
        },
        { field: "", description: "", reason: "" },
      ],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The fast paths: held to the schema-driven decoder on any bytes
// ---------------------------------------------------------------------------------------------

/** `bytes` with random damage: cut, a byte changed, bytes inserted. */
const damaged = (bytes: Uint8Array) =>
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom("cut", "change", "insert"),
      fc.uint8Array({ minLength: 1, maxLength: 3 }),
    )
    .map(([at, how, extra]) => {
      const i = at % (bytes.length + 1);
      if (how === "cut") return bytes.slice(0, i);
      if (how === "change" && i < bytes.length)
        return Uint8Array.from(bytes, (b, j) => (j === i ? (extra[0] as number) : b));
      return Uint8Array.from([...bytes.subarray(0, i), ...extra, ...bytes.subarray(i)]);
    });

function fastPathOf(type: KnownDetailType) {
  const url = utf8.encode(typeUrlOf(type));
  const decode = decoderForTypeUrl(url, 0, url.length);
  if (decode === undefined) throw new Error(`no decoder for ${type}`);
  return decode;
}

/** The outcome of `decode`: its result, or the name of what it threw. */
function outcome(decode: () => unknown): unknown {
  try {
    return { decoded: decode() };
  } catch (error) {
    return { threw: (error as Error).name };
  }
}

describe("the hand-written ErrorInfo and RetryInfo decoders", () => {
  it.each(["ErrorInfo", "RetryInfo"] as const)(
    "%s agrees with the schema-driven decoder on any bytes",
    (type) => {
      const fast = fastPathOf(type);
      const bytes = fc.oneof(
        eventsOf(MESSAGES[type], true).map(encode),
        eventsOf(MESSAGES[type], false).map(encode).chain(damaged),
        fc.uint8Array({ maxLength: 24 }),
      );
      fc.assert(
        fc.property(bytes, fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), (value, words) => {
          const bySchema = outcome(() => decodeBySchema(type, new WireReader(value)));
          for (const vocabulary of [undefined, new Vocabulary(words)]) {
            const byHand = outcome(() => fast(new WireReader(value), vocabulary));
            expectSame(byHand, bySchema);
          }
        }),
        { numRuns: 1500 },
      );
    },
  );
});

describe("cost of the schema-driven decoder", () => {
  it("grows linearly with the number of quota violations and dimensions (2,000 against 20,000)", () => {
    const blobOf = (count: number) => {
      const violation = (i: number): Event => ({
        at: "message",
        number: 1,
        events: [
          { at: "string", number: 1, bytes: utf8.encode(`subject-${i}`) },
          { at: "message", number: 6, events: [{ at: "string", number: 1, bytes: utf8.encode(`k${i}`) }] },
          { at: "message", number: 6, events: [{ at: "string", number: 1, bytes: utf8.encode(`j${i}`) }] },
        ],
      });
      return statusOf("QuotaFailure", encode(Array.from({ length: count }, (_, i) => violation(i))));
    };
    // The small blob is decoded ten times a round, so that both take about as long to time.
    const runs = [
      { blob: blobOf(2_000), times: 10 },
      { blob: blobOf(20_000), times: 1 },
    ];
    expect(parseStatusDetails(blobOf(20_000))?.details[0]).toMatchObject({ type: "QuotaFailure" });
    // The best time per byte of each over rounds that take turns, so that a busy moment of a noisy
    // machine falls on both.
    const best = runs.map(() => Number.POSITIVE_INFINITY);
    for (let round = 0; round < 7; round++) {
      runs.forEach(({ blob, times }, i) => {
        const started = performance.now();
        for (let k = 0; k < times; k++) parseStatusDetails(blob);
        best[i] = Math.min(best[i] as number, (performance.now() - started) / (blob.length * times));
      });
    }
    // Linear: 1–3× (the larger live heap costs the garbage collector more); a quadratic step is
    // 10× and more. The bound leaves room for a noisy machine.
    expect((best[1] as number) / (best[0] as number)).toBeLessThan(5);
  });
});
