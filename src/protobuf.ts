/**
 * The slice of google-protobuf 4 that this package uses. The package ships no type declarations
 * (`@types/google-protobuf` describes 3.x), so the methods we call are declared here.
 */
import { createRequire } from "node:module";

export interface BinaryReader {
  nextField(): boolean;
  getFieldNumber(): number;
  getWireType(): number;
  getCursor(): number;
  /** The bytes being read; cursors index into them. */
  getBuffer(): Uint8Array;
  skipField(): void;
  skipDelimitedField(): void;
  readInt32(): number;
  readInt64(): number;
  readBytes(): Uint8Array;
  readMessage(message: unknown, read: (message: unknown, reader: BinaryReader) => void): void;
  /** Returns the reader to google-protobuf's instance cache. */
  free(): void;
}

/** The writer half, used by the testing kit's `encodeStatus` (the library itself only decodes). */
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
  BinaryReader: {
    /** A reader over `bytes[start..start+length)`, from google-protobuf's instance cache. */
    alloc(bytes: Uint8Array, start?: number, length?: number): BinaryReader;
  };
  BinaryWriter: new () => BinaryWriter;
}

let loaded: GoogleProtobuf | undefined;

/**
 * google-protobuf, loaded on first use. It is one 250 KB CommonJS file: `import`ing it from ESM makes
 * Node run its CommonJS export lexer over the whole file (about 20 ms), which would more than double
 * the cold start of this package. Through `require` it costs a third of that, and only once an error
 * actually carries status details.
 */
export function protobuf(): GoogleProtobuf {
  if (loaded === undefined) {
    loaded = createRequire(import.meta.url)("google-protobuf") as GoogleProtobuf;
  }
  return loaded;
}
