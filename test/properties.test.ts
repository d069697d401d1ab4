/**
 * Property tests of totality (SPEC §4, §5, §12): whatever arrives — random bytes, damaged golden
 * vectors, random base64, hostile objects — `parseStatusDetails` and `fromGrpcStatus` never throw,
 * and `fromGrpcStatus` always returns a `SandboxSdkError` carrying the transport's code.
 *
 * Run counts are sized so that this file finishes well under 20 s on a slow two-core machine.
 */
import fc from "fast-check";
import {
  fromGrpcStatus,
  type MappingContext,
  parseStatusDetails,
  SandboxSdkError,
  STATUS_DETAILS_KEY,
} from "sandbox-sdk-errors";
import { describe, expect, it } from "vitest";
import { boom, throwingProxy } from "./support/hostile.js";
import { rpcError, serviceError } from "./support/transport.js";
import { vectors } from "./support/vectors.js";

const GOLDEN: readonly Uint8Array[] = vectors
  .filter((v) => v.hex !== "")
  .map((v) => new Uint8Array(Buffer.from(v.hex, "hex")));

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; count: number }
  | { kind: "overwrite"; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      // Lengths and tags that stress a decoder: huge varints, group starts and ends, wire type 7.
      fc.constantFrom(
        Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
        Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        Uint8Array.of(0x0b),
        Uint8Array.of(0x0c),
        Uint8Array.of(0x0f),
        Uint8Array.of(0x1a, 0x7f),
      ),
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant("overwrite" as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
);

function mutate(source: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(source);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    switch (m.kind) {
      case "flip":
        if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "insert":
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
        break;
      case "delete":
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.count)]);
        break;
      case "overwrite":
        if (at < bytes.length) bytes[at] = m.byte;
        break;
    }
  }
  return bytes;
}

const mutatedVector = fc
  .tuple(fc.constantFrom(...GOLDEN), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([source, mutations]) => mutate(source, mutations));

/** Any bytes: random, or a damaged golden vector (which gets far deeper into the decoder). */
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutatedVector);

/** What `fromGrpcStatus` must report as `grpcCode` for a numeric transport code. */
function expectedCode(code: number): number | undefined {
  return Number.isInteger(code) && code >= 0 && code <= 16 ? code : undefined;
}

/** Anything at all, or a hostile object, as a maker called inside the property. */
function anyValue(): fc.Arbitrary<() => unknown> {
  return fc.oneof(
    fc.anything(ANYTHING).map((value) => () => value),
    hostile(),
  );
}

/** A decoded status is well-formed whenever there is one. */
function expectWellFormed(parsed: ReturnType<typeof parseStatusDetails>): void {
  if (parsed === undefined) return;
  expect(typeof parsed.code).toBe("number");
  expect(typeof parsed.message).toBe("string");
  expect(Array.isArray(parsed.details)).toBe(true);
  for (const detail of parsed.details) expect(typeof detail.type).toBe("string");
}

describe("parseStatusDetails never throws", () => {
  it("on arbitrary bytes and damaged golden vectors", () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        expectWellFormed(parseStatusDetails(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it("on arbitrary text taken as base64, and base64 of damaged vectors", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.base64String({ maxLength: 200 }),
      mutatedVector.map((bytes) => Buffer.from(bytes).toString("base64url")),
    );
    fc.assert(
      fc.property(text, (value) => {
        expectWellFormed(parseStatusDetails(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("on lists of values and on anything at all", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.array(anyBytes, { maxLength: 4 }), fc.anything(ANYTHING), hostile()),
        (input) => {
          expectWellFormed(parseStatusDetails(input as never));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("fromGrpcStatus never throws and keeps the transport's code", () => {
  it("for a grpc-js ServiceError with any code and any trailer bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -2, max: 20 }), fc.double()),
        fc.string({ maxLength: 40 }),
        anyBytes,
        (code, details, blob) => {
          const input = serviceError(code, details, blob);
          const error = fromGrpcStatus(input);
          expect(error).toBeInstanceOf(SandboxSdkError);
          expect(error.grpcCode).toBe(expectedCode(code));
          expect(error.cause).toBe(input);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("for a protobuf-ts RpcError with any code name and any base64 trailer", () => {
    const names = fc.constantFrom("NOT_FOUND", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "internal", "BOGUS", "");
    fc.assert(
      fc.property(names, anyBytes, (name, blob) => {
        const error = fromGrpcStatus(rpcError(name, "failed", blob));
        expect(error).toBeInstanceOf(SandboxSdkError);
        const codes: Record<string, number> = {
          NOT_FOUND: 5,
          UNAVAILABLE: 14,
          RESOURCE_EXHAUSTED: 8,
          internal: 13,
        };
        const code = codes[name];
        expect(error.grpcCode).toBe(code);
      }),
      { numRuns: 1000 },
    );
  });

  it("for anything thrown: fc.anything(), cycles, throwing getters, proxies whose traps throw", () => {
    fc.assert(
      fc.property(anyValue(), (make) => {
        const thrown = make();
        const error = fromGrpcStatus(thrown);
        expect(error).toBeInstanceOf(SandboxSdkError);
        if (thrown instanceof SandboxSdkError) expect(error).toBe(thrown);
        else expect(error.cause).toBe(thrown);
      }),
      { numRuns: 1500 },
    );
  });

  it("for a hostile context", () => {
    fc.assert(
      fc.property(anyValue(), anyBytes, (make, blob) => {
        const error = fromGrpcStatus(serviceError(5, "gone", blob), make() as MappingContext);
        expect(error).toBeInstanceOf(SandboxSdkError);
        expect(error.grpcCode).toBe(5);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("the hostile inputs the properties found, as examples", () => {
  it("fromGrpcStatus returns for a lookalike whose brand list is a proxy that throws", () => {
    const lookalike = Object.create(null);
    lookalike[Symbol.for("sandbox-sdk-errors.brands")] = throwingProxy([]);
    const error = fromGrpcStatus(lookalike);
    expect(error).toBeInstanceOf(SandboxSdkError);
    expect(error.cause).toBe(lookalike);
  });

  it("fromGrpcStatus keeps the transport's code and class when every getter of the context throws", () => {
    const error = fromGrpcStatus(serviceError(14, "down"), throwingProxy() as MappingContext);
    expect(error.grpcCode).toBe(14);
    expect(error.name).toBe("SandboxUnavailableError");
  });
});

const ANYTHING = {
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
} as const;

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * Objects built to break a careless reader of transport errors. Each is made inside the property
 * (the arbitrary yields its maker): fast-check itself inspects the values it generates.
 */
function hostile(): fc.Arbitrary<() => unknown> {
  const blob = GOLDEN[0]!;
  const cyclic = (code: unknown) => {
    const error: Record<string, unknown> = { code, details: "cyclic" };
    error.self = error;
    error.cause = error;
    error.metadata = error;
    error.meta = { [STATUS_DETAILS_KEY]: error };
    return error;
  };
  const cyclicArray: unknown[] = [];
  cyclicArray.push(cyclicArray, blob);
  const makers: (() => unknown)[] = [
    () => throwingProxy(),
    () => throwingProxy(() => undefined),
    () => revoked(),
    () => ({
      get code(): number {
        return boom();
      },
      get details(): string {
        return boom();
      },
      get message(): string {
        return boom();
      },
      get metadata(): unknown {
        return boom();
      },
      get meta(): unknown {
        return boom();
      },
    }),
    () => ({ code: 14, metadata: { get: boom } }),
    () => ({ code: 14, metadata: throwingProxy() }),
    () => ({ code: 14, metadata: { get: () => throwingProxy([]) } }),
    () => ({ code: 14, metadata: { get: () => cyclicArray } }),
    () => ({ code: 14, metadata: { get: () => [null, {}, 42, Symbol("x"), revoked(), blob] } }),
    () => ({ code: "UNAVAILABLE", meta: { [STATUS_DETAILS_KEY]: throwingProxy() } }),
    () => ({ code: "UNAVAILABLE", meta: throwingProxy() }),
    () => ({ code: throwingProxy(), details: throwingProxy(), message: throwingProxy() }),
    () => ({ code: { valueOf: boom, toString: boom }, details: { toString: boom } }),
    () => Object.defineProperty(Object.create(throwingProxy()), "code", { value: 5 }),
    () => cyclic(5),
    () => cyclic(throwingProxy()),
    () => {
      // An object whose prototype chain claims to be one of ours but is not.
      const fake = Object.create(null);
      fake[Symbol.for("sandbox-sdk-errors.brands")] = throwingProxy([]);
      return fake;
    },
  ];
  return fc.constantFrom(...makers);
}
