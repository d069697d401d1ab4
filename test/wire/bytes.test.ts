import { types } from "node:util";
import vm from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Decode, base64Encode, isArrayBuffer, isUint8Array } from "../../src/wire/bytes.js";
import { throwingProxy } from "../support/hostile.js";

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = `${STANDARD.slice(0, 62)}-_`;
/** Every character base64Decode may meet in valid text: both alphabets, padding, white space. */
const ACCEPTED = new Set(`${STANDARD}-_= \t\n\r\f`);
const WHITE_SPACE = [" ", "\t", "\n", "\r", "\f"];

const bytes = fc.uint8Array({ maxLength: 200 });

function toUrlSafe(text: string): string {
  return text.replace(/\+/g, "-").replace(/\//g, "_");
}

function withoutPadding(text: string): string {
  return text.replace(/=+$/, "");
}

/** Inserts white space at the given positions (each taken modulo the growing length). */
function insertWhiteSpace(text: string, insertions: readonly [number, string][]): string {
  let result = text;
  for (const [at, space] of insertions) {
    const index = at % (result.length + 1);
    result = result.slice(0, index) + space + result.slice(index);
  }
  return result;
}

const insertions = fc.array(fc.tuple(fc.nat(), fc.constantFrom(...WHITE_SPACE)), { maxLength: 8 });

/** Text base64Decode must accept: any mix of the two alphabets, a count of characters that is not
 * 1 modulo 4, optional padding, and white space anywhere. */
const validBase64 = fc
  .tuple(
    fc.array(fc.constantFrom(...new Set([...STANDARD, ...URL_SAFE])), { maxLength: 120 }),
    fc.integer({ min: 0, max: 3 }),
    insertions,
  )
  .filter(([chars]) => chars.length % 4 !== 1)
  .map(([chars, padding, spaces]) => insertWhiteSpace(chars.join("") + "=".repeat(padding), spaces));

describe("base64Encode", () => {
  it("writes what Buffer#toString('base64') writes, for any bytes", () => {
    fc.assert(
      fc.property(bytes, (input) => {
        expect(base64Encode(input)).toBe(Buffer.from(input).toString("base64"));
      }),
    );
  });

  it("encodes a subarray alone, not the buffer under it", () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (input, a, b) => {
        const start = Math.min(a, b) % (input.length + 1);
        const end = Math.max(a, b) % (input.length + 1);
        const view = input.subarray(Math.min(start, end), Math.max(start, end));
        expect(base64Encode(view)).toBe(Buffer.from(view).toString("base64"));
      }),
    );
  });
});

describe("base64Decode", () => {
  it("inverts base64Encode in the standard alphabet, with and without padding", () => {
    fc.assert(
      fc.property(bytes, (input) => {
        const text = base64Encode(input);
        expect(base64Decode(text)).toEqual(input);
        expect(base64Decode(withoutPadding(text))).toEqual(input);
      }),
    );
  });

  it("inverts base64Encode in the URL-safe alphabet, with and without padding", () => {
    fc.assert(
      fc.property(bytes, (input) => {
        const text = toUrlSafe(base64Encode(input));
        expect(base64Decode(text)).toEqual(input);
        expect(base64Decode(withoutPadding(text))).toEqual(input);
      }),
    );
  });

  it("skips white space inserted anywhere, padding included", () => {
    fc.assert(
      fc.property(bytes, insertions, fc.boolean(), (input, spaces, urlSafe) => {
        const text = urlSafe ? toUrlSafe(base64Encode(input)) : base64Encode(input);
        expect(base64Decode(insertWhiteSpace(text, spaces))).toEqual(input);
      }),
    );
  });

  it("refuses text with a character outside both alphabets", () => {
    const foreign = fc
      .string({ unit: "binary", minLength: 1, maxLength: 1 })
      .filter((char) => !ACCEPTED.has(char));
    fc.assert(
      fc.property(bytes, foreign, fc.nat(), (input, char, at) => {
        const text = base64Encode(input);
        const index = at % (text.length + 1);
        expect(base64Decode(text.slice(0, index) + char + text.slice(index))).toBeUndefined();
      }),
    );
  });

  it("refuses data after padding", () => {
    const padded = bytes.filter((input) => input.length % 3 !== 0);
    fc.assert(
      fc.property(
        padded,
        bytes.filter((more) => more.length > 0),
        (input, more) => {
          expect(base64Decode(base64Encode(input) + base64Encode(more))).toBeUndefined();
        },
      ),
    );
    expect(base64Decode("QQ==QQ==")).toBeUndefined();
    expect(base64Decode("QQ=Q")).toBeUndefined();
  });

  it("refuses a lone trailing character (6 bits make no byte)", () => {
    const whole = fc
      .uint8Array({ maxLength: 60 })
      .map((input) => input.subarray(0, input.length - (input.length % 3)));
    fc.assert(
      fc.property(
        whole,
        fc.constantFrom(...STANDARD, "-", "_"),
        fc.integer({ min: 0, max: 3 }),
        (input, char, padding) => {
          expect(base64Decode(base64Encode(input) + char + "=".repeat(padding))).toBeUndefined();
        },
      ),
    );
  });

  it("agrees with Buffer's decoder on every text it accepts", () => {
    fc.assert(
      fc.property(validBase64, (text) => {
        const decoded = base64Decode(text);
        expect(decoded, JSON.stringify(text)).toBeDefined();
        expect(Buffer.from(decoded as Uint8Array)).toEqual(Buffer.from(text, "base64"));
      }),
    );
  });

  it("agrees with Buffer's decoder whenever it accepts arbitrary text", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ACCEPTED, "*", "é"), maxLength: 40 }), (text) => {
        const decoded = base64Decode(text);
        if (decoded === undefined) return;
        accepted++;
        expect(Buffer.from(decoded)).toEqual(Buffer.from(text, "base64"));
      }),
      { numRuns: 500 },
    );
    // The property above says nothing if nothing was accepted.
    expect(accepted).toBeGreaterThan(50);
  });
});

describe("isUint8Array and isArrayBuffer", () => {
  const otherRealm = vm.createContext({});
  const fromContext = <T>(code: string): T => vm.runInContext(code, otherRealm) as T;

  it("recognise a Uint8Array and an ArrayBuffer made in a vm context", () => {
    const array = fromContext<Uint8Array>("new Uint8Array([1, 2, 3])");
    const buffer = fromContext<ArrayBuffer>("new ArrayBuffer(4)");
    // The premise: these fail instanceof here.
    expect(array instanceof Uint8Array).toBe(false);
    expect(buffer instanceof ArrayBuffer).toBe(false);
    expect(isUint8Array(array)).toBe(true);
    expect(isArrayBuffer(buffer)).toBe(true);
    expect(isUint8Array(fromContext("new Uint8Array(new ArrayBuffer(8), 2, 3)"))).toBe(true);
  });

  it("recognise a Buffer and this realm's Uint8Array and ArrayBuffer", () => {
    expect(isUint8Array(Buffer.from("hi"))).toBe(true);
    expect(isUint8Array(new Uint8Array(0))).toBe(true);
    expect(isArrayBuffer(new ArrayBuffer(0))).toBe(true);
    expect(isArrayBuffer(new Uint8Array(2).buffer)).toBe(true);
  });

  it("refuse look-alikes, DataView, other typed arrays and SharedArrayBuffer, from either realm", () => {
    const notBytes: [string, unknown][] = [
      ["a toStringTag look-alike", { [Symbol.toStringTag]: "Uint8Array" }],
      [
        "an array-like with length and indices",
        { length: 2, 0: 1, 1: 2, byteLength: 2, buffer: new ArrayBuffer(2) },
      ],
      ["an array", [1, 2, 3]],
      ["a DataView", new DataView(new ArrayBuffer(4))],
      ["an Int8Array", new Int8Array(2)],
      ["a Uint8ClampedArray", new Uint8ClampedArray(2)],
      ["a Uint16Array", new Uint16Array(2)],
      ["a Float64Array", new Float64Array(2)],
      ["a BigInt64Array", new BigInt64Array(2)],
      ["a vm Int8Array", fromContext("new Int8Array(2)")],
      ["a vm DataView", fromContext("new DataView(new ArrayBuffer(2))")],
      ["a string", "AAEC"],
      ["null", null],
      ["undefined", undefined],
    ];
    for (const [label, value] of notBytes) expect(isUint8Array(value), label).toBe(false);

    const notBuffers: [string, unknown][] = [
      ["a toStringTag look-alike", { [Symbol.toStringTag]: "ArrayBuffer", byteLength: 4 }],
      ["a SharedArrayBuffer", new SharedArrayBuffer(4)],
      ["a vm SharedArrayBuffer", fromContext("new SharedArrayBuffer(4)")],
      ["a Uint8Array", new Uint8Array(4)],
      ["a DataView", new DataView(new ArrayBuffer(4))],
      ["a vm Uint8Array", fromContext("new Uint8Array(4)")],
      ["null", null],
    ];
    for (const [label, value] of notBuffers) expect(isArrayBuffer(value), label).toBe(false);
  });

  it("refuse an object that merely inherits from Uint8Array.prototype or ArrayBuffer.prototype", () => {
    // instanceof says yes to these, but they have no bytes: reading `length` throws.
    expect(isUint8Array(Object.create(Uint8Array.prototype))).toBe(false);
    expect(isArrayBuffer(Object.create(ArrayBuffer.prototype))).toBe(false);
  });

  it("answer as Node's internal-slot checks do, for any value", () => {
    const values = fc.oneof(
      fc.anything({ withTypedArray: true, withMap: true, withSet: true, withBigInt: true, withDate: true }),
      fc.uint8Array().map((array) => array.buffer),
      fc.constantFrom<unknown>(new SharedArrayBuffer(1), Buffer.alloc(1), new DataView(new ArrayBuffer(1))),
    );
    fc.assert(
      fc.property(values, (value) => {
        expect(isUint8Array(value)).toBe(types.isUint8Array(value));
        expect(isArrayBuffer(value)).toBe(types.isArrayBuffer(value));
      }),
    );
  });

  it("never throw, even on a proxy every trap of which throws", () => {
    for (const target of [{}, new Uint8Array(2), new ArrayBuffer(2)]) {
      const hostile = throwingProxy(target);
      expect(() => isUint8Array(hostile)).not.toThrow();
      expect(() => isArrayBuffer(hostile)).not.toThrow();
      expect(isUint8Array(hostile)).toBe(false);
      expect(isArrayBuffer(hostile)).toBe(false);
    }
  });
});
