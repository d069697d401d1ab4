import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { decodeUtf8, WireFormatError, WireReader, WireType } from "../src/wire-reader.js";

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

  it("refuses a varint longer than ten bytes and a truncated one", () => {
    expect(() => readerAt([0x08, ...Array(10).fill(0xff), 0x01]).int64()).toThrow(WireFormatError);
    expect(() => readerAt([0x08, 0xff]).int32()).toThrow(/truncated varint/);
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
