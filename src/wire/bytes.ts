/**
 * Bytes without Node: base64 in both directions and the recognition of byte inputs, written for every
 * runtime the package supports (Node, browsers, workerd, Deno, Bun). Nothing here touches `Buffer`.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * The value of each base64 character by char code, in both alphabets (`+/` and `-_`); -1 for a
 * character that is not base64, -2 for white space (skipped) and for `=` (padding, read as the end).
 */
const DECODE = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  table[0x2d] = 62; // -
  table[0x5f] = 63; // _
  for (const space of " \t\n\r\f") table[space.charCodeAt(0)] = -2;
  return table;
})();
/** `=` */
const PAD = 0x3d;

/**
 * Decodes base64 as gRPC-web, Connect and protobuf-ts send it: the standard or the URL-safe alphabet
 * (mixed, even), padding optional, white space skipped. Returns `undefined` for text that is not
 * base64: a character outside both alphabets, padding followed by data, or a lone trailing character
 * (6 bits cannot make a byte). Linear in the input.
 */
export function base64Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let length = 0;
  let buffer = 0;
  let bits = 0;
  let sextets = 0;
  let padded = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === PAD) {
      padded = true;
      continue;
    }
    const value = char < 128 ? (DECODE[char] as number) : -1;
    if (value === -2) continue;
    if (value < 0 || padded) return undefined;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    sextets++;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (buffer >> bits) & 0xff;
    }
  }
  if (sextets % 4 === 1) return undefined;
  return length === out.length ? out : out.subarray(0, length);
}

/** Encodes bytes as standard base64 with padding (what `Buffer#toString("base64")` gives). */
export function base64Encode(bytes: Uint8Array): string {
  let text = "";
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = (bytes[whole] as number) << 16;
    text += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = ((bytes[whole] as number) << 16) | ((bytes[whole + 1] as number) << 8);
    text += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
  }
  return text;
}

/** `%TypedArray%.prototype[Symbol.toStringTag]`: the internal name of a typed array, of any realm. */
const typedArrayName = /* @__PURE__ */ (() =>
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)
    ?.get as ((this: unknown) => string | undefined) | undefined)();
/** `ArrayBuffer.prototype.byteLength`'s getter: throws for anything but an ArrayBuffer, of any realm. */
const arrayBufferLength = /* @__PURE__ */ (() =>
  Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")?.get as
    | ((this: unknown) => number)
    | undefined)();
const objectTag = Object.prototype.toString;

/**
 * Whether `value` is a `Uint8Array` (a Node `Buffer` included) from any realm: a `vm` context, an
 * iframe or a test runner's sandbox makes arrays that fail `instanceof Uint8Array` here. It asks the
 * engine for the internal type name, which neither a look-alike nor a proxy can fake, and never throws.
 */
export function isUint8Array(value: unknown): value is Uint8Array {
  // No `instanceof` shortcut: it asks a proxy for its prototype (a trap that may throw), and it is
  // true for `Object.create(Uint8Array.prototype)`, which has no bytes at all.
  if (typeof value !== "object" || value === null || typedArrayName === undefined) return false;
  return typedArrayName.call(value) === "Uint8Array";
}

/**
 * Whether `value` is an `ArrayBuffer` from any realm (never a SharedArrayBuffer). Never throws. The
 * tag is read first so that the usual answer, a metadata object that is no buffer, costs no thrown
 * exception (a thrown `TypeError` made this check a seventh of `fromGrpcStatus`'s time); the
 * engine's brand check then refuses an object that only claims the tag.
 */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (typeof value !== "object" || value === null || arrayBufferLength === undefined) return false;
  try {
    if (objectTag.call(value) !== "[object ArrayBuffer]") return false;
    arrayBufferLength.call(value);
    return true;
  } catch {
    return false;
  }
}
