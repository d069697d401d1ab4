/**
 * The slice of google-protobuf 4 that the testing kit uses: its `BinaryWriter`. (The decoder reads
 * the wire format itself, see wire-reader.ts.) The package ships no type declarations
 * (`@types/google-protobuf` describes 3.x), so the methods we call are declared here.
 */
import { createRequire } from "node:module";

/** google-protobuf's writer, as `encodeStatus` uses it. */
export interface BinaryWriter {
  writeInt32(field: number, value: number): void;
  /** Throws outside the int64 range (2 ** 63, the double nearest INT64_MAX, included). */
  writeInt64(field: number, value: number): void;
  /** A decimal int64, for values a double cannot hold exactly. */
  writeInt64String(field: number, value: string): void;
  /** Throws on a string with an unpaired surrogate (it has no UTF-8 form). */
  writeString(field: number, value: string): void;
  writeBytes(field: number, value: Uint8Array): void;
  /** Writes `value` as a length-delimited field, even when it encodes to no bytes (field presence). */
  writeMessage<T>(field: number, value: T, write: (value: T, writer: BinaryWriter) => void): void;
  getResultBuffer(): Uint8Array;
}

export interface GoogleProtobuf {
  BinaryWriter: new () => BinaryWriter;
}

let loaded: GoogleProtobuf | undefined;

/**
 * google-protobuf, loaded on first use. It is one 250 KB CommonJS file: `import`ing it from ESM makes
 * Node run its CommonJS export lexer over the whole file (about 20 ms, three times the cost through
 * `require`), which a test that imports the kit and never encodes would pay for nothing.
 */
export function protobuf(): GoogleProtobuf {
  if (loaded === undefined) {
    loaded = createRequire(import.meta.url)("google-protobuf") as GoogleProtobuf;
  }
  return loaded;
}
