import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { parseStatusDetails } from "../../src/wire/status-details.js";
import { decodeUtf8, WireFormatError, WireReader, WireType } from "../../src/wire/wire-reader.js";

/** `value` as a protobuf varint: seven bits a byte, low bits first (written here, not by a library). */
function varint(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return bytes;
}

/** The WireFormatError that `read` throws (failing the test when it throws nothing or something else). */
function failure(read: () => unknown): WireFormatError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(WireFormatError);
    return error as WireFormatError;
  }
  throw new Error("expected a WireFormatError, nothing was thrown");
}

const TWO_TO_32 = 2n ** 32n;
/** The high 32 bits of a varint of 33 to 64 bits: anything but zero. */
const highBits = fc.bigInt({ min: 1n, max: TWO_TO_32 - 1n });

/** A reader positioned on the first field of `bytes`. */
function readerAt(bytes: Uint8Array | number[]): WireReader {
  const reader = new WireReader(Uint8Array.from(bytes));
  expect(reader.next()).toBe(true);
  return reader;
}

describe("varints", () => {
  it("reads int32 and int64 exactly as protobufjs writes them", () => {
    const int64s = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(0n, -1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)),
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), int64s, (int32, int64) => {
        const writer = protobuf.Writer.create();
        writer.uint32((1 << 3) | 0).int32(int32);
        writer.uint32((2 << 3) | 0).int64(int64.toString());
        const reader = new WireReader(writer.finish());
        expect(reader.next()).toBe(true);
        expect(reader.int32()).toBe(int32);
        expect(reader.next()).toBe(true);
        expect(reader.int64()).toBe(Number(int64));
        expect(reader.next()).toBe(false);
      }),
    );
  });

  it("skips a varint field holding any 64-bit value, and reads the field after it", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (value) => {
        const reader = new WireReader(Uint8Array.from([0x08, ...varint(value), 0x10, 0x07]));
        expect(reader.next()).toBe(true);
        reader.skip();
        expect(reader.next()).toBe(true);
        expect(reader.field).toBe(2);
        expect(reader.int32()).toBe(7);
      }),
    );
  });

  it("refuses a varint longer than ten bytes and a truncated one", () => {
    expect(() => readerAt([0x08, ...Array(10).fill(0xff), 0x01]).int64()).toThrow(WireFormatError);
    expect(() => readerAt([0x08, 0xff]).int32()).toThrow(/truncated varint/);
  });
});

describe("tags and lengths of 2^32 or more", () => {
  // Cut to its low 32 bits, each of these would read as a valid tag or a small length: the test
  // builds them so, so that a reader that truncates accepts them.
  it("refuses a tag whose low 32 bits would be a valid tag", () => {
    const lowTags = fc
      .record({ field: fc.integer({ min: 1, max: 2 ** 29 - 1 }), wireType: fc.constantFrom(0, 5) })
      .map(({ field, wireType }) => BigInt(field * 8 + wireType));
    fc.assert(
      fc.property(highBits, lowTags, (high, low) => {
        // After the tag, a value that satisfies either wire type: a varint 1, or four bytes.
        const bytes = Uint8Array.from([...varint(high * TWO_TO_32 + low), 1, 2, 3, 4]);
        const error = failure(() => new WireReader(bytes).next());
        expect(error.message).toMatch(/tag or length of 2\^32 or more/);
        expect(error.truncated).toBe(false);
      }),
    );
  });

  it("refuses a length whose low 32 bits would fit the bytes left, as a string, bytes or a message", () => {
    fc.assert(
      fc.property(highBits, fc.integer({ min: 0, max: 4 }), (high, low) => {
        const bytes = Uint8Array.from([
          0x0a,
          ...varint(high * TWO_TO_32 + BigInt(low)),
          0x61,
          0x62,
          0x63,
          0x64,
        ]);
        expect(failure(() => readerAt(bytes).string()).message).toMatch(/tag or length of 2\^32 or more/);
        expect(failure(() => readerAt(bytes).delimited()).truncated).toBe(false);
        expect(() => readerAt(bytes).message(null, () => {})).toThrow(WireFormatError);
      }),
    );
  });

  it("refuses any value from 2^32 to 2^64 - 1 as a tag or a length", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: TWO_TO_32, max: 2n ** 64n - 1n }), (value) => {
        expect(() => new WireReader(Uint8Array.from([...varint(value), 0])).next()).toThrow(/2\^32 or more/);
        expect(() => readerAt([0x0a, ...varint(value), 0]).delimited()).toThrow(/2\^32 or more/);
      }),
    );
  });

  it("reads the largest tag and length below 2^32 as what they are", () => {
    // Field 2^29 - 1 (the largest protobuf allows), wire type 0: the tag 2^32 - 8.
    const reader = new WireReader(Uint8Array.from([...varint(TWO_TO_32 - 8n), 0x05]));
    expect(reader.next()).toBe(true);
    expect(reader.field).toBe(2 ** 29 - 1);
    expect(reader.int32()).toBe(5);
    const tooLong = failure(() => readerAt([0x0a, ...varint(TWO_TO_32 - 1n), 0x61]).delimited());
    expect(tooLong.message).toMatch(/length 4294967295 past the end/);
    expect(tooLong.truncated).toBe(true);
  });

  it("reads a tag or a length padded with bytes that add no bits", () => {
    // 1 and 0x0a written in ten bytes: non-canonical, but the value is below 2^32.
    const padded = (value: number) => [value | 0x80, ...Array(8).fill(0x80), 0x00];
    const reader = new WireReader(Uint8Array.from([...padded(0x0a), ...padded(1), 0x61]));
    expect(reader.next()).toBe(true);
    expect(reader.field).toBe(1);
    expect(reader.string()).toBe("a");
  });

  it("makes a Status with such a length fail to decode, where it once read as the low bits", () => {
    const message = [0x12, ...varint(5n * TWO_TO_32 + 3n), 0x61, 0x62, 0x63];
    expect(parseStatusDetails(Uint8Array.from([0x08, 0x05, ...message]))).toBeUndefined();
    // The same Status with the true length decodes, so the length alone is what fails it.
    expect(parseStatusDetails(Uint8Array.from([0x08, 0x05, 0x12, 0x03, 0x61, 0x62, 0x63]))?.message).toBe(
      "abc",
    );
  });
});

describe("WireFormatError.truncated", () => {
  it.each<[string, number[], (reader: WireReader) => unknown]>([
    ["a truncated varint", [0x08, 0xff], (r) => r.int32()],
    ["a truncated int64", [0x08, 0x80, 0x80], (r) => r.int64()],
    ["a length past the end", [0x0a, 0x05, 0x61], (r) => r.string()],
    ["a truncated length", [0x0a, 0x85], (r) => r.delimited()],
    ["a cut fixed64 field", [0x09, 1, 2, 3], (r) => r.skip()],
    ["a cut fixed32 field", [0x0d, 1], (r) => r.skip()],
    ["an unterminated group", [0x0b, 0x10, 0x01], (r) => r.skip()],
  ])("is true for %s: the bytes ended before the field did", (_label, bytes, read) => {
    expect(failure(() => read(readerAt(bytes))).truncated).toBe(true);
  });

  it.each<[string, number[], (reader: WireReader) => unknown]>([
    ["field number 0", [0x00, 0x00], (r) => r.next()],
    ["wire type 7", [0x0f, 0x00], (r) => r.next()],
    [
      "a wrong wire type",
      [0x08, 0x01],
      (r) => {
        r.next();
        r.string();
      },
    ],
    [
      "a varint longer than ten bytes",
      [0x08, ...Array(10).fill(0xff), 0x01],
      (r) => {
        r.next();
        r.int64();
      },
    ],
    [
      "a stray end-group tag",
      [0x0c],
      (r) => {
        r.next();
        r.skip();
      },
    ],
  ])("is false for %s: the bytes are wrong, not cut", (_label, bytes, read) => {
    expect(failure(() => read(new WireReader(Uint8Array.from(bytes)))).truncated).toBe(false);
  });
});

describe("fields", () => {
  it("refuses field number 0 and wire types 6 and 7", () => {
    for (const tag of [0x00, 0x0e, 0x0f]) {
      expect(() => new WireReader(Uint8Array.from([tag, 0])).next()).toThrow(WireFormatError);
    }
  });

  it("refuses a known field read with another wire type", () => {
    expect(() => readerAt([0x0a, 0x00]).int32()).toThrow(/wire type 2/);
    expect(() => readerAt([0x08, 0x01]).string()).toThrow(/wire type 0/);
  });

  it("refuses a length past the end, also inside a nested message", () => {
    expect(() => readerAt([0x0a, 0x05, 0x61]).string()).toThrow(/past the end/);
    const reader = readerAt([0x0a, 0x02, 0x0a, 0x05, 0x61, 0x62, 0x63]);
    expect(() =>
      reader.message(null, (_target, inner) => {
        inner.next();
        inner.string();
      }),
    ).toThrow(/past the end/);
  });

  it("skips every wire type, and groups to their matching end", () => {
    // varint, fixed64, delimited, fixed32, a group holding a group, then field 9.
    const bytes = [0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 0x01, 0x61, 0x25, 1, 2, 3, 4];
    bytes.push(0x2b, 0x33, 0x08, 0x01, 0x34, 0x2c, 0x48, 0x07);
    const reader = new WireReader(Uint8Array.from(bytes));
    const seen: number[] = [];
    while (reader.next()) {
      seen.push(reader.field);
      if (reader.field === 9) expect(reader.int32()).toBe(7);
      else reader.skip();
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 9]);
  });

  it("refuses a stray end-group tag, an unterminated group and a mismatched one", () => {
    expect(() => readerAt([0x0c]).skip()).toThrow(/end-group/);
    expect(() => readerAt([0x0b, 0x10, 0x01]).skip()).toThrow(/unterminated/);
    expect(() => readerAt([0x0b, 0x14]).skip()).toThrow(/another group/);
    expect(WireType.START_GROUP).toBe(3);
  });

  it("bounds nesting of messages and groups", () => {
    const deepGroups = new Uint8Array(2000).fill(0x0b, 0, 1000).fill(0x0c, 1000);
    expect(() => readerAt(deepGroups).skip()).toThrow(/too deeply/);
    const recurse = (_target: null, reader: WireReader): void => {
      while (reader.next()) reader.message(null, recurse);
    };
    expect(() => recurse(null, new WireReader(encodeNested(150)))).toThrow(/too deeply/);
    expect(() => recurse(null, new WireReader(encodeNested(50)))).not.toThrow();
  });
});

/** `depth` messages, each the only field 1 of the one around it. */
function encodeNested(depth: number): Uint8Array {
  let message: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < depth; i++) {
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).bytes(message);
    message = writer.finish();
  }
  return message;
}

describe("decodeUtf8", () => {
  it("agrees with TextDecoder (replacement, BOM kept) on arbitrary bytes", () => {
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const tricky = fc.constantFrom(
      0x00,
      0x7f,
      0x80,
      0xbf,
      0xc0,
      0xc2,
      0xdf,
      0xe0,
      0xed,
      0xef,
      0xf0,
      0xf4,
      0xf5,
      0xff,
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), tricky), { maxLength: 40 }),
        (values) => {
          const bytes = Uint8Array.from(values);
          expect(decodeUtf8(bytes, 0, bytes.length)).toBe(decoder.decode(bytes));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("decodes a slice of a larger buffer", () => {
    const bytes = new TextEncoder().encode("xx✓héllo\uFEFFyy");
    expect(decodeUtf8(bytes, 2, bytes.length - 2)).toBe("✓héllo\uFEFF");
    expect(decodeUtf8(bytes, 3, 3)).toBe("");
  });
});
