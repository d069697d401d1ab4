/**
 * A protobuf wire-format writer for the testing kit's `encodeStatus`: the mirror of `WireReader`,
 * portable (no `Buffer`), writing exactly what the reference runtimes write for the few messages of
 * `google.rpc.Status` — so a blob the kit makes is byte-for-byte the one a server would send.
 */

const TWO_TO_32 = 4294967296;

export class WireWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** An unsigned varint below 2^32. */
  private varint32(value: number): void {
    let rest = value >>> 0;
    while (rest > 0x7f) {
      this.byte((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    this.byte(rest);
  }

  /** A 64-bit varint from its two's-complement halves (negatives take ten bytes). */
  private varint64(low: number, high: number): void {
    let lo = low >>> 0;
    let hi = high >>> 0;
    while (hi > 0 || lo > 0x7f) {
      this.byte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }

  private tag(field: number, wireType: number): void {
    this.varint32(((field << 3) | wireType) >>> 0);
  }

  /** An `int32` field (a negative one as ten bytes, sign-extended, as protobuf writes it). */
  int32(field: number, value: number): void {
    this.tag(field, 0);
    if (value >= 0) this.varint32(value);
    else this.varint64(value | 0, -1);
  }

  /** An `int64` field from a safe integer, or from a decimal string for values beyond 2^53. */
  int64(field: number, value: number | string): void {
    this.tag(field, 0);
    if (typeof value === "string") {
      const big = BigInt.asUintN(64, BigInt(value));
      this.varint64(Number(big & 0xffffffffn), Number(big >> 32n));
      return;
    }
    const negative = value < 0;
    const magnitude = Math.abs(value);
    let low = magnitude % TWO_TO_32;
    let high = Math.floor(magnitude / TWO_TO_32);
    if (negative) {
      // Two's complement of the 64-bit magnitude.
      low = (~low + 1) >>> 0;
      high = (~high + (low === 0 ? 1 : 0)) >>> 0;
    }
    this.varint64(low, high);
  }

  /** A length-delimited field of raw bytes. */
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint32(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  /** A `string` field, as UTF-8. */
  string(field: number, value: string): void {
    this.bytes(field, utf8.encode(value));
  }

  /** A nested message, written even when it encodes to nothing (its presence is data). */
  message(field: number, write: (writer: WireWriter) => void): void {
    const nested = new WireWriter();
    write(nested);
    this.bytes(field, nested.finish());
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();
