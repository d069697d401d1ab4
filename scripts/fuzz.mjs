#!/usr/bin/env node
// Fuzzes the BUILT package (dist/index.js) the way production will meet it: mutations of the golden
// vectors, random bytes, random base64 text, and hostile objects, through parseStatusDetails and
// fromGrpcStatus. Neither may ever throw (SPEC §4, §5); every fromGrpcStatus result must be a
// SandboxSdkError carrying the transport's code. Deterministic: the same --seed gives the same inputs.
//
//   node scripts/fuzz.mjs [--count N] [--seed S]      (npm run fuzz; build first with npx tsup)
//
// Prints the count, inputs/s, the slowest single input (its time may include a GC pause, so it is
// re-run: the best of five says whether the input itself is slow) and the number of throws; exits 1
// on any throw or bad result, 2 on bad usage.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DEFAULT_SEED = 0x5eed_2024;
const DEFAULT_COUNT = 1_000_000;
const STATUS_DETAILS_KEY = "grpc-status-details-bin";
const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function usage(message) {
  console.error(`fuzz: ${message}\nusage: node scripts/fuzz.mjs [--count N] [--seed S]`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { seed: DEFAULT_SEED, count: DEFAULT_COUNT };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (flag !== "--seed" && flag !== "--count") usage(`unknown argument '${argv[i]}'`);
    const text = inline ?? argv[++i];
    // Number() reads decimal and 0x hex alike.
    const value = Number(text);
    if (text === undefined || text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
      usage(`${flag} needs a non-negative integer, got '${text}'`);
    }
    if (flag === "--seed") options.seed = value >>> 0;
    else options.count = value;
  }
  return options;
}

const { seed, count } = parseArguments(process.argv.slice(2));

const distPath = fileURLToPath(new URL("../dist/index.js", import.meta.url));
if (!existsSync(distPath)) usage("dist/index.js is missing: run `npx tsup` first");
const { fromGrpcStatus, isSandboxSdkError, parseStatusDetails } = await import(distPath);

const vectorsPath = fileURLToPath(new URL("../test/fixtures/status-details.json", import.meta.url));
const GOLDEN = JSON.parse(readFileSync(vectorsPath, "utf8"))
  .vectors.filter((v) => v.hex !== "")
  .map((v) => Uint8Array.from(Buffer.from(v.hex, "hex")));

// ---------------------------------------------------------------------------------------------
// A seeded generator: sfc32, seeded through splitmix32 (fast, and good enough to fuzz with)
// ---------------------------------------------------------------------------------------------

function splitmix32(state) {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function sfc32(seed32) {
  const init = splitmix32(seed32);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

const next = sfc32(seed);
/** An integer in [0, n). */
const below = (n) => (n <= 1 ? 0 : next() % n);
const chance = (p) => next() < p * 4294967296;
const pick = (list) => list[below(list.length)];

/** Bytes that stress a protobuf reader: varint edges, group tags, wire types 6 and 7. */
const NASTY = [0x00, 0x01, 0x07, 0x08, 0x0a, 0x0b, 0x0c, 0x0f, 0x12, 0x1a, 0x7f, 0x80, 0xff, 0xfe];

function randomBytes(maxLength) {
  const length = below(maxLength + 1);
  const bytes = new Uint8Array(length);
  const nasty = chance(0.3);
  for (let i = 0; i < length; i++) bytes[i] = nasty && chance(0.5) ? pick(NASTY) : next() & 0xff;
  return bytes;
}

function varint(value) {
  const out = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** One mutation of a byte string: flip, truncate, insert, delete, overwrite, splice, or a bad length. */
function mutateOnce(bytes) {
  const at = below(bytes.length + 1);
  switch (below(8)) {
    case 0: {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      copy[at % bytes.length] ^= 1 << below(8);
      return copy;
    }
    case 1:
      return bytes.slice(0, at);
    case 2: {
      const inserted = randomBytes(8);
      const out = new Uint8Array(bytes.length + inserted.length);
      out.set(bytes.subarray(0, at));
      out.set(inserted, at);
      out.set(bytes.subarray(at), at + inserted.length);
      return out;
    }
    case 3: {
      const end = Math.min(bytes.length, at + 1 + below(16));
      const out = new Uint8Array(bytes.length - (end - at));
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(end), at);
      return out;
    }
    case 4: {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      copy[at % bytes.length] = pick(NASTY);
      return copy;
    }
    case 5: {
      // Splice a piece of another vector in: realistic structure in unrealistic places.
      const other = pick(GOLDEN);
      const from = below(other.length);
      const piece = other.subarray(from, from + 1 + below(64));
      const out = new Uint8Array(bytes.length + piece.length);
      out.set(bytes.subarray(0, at));
      out.set(piece, at);
      out.set(bytes.subarray(at), at + piece.length);
      return out;
    }
    case 6: {
      // A length-delimited field claiming a huge or off-by-one length.
      const length = pick([0x7fffffff, 0xffffffff, bytes.length - at + 1, 2 ** 35]);
      const header = [pick([0x12, 0x1a, 0x0a]), ...varint(length)];
      const out = new Uint8Array(bytes.length + header.length);
      out.set(bytes.subarray(0, at));
      out.set(header, at);
      out.set(bytes.subarray(at), at + header.length);
      return out;
    }
    default: {
      // Deep nesting: a run of group starts or of nested delimited fields.
      const depth = 1 + below(300);
      const nest = new Uint8Array(depth * 2);
      for (let i = 0; i < depth; i++) {
        nest[2 * i] = chance(0.5) ? 0x1b : 0x1a; // field 3: start group, or delimited
        nest[2 * i + 1] = 0x7f;
      }
      const out = new Uint8Array(bytes.length + nest.length);
      out.set(bytes.subarray(0, at));
      out.set(nest, at);
      out.set(bytes.subarray(at), at + nest.length);
      return out;
    }
  }
}

function mutatedVector() {
  let bytes = pick(GOLDEN);
  const rounds = 1 + below(6);
  for (let i = 0; i < rounds; i++) bytes = mutateOnce(bytes);
  return bytes;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=";

function randomBase64() {
  if (chance(0.6)) {
    const text = Buffer.from(chance(0.5) ? mutatedVector() : randomBytes(200)).toString(
      chance(0.5) ? "base64" : "base64url",
    );
    return chance(0.5) ? text.replace(/=+$/, "") : text;
  }
  const length = below(300);
  let text = "";
  for (let i = 0; i < length; i++)
    text += chance(0.97) ? BASE64[below(BASE64.length)] : String.fromCharCode(below(0x3000));
  return text;
}

function boom() {
  throw new Error("hostile");
}

function throwingProxy(target = {}) {
  return new Proxy(target, {
    get: boom,
    has: boom,
    ownKeys: boom,
    getOwnPropertyDescriptor: boom,
    getPrototypeOf: boom,
    set: boom,
    defineProperty: boom,
    apply: boom,
    construct: boom,
  });
}

function revokedProxy() {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Values a careless reader of transport errors trips over. */
const HOSTILE = [
  () => throwingProxy(),
  () => throwingProxy(() => undefined),
  () => revokedProxy(),
  () => ({
    get code() {
      return boom();
    },
    get details() {
      return boom();
    },
    get message() {
      return boom();
    },
    get metadata() {
      return boom();
    },
    get meta() {
      return boom();
    },
  }),
  () => ({ code: 14, metadata: { get: boom } }),
  () => ({ code: 14, metadata: throwingProxy() }),
  () => ({ code: 14, metadata: { get: () => throwingProxy([]) } }),
  () => ({ code: 14, metadata: { get: () => [null, {}, 42, Symbol("x"), revokedProxy(), mutatedVector()] } }),
  () => ({ code: "UNAVAILABLE", meta: { [STATUS_DETAILS_KEY]: throwingProxy() } }),
  () => ({ code: "UNAVAILABLE", meta: throwingProxy() }),
  () => ({ code: throwingProxy(), details: throwingProxy(), message: throwingProxy() }),
  () => ({ code: { valueOf: boom, toString: boom }, details: { toString: boom } }),
  () => Object.defineProperty(Object.create(throwingProxy()), "code", { value: 5 }),
  () => {
    const cyclic = { code: 5, details: "cyclic" };
    cyclic.self = cyclic;
    cyclic.cause = cyclic;
    cyclic.metadata = cyclic;
    return cyclic;
  },
  () => {
    // Claims this package's brands, through a proxy that throws.
    const fake = Object.create(null);
    fake[Symbol.for("sandbox-sdk-errors.brands")] = throwingProxy([]);
    return fake;
  },
];

function randomValue(depth = 0) {
  switch (below(depth > 2 ? 7 : 10)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return pick([0, -1, 5, 16, 17, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, 1.5, -0]);
    case 3:
      return pick(["", "NOT_FOUND", "unavailable", "canceled", "garbage", randomBase64()]);
    case 4:
      return chance(0.5);
    case 5:
      return randomBytes(64);
    case 6:
      return BigInt(next());
    case 7:
      return Array.from({ length: below(4) }, () => randomValue(depth + 1));
    case 8: {
      const object = chance(0.2) ? Object.create(null) : {};
      const keys = ["code", "details", "message", "metadata", "meta", "cause", "get", "__proto__"];
      // defineProperty: an own "__proto__" key, and no setter of a hostile prototype to call.
      for (let i = below(5); i > 0; i--) {
        Object.defineProperty(object, pick(keys), {
          value: randomValue(depth + 1),
          enumerable: true,
          configurable: true,
        });
      }
      return object;
    }
    default:
      return pick(HOSTILE)();
  }
}

// ---------------------------------------------------------------------------------------------
// One input: what it is, how to show it, and the calls made with it
// ---------------------------------------------------------------------------------------------

function wrapAsGrpcJs(bytes) {
  const code = below(17);
  const metadata = { get: (key) => (key === STATUS_DETAILS_KEY ? [bytes] : []) };
  return { code, error: { code, details: chance(0.5) ? "boom" : "", message: `${code} X: boom`, metadata } };
}

function wrapAsProtobufTs(text) {
  const code = below(17);
  return { code, error: { code: CODE_NAMES[code], message: "failed", meta: { [STATUS_DETAILS_KEY]: text } } };
}

const CONTEXTS = [
  undefined,
  {},
  { scope: "discovery", runnerId: "r" },
  { scope: "general" },
  { fileSystemSnapshotId: "fss", trustedDomains: ["acme.example"] },
];

/** Makes the next input: `{ kind, parseInput, error, code, context }` and what `show` prints. */
function makeInput() {
  const roll = below(100);
  if (roll < 45) {
    const bytes = mutatedVector();
    return {
      kind: "mutated vector",
      bytes,
      parseInput: bytes,
      ...wrapAsGrpcJs(bytes),
      context: pick(CONTEXTS),
    };
  }
  if (roll < 60) {
    const bytes = randomBytes(chance(0.9) ? 256 : 4096);
    return {
      kind: "random bytes",
      bytes,
      parseInput: bytes,
      ...wrapAsGrpcJs(bytes),
      context: pick(CONTEXTS),
    };
  }
  if (roll < 78) {
    const text = randomBase64();
    return {
      kind: "base64 text",
      text,
      parseInput: text,
      ...wrapAsProtobufTs(text),
      context: pick(CONTEXTS),
    };
  }
  if (roll < 90) {
    // Anything at all as the thrown value: no code to check.
    const value = randomValue();
    return {
      kind: "random value",
      parseInput: value,
      error: value,
      code: undefined,
      context: pick(CONTEXTS),
    };
  }
  if (roll < 96) {
    const maker = below(HOSTILE.length);
    const value = HOSTILE[maker]();
    return {
      kind: `hostile object #${maker}`,
      parseInput: value,
      error: value,
      code: undefined,
      context: undefined,
    };
  }
  // A hostile context around a good transport error: the code must still come through.
  const bytes = pick(GOLDEN);
  const maker = below(HOSTILE.length);
  return {
    kind: `hostile context #${maker}`,
    bytes,
    parseInput: bytes,
    ...wrapAsGrpcJs(bytes),
    context: HOSTILE[maker](),
  };
}

function show(input) {
  if (input.bytes !== undefined) {
    const hex = Buffer.from(input.bytes.subarray(0, 32)).toString("hex");
    return `${input.kind}, ${input.bytes.length} bytes: ${hex}${input.bytes.length > 32 ? "…" : ""}`;
  }
  if (input.text !== undefined) {
    return `${input.kind}, ${input.text.length} chars: ${JSON.stringify(input.text.slice(0, 48))}`;
  }
  return input.kind;
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

let throws = 0;
let badResults = 0;
/** One example per kind of failure (what failed, on which kind of input), with a count. */
const failures = new Map();
let slowestNs = 0n;
let slowest;

function record(what, input, detail) {
  const key = `${what}: ${input.kind}`;
  const seen = failures.get(key);
  if (seen !== undefined) seen.count++;
  else
    failures.set(key, {
      count: 1,
      example: `${show(input)}\n      ${detail.split("\n").slice(0, 4).join("\n      ")}`,
    });
}

console.log(`fuzz: seed ${seed} (0x${seed.toString(16)}), ${count} inputs against dist/index.js`);
const started = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const input = makeInput();
  const t0 = process.hrtime.bigint();
  try {
    parseStatusDetails(input.parseInput);
  } catch (error) {
    throws++;
    record("parseStatusDetails threw", input, error?.stack ?? String(error));
  }
  let result;
  try {
    result = fromGrpcStatus(input.error, input.context);
  } catch (error) {
    throws++;
    record("fromGrpcStatus threw", input, error?.stack ?? String(error));
  }
  const elapsed = process.hrtime.bigint() - t0;
  if (elapsed > slowestNs) {
    slowestNs = elapsed;
    slowest = input;
  }
  if (result !== undefined) {
    if (!isSandboxSdkError(result)) {
      badResults++;
      record("fromGrpcStatus returned something else", input, String(result));
    } else if (input.code !== undefined && result.grpcCode !== input.code) {
      badResults++;
      record(
        "fromGrpcStatus lost the transport's code",
        input,
        `grpcCode ${result.grpcCode}, expected ${input.code}`,
      );
    }
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

/**
 * The slowest input again, a few times: a one-off (a GC pause, a JIT tier-up) re-runs fast, an input
 * that is slow to decode does not.
 */
function rerun(input) {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    try {
      parseStatusDetails(input.parseInput);
      fromGrpcStatus(input.error, input.context);
    } catch {
      // Counted above already.
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

const ms = (ns) => `${(Number(ns) / 1e6).toFixed(3)} ms`;
const rows = [
  ["inputs", String(count)],
  ["elapsed", `${seconds.toFixed(1)} s`],
  ["inputs/s", String(Math.round(count / seconds))],
  [
    "slowest",
    slowest === undefined ? "-" : `${ms(slowestNs)}, ${ms(rerun(slowest))} re-run (${show(slowest)})`,
  ],
  ["throws", String(throws)],
  ["bad results", String(badResults)],
];
for (const [label, value] of rows) console.log(`  ${label.padEnd(12)}${value}`);
if (failures.size > 0) {
  console.log(`\nfailures by kind (reproduce with --seed ${seed} --count ${count}):`);
  for (const [key, { count: times, example }] of failures)
    console.log(`  ${times} × ${key}\n    e.g. ${example}`);
}
process.exitCode = throws === 0 && badResults === 0 ? 0 : 1;
