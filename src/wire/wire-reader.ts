/**
 * A protobuf wire-format reader for the few messages of `google.rpc.Status`: fields are read in
 * place (strings decoded straight from the input, nothing copied but an unknown detail's bytes),
 * every length and varint is checked against the bytes left, and nesting is bounded. Each malformed
 * input throws a {@link WireFormatError}; the decoder catches it.
 */

/** The input is not valid protobuf wire format. Thrown by {@link WireReader}; the decoder catches it. */
export class WireFormatError extends Error {
  override readonly name = "WireFormatError";
  /**
   * True when the bytes being read (the input, or the enclosing message) ended before the field
   * did: a truncated varint, a length past the end, a cut fixed-width field or an unterminated group.
   * Read at the top level of a value, that means the value was cut short, which the CLI reports as
   * such; every other failure means the bytes are not this message at all.
   */
  readonly truncated: boolean;

  constructor(message: string, truncated = false) {
    super(message);
    this.truncated = truncated;
  }
}

/** The six protobuf wire types, by name: what a tag's low three bits say about the bytes after it. */
export const WireType = {
  VARINT: 0,
  FIXED64: 1,
  DELIMITED: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
} as const;

/** How deep messages and groups may nest (protobuf's own default recursion limit). */
const MAX_DEPTH = 100;

const TWO_TO_32 = 4294967296;

// ignoreBOM: a string is kept as sent, a leading U+FEFF included; invalid bytes become U+FFFD.
const utf8Decoder = /* @__PURE__ */ new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Node's native UTF-8 slice (what `Buffer#toString` calls): the same WHATWG decoding as TextDecoder
 * — U+FFFD for invalid bytes, a BOM kept — without the subarray and the argument checks, which cost
 * more than the decoding itself for the short strings a status carries. A test checks that the two
 * agree on arbitrary bytes; TextDecoder is used where the slice is missing.
 */
const nativeUtf8Slice = /* @__PURE__ */ (() =>
  (
    globalThis.Buffer?.prototype as unknown as {
      utf8Slice?: (this: Uint8Array, start: number, end: number) => string;
    }
  )?.utf8Slice)();

/** Decodes `bytes[start..end)` as UTF-8, replacing invalid bytes with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (start === end) return "";
  return nativeUtf8Slice === undefined
    ? utf8Decoder.decode(bytes.subarray(start, end))
    : nativeUtf8Slice.call(bytes, start, end);
}

/**
 * Reads one message's fields in order: {@link WireReader.next} announces a field, then one read
 * method consumes its value (or {@link WireReader.skip} steps over it). Every failure is a
 * {@link WireFormatError}.
 */
export class WireReader {
  /** The bytes being read; positions index into them. */
  readonly bytes: Uint8Array;
  /** Where the next read starts. */
  position: number;
  /** Where the current message ends. */
  private end: number;
  private depth = 0;
  /** The field number of the field just announced by {@link next}. */
  field = 0;
  /** The wire type of the field just announced by {@link next}. */
  wireType = -1;
  /** After {@link delimited}: where its payload starts (it ends at {@link position}). */
  payloadStart = 0;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.position = start;
    this.end = end;
  }

  private fail(what: string, truncated = false): never {
    throw new WireFormatError(`${what} at byte ${this.position}`, truncated);
  }

  /** Reads the next field's tag; false at the end of the current message. */
  next(): boolean {
    if (this.position >= this.end) return false;
    const tag = this.uint32();
    this.field = tag >>> 3;
    this.wireType = tag & 7;
    if (this.field === 0) this.fail("field number 0");
    if (this.wireType > WireType.FIXED32) this.fail(`wire type ${this.wireType}`);
    return true;
  }

  /** Throws unless the current field has the given wire type. */
  expect(wireType: number): void {
    if (this.wireType !== wireType) this.fail(`field ${this.field} has wire type ${this.wireType}`);
  }

  /**
   * A tag or a length: a varint whose value must be below 2^32. A bigger one is refused, never cut
   * to its low bits (which would turn a hostile length into a small valid one). Padding bytes that
   * add no bits (`0x80 0x80 … 0x00`) are accepted: the value is what counts.
   */
  private uint32(): number {
    // Most tags and lengths are one byte: that case skips the loop.
    const position = this.position;
    if (position < this.end) {
      const first = this.bytes[position] as number;
      if (first < 0x80) {
        this.position = position + 1;
        return first;
      }
    }
    return this.uint32Long();
  }

  private uint32Long(): number {
    const { bytes, end } = this;
    let position = this.position;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (position >= end) this.fail("truncated varint", true);
      const byte = bytes[position++] as number;
      if (shift < 28) result |= (byte & 0x7f) << shift;
      // The fifth byte holds bits 28-31 in its low four bits; any bit above them, or in a later
      // byte, makes the value 2^32 or more.
      else if ((shift === 28 ? byte & 0x70 : byte & 0x7f) !== 0) this.fail("tag or length of 2^32 or more");
      else if (shift === 28) result |= byte << 28; // bits past 31 (the continuation bit) fall off
      if (byte < 0x80) {
        this.position = position;
        return result >>> 0;
      }
    }
    return this.fail("varint longer than ten bytes");
  }

  /**
   * Any varint of up to ten bytes, as its low 32 bits: an `int32` is sent sign-extended to 64 bits
   * (a negative one takes ten bytes), and a skipped varint field may hold any 64-bit value.
   */
  private varintLow32(): number {
    const { bytes, end } = this;
    let position = this.position;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (position >= end) this.fail("truncated varint", true);
      const byte = bytes[position++] as number;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.position = position;
        return result >>> 0;
      }
    }
    return this.fail("varint longer than ten bytes");
  }

  /** A varint as a signed 64-bit integer, as a number (exact up to 2^53). */
  private varint64(): number {
    const { bytes, end } = this;
    let position = this.position;
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (position >= end) this.fail("truncated varint", true);
      const byte = bytes[position++] as number;
      const bits = byte & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if (byte < 0x80) {
        this.position = position;
        return (high | 0) * TWO_TO_32 + (low >>> 0);
      }
    }
    return this.fail("varint longer than ten bytes");
  }

  /** An `int32` field (a negative one is sent as ten bytes; its low 32 bits are the value). */
  int32(): number {
    this.expect(WireType.VARINT);
    return this.varintLow32() | 0;
  }

  /** An `int64` field, as a number. */
  int64(): number {
    this.expect(WireType.VARINT);
    return this.varint64();
  }

  /**
   * Steps over a length-delimited field, checking its length against the bytes left; its payload is
   * `bytes[payloadStart..position)`.
   */
  delimited(): void {
    this.expect(WireType.DELIMITED);
    const length = this.uint32();
    if (length > this.end - this.position) this.fail(`length ${length} past the end`, true);
    this.payloadStart = this.position;
    this.position += length;
  }

  /** A `string` field, decoded leniently (invalid UTF-8 becomes U+FFFD). */
  string(): string {
    this.delimited();
    return decodeUtf8(this.bytes, this.payloadStart, this.position);
  }

  /** Reads a nested message: `read` sees the reader bounded to the message's bytes. */
  message<T>(target: T, read: (target: T, reader: WireReader) => void): void {
    this.delimited();
    const outerEnd = this.end;
    const messageEnd = this.position;
    this.position = this.payloadStart;
    this.end = messageEnd;
    if (++this.depth > MAX_DEPTH) this.fail("messages nested too deeply");
    read(target, this);
    this.depth--;
    this.end = outerEnd;
  }

  /** Skips the current field, whatever its wire type; a group is skipped to its matching end. */
  skip(): void {
    switch (this.wireType) {
      case WireType.VARINT:
        this.varintLow32();
        return;
      case WireType.FIXED64:
        this.advance(8);
        return;
      case WireType.DELIMITED:
        this.delimited();
        return;
      case WireType.FIXED32:
        this.advance(4);
        return;
      case WireType.START_GROUP:
        this.skipGroup();
        return;
      default:
        this.fail("end-group tag without a group");
    }
  }

  private advance(count: number): void {
    if (count > this.end - this.position) this.fail("truncated fixed-width field", true);
    this.position += count;
  }

  /** Skips a group (and the groups inside it) iteratively, so nesting cannot overflow the stack. */
  private skipGroup(): void {
    const open = [this.field];
    while (open.length > 0) {
      if (!this.next()) this.fail("unterminated group", true);
      if (this.wireType === WireType.START_GROUP) {
        if (open.length + this.depth >= MAX_DEPTH) this.fail("groups nested too deeply");
        open.push(this.field);
      } else if (this.wireType === WireType.END_GROUP) {
        if (open.pop() !== this.field) this.fail("end-group tag of another group");
      } else {
        this.skip();
      }
    }
  }
}
